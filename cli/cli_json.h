/*  cli_json.h - the little JSON the CLI writes: strings and numbers. */
#ifndef CLI_JSON_H
#define CLI_JSON_H

#include "vg_buf.h"

/* Appends s as a quoted JSON string (NULL as null). Control characters and
 * invalid UTF-8 bytes are escaped, so any hostname makes valid JSON. */
void cli_json_string (vg_buf_t *out, const char *s);
/* Appends a number from PostgreSQL's text form, or null for NULL, NaN and
 * infinities (which JSON cannot say). */
void cli_json_number (vg_buf_t *out, const char *text);

#endif
