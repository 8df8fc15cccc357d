/*  rules_arena.c - a bump allocator over a list of blocks. */
#include "rules_arena.h"
#include "vg_alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define S_BLOCK (64 * 1024)
#define S_ALIGN 16

typedef struct s_block_t {
    struct s_block_t *next;
    size_t size; /* usable bytes after the header */
    size_t used;
} s_block_t;

struct rules_arena_t {
    s_block_t *blocks; /* newest first */
    size_t used;
};

/* The header is padded so that data starts aligned. */
#define S_HEADER ((sizeof (s_block_t) + S_ALIGN - 1) & ~(size_t)(S_ALIGN - 1))

static s_block_t *
s_block_new (size_t size)
{
    s_block_t *b = vg_malloc (S_HEADER + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

rules_arena_t *
rules_arena_new (void)
{
    rules_arena_t *self = vg_calloc (1, sizeof *self);
    self->blocks = s_block_new (S_BLOCK);
    return self;
}

void
rules_arena_destroy (rules_arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rules_arena_t *self = *self_p;
    for (s_block_t *b = self->blocks, *next; b; b = next) {
        next = b->next;
        free (b);
    }
    free (self);
    *self_p = NULL;
}

void
rules_arena_reset (rules_arena_t *self)
{
    /* Keep the oldest block (the standard size), free the rest. */
    s_block_t *b = self->blocks;
    while (b->next) {
        s_block_t *next = b->next;
        free (b);
        b = next;
    }
    if (b->size != S_BLOCK) {
        free (b);
        b = s_block_new (S_BLOCK);
    }
    b->used = 0;
    self->blocks = b;
    self->used = 0;
}

void *
rules_arena_alloc (rules_arena_t *self, size_t size)
{
    size = (size + S_ALIGN - 1) & ~(size_t)(S_ALIGN - 1);
    if (size == 0)
        size = S_ALIGN;
    s_block_t *b = self->blocks;
    if (b->size - b->used < size) {
        /* A big request gets a block of its own, put behind the current one
         * so the current one keeps filling. */
        if (size > S_BLOCK / 4) {
            s_block_t *big = s_block_new (size);
            big->used = size;
            big->next = b->next;
            b->next = big;
            self->used += size;
            return (char *)big + S_HEADER;
        }
        b = s_block_new (S_BLOCK);
        b->next = self->blocks;
        self->blocks = b;
    }
    void *p = (char *)b + S_HEADER + b->used;
    b->used += size;
    self->used += size;
    return p;
}

void *
rules_arena_calloc (rules_arena_t *self, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        abort ();
    void *p = rules_arena_alloc (self, n * size);
    memset (p, 0, n * size);
    return p;
}

char *
rules_arena_strndup (rules_arena_t *self, const char *s, size_t n)
{
    char *p = rules_arena_alloc (self, n + 1);
    memcpy (p, s, n);
    p[n] = '\0';
    return p;
}

char *
rules_arena_strdup (rules_arena_t *self, const char *s)
{
    return rules_arena_strndup (self, s, strlen (s));
}

size_t
rules_arena_used (const rules_arena_t *self)
{
    return self->used;
}
