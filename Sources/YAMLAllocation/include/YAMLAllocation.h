#ifndef YAML_ALLOCATION_H
#define YAML_ALLOCATION_H
#include <stddef.h>

/* libyaml's allocation functions, defined here for the whole program (see YAMLAllocation.c). */
void *yaml_malloc(size_t size);
void *yaml_realloc(void *pointer, size_t size);
void yaml_free(void *pointer);
unsigned char *yaml_strdup(const unsigned char *string);

/* Whether libyaml's blocks come from this file's free lists: 1 when libyaml was proved,
 * at load, to call all of the functions above; 0 when they pass straight to glibc. */
int yaml_allocation_uses_free_lists(void);

#endif
