/*  notify_json.h - JSON as Go's encoding/json writes it, so payloads match
 *  Alertmanager's byte for byte: <, > and & as \u003c \u003e \u0026, U+2028
 *  and U+2029 escaped, control characters as \u00XX (\n, \r, \t short),
 *  invalid UTF-8 as U+FFFD; times in RFC 3339 with trailing zeros of the
 *  fraction dropped, UTC. */
#ifndef NOTIFY_JSON_H
#define NOTIFY_JSON_H

#include "vg_batch.h"
#include "vg_buf.h"

#include <stddef.h>
#include <stdint.h>

void notify_json_string (vg_buf_t *out, const char *s);
/* {"a":"x","b":"y"} with keys sorted (Go sorts map keys). */
void notify_json_labels (vg_buf_t *out, const vg_label_t *labels, size_t n);
/* "2024-01-02T03:04:05.12Z"; ms 0 gives Go's zero time "0001-01-01T00:00:00Z". */
void notify_json_time (vg_buf_t *out, int64_t ms);
/* The same without quotes. */
void notify_time_rfc3339 (vg_buf_t *out, int64_t ms);

#endif
