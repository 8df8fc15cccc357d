/*  vg_utf8.h - UTF-8 validation: what the wire and PostgreSQL's text accept. */
#ifndef VG_UTF8_H
#define VG_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (n >= 1 bytes left), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
size_t vg_utf8_seq (const unsigned char *p, size_t n);
/* The offset of the first invalid byte, or len if s is valid UTF-8. */
size_t vg_utf8_check (const char *s, size_t len);
/* Writes code point cp (at most U+10FFFF; the caller checks) as UTF-8 into
 * out (room for 4 bytes); returns the bytes written. */
size_t vg_utf8_encode (unsigned long cp, char *out);

#endif
