/*  rules_map.h - a hash map from byte strings to ints in an arena, for the
 *  evaluator's signatures (vector matching, grouping, duplicate checks).
 *  Keys are copied into the arena; nothing is ever removed. */
#ifndef RULES_MAP_H
#define RULES_MAP_H

#include "rules_arena.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    rules_arena_t *arena;
    uint64_t *hashes;
    const char **keys;
    size_t *lens;
    int *vals;
    size_t cap; /* a power of two */
    size_t n;
} rules_map_t;

void rules_map_init (rules_map_t *self, rules_arena_t *arena, size_t expected);
/* The value slot of key, or NULL when absent. */
int *rules_map_get (rules_map_t *self, const void *key, size_t len);
/* The value slot of key, added (with value init) when absent; *added says
 * which. */
int *rules_map_put (rules_map_t *self, const void *key, size_t len, int init, int *added);

#endif
