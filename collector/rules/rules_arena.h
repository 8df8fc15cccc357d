/*  rules_arena.h - the evaluator's scratch memory: a bump allocator whose
 *  blocks are all freed at once after an evaluation.
 *
 *  An evaluation makes many small, short-lived objects (label sets, vectors,
 *  signatures); they all live until the evaluation's result has been copied
 *  out, so one reset replaces a thousand frees.
 */
#ifndef RULES_ARENA_H
#define RULES_ARENA_H

#include <stddef.h>

typedef struct rules_arena_t rules_arena_t;

rules_arena_t *rules_arena_new (void);
void rules_arena_destroy (rules_arena_t **self_p);
/* Frees everything allocated since the arena was made; keeps one block. */
void rules_arena_reset (rules_arena_t *self);
/* Aligned for any type; never NULL (aborts when memory is out). */
void *rules_arena_alloc (rules_arena_t *self, size_t size);
void *rules_arena_calloc (rules_arena_t *self, size_t n, size_t size);
char *rules_arena_strdup (rules_arena_t *self, const char *s);
char *rules_arena_strndup (rules_arena_t *self, const char *s, size_t n);
/* Bytes handed out since the last reset. */
size_t rules_arena_used (const rules_arena_t *self);

#endif
