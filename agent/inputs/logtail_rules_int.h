/*  logtail_rules_int.h - the rule engine's insides, shared by
 *  logtail_rules.c (compiling, matching, emitting) and logtail_counters.c
 *  (counters kept across restarts). Not for other modules. */
#ifndef LOGTAIL_RULES_INT_H
#define LOGTAIL_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include "logtail_json.h"
#include "logtail_rules.h"
#include "vg_sketch.h"

#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

/* Room per label value in the scratch key: the cut value, a character that
 * may straddle the cut, and the NUL. */
#define S_VALUE_ROOM (LOGTAIL_RULES_MAX_VALUE_LEN + 8)

typedef struct {
    pcre2_code *code;
    pcre2_match_data *md;
    int jit;
} s_regex_t;

typedef struct {
    uint64_t hash;
    char *key; /* label values, each NUL-terminated, back to back; owned */
    uint32_t keylen;
    int has_value;
    double value;        /* counter: the total; gauge: the last value */
    vg_sketch_t *sketch; /* distribution */
} s_series_t;

typedef struct {
    char *name;
    logtail_rule_type_t type;
    int json;
    s_regex_t re;    /* plain-line rule */
    s_regex_t match; /* the optional prefilter */
    size_t nlabels;
    char **label_keys;
    int32_t *label_src; /* capture group, or JSON slot */
    int32_t value_src;  /* -1: none */
    size_t nwhere;
    int32_t *where_slot;
    char **where_value;
    size_t *where_len;
    double scale;
    size_t max_series;
    int count_only; /* a counter without labels or value: one series, +1 a line */

    s_series_t *series;
    size_t nseries;
    size_t series_cap;
    uint32_t *index;  /* series position + 1; 0 is empty */
    size_t index_cap; /* a power of two, at least twice nseries */
    s_series_t other;
    int has_other;

    uint64_t matched, no_value, regex_limit, folded;
} s_rule_t;

struct logtail_rules_t {
    s_rule_t *rules;
    size_t n;
    size_t cap;
    logtail_json_t *json;
    logtail_json_val_t *slots;
    size_t slots_cap;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack;
    char key[LOGTAIL_RULES_MAX_LABELS * S_VALUE_ROOM];
    char text[S_VALUE_ROOM]; /* a where value, unescaped */
    uint64_t lines, json_invalid;
};

/* The folded series of r ("_other" for every label), made on first use. */
s_series_t *logtail_rules_other (s_rule_t *r);
/* The series of r with label values key (klen bytes), made if new. */
s_series_t *logtail_rules_series_get (s_rule_t *r, const char *key, size_t klen);

#endif
