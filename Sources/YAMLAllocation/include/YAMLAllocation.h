#ifndef YAML_ALLOCATION_H
#define YAML_ALLOCATION_H
#include <stddef.h>

/* libyaml's allocation functions, defined here for the whole program (see YAMLAllocation.c). */
void *yaml_malloc(size_t size);
void *yaml_realloc(void *pointer, size_t size);
void yaml_free(void *pointer);
unsigned char *yaml_strdup(const unsigned char *string);

#endif
