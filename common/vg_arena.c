/*  vg_arena.c - a bump allocator (see vg_arena.h). */
#include "vg_arena.h"
#include "vg_alloc.h"

#include <stdlib.h>

#define S_MIN_CHUNK 4096 /* doubling up to 64 KiB */

/* Chunks are filled in list order; every chunk after cur is unused. */
struct vg_arena_chunk_t {
    vg_arena_chunk_t *next;
    size_t cap;
    size_t used;
    char data[]; /* at offset 24: 8-byte aligned */
};

void *
vg_arena_alloc (vg_arena_t *arena, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    vg_arena_chunk_t *c = arena->cur;
    while (c && c->cap - c->used < size)
        c = c->next;
    if (!c) {
        /* Small first chunks: a decoded batch of a hundred samples needs
         * a few hundred bytes of strings. */
        size_t cap = (size_t)S_MIN_CHUNK << (arena->nchunks < 4 ? arena->nchunks : 4);
        if (cap < size)
            cap = size;
        arena->nchunks++;
        c = vg_malloc (sizeof *c + cap);
        c->cap = cap;
        c->used = 0;
        if (arena->cur) {
            c->next = arena->cur->next;
            arena->cur->next = c;
        } else {
            c->next = arena->head;
            arena->head = c;
        }
    }
    arena->cur = c;
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

void
vg_arena_rewind (vg_arena_t *arena)
{
    for (vg_arena_chunk_t *c = arena->head; c; c = c->next)
        c->used = 0;
    arena->cur = arena->head;
}

void
vg_arena_free (vg_arena_t *arena)
{
    while (arena->head) {
        vg_arena_chunk_t *next = arena->head->next;
        free (arena->head);
        arena->head = next;
    }
    arena->cur = NULL;
    arena->nchunks = 0;
}
