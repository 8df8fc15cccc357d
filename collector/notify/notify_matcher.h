/*  notify_matcher.h - label matchers as Alertmanager writes them.
 *
 *      severity="critical"     service=~"api|chat"     env!=dev     team!~"ops.*"
 *      {severity="critical", service=~"api|chat"}
 *
 *  A value is double-quoted (Go escapes \" \\ \n \t) or bare (no whitespace,
 *  braces, quotes, commas, '=', '!', '~' or backslash). Regexes are fully
 *  anchored, as in Alertmanager ("^(?:" value ")$"), through PCRE2. A label an
 *  alert lacks matches as the empty string, so `team=""` matches alerts
 *  without a team. A list matches when every matcher does.
 */
#ifndef NOTIFY_MATCHER_H
#define NOTIFY_MATCHER_H

#include "vg_batch.h"
#include "vg_buf.h"

#include <stddef.h>

typedef enum {
    NOTIFY_MATCH_EQ = 0, /* = */
    NOTIFY_MATCH_NE,     /* != */
    NOTIFY_MATCH_RE,     /* =~ */
    NOTIFY_MATCH_NRE,    /* !~ */
} notify_match_op_t;

typedef struct {
    char *name;
    notify_match_op_t op;
    char *value;
    void *re; /* pcre2_code for =~ and !~ */
} notify_matcher_t;

typedef struct {
    notify_matcher_t *items;
    size_t n, cap;
} notify_matchers_t;

/* Parses text, one matcher or a braced, comma-separated list, and appends
 * what it finds to self. Returns 0, or VG_EINVAL with the reason and the
 * position in err ("at column 9: expected =, !=, =~ or !~"). */
int notify_matchers_parse (notify_matchers_t *self, const char *text, char *err, size_t errlen);
/* 1 if every matcher matches the labels (sorted by key or not). */
int notify_matchers_match (const notify_matchers_t *self, const vg_label_t *labels, size_t n);
/* Alertmanager's Matchers.String(): {a="x",b=~"y"} in the order given. */
void notify_matchers_string (const notify_matchers_t *self, vg_buf_t *out);
/* Moves every matcher of src to the end of self; src is left empty. */
void notify_matchers_take (notify_matchers_t *self, notify_matchers_t *src);
void notify_matchers_free (notify_matchers_t *self);

/* The value of label name in labels, or "" when absent. */
const char *notify_matcher_label (const vg_label_t *labels, size_t n, const char *name);

/* Go's strconv.Quote, which Alertmanager's keys use: printable UTF-8 kept,
 * the rest escaped. */
void notify_matcher_go_quote (vg_buf_t *out, const char *s);

#endif
