/*  scrape_parse.h - a parser for the Prometheus text exposition format 0.0.4
 *  and the OpenMetrics text format 1.0, usable on its own.
 *
 *  The parser walks a whole exposition in memory and hands every sample to a
 *  callback, with its family's type and the sample's role in it (a bucket, a
 *  sum, a quantile...). It allocates nothing per sample: names and unescaped
 *  label values live in a scratch area reused from line to line, so they are
 *  valid only during the callback. A malformed line is skipped and counted;
 *  the first one is kept as "line 12: expected a value after the labels" and
 *  the rest of the exposition is still read. Samples over the limits are
 *  dropped and counted, never cut short: a sample keeps all its labels or
 *  does not appear at all.
 *
 *      scrape_parse_t *p = scrape_parse_new ();
 *      scrape_limits_t limits = {.max_samples = 50000, .max_label_count = 64,
 *                                .max_label_length = 1024};
 *      scrape_result_t res;
 *      scrape_parse_run (p, text, len, SCRAPE_FORMAT_OPENMETRICS, &limits,
 *                        on_sample, arg, &res);
 *      scrape_parse_destroy (&p);
 */
#ifndef SCRAPE_PARSE_H
#define SCRAPE_PARSE_H

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
    double value;
    double bound; /* BUCKET: le; QUANTILE: quantile; else 0 */
    int has_timestamp;
    int64_t timestamp_ms; /* 0.0.4: as written; OpenMetrics: seconds * 1000, rounded */
    size_t line;          /* 1-based */
} scrape_sample_t;

/* Called once per sample kept. Pointers in sample are valid only during the call. */
typedef void (*scrape_sample_fn) (void *arg, const scrape_sample_t *sample);

typedef struct {
    size_t max_samples;      /* samples handed to the callback; 0: no limit */
    size_t max_label_count;  /* labels on one sample; 0: no limit */
    size_t max_label_length; /* bytes of a label name or value, or of a metric name; 0: none */
} scrape_limits_t;

typedef struct {
    size_t lines;            /* lines read */
    size_t samples;          /* samples handed to the callback */
    size_t errors;           /* malformed lines skipped, plus a missing or early # EOF */
    size_t dropped_samples;  /* well-formed samples over max_samples */
    size_t dropped_labels;   /* well-formed samples over max_label_count or max_label_length */
    int eof;                 /* OpenMetrics: the # EOF line was seen */
    size_t first_error_line; /* 0 when there was no error */
    char first_error[256];   /* "line 12: expected a value after the labels" */
} scrape_result_t;

typedef struct scrape_parse_t scrape_parse_t;

/* A parser; its scratch memory is kept between runs. */
scrape_parse_t *scrape_parse_new (void);
void scrape_parse_destroy (scrape_parse_t **self_p);

/* Parses text[0..len) (not NUL-terminated; may contain NULs) in format,
 * calling fn for each sample. limits may be NULL (no limits). Fills result.
 * Returns 0, or VG_EPROTO when at least one line was malformed (the
 * well-formed ones were still handed over). */
int scrape_parse_run (scrape_parse_t *self, const char *text, size_t len, scrape_format_t format,
                      const scrape_limits_t *limits, scrape_sample_fn fn, void *arg,
                      scrape_result_t *result);

/* The format a Content-Type names: application/openmetrics-text is
 * OpenMetrics, text/plain is 0.0.4. Returns 0 and sets *format, or
 * VG_ENOTFOUND for anything else (and for NULL). */
int scrape_parse_content_type (const char *content_type, scrape_format_t *format);

/* A guess for a body with no Content-Type (file://): OpenMetrics when its
 * last non-blank line is "# EOF", else 0.0.4. */
scrape_format_t scrape_parse_guess_format (const char *text, size_t len);

/* "counter", "gauge", ... as the format writes it. */
const char *scrape_parse_type_name (scrape_type_t type);

#endif
