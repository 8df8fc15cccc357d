/*  scrape_parse_int.h - the exposition parser's state, shared by the files
 *  that read its lines: scrape_parse.c (the run, samples, families),
 *  scrape_line.c (a sample line's tokens and labels) and scrape_meta.c
 *  (TYPE, HELP and UNIT lines). Nothing outside them includes it.
 */
#ifndef SCRAPE_PARSE_INT_H
#define SCRAPE_PARSE_INT_H

#include "scrape_check.h"
#include "scrape_family.h"
#include "scrape_parse.h"

#include <stddef.h>
#include <stdint.h>

/* A sample kept for the end: where its name is, its values. Its labels'
 * spans follow those of the sample kept before it. 48 bytes: there is one
 * per sample. */
typedef struct {
    uint32_t name, name_len; /* in the text */
    uint32_t nlabels;
    uint32_t fam;
    uint32_t line; /* saturates at UINT32_MAX (a 1 GiB body has fewer lines) */
    uint8_t role;
    uint8_t has_ts;
    double value, bound;
    int64_t ts_ms;
} scrape_kept_t;

/* What a sample line holds, once read. */
typedef struct {
    const char *name; /* in the text */
    size_t name_len;
    double value;
    int has_ts;
    int64_t ts_ms;
    double ts;
    int has_exemplar;
    double exemplar_value;
    size_t exemplar_chars;
} scrape_line_t;

struct scrape_parse_t {
    /* the run */
    scrape_format_t format;
    scrape_options_t opts;
    scrape_result_t *res;
    int stop;         /* the first error ends a run without keep_valid_lines */
    const char *text; /* the exposition, which spans point into */

    /* the line */
    size_t line;
    const char *line_start;
    const char *at[SCRAPE_AT_COUNT]; /* where each part of a sample line begins */
    size_t nseen;                    /* labels on the line, stored or not */
    int over_limit;                  /* the line's sample is over a label limit */
    size_t line_nuls;                /* NUL bytes replaced in its label values */
    uint64_t *lhash;                 /* a hash of each stored label of the line, key and value */
    size_t lhash_cap;
    char *name; /* the line's metric name, NUL-terminated, for messages */
    size_t name_cap;

    /* kept samples: their records, their labels' spans, and the label values
     * that had escapes, unescaped */
    char *arena;
    size_t arena_len, arena_cap;
    scrape_span_t *spans;
    size_t nspans, spans_cap;
    scrape_kept_t *kept;
    size_t nkept, kept_cap;
    vg_label_t *labels; /* one sample's, when handed over */
    size_t labels_cap;
    char *strings; /* and its name, keys and values, NUL-terminated */
    size_t strings_cap;

    scrape_families_t fams;
    size_t cur; /* the family of the last metadata line or sample */
    scrape_check_t *check;
};

/* Counts a rule broken at at (a point of the current line; NULL: its
 * start); the first one is kept, and without keep_valid_lines it ends the run. */
void scrape_parse_error (scrape_parse_t *self, scrape_rule_t rule, const char *at, const char *fmt,
                         ...) __attribute__ ((format (printf, 4, 5)));

/* Room for extra more bytes in the arena. */
void scrape_parse_arena_reserve (scrape_parse_t *self, size_t extra);

/* OpenMetrics: the current family is complete (its last metric point, its
 * name against the others', its unit against its type are checked). */
void scrape_parse_family_end (scrape_parse_t *self);
/* OpenMetrics: what (a sample, HELP...) of family idx, which began before
 * the current one, shows up at at. */
void scrape_parse_interleaved (scrape_parse_t *self, size_t idx, const char *at, const char *what);

/* A sample line's tokens into *ln; its labels' spans go to self->spans.
 * Returns 0, or -1 after reporting. */
int scrape_line_read (scrape_parse_t *self, const char *p, const char *end, scrape_line_t *ln);
/* OpenMetrics reserves names that begin with an underscore: -1 after
 * reporting one (what: "metric name", "label name"), else 0. */
int scrape_line_reserved (scrape_parse_t *self, const char *name, size_t n, const char *what);

/* A line beginning with '#': "# TYPE", "# HELP", other comments (0.0.4);
 * "# TYPE", "# HELP", "# UNIT", "# EOF" (OpenMetrics). */
void scrape_meta_prometheus (scrape_parse_t *self, const char *p, const char *end);
void scrape_meta_openmetrics (scrape_parse_t *self, const char *p, const char *end);

#endif
