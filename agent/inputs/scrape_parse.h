/*  scrape_parse.h - a validating parser for the Prometheus text exposition
 *  format 0.0.4 and the OpenMetrics text format 1.0, usable on its own.
 *
 *  The parser reads a whole exposition in memory and checks it against its
 *  format's rules: the syntax of every line, metadata, the suffixes and
 *  values each type allows, the structure of histograms and summaries, and
 *  for OpenMetrics the order of families, metrics and timestamps, exemplars
 *  and # EOF. OpenMetrics says a partly invalid exposition is invalid as a
 *  whole, and Prometheus fails such a scrape, so by default the parser stops
 *  at the first error and hands over nothing: samples are kept until the end
 *  and given to the callback only when the whole text is valid. With
 *  keep_valid_lines, a line that breaks a rule is skipped and counted and the
 *  other lines' samples are handed over.
 *
 *  Every error names its line, its column and the rule broken
 *  (scrape_rule.h): "line 12, column 9: counter "a" has a negative value".
 *  Samples over max_samples, max_label_count or max_label_length are errors
 *  too (sample_limit, label_limit) unless keep_valid_lines is set, when they
 *  are dropped and counted; a sample keeps all its labels or does not
 *  appear at all.
 *
 *      scrape_parse_t *p = scrape_parse_new ();
 *      scrape_options_t opts = {.max_samples = 50000, .max_label_count = 64,
 *                               .max_label_length = 1024};
 *      scrape_result_t res;
 *      if (scrape_parse_run (p, text, len, SCRAPE_FORMAT_OPENMETRICS, &opts,
 *                            on_sample, arg, &res) != 0)
 *          printf ("%s [%s]\n", res.first_error, scrape_rule_name (res.first_rule));
 *      scrape_parse_destroy (&p);
 */
#ifndef SCRAPE_PARSE_H
#define SCRAPE_PARSE_H

#include "scrape_rule.h"
#include "vg_batch.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    SCRAPE_FORMAT_PROMETHEUS = 0,  /* text/plain; version=0.0.4 */
    SCRAPE_FORMAT_OPENMETRICS = 1, /* application/openmetrics-text; version=1.0.0 */
} scrape_format_t;

typedef enum {
    SCRAPE_TYPE_UNTYPED = 0, /* "untyped" (0.0.4), "unknown" (OpenMetrics), or no TYPE line */
    SCRAPE_TYPE_COUNTER,
    SCRAPE_TYPE_GAUGE,
    SCRAPE_TYPE_HISTOGRAM,
    SCRAPE_TYPE_SUMMARY,
    SCRAPE_TYPE_GAUGEHISTOGRAM, /* OpenMetrics only */
    SCRAPE_TYPE_STATESET,       /* OpenMetrics only */
    SCRAPE_TYPE_INFO,           /* OpenMetrics only */
} scrape_type_t;

/* What a sample is within its family. */
typedef enum {
    SCRAPE_ROLE_VALUE = 0, /* the value itself: a gauge, an untyped value, a counter's
                              total (foo in 0.0.4, foo_total in OpenMetrics), a state, an info */
    SCRAPE_ROLE_CREATED,   /* foo_created: when a counter, histogram or summary started */
    SCRAPE_ROLE_BUCKET,    /* foo_bucket{le="..."} of a histogram or gauge histogram */
    SCRAPE_ROLE_SUM,       /* foo_sum, or foo_gsum of a gauge histogram */
    SCRAPE_ROLE_COUNT,     /* foo_count, or foo_gcount of a gauge histogram */
    SCRAPE_ROLE_QUANTILE,  /* foo{quantile="..."} of a summary */
} scrape_role_t;

typedef struct {
    const char *name;   /* the sample's metric name, as written (foo_bucket) */
    const char *family; /* its family's name (foo) */
    scrape_type_t type; /* the family's type */
    scrape_role_t role;
    const vg_label_t *labels; /* unescaped, in the order written, le and quantile included */
    size_t nlabels;
    double value; /* NaN and infinities included, as written */
    double bound; /* BUCKET: le; QUANTILE: quantile; else 0 */
    int has_timestamp;
    /* 0.0.4: as written; OpenMetrics: seconds * 1000, rounded. A time
     * outside what int64 milliseconds hold saturates to INT64_MIN/MAX. */
    int64_t timestamp_ms;
    size_t line; /* 1-based */
} scrape_sample_t;

/* Called once per sample kept. Pointers in sample are valid only during the call. */
typedef void (*scrape_sample_fn) (void *arg, const scrape_sample_t *sample);

typedef struct {
    size_t max_samples;      /* samples handed to the callback; 0: no limit */
    size_t max_label_count;  /* labels on one sample; 0: no limit */
    size_t max_label_length; /* bytes of a label name or value, or of a metric name; 0: none */
    int keep_valid_lines;    /* skip what breaks a rule instead of rejecting the whole */
} scrape_options_t;

typedef struct {
    size_t lines;              /* lines read */
    size_t samples;            /* samples handed to the callback */
    size_t errors;             /* rules broken (without keep_valid_lines: at most 1) */
    size_t dropped_samples;    /* keep_valid_lines: well-formed samples over max_samples */
    size_t dropped_labels;     /* keep_valid_lines: samples over max_label_count/_length */
    size_t duplicates;         /* OpenMetrics: a sample repeated within its metric point, where
                                  the first is the one kept */
    size_t nul_replaced;       /* label values whose NUL bytes became U+FFFD */
    int eof;                   /* OpenMetrics: the # EOF line was seen */
    scrape_rule_t first_rule;  /* SCRAPE_RULE_NONE when there was no error */
    size_t first_error_line;   /* 0 when there was no error */
    size_t first_error_column; /* 1-based, in bytes */
    char first_error[320];     /* "line 12, column 9: counter "a" has a negative value -1" */
} scrape_result_t;

typedef struct scrape_parse_t scrape_parse_t;

/* A parser; its memory is kept between runs. */
scrape_parse_t *scrape_parse_new (void);
void scrape_parse_destroy (scrape_parse_t **self_p);

/* Parses text[0..len) (not NUL-terminated; may contain NULs) in format and
 * fills result. Without keep_valid_lines: when the text is valid, calls fn
 * for each sample and returns 0; otherwise calls fn for none and returns
 * VG_EPROTO (a rule broken) or VG_ETOOBIG (a limit passed). With it: calls
 * fn for each sample of a line that broke no rule and returns 0, or
 * VG_EPROTO when any rule was broken. options may be NULL (no limits). */
int scrape_parse_run (scrape_parse_t *self, const char *text, size_t len, scrape_format_t format,
                      const scrape_options_t *options, scrape_sample_fn fn, void *arg,
                      scrape_result_t *result);

/* "counter", "gauge", ... as the format writes it. */
const char *scrape_parse_type_name (scrape_type_t type);

#endif
