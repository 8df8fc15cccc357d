/*  vg_json.h - JSON text for the values Vigil writes. */
#ifndef VG_JSON_H
#define VG_JSON_H

#include "vg_buf.h"

#include <stddef.h>

/* Appends s (len bytes) as a JSON string ("..." with escapes). Bytes that are
 * not valid UTF-8, and NUL, become U+FFFD, so PostgreSQL's jsonb and any JSON
 * reader take the result. */
void vg_json_string (vg_buf_t *buf, const char *s, size_t len);

#endif
