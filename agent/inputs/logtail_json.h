/*  logtail_json.h - a JSON field extractor for log lines.
 *
 *  A set of field paths ("jsonPayload.process_time_ms", "status_code",
 *  "items[0].name") is compiled once into a trie; each line is then scanned
 *  once, without building a tree or allocating, and every path's value is
 *  reported as a span of the line. Subtrees no path leads into are skipped
 *  as fast as they can be checked. The whole line is checked for JSON
 *  structure, so a truncated or malformed line yields nothing rather than a
 *  half-read one.
 *
 *  Path syntax: keys separated by '.', an array element as [N] after a key;
 *  a '.', '[' or '\' inside a key is written with a backslash ("a\.b").
 */
#ifndef LOGTAIL_JSON_H
#define LOGTAIL_JSON_H

#include <stddef.h>
#include <stdint.h>

/* Limits: deeper documents are rejected as malformed (they are never log
 * lines, and the scanner recurses). */
#define LOGTAIL_JSON_MAX_DEPTH    64
#define LOGTAIL_JSON_MAX_SEGMENTS 16
#define LOGTAIL_JSON_MAX_KEY      255

typedef enum {
    LOGTAIL_JSON_MISSING = 0, /* the path is not in the line */
    LOGTAIL_JSON_STRING,      /* span: between the quotes, still escaped */
    LOGTAIL_JSON_NUMBER,
    LOGTAIL_JSON_TRUE,
    LOGTAIL_JSON_FALSE,
    LOGTAIL_JSON_NULL,
    LOGTAIL_JSON_OBJECT, /* span: the object's text, braces included */
    LOGTAIL_JSON_ARRAY,
} logtail_json_type_t;

/* One path's value in the line last scanned. ptr points into that line. */
typedef struct {
    const char *ptr;
    uint32_t len;
    uint8_t type;    /* logtail_json_type_t */
    uint8_t escaped; /* a string holding backslash escapes */
} logtail_json_val_t;

typedef struct logtail_json_t logtail_json_t;

logtail_json_t *logtail_json_new (void);
void logtail_json_destroy (logtail_json_t **self_p);

/* Adds a path and returns its slot (>= 0; the same path gives the same
 * slot), or VG_EINVAL with the reason in err. */
int logtail_json_add_path (logtail_json_t *self, const char *path, char *err, size_t errlen);
/* Slots handed out so far: the size of the array logtail_json_scan fills. */
size_t logtail_json_nslots (const logtail_json_t *self);

/* Scans one line (len bytes, no NUL needed): a JSON object, surrounded by
 * whitespace at most. Fills slots[0 .. nslots) (a path seen twice keeps the
 * last value). Returns 0, or VG_EINVAL when the line is not such an object
 * (slots are then meaningless). */
int logtail_json_scan (const logtail_json_t *self, const char *line, size_t len,
                       logtail_json_val_t *slots);

/* Decodes a string's escapes (\n, \", \u00e9, surrogate pairs) into out, at
 * most cap bytes, never cutting a character. A lone surrogate or a broken
 * escape becomes '?'. Returns the bytes written; out is not NUL-terminated. */
size_t logtail_json_unescape (const char *p, size_t len, char *out, size_t cap);

/* Parses a whole span as a number: [+-]digits[.digits][(e|E)[+-]digits],
 * ".5" and "5." included, nothing around it. Returns 0 and a finite *out,
 * or VG_EINVAL. Used for JSON numbers, numbers in strings and regex captures. */
int logtail_json_parse_number (const char *p, size_t len, double *out);

#endif
