/*  rules_labels.h - label sets as PromQL sees them: name/value pairs sorted
 *  bytewise by name, no empty values, the metric name as "__name__".
 *
 *  Series in the store own theirs (rules_labels_dup); what an evaluation
 *  derives (a name dropped, a label replaced) lives in its arena and borrows
 *  the strings it did not change.
 */
#ifndef RULES_LABELS_H
#define RULES_LABELS_H

#include "rules_arena.h"
#include "vg_batch.h"
#include "vg_buf.h"

#include <stddef.h>
#include <stdint.h>

#define RULES_NAME_LABEL "__name__"

typedef struct {
    uint32_t n;
    vg_label_t items[]; /* sorted by key; values never empty */
} rules_labels_t;

/* A copy in one heap block (strings included), sorted, empty values left
 * out; a later duplicate name replaces an earlier one. Caller frees it with
 * free(). */
rules_labels_t *rules_labels_dup (const vg_label_t *items, size_t n);
/* The same in the arena; strings are borrowed, not copied. */
rules_labels_t *rules_labels_make (rules_arena_t *a, const vg_label_t *items, size_t n);
/* The empty set (a shared constant). */
const rules_labels_t *rules_labels_empty (void);

/* The value of name, or NULL. */
const char *rules_labels_get (const rules_labels_t *self, const char *name);
/* Prometheus's labels.Compare: by name, then value, pair by pair; a prefix
 * sorts first. */
int rules_labels_cmp (const rules_labels_t *a, const rules_labels_t *b);
int rules_labels_equal (const rules_labels_t *a, const rules_labels_t *b);
/* A fast in-memory hash (not for storing). */
uint64_t rules_labels_hash (const rules_labels_t *self);

/* Many label sets by hash, to find one among them or spot two equal ones in
 * n log n rather than n² comparisons. */
typedef struct {
    uint64_t hash;
    size_t at; /* its position in the sets indexed */
} rules_labels_ref_t;

/* Fills refs[0..n) for sets[0..n), sorted by hash. */
void rules_labels_index (rules_labels_t *const *sets, size_t n, rules_labels_ref_t *refs);
/* For refs made with another hash (an alert's fingerprint): sorts them, and
 * finds the first of the sorted refs whose hash is not below hash (n: none). */
void rules_labels_refs_sort (rules_labels_ref_t *refs, size_t n);
size_t rules_labels_refs_lower (const rules_labels_ref_t *refs, size_t n, uint64_t hash);
/* The position of a set equal to want among the n sets indexed, or -1. */
ptrdiff_t rules_labels_index_find (const rules_labels_ref_t *refs, size_t n,
                                   rules_labels_t *const *sets, const rules_labels_t *want);
/* 1 if two of the n sets indexed are equal. */
int rules_labels_index_has_equal (const rules_labels_ref_t *refs, size_t n,
                                  rules_labels_t *const *sets);

/* Derived sets, in the arena. */
rules_labels_t *rules_labels_drop_name (rules_arena_t *a, const rules_labels_t *self);
/* Without the listed names (and without __name__ when drop_name). */
rules_labels_t *rules_labels_without (rules_arena_t *a, const rules_labels_t *self,
                                      char *const *names, size_t n, int drop_name);
/* Only the listed names. */
rules_labels_t *rules_labels_only (rules_arena_t *a, const rules_labels_t *self, char *const *names,
                                   size_t n);
/* With name set to value (value NULL or "" removes it). */
rules_labels_t *rules_labels_set (rules_arena_t *a, const rules_labels_t *self, const char *name,
                                  const char *value);

/* The bytes identifying the listed labels (on) or all but the listed ones
 * and __name__ (!on), for vector matching and grouping: name 0xff value 0xff
 * for each, in name order. Appended to out after resetting it. */
void rules_labels_signature (const rules_labels_t *self, int on, char *const *names, size_t n,
                             vg_buf_t *out);

/* Alertmanager's fingerprint: FNV-1a 64 over the labels sorted by name, each
 * name and value followed by 0xff; the empty set gives the offset basis. The
 * items need not be sorted. */
uint64_t rules_labels_fingerprint (const vg_label_t *items, size_t n);

/* PromQL's text form: name{a="x", b="y"} (the name outside when set, no
 * braces when it is the only label), values quoted as Go does. Appended. */
void rules_labels_format (const rules_labels_t *self, vg_buf_t *out);
/* A Go-quoted string ("a\"b"), as strconv.Quote writes it. */
void rules_labels_quote (const char *s, vg_buf_t *out);

/* Whether s is a valid label name ([a-zA-Z_][a-zA-Z0-9_]*) or metric name
 * ([a-zA-Z_:][a-zA-Z0-9_:]*). */
int rules_labels_valid_name (const char *s);
int rules_labels_valid_metric (const char *s);

#endif
