/*  logtail_rules.h - the log rule engine: lines in, metrics out.
 *
 *  A rule turns matching lines into one metric, by labels:
 *    counter       matching lines (or the sum of a value), cumulative since
 *                  the rule set was made (or the totals loaded back, below);
 *    distribution  a numeric value added to a sketch per label set, emitted
 *                  and reset at every logtail_rules_emit;
 *    gauge         the last value seen.
 *  Plain-line rules use a PCRE2 regex (JIT compiled) with named captures for
 *  labels and the value; JSON rules use field paths (logtail_json.h), all of
 *  a rule set's paths extracted in one scan per line. Each rule keeps at most
 *  max_series label sets; lines with a new label set beyond that go to one
 *  series whose label values are all "_other", and are counted.
 *
 *  Nothing is allocated per line: only a new label set allocates. Usable
 *  alone (the fuzz target and the benchmark drive it without files).
 */
#ifndef LOGTAIL_RULES_H
#define LOGTAIL_RULES_H

#include "agent_sink.h"
#include "vg_batch.h"
#include "vg_buf.h"

#include <stddef.h>
#include <stdint.h>

#define LOGTAIL_RULES_MAX_LABELS     16
#define LOGTAIL_RULES_MAX_VALUE_LEN  256 /* label values are cut here, at a character */
#define LOGTAIL_RULES_DEFAULT_SERIES 1000
#define LOGTAIL_RULES_OTHER          "_other"

typedef enum {
    LOGTAIL_RULE_COUNTER = 0,
    LOGTAIL_RULE_DISTRIBUTION = 1,
    LOGTAIL_RULE_GAUGE = 2,
} logtail_rule_type_t;

/* A rule as configured. Strings and arrays are copied by logtail_rules_add. */
typedef struct {
    const char *name; /* the metric's name */
    logtail_rule_type_t type;
    const char *regex;        /* plain-line rule: the pattern; NULL for a JSON rule */
    int json;                 /* JSON rule: fields by path */
    const char *value;        /* capture name or field path; NULL: none (a counter counts lines) */
    const vg_label_t *labels; /* label name -> capture name or field path */
    size_t nlabels;
    const char *match;       /* a regex the raw line must also match; may be NULL */
    const vg_label_t *where; /* JSON rule: field path -> the value it must have */
    size_t nwhere;
    double value_scale; /* the value is multiplied by it; 0 means 1 */
    size_t max_series;  /* 0 means LOGTAIL_RULES_DEFAULT_SERIES */
} logtail_rule_spec_t;

/* What one rule has seen since the rule set was made. */
typedef struct {
    const char *name;
    uint64_t matched;       /* lines that matched (and passed match/where) */
    uint64_t no_value;      /* matched, but the value was missing or not a number */
    uint64_t regex_limit;   /* the regex gave up (match or JIT stack limit) */
    uint64_t series_folded; /* lines that went to the "_other" series */
    size_t series;          /* label sets held now */
} logtail_rule_stats_t;

typedef struct logtail_rules_t logtail_rules_t;

logtail_rules_t *logtail_rules_new (void);
void logtail_rules_destroy (logtail_rules_t **self_p);

/* Compiles a rule and adds it. Returns 0, or VG_EINVAL with the reason in err
 * starting with the key at fault ("regex: missing ) at offset 12"). */
int logtail_rules_add (logtail_rules_t *self, const logtail_rule_spec_t *spec, char *err,
                       size_t errlen);
size_t logtail_rules_count (const logtail_rules_t *self);

/* Applies every rule to one line (len bytes, without its newline). */
void logtail_rules_line (logtail_rules_t *self, const char *line, size_t len);

/* Writes every rule's series into the sink (counters and gauges as they are,
 * distributions then reset; a distribution label set that saw nothing since
 * the previous emit is forgotten, freeing its place under max_series). */
void logtail_rules_emit (logtail_rules_t *self, agent_sink_t *sink);

void logtail_rules_stats (const logtail_rules_t *self, size_t rule, logtail_rule_stats_t *st);

/* Counters kept with the log positions, so that after a restart they go on
 * from the totals of the lines already read instead of from 0: appends one
 * line per counter series ("counter NAME VALUE KEY", name and label values
 * in hex) to out. */
void logtail_rules_save_counters (const logtail_rules_t *self, vg_buf_t *out);
/* Takes one such line back (len bytes, no newline): 1 if it was a counter
 * line (taken, or left out when its rule is gone or its labels changed),
 * 0 if it is another kind of line. */
int logtail_rules_load_counter (logtail_rules_t *self, const char *line, size_t len);
/* Every counter back to nothing (before loading another set of totals). */
void logtail_rules_reset_counters (logtail_rules_t *self);
/* Lines seen, and lines JSON rules could not read as a JSON object. */
uint64_t logtail_rules_lines (const logtail_rules_t *self);
uint64_t logtail_rules_json_invalid (const logtail_rules_t *self);

#endif
