/*  rules_map.c - open addressing with linear probing, grown at half full. */
#include "rules_map.h"
#include "vg_hash.h"

#include <string.h>

static void
s_alloc (rules_map_t *self, size_t cap)
{
    self->cap = cap;
    self->hashes = rules_arena_calloc (self->arena, cap, sizeof *self->hashes);
    self->keys = rules_arena_calloc (self->arena, cap, sizeof *self->keys);
    self->lens = rules_arena_calloc (self->arena, cap, sizeof *self->lens);
    self->vals = rules_arena_calloc (self->arena, cap, sizeof *self->vals);
}

void
rules_map_init (rules_map_t *self, rules_arena_t *arena, size_t expected)
{
    memset (self, 0, sizeof *self);
    self->arena = arena;
    size_t cap = 16;
    while (cap < expected * 2)
        cap *= 2;
    s_alloc (self, cap);
}

static size_t
s_find (const rules_map_t *self, uint64_t h, const void *key, size_t len)
{
    size_t mask = self->cap - 1, i = (size_t)h & mask;
    while (self->keys[i]) {
        if (self->hashes[i] == h && self->lens[i] == len && memcmp (self->keys[i], key, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

int *
rules_map_get (rules_map_t *self, const void *key, size_t len)
{
    uint64_t h = vg_hash_bytes (key, len);
    size_t i = s_find (self, h, key, len);
    return self->keys[i] ? &self->vals[i] : NULL;
}

static void
s_grow (rules_map_t *self)
{
    rules_map_t old = *self;
    s_alloc (self, old.cap * 2);
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.keys[i])
            continue;
        size_t k = s_find (self, old.hashes[i], old.keys[i], old.lens[i]);
        self->hashes[k] = old.hashes[i];
        self->keys[k] = old.keys[i];
        self->lens[k] = old.lens[i];
        self->vals[k] = old.vals[i];
    }
}

int *
rules_map_put (rules_map_t *self, const void *key, size_t len, int init, int *added)
{
    uint64_t h = vg_hash_bytes (key, len);
    size_t i = s_find (self, h, key, len);
    if (self->keys[i]) {
        if (added)
            *added = 0;
        return &self->vals[i];
    }
    if ((self->n + 1) * 2 > self->cap) {
        s_grow (self);
        i = s_find (self, h, key, len);
    }
    /* A zero-length key still needs a non-NULL pointer to mark the slot. */
    self->keys[i] = rules_arena_strndup (self->arena, key, len);
    self->hashes[i] = h;
    self->lens[i] = len;
    self->vals[i] = init;
    self->n++;
    if (added)
        *added = 1;
    return &self->vals[i];
}
