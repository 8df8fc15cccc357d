/*  vg_buf.h - a growable byte buffer (binary COPY rows, text output, frames). */
#ifndef VG_BUF_H
#define VG_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data; /* owned; always NUL-terminated after vg_buf_printf/puts */
    size_t len;
    size_t cap;
} vg_buf_t;

/* A zeroed vg_buf_t is an empty buffer; vg_buf_free releases and re-zeroes it. */
void vg_buf_free (vg_buf_t *self);
void vg_buf_reset (vg_buf_t *self);
void vg_buf_reserve (vg_buf_t *self, size_t extra);
void vg_buf_append (vg_buf_t *self, const void *data, size_t len);
void vg_buf_puts (vg_buf_t *self, const char *s);
void vg_buf_printf (vg_buf_t *self, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Big-endian (network order) integers and doubles, as PostgreSQL's binary
 * formats want them. */
void vg_buf_be16 (vg_buf_t *self, uint16_t v);
void vg_buf_be32 (vg_buf_t *self, uint32_t v);
void vg_buf_be64 (vg_buf_t *self, uint64_t v);
void vg_buf_bedouble (vg_buf_t *self, double v);

#endif
