/*  vg_alloc.c - allocation wrappers that abort on failure. */
#include "vg_alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_oom (size_t size)
{
    fprintf (stderr, "vigil: out of memory allocating %zu bytes; aborting\n", size);
    abort ();
}

void *
vg_malloc (size_t size)
{
    void *p = malloc (size ? size : 1);
    if (!p)
        s_oom (size);
    return p;
}

void *
vg_calloc (size_t count, size_t size)
{
    void *p = calloc (count ? count : 1, size ? size : 1);
    if (!p)
        s_oom (count * size);
    return p;
}

void *
vg_realloc (void *ptr, size_t size)
{
    void *p = realloc (ptr, size ? size : 1);
    if (!p)
        s_oom (size);
    return p;
}

char *
vg_strdup (const char *s)
{
    return s ? vg_strndup (s, strlen (s)) : NULL;
}

char *
vg_strndup (const char *s, size_t n)
{
    char *p = vg_malloc (n + 1);
    memcpy (p, s, n);
    p[n] = '\0';
    return p;
}

char *
vg_asprintf (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (NULL, 0, fmt, ap);
    va_end (ap);
    if (n < 0)
        n = 0;
    char *p = vg_malloc ((size_t) n + 1);
    va_start (ap, fmt);
    vsnprintf (p, (size_t) n + 1, fmt, ap);
    va_end (ap);
    return p;
}

void
vg_grow (void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    *ptr = vg_realloc (*ptr, ncap * elem);
    *cap = ncap;
}
