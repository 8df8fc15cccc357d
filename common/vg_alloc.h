/*  vg_alloc.h - allocation that never returns NULL.
 *
 *  Out of memory is not recoverable for an agent or a collector, so every
 *  allocation goes through these wrappers, which log and abort on failure.
 *  That keeps untested NULL branches out of the rest of the code.
 */
#ifndef VG_ALLOC_H
#define VG_ALLOC_H

#include <stddef.h>

void *vg_malloc (size_t size);
void *vg_calloc (size_t count, size_t size);
void *vg_realloc (void *ptr, size_t size);
/* Caller owns the returned string. vg_strdup (NULL) returns NULL. */
char *vg_strdup (const char *s);
char *vg_strndup (const char *s, size_t n);
/* Caller owns the returned string. */
char *vg_asprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Grows *ptr (an array of elem-sized items with *cap slots) to hold at least
 * need items, doubling. */
void vg_grow (void **ptr, size_t *cap, size_t need, size_t elem);

#define VG_GROW(ptr, cap, need) vg_grow ((void **) &(ptr), &(cap), (need), sizeof (*(ptr)))

#endif
