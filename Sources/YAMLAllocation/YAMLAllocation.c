/*
 * libyaml's allocator, replaced for this program.
 *
 * libyaml allocates and frees a small block for almost every token and event: about
 * 70 allocations a record, some 110 million at a million people, and glibc's `malloc`,
 * `free` and `_int_free` took about a fifth of the parse's samples. libyaml calls its own
 * `yaml_malloc`, `yaml_realloc`, `yaml_free` and `yaml_strdup` through its PLT, so these
 * definitions in the executable are the ones it uses (every libyaml call of this
 * program's, job files included). No listed package provides an allocator, and none
 * can be given to libyaml otherwise.
 *
 * Blocks of up to 4 KB come from free lists of the calling thread, one a power-of-two
 * size, carved from 64 KB chunks that are never given back (a parser's live blocks are
 * few: tokens and events are freed as soon as they are used). A block freed by another
 * thread joins that thread's lists. Larger blocks (a parser's buffers, long scalars) are
 * glibc's. Each block starts with a 16-byte header that keeps the alignment `malloc`
 * gives: its size class, and for a large block its size.
 *
 * That libyaml's calls come here is proved, not assumed: a libyaml built to bind its own
 * calls inside itself (LTO, -fno-semantic-interposition, a static build) would allocate
 * with some and free with others. Until the proof, every call goes straight to glibc
 * (no header). At load, a constructor parses a small document that makes libyaml
 * allocate, grow and free blocks, and counts the calls that arrive: only when every kind
 * arrives and every block allocated is freed again do the free lists take over. Builds
 * with AddressSanitizer never take them, so that a use after free of libyaml's memory
 * stays visible.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "YAMLAllocation.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define YAML_ALLOCATION_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define YAML_ALLOCATION_SANITIZED 1
#endif

/* Whether the free lists are in use: set once, at load, before any thread starts. */
static int lists_on;
/* While proving: calls of each kind that arrived, and blocks allocated less freed. */
static long proved_mallocs, proved_reallocs, proved_frees;

enum {
    header = 16,
    classes = 8,          /* 32, 64, ..., 4096 bytes, header included */
    largest = 32 << (classes - 1),
    chunk = 1 << 16,
    large = 0xFF,
};

struct cache {
    void *free[classes];
    char *next;
    char *end;
};

/* Initial-exec: the code is in the executable, and the access then needs no call. */
static __thread struct cache cache __attribute__((tls_model("initial-exec")));

static inline unsigned size_class(size_t total) {
    return total <= 32 ? 0 : (unsigned)(64 - __builtin_clzll((unsigned long long)(total - 1)) - 5);
}

/* The paths taken once in a while, out of line, so that the common ones save no registers. */
__attribute__((noinline)) static void *large_block(size_t size, size_t total) {
    unsigned char *block = malloc(total);
    if (!block) return NULL;
    block[0] = large;
    memcpy(block + 8, &size, sizeof size);
    return block + header;
}

__attribute__((noinline)) static void *carved_block(unsigned k) {
    size_t bytes = (size_t)32 << k;
    if ((size_t)(cache.end - cache.next) < bytes) {
        char *fresh = malloc(chunk);
        if (!fresh) return NULL;
        cache.next = fresh;
        cache.end = fresh + chunk;
    }
    unsigned char *block = (unsigned char *)cache.next;
    cache.next += bytes;
    block[0] = (unsigned char)k;
    return block + header;
}

__attribute__((noinline)) static void free_large(unsigned char *block) {
    free(block);
}

void *yaml_malloc(size_t size) {
    if (__builtin_expect(!lists_on, 0)) {
        proved_mallocs++;
        return malloc(size ? size : 1);
    }
    size_t total = (size ? size : 1) + header;
    if (total > largest) return large_block(size, total);
    unsigned k = size_class(total);
    unsigned char *block = cache.free[k];
    if (!block) return carved_block(k);
    memcpy(&cache.free[k], block + header, sizeof(void *));
    block[0] = (unsigned char)k;
    return block + header;
}

void yaml_free(void *pointer) {
    if (!pointer) return;
    if (__builtin_expect(!lists_on, 0)) {
        proved_frees++;
        free(pointer);
        return;
    }
    unsigned char *block = (unsigned char *)pointer - header;
    if (block[0] == large) {
        free_large(block);
        return;
    }
    unsigned k = block[0];
    memcpy(pointer, &cache.free[k], sizeof(void *));
    cache.free[k] = block;
}

void *yaml_realloc(void *pointer, size_t size) {
    if (!pointer) return yaml_malloc(size);
    if (__builtin_expect(!lists_on, 0)) {
        proved_reallocs++;
        return realloc(pointer, size ? size : 1);
    }
    unsigned char *block = (unsigned char *)pointer - header;
    size_t total = (size ? size : 1) + header;
    size_t held;
    if (block[0] == large) {
        if (total > largest) {
            unsigned char *grown = realloc(block, total);
            if (!grown) return NULL;
            memcpy(grown + 8, &size, sizeof size);
            return grown + header;
        }
        memcpy(&held, block + 8, sizeof held);
    } else {
        held = ((size_t)32 << block[0]) - header;
        if (total <= held + header) return pointer;
    }
    void *moved = yaml_malloc(size);
    if (!moved) return NULL;
    memcpy(moved, pointer, held < size ? held : size);
    yaml_free(pointer);
    return moved;
}

unsigned char *yaml_strdup(const unsigned char *string) {
    if (!string) return NULL;
    size_t length = strlen((const char *)string) + 1;
    unsigned char *copy = yaml_malloc(length);
    if (copy) memcpy(copy, string, length);
    return copy;
}

/* Parses a document with a scalar long enough to grow libyaml's buffers, counting the
 * calls that reach this file; turns the free lists on when all kinds arrived balanced. */
__attribute__((constructor)) static void prove_interposition(void) {
#ifndef YAML_ALLOCATION_SANITIZED
    static char text[600];
    memcpy(text, "a: [", 4);
    memset(text + 4, 'x', sizeof text - 7);
    memcpy(text + sizeof text - 3, "]\n", 3);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, sizeof text - 1);
    yaml_event_t event;
    int done = 0;
    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) break;
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    if (done && proved_mallocs > 0 && proved_reallocs > 0 && proved_mallocs == proved_frees) lists_on = 1;
#endif
}

int yaml_allocation_uses_free_lists(void) { return lists_on; }
