/*  vg_buf.c - a growable byte buffer. */
#include "vg_buf.h"
#include "vg_alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
vg_buf_free (vg_buf_t *self)
{
    free (self->data);
    memset (self, 0, sizeof *self);
}

void
vg_buf_reset (vg_buf_t *self)
{
    self->len = 0;
    if (self->data)
        self->data[0] = '\0';
}

void
vg_buf_reserve (vg_buf_t *self, size_t extra)
{
    size_t need = self->len + extra + 1;
    if (need <= self->cap)
        return;
    size_t cap = self->cap ? self->cap : 256;
    while (cap < need)
        cap *= 2;
    self->data = vg_realloc (self->data, cap);
    self->cap = cap;
}

void
vg_buf_append (vg_buf_t *self, const void *data, size_t len)
{
    vg_buf_reserve (self, len);
    if (len) /* data may be NULL when len is 0 */
        memcpy (self->data + self->len, data, len);
    self->len += len;
    self->data[self->len] = '\0';
}

void
vg_buf_puts (vg_buf_t *self, const char *s)
{
    vg_buf_append (self, s, strlen (s));
}

void
vg_buf_printf (vg_buf_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (NULL, 0, fmt, ap);
    va_end (ap);
    if (n <= 0)
        return;
    vg_buf_reserve (self, (size_t) n);
    va_start (ap, fmt);
    vsnprintf (self->data + self->len, (size_t) n + 1, fmt, ap);
    va_end (ap);
    self->len += (size_t) n;
}

void
vg_buf_be16 (vg_buf_t *self, uint16_t v)
{
    unsigned char b[2] = {(unsigned char) (v >> 8), (unsigned char) v};
    vg_buf_append (self, b, 2);
}

void
vg_buf_be32 (vg_buf_t *self, uint32_t v)
{
    unsigned char b[4] = {(unsigned char) (v >> 24), (unsigned char) (v >> 16),
                          (unsigned char) (v >> 8), (unsigned char) v};
    vg_buf_append (self, b, 4);
}

void
vg_buf_be64 (vg_buf_t *self, uint64_t v)
{
    vg_buf_be32 (self, (uint32_t) (v >> 32));
    vg_buf_be32 (self, (uint32_t) v);
}

void
vg_buf_bedouble (vg_buf_t *self, double v)
{
    uint64_t bits;
    memcpy (&bits, &v, sizeof bits);
    vg_buf_be64 (self, bits);
}
