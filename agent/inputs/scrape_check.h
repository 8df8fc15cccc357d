/*  scrape_check.h - the rules about values and structure that the exposition
 *  parser checks once a sample's line has been read: what values and labels
 *  each type's samples may have, exemplars, and, across lines, how samples
 *  group into metrics and metric points (interleaving, timestamps, repeated
 *  samples) and the structure of histograms and summaries.
 *
 *  A metric is a family's samples with one label set, le, quantile and a
 *  stateset's state label left out; a metric point is a metric's samples with
 *  one timestamp. OpenMetrics wants both contiguous; 0.0.4 lets families
 *  interleave, so there a histogram's or summary's metrics are remembered
 *  until the end. Internal to scrape_parse.c.
 */
#ifndef SCRAPE_CHECK_H
#define SCRAPE_CHECK_H

#include "scrape_family.h"
#include "scrape_parse.h"

#include <stddef.h>
#include <stdint.h>

/* Where on its line a fault is, for the column in the message. */
typedef enum {
    SCRAPE_AT_LINE = 0, /* column 1 */
    SCRAPE_AT_NAME,
    SCRAPE_AT_LABELS,
    SCRAPE_AT_VALUE,
    SCRAPE_AT_TIMESTAMP,
    SCRAPE_AT_EXEMPLAR,
    SCRAPE_AT_COUNT
} scrape_at_t;

typedef struct {
    scrape_rule_t rule;
    scrape_at_t at;
    size_t line; /* 0: the line being read; else an earlier line (column 1) */
    char msg[256];
} scrape_fault_t;

/* A label of a sample line: where its key and value are. A key is always
 * in the exposition's text, and so is a value as written, unless it had an
 * escape or a NUL byte: then its unescaped form is in the parser's arena and
 * SCRAPE_SPAN_ARENA is set in val_len. Offsets fit 31 bits: the parser takes
 * no text of 2 GiB or more. */
typedef struct {
    uint32_t key, key_len;
    uint32_t val, val_len;
} scrape_span_t;

#define SCRAPE_SPAN_ARENA 0x80000000u

static inline const char *
scrape_span_value (const char *text, const char *arena, const scrape_span_t *sp, size_t *len)
{
    *len = sp->val_len & ~SCRAPE_SPAN_ARENA;
    return (sp->val_len & SCRAPE_SPAN_ARENA ? arena : text) + sp->val;
}

/* A sample whose line is well-formed, as the checks see it. */
typedef struct {
    size_t fam; /* index in families */
    const scrape_family_t *family;
    const char *family_name;
    scrape_role_t role;
    const char *name;  /* as written, NUL-terminated */
    const char *text;  /* the exposition */
    const char *arena; /* the parser's arena */
    const scrape_span_t *labels;
    size_t nlabels;
    const uint64_t *hashes; /* one of each label's key and value */
    double value;
    int has_ts;
    double ts; /* in the format's unit, exact */
    int64_t ts_ms;
    int has_exemplar;
    double exemplar_value;
    size_t exemplar_chars; /* code points of the exemplar's label names and values */
    size_t line;
    uint64_t key; /* its metric, set by scrape_check_prepare */
} scrape_check_sample_t;

typedef struct scrape_check_t scrape_check_t;

scrape_check_t *scrape_check_new (void);
void scrape_check_destroy (scrape_check_t **self_p);
/* Forgets the previous run; fams are the run's families, read for their
 * names and types. */
void scrape_check_begin (scrape_check_t *self, scrape_format_t format,
                         const scrape_families_t *fams);

/* Works out which metric s belongs to (s->key) and, in OpenMetrics, starts
 * fetching what scrape_check_place will look at, so that the memory is on
 * its way while the sample's own rules are checked. */
void scrape_check_prepare (scrape_check_t *self, scrape_check_sample_t *s);

/* The rules of one sample on its own: values by type and role, le and
 * quantile labels (*bound gets their value), labels a type reserves,
 * exemplars. Returns 0, or -1 with *fault filled. */
int scrape_check_sample (scrape_format_t format, const scrape_check_sample_t *s, double *bound,
                         scrape_fault_t *fault);

/* The sample's place among the others: its metric and metric point. Returns
 * 0 (keep it), 1 (OpenMetrics: it repeats a sample of its metric point, or
 * the point repeats an earlier one's millisecond; the first is the one
 * kept), or -1 with *fault filled. bound is what scrape_check_sample found.
 * When the sample begins another metric or point, the one it ends is
 * checked, and a fault of that one, on earlier lines and none of the
 * sample's, goes to *earlier (rule SCRAPE_RULE_NONE when there is none). */
int scrape_check_place (scrape_check_t *self, const scrape_check_sample_t *s, double bound,
                        scrape_fault_t *fault, scrape_fault_t *earlier);

/* OpenMetrics: the current family ends; its last metric point is checked.
 * Returns 0, or -1 with *fault filled. */
int scrape_check_family_end (scrape_check_t *self, scrape_fault_t *fault);

/* The exposition ends: every metric point not yet checked is. Returns 0, or
 * -1 with *fault filled (the first fault, in the order metrics began). */
int scrape_check_end (scrape_check_t *self, scrape_fault_t *fault);

#endif
