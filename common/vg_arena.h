/*  vg_arena.h - a bump allocator: many small allocations that all go at once.
 *
 *  Chunks are taken with vg_malloc, 4 KiB first, doubling up to 64 KiB (or
 *  as large as one request); every pointer is 8-byte aligned. Rewinding keeps
 *  the chunks for reuse; vg_arena_free returns them. Not thread-safe.
 */
#ifndef VG_ARENA_H
#define VG_ARENA_H

#include <stddef.h>

typedef struct vg_arena_chunk_t vg_arena_chunk_t;

typedef struct {
    vg_arena_chunk_t *head;
    vg_arena_chunk_t *cur;
    unsigned nchunks;
} vg_arena_t; /* zero-initialised: empty */

void *vg_arena_alloc (vg_arena_t *arena, size_t size);
/* Every allocation is gone; the chunks stay for the next ones. */
void vg_arena_rewind (vg_arena_t *arena);
void vg_arena_free (vg_arena_t *arena);

#endif
