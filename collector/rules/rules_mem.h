/*  rules_mem.h - series held in memory for the evaluator: the windows the
 *  live engine keeps, and the input series of a rule test.
 *
 *  Selectors are registered ("watched") once, with the window they read
 *  (range + offset, or the lookback for an instant selector) and the rule
 *  that reads them. A series is matched against every watch when it is
 *  added, and a watch against every series when it is added, so evaluation
 *  never scans: a selector's series are a list. A series keeps what its
 *  widest watch needs (rules_mem_trim), and knows the rules that read it, so
 *  new data marks just those rules.
 *
 *  Not thread-safe: one thread owns a store.
 */
#ifndef RULES_MEM_H
#define RULES_MEM_H

#include "rules_eval.h"
#include "rules_labels.h"
#include "vg_sketch.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rules_mem_t rules_mem_t;
typedef struct rules_mem_series_t rules_mem_series_t;

/* max_samples: the most samples one series keeps (the oldest go first);
 * 0 for no bound. */
rules_mem_t *rules_mem_new (size_t max_samples);
void rules_mem_destroy (rules_mem_t **self_p);

/* The evaluator's view of the store. */
rules_source_t *rules_mem_source (rules_mem_t *self);

/* Registers sel (which must outlive the store or be unwatched by
 * rules_mem_unwatch_all) with the time it reads back from the evaluation
 * time (window_ms) and the reader (a rule's index) to mark when its series
 * get data. A selector watched twice adds the reader. */
void rules_mem_watch (rules_mem_t *self, const rules_node_t *sel, int64_t window_ms, int reader);
/* Forgets every watch (the rules are being replaced); series stay, with no
 * readers and no retention until watched again. */
void rules_mem_unwatch_all (rules_mem_t *self);

/* The series with these labels (copied on first sight), or NULL when
 * only_watched and no watch matches it (then nothing is stored). */
rules_mem_series_t *rules_mem_series (rules_mem_t *self, const rules_labels_t *labels, int sketch,
                                      int only_watched);
/* A series by its labels, or NULL. */
rules_mem_series_t *rules_mem_find (rules_mem_t *self, const rules_labels_t *labels);

/* Adds a sample; a sample at a time already held replaces it. Samples may
 * come out of order. */
void rules_mem_add (rules_mem_t *self, rules_mem_series_t *s, int64_t ts, double v);
/* The same for a distribution (copied); its value is the sketch's mean. */
void rules_mem_add_sketch (rules_mem_t *self, rules_mem_series_t *s, int64_t ts,
                           const vg_sketch_t *sketch);

/* Drops samples older than what the watches need at time now. */
void rules_mem_trim (rules_mem_t *self, int64_t now);

/* What a series is read by, and how far back. */
const int *rules_mem_series_readers (const rules_mem_series_t *s, size_t *n);
int64_t rules_mem_series_window (const rules_mem_series_t *s);
const rules_labels_t *rules_mem_series_labels (const rules_mem_series_t *s);
/* The newest sample's time, or INT64_MIN when empty. */
int64_t rules_mem_series_last (const rules_mem_series_t *s);

typedef struct {
    size_t series;
    size_t samples;
    size_t sketches;
    size_t bytes; /* an estimate of what the samples and labels hold */
    size_t watches;
    size_t dropped; /* samples dropped for the per-series bound */
} rules_mem_stats_t;

rules_mem_stats_t rules_mem_stats (const rules_mem_t *self);

#endif
