/*  scrape_check.c - values, metrics, metric points, histograms, summaries.
 *
 *  The OpenMetrics rules are the specification's MUSTs (section "Metric
 *  Types" and "Text format"); the 0.0.4 rules are the exposition format's
 *  ("Histograms and summaries") and what Prometheus's own text parser
 *  refuses (a negative bucket or count).
 */
#include "scrape_check.h"
#include "scrape_lex.h"
#include "vg_alloc.h"
#include "vg_hash.h"

#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One metric (a family's label set) and its open metric point. */
typedef struct {
    uint64_t key; /* the family and the label set */
    uint32_t fam;
    uint32_t points; /* metric points opened so far */
    int64_t last_ms; /* the last point's timestamp */
    uint8_t last_ts; /* the last point had one */
    /* the open point (flags are bytes, not bits: they are set per sample) */
    uint8_t open;
    uint8_t has_ts;
    uint8_t shadow; /* the point repeats the previous one's millisecond */
    uint8_t roles;  /* single samples seen in the point, 1 << role */
    uint8_t has_inf, has_count, has_sum, neg_bucket, neg_sum, has_quantile;
    uint32_t nbuckets;
    size_t line;       /* the point's first line */
    size_t inf_line;   /* its +Inf bucket's */
    size_t count_line; /* its _count's */
    double ts;
    double last_le, last_bucket, inf_value, count_value, last_quantile;
} scrape_group_t;

struct scrape_check_t {
    scrape_format_t format;
    const scrape_families_t *fams;
    /* 0.0.4: the metrics of histograms and summaries, checked at the end */
    scrape_group_t *groups;
    size_t ngroups, groups_cap;
    uint32_t *slots; /* index + 1; 0 is empty; a power of two long */
    size_t nslots;
    /* OpenMetrics: the metric being read (metrics come one after the other),
     * and the keys of the current family's metrics before it */
    scrape_group_t cur;
    int has_cur;
    uint64_t *keys; /* 0 is empty; a power of two long */
    size_t nkeys_slots, nkeys;
    size_t *used; /* the slots taken, to empty them when the family ends */
    size_t used_cap;
};

scrape_check_t *
scrape_check_new (void)
{
    return vg_calloc (1, sizeof (scrape_check_t));
}

void
scrape_check_destroy (scrape_check_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->groups);
    free ((*self_p)->slots);
    free ((*self_p)->keys);
    free ((*self_p)->used);
    free (*self_p);
    *self_p = NULL;
}

/* Empties the set of the family's metric keys. */
static void
s_keys_clear (scrape_check_t *self)
{
    for (size_t i = 0; i < self->nkeys; i++)
        self->keys[self->used[i]] = 0;
    self->nkeys = 0;
}

static size_t
s_keys_put (uint64_t *keys, size_t nslots, uint64_t key)
{
    size_t mask = nslots - 1, i = (size_t)key & mask;
    while (keys[i])
        i = (i + 1) & mask;
    keys[i] = key;
    return i;
}

/* Adds key to the family's set; 1 when it was there already. */
static int
s_keys_add (scrape_check_t *self, uint64_t key)
{
    key |= !key; /* 0 marks an empty slot */
    if (self->nkeys_slots) {
        size_t mask = self->nkeys_slots - 1;
        for (size_t i = (size_t)key & mask; self->keys[i]; i = (i + 1) & mask)
            if (self->keys[i] == key)
                return 1;
    }
    if (2 * (self->nkeys + 1) > self->nkeys_slots) {
        size_t nslots = self->nkeys_slots ? 2 * self->nkeys_slots : 1024;
        uint64_t *keys = vg_calloc (nslots, sizeof *keys);
        for (size_t i = 0; i < self->nkeys; i++)
            self->used[i] = s_keys_put (keys, nslots, self->keys[self->used[i]]);
        free (self->keys);
        self->keys = keys;
        self->nkeys_slots = nslots;
    }
    VG_GROW (self->used, self->used_cap, self->nkeys + 1);
    self->used[self->nkeys++] = s_keys_put (self->keys, self->nkeys_slots, key);
    return 0;
}

void
scrape_check_begin (scrape_check_t *self, scrape_format_t format, const scrape_families_t *fams)
{
    self->format = format;
    self->fams = fams;
    self->ngroups = 0;
    self->has_cur = 0;
    s_keys_clear (self);
    if (self->nslots)
        memset (self->slots, 0, self->nslots * sizeof *self->slots);
}

static int s_fault (scrape_fault_t *fault, scrape_rule_t rule, scrape_at_t at, size_t line,
                    const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));

static int
s_fault (scrape_fault_t *fault, scrape_rule_t rule, scrape_at_t at, size_t line, const char *fmt,
         ...)
{
    fault->rule = rule;
    fault->at = at;
    fault->line = line;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (fault->msg, sizeof fault->msg, fmt, ap);
    va_end (ap);
    return -1;
}

/* ---- one sample ------------------------------------------------------- */

/* A bound for a message: 0.5, +Inf. */
static const char *
s_num (char *buf, size_t cap, double v)
{
    if (isinf (v))
        return v > 0 ? "+Inf" : "-Inf";
    snprintf (buf, cap, "%g", v);
    return buf;
}

/* The value of label key (n bytes) on s, or NULL; *len gets its length. */
static const char *
s_label (const scrape_check_sample_t *s, const char *key, size_t n, size_t *len)
{
    for (size_t i = 0; i < s->nlabels; i++) {
        const scrape_span_t *sp = &s->labels[i];
        if (sp->key_len == n && memcmp (s->text + sp->key, key, n) == 0)
            return scrape_span_value (s->text, s->arena, sp, len);
    }
    return NULL;
}

static int
s_is_integer (double v)
{
    return isfinite (v) && v == floor (v);
}

/* le="..." of a bucket, quantile="..." of a quantile. */
static int
s_bound (scrape_format_t format, const scrape_check_sample_t *s, double *bound,
         scrape_fault_t *fault)
{
    int bucket = s->role == SCRAPE_ROLE_BUCKET;
    const char *key = bucket ? "le" : "quantile";
    scrape_rule_t rule = bucket ? SCRAPE_RULE_BUCKET_LABEL : SCRAPE_RULE_QUANTILE_LABEL;
    size_t n;
    const char *v = s_label (s, key, strlen (key), &n);
    char shown[48];
    if (!v)
        return s_fault (fault, rule, SCRAPE_AT_LABELS, 0, "%s \"%s\" has no %s label",
                        bucket ? "histogram bucket" : "summary quantile", s->name, key);
    if (scrape_lex_number (v, n, 1, bound) != 0 || isnan (*bound))
        return s_fault (fault, rule, SCRAPE_AT_LABELS, 0, "%s=\"%s\" is not a number", key,
                        scrape_lex_show (shown, sizeof shown, v, n));
    if (format != SCRAPE_FORMAT_OPENMETRICS)
        return 0;
    /* Canonical Numbers: "Exposers MUST produce output for positive infinity as +Inf" */
    if (isinf (*bound) && *bound > 0 && !(n == 4 && memcmp (v, "+Inf", 4) == 0))
        return s_fault (fault, rule, SCRAPE_AT_LABELS, 0,
                        "%s=\"%s\": positive infinity is written +Inf", key,
                        scrape_lex_show (shown, sizeof shown, v, n));
    if (!bucket && !(*bound >= 0 && *bound <= 1))
        return s_fault (fault, rule, SCRAPE_AT_LABELS, 0, "quantile=\"%s\" is outside 0 to 1",
                        scrape_lex_show (shown, sizeof shown, v, n));
    return 0;
}

/* OpenMetrics: what each type's values may be. */
static int
s_values_openmetrics (const scrape_check_sample_t *s, scrape_fault_t *fault)
{
    const char *tn = scrape_parse_type_name (s->family->type);
    scrape_type_t type = s->family->type;
    double v = s->value;
    size_t n;
    int counting = 0, integral = 0; /* not negative or NaN; an integer */
    switch (type) {
    case SCRAPE_TYPE_COUNTER:
        counting = s->role == SCRAPE_ROLE_VALUE;
        break;
    case SCRAPE_TYPE_HISTOGRAM:
        counting = s->role != SCRAPE_ROLE_CREATED;
        integral = s->role == SCRAPE_ROLE_BUCKET || s->role == SCRAPE_ROLE_COUNT;
        break;
    case SCRAPE_TYPE_GAUGEHISTOGRAM:
        counting = s->role == SCRAPE_ROLE_BUCKET || s->role == SCRAPE_ROLE_COUNT;
        integral = counting;
        if (s->role == SCRAPE_ROLE_SUM && isnan (v))
            return s_fault (fault, SCRAPE_RULE_COUNTER_VALUE, SCRAPE_AT_VALUE, 0,
                            "gaugehistogram \"%s\": %s is NaN", s->family_name, s->name);
        break;
    case SCRAPE_TYPE_SUMMARY:
        counting = s->role == SCRAPE_ROLE_SUM || s->role == SCRAPE_ROLE_COUNT;
        integral = s->role == SCRAPE_ROLE_COUNT;
        if (s->role == SCRAPE_ROLE_QUANTILE && v < 0)
            return s_fault (fault, SCRAPE_RULE_QUANTILE_VALUE, SCRAPE_AT_VALUE, 0,
                            "summary \"%s\": a quantile's value is negative (%g)", s->family_name,
                            v);
        break;
    case SCRAPE_TYPE_STATESET:
        if (v != 0 && v != 1)
            return s_fault (fault, SCRAPE_RULE_STATESET, SCRAPE_AT_VALUE, 0,
                            "stateset \"%s\": a state is 1 or 0, not %g", s->family_name, v);
        if (!s_label (s, s->family_name, strlen (s->family_name), &n))
            return s_fault (fault, SCRAPE_RULE_STATESET, SCRAPE_AT_LABELS, 0,
                            "stateset \"%s\": the sample has no label %s naming its state",
                            s->family_name, s->family_name);
        break;
    case SCRAPE_TYPE_INFO:
        if (v != 1)
            return s_fault (fault, SCRAPE_RULE_INFO_VALUE, SCRAPE_AT_VALUE, 0,
                            "info \"%s\": the value is always 1, not %g", s->family_name, v);
        break;
    default:
        break;
    }
    if (counting && isnan (v))
        return s_fault (fault, SCRAPE_RULE_COUNTER_VALUE, SCRAPE_AT_VALUE, 0,
                        "%s \"%s\": %s is NaN", tn, s->family_name, s->name);
    if (counting && v < 0)
        return s_fault (fault, SCRAPE_RULE_COUNTER_VALUE, SCRAPE_AT_VALUE, 0,
                        "%s \"%s\": %s is negative (%g)", tn, s->family_name, s->name, v);
    if (integral && !s_is_integer (v))
        return s_fault (fault, SCRAPE_RULE_INTEGER_VALUE, SCRAPE_AT_VALUE, 0,
                        "%s \"%s\": %s is a count, and %g is no integer", tn, s->family_name,
                        s->name, v);
    return 0;
}

/* OpenMetrics: le belongs to buckets alone, quantile to quantiles alone. */
static int
s_reserved_openmetrics (const scrape_check_sample_t *s, scrape_fault_t *fault)
{
    scrape_type_t type = s->family->type;
    const char *key = NULL;
    if ((type == SCRAPE_TYPE_HISTOGRAM || type == SCRAPE_TYPE_GAUGEHISTOGRAM) &&
        s->role != SCRAPE_ROLE_BUCKET)
        key = "le";
    else if (type == SCRAPE_TYPE_SUMMARY && s->role != SCRAPE_ROLE_QUANTILE)
        key = "quantile";
    size_t n;
    if (key && s_label (s, key, strlen (key), &n))
        return s_fault (fault, SCRAPE_RULE_RESERVED_NAME, SCRAPE_AT_LABELS, 0,
                        "%s \"%s\": %s has a %s label, which only %s may have",
                        scrape_parse_type_name (type), s->family_name, s->name, key,
                        *key == 'l' ? "buckets" : "quantiles");
    return 0;
}

static int
s_exemplar (const scrape_check_sample_t *s, double bound, scrape_fault_t *fault)
{
    scrape_type_t type = s->family->type;
    int bucket = s->role == SCRAPE_ROLE_BUCKET;
    char b[32];
    if (!((type == SCRAPE_TYPE_COUNTER && s->role == SCRAPE_ROLE_VALUE) || bucket))
        return s_fault (fault, SCRAPE_RULE_EXEMPLAR_PLACEMENT, SCRAPE_AT_EXEMPLAR, 0,
                        "an exemplar on %s, which is no counter total or histogram bucket",
                        s->name);
    if (s->exemplar_chars > 128)
        return s_fault (fault, SCRAPE_RULE_EXEMPLAR_SIZE, SCRAPE_AT_EXEMPLAR, 0,
                        "the exemplar's label names and values are %zu characters, over 128",
                        s->exemplar_chars);
    if (bucket && !(s->exemplar_value <= bound))
        return s_fault (fault, SCRAPE_RULE_EXEMPLAR_VALUE, SCRAPE_AT_EXEMPLAR, 0,
                        "the exemplar's value %g is not within its bucket (le=%s)",
                        s->exemplar_value, s_num (b, sizeof b, bound));
    return 0;
}

int
scrape_check_sample (scrape_format_t format, const scrape_check_sample_t *s, double *bound,
                     scrape_fault_t *fault)
{
    *bound = 0;
    if ((s->role == SCRAPE_ROLE_BUCKET || s->role == SCRAPE_ROLE_QUANTILE) &&
        s_bound (format, s, bound, fault) != 0)
        return -1;
    if (format == SCRAPE_FORMAT_OPENMETRICS) {
        if (s_values_openmetrics (s, fault) != 0 || s_reserved_openmetrics (s, fault) != 0)
            return -1;
        if (s->has_exemplar && s_exemplar (s, *bound, fault) != 0)
            return -1;
        return 0;
    }
    /* 0.0.4: Prometheus's text parser refuses a negative bucket or count */
    if (s->family->type == SCRAPE_TYPE_HISTOGRAM &&
        (s->role == SCRAPE_ROLE_BUCKET || s->role == SCRAPE_ROLE_COUNT) && s->value < 0)
        return s_fault (fault, SCRAPE_RULE_COUNTER_VALUE, SCRAPE_AT_VALUE, 0,
                        "histogram \"%s\": %s is negative (%g)", s->family_name, s->name, s->value);
    return 0;
}

/* ---- metrics and metric points ----------------------------------------- */

static void
s_slot (scrape_check_t *self, size_t idx)
{
    size_t mask = self->nslots - 1, i = (size_t)self->groups[idx].key & mask;
    while (self->slots[i])
        i = (i + 1) & mask;
    self->slots[i] = (uint32_t)(idx + 1);
}

static size_t
s_find (const scrape_check_t *self, uint64_t key)
{
    if (!self->nslots)
        return SCRAPE_NONE;
    size_t mask = self->nslots - 1;
    for (size_t i = (size_t)key & mask; self->slots[i]; i = (i + 1) & mask)
        if (self->groups[self->slots[i] - 1].key == key)
            return self->slots[i] - 1;
    return SCRAPE_NONE;
}

static size_t
s_add (scrape_check_t *self, uint64_t key, size_t fam)
{
    VG_GROW (self->groups, self->groups_cap, self->ngroups + 1);
    scrape_group_t *g = &self->groups[self->ngroups];
    memset (g, 0, sizeof *g);
    g->key = key;
    g->fam = (uint32_t)fam;
    self->ngroups++;
    if (2 * self->ngroups > self->nslots) {
        size_t nslots = self->nslots ? 2 * self->nslots : 256;
        free (self->slots);
        self->slots = vg_calloc (nslots, sizeof *self->slots);
        self->nslots = nslots;
        for (size_t i = 0; i < self->ngroups; i++)
            s_slot (self, i);
    } else
        s_slot (self, self->ngroups - 1);
    return self->ngroups - 1;
}

/* The metric's key: the family and its labels but the one the role adds, in
 * any order (a sum of the labels' hashes). Keys are compared alone: two
 * label sets meet on one with a chance of 2^-64. */
static uint64_t
s_key (const scrape_check_sample_t *s)
{
    const char *skip = NULL;
    if (s->role == SCRAPE_ROLE_BUCKET)
        skip = "le";
    else if (s->role == SCRAPE_ROLE_QUANTILE)
        skip = "quantile";
    else if (s->family->type == SCRAPE_TYPE_STATESET)
        skip = s->family_name;
    size_t skl = skip ? strlen (skip) : 0;
    uint64_t sum = vg_hash_mix ((uint64_t)s->fam + 0x9e3779b97f4a7c15ULL);
    for (size_t i = 0; i < s->nlabels; i++) {
        if (skip && s->labels[i].key_len == skl &&
            memcmp (s->text + s->labels[i].key, skip, skl) == 0)
            continue;
        sum += s->hashes[i];
    }
    return vg_hash_mix (sum);
}

static void
s_open (scrape_group_t *g, const scrape_check_sample_t *s)
{
    g->shadow = g->points > 0 && g->last_ts && s->has_ts && g->last_ms == s->ts_ms;
    g->points++;
    g->last_ms = s->ts_ms;
    g->last_ts = (uint8_t)s->has_ts;
    g->open = 1;
    g->has_ts = (uint8_t)s->has_ts;
    g->roles = 0;
    g->has_inf = g->has_count = g->has_sum = g->neg_bucket = g->neg_sum = g->has_quantile = 0;
    g->nbuckets = 0;
    g->line = s->line;
    g->ts = s->ts;
}

static int
s_same (double a, double b)
{
    return a == b || (isnan (a) && isnan (b));
}

/* Closes g's metric point: a histogram's buckets, _count and _sum together. */
static int
s_close (scrape_check_t *self, scrape_group_t *g, scrape_fault_t *fault)
{
    if (!g->open)
        return 0;
    g->open = 0;
    scrape_type_t type = self->fams->items[g->fam].type;
    if (type != SCRAPE_TYPE_HISTOGRAM && type != SCRAPE_TYPE_GAUGEHISTOGRAM)
        return 0;
    const char *name = scrape_families_name (self->fams, g->fam);
    const char *tn = scrape_parse_type_name (type);
    int om = self->format == SCRAPE_FORMAT_OPENMETRICS;
    if (!g->has_inf)
        return s_fault (fault, SCRAPE_RULE_BUCKET_INF, SCRAPE_AT_LINE, g->line,
                        "%s \"%s\" has no le=\"+Inf\" bucket", tn, name);
    if (g->has_count && !s_same (g->count_value, g->inf_value))
        return s_fault (fault, SCRAPE_RULE_COUNT_MISMATCH, SCRAPE_AT_VALUE,
                        g->count_line > g->inf_line ? g->count_line : g->inf_line,
                        "%s \"%s\": the count %g differs from the +Inf bucket %g", tn, name,
                        g->count_value, g->inf_value);
    if (!om)
        return 0;
    const char *sum = type == SCRAPE_TYPE_HISTOGRAM ? "_sum" : "_gsum";
    const char *count = type == SCRAPE_TYPE_HISTOGRAM ? "_count" : "_gcount";
    if (g->has_sum != g->has_count)
        return s_fault (fault, SCRAPE_RULE_COUNT_SUM, SCRAPE_AT_LINE, g->line,
                        "%s \"%s\" has %s but no %s: they come together", tn, name,
                        g->has_sum ? sum : count, g->has_sum ? count : sum);
    if (type == SCRAPE_TYPE_HISTOGRAM && g->neg_bucket && g->has_sum)
        return s_fault (fault, SCRAPE_RULE_NEGATIVE_BUCKET_SUM, SCRAPE_AT_LINE, g->line,
                        "histogram \"%s\" has a negative bucket, so it can have no _sum", name);
    if (type == SCRAPE_TYPE_GAUGEHISTOGRAM && g->neg_sum && !g->neg_bucket)
        return s_fault (fault, SCRAPE_RULE_NEGATIVE_BUCKET_SUM, SCRAPE_AT_LINE, g->line,
                        "gaugehistogram \"%s\": _gsum is negative without a negative bucket", name);
    return 0;
}

/* What the sample adds to its histogram's or summary's metric point. */
static int
s_accumulate (scrape_check_t *self, scrape_group_t *g, const scrape_check_sample_t *s, double bound,
              scrape_fault_t *fault)
{
    int om = self->format == SCRAPE_FORMAT_OPENMETRICS;
    const char *tn = scrape_parse_type_name (s->family->type);
    char b1[32], b2[32];
    switch (s->role) {
    case SCRAPE_ROLE_BUCKET:
        if (g->nbuckets && !(bound > g->last_le))
            return s_fault (fault, SCRAPE_RULE_BUCKET_ORDER, SCRAPE_AT_LABELS, 0,
                            "%s \"%s\": bucket le=%s after le=%s; buckets go up, each once", tn,
                            s->family_name, s_num (b1, sizeof b1, bound),
                            s_num (b2, sizeof b2, g->last_le));
        if (om && g->nbuckets && s->value < g->last_bucket)
            return s_fault (fault, SCRAPE_RULE_BUCKET_CUMULATIVE, SCRAPE_AT_VALUE, 0,
                            "%s \"%s\": bucket le=%s counts %g, fewer than the %g below it", tn,
                            s->family_name, s_num (b1, sizeof b1, bound), s->value, g->last_bucket);
        g->nbuckets++;
        g->last_le = bound;
        g->last_bucket = s->value;
        g->neg_bucket |= bound < 0;
        if (isinf (bound) && bound > 0) {
            g->has_inf = 1;
            g->inf_value = s->value;
            g->inf_line = s->line;
        }
        return 0;
    case SCRAPE_ROLE_COUNT:
        g->has_count = 1;
        g->count_value = s->value;
        g->count_line = s->line;
        return 0;
    case SCRAPE_ROLE_SUM:
        g->has_sum = 1;
        g->neg_sum |= s->value < 0;
        return 0;
    case SCRAPE_ROLE_QUANTILE: /* 0.0.4 wants them in order; OpenMetrics in any */
        if (!om && g->has_quantile && !(bound > g->last_quantile))
            return s_fault (fault, SCRAPE_RULE_QUANTILE_ORDER, SCRAPE_AT_LABELS, 0,
                            "summary \"%s\": quantile %g after %g; quantiles go up, each once",
                            s->family_name, bound, g->last_quantile);
        g->has_quantile = 1;
        g->last_quantile = bound;
        return 0;
    default:
        return 0;
    }
}

/* 0.0.4: only histograms and summaries have a structure to check, and a
 * metric's samples may be spread among other families'. */
static int
s_place_prometheus (scrape_check_t *self, const scrape_check_sample_t *s, double bound,
                    scrape_fault_t *fault)
{
    scrape_type_t type = s->family->type;
    if (type != SCRAPE_TYPE_HISTOGRAM && type != SCRAPE_TYPE_SUMMARY)
        return 0;
    uint64_t key = s->key;
    size_t idx = s_find (self, key);
    if (idx == SCRAPE_NONE)
        idx = s_add (self, key, s->fam);
    scrape_group_t *g = &self->groups[idx];
    if (!g->open)
        s_open (g, s);
    return s_accumulate (self, g, s, bound, fault);
}

void
scrape_check_prepare (scrape_check_t *self, scrape_check_sample_t *s)
{
    scrape_type_t type = s->family->type;
    if (self->format != SCRAPE_FORMAT_OPENMETRICS && type != SCRAPE_TYPE_HISTOGRAM &&
        type != SCRAPE_TYPE_SUMMARY)
        return; /* 0.0.4 follows only histograms' and summaries' metrics */
    s->key = s_key (s);
    /* a new metric looks its key up in the family's set, a few hundred
     * kilobytes for a large family: a cache miss worth starting early */
    if (self->format == SCRAPE_FORMAT_OPENMETRICS && self->nkeys_slots &&
        !(self->has_cur && self->cur.key == s->key))
        __builtin_prefetch (&self->keys[(s->key | !s->key) & (self->nkeys_slots - 1)]);
}

int
scrape_check_place (scrape_check_t *self, const scrape_check_sample_t *s, double bound,
                    scrape_fault_t *fault, scrape_fault_t *earlier)
{
    earlier->rule = SCRAPE_RULE_NONE;
    if (self->format != SCRAPE_FORMAT_OPENMETRICS)
        return s_place_prometheus (self, s, bound, fault);
    uint64_t key = s->key;
    scrape_group_t *g = &self->cur;
    if (!self->has_cur || g->key != key) {
        if (self->has_cur)
            s_close (self, g, earlier);
        self->has_cur = 0;
        if (s_keys_add (self, key))
            return s_fault (fault, SCRAPE_RULE_METRIC_INTERLEAVED, SCRAPE_AT_LABELS, 0,
                            "%s: this metric of \"%s\" came earlier, before another one's "
                            "samples; a metric's samples come together",
                            s->name, s->family_name);
        g->key = key;
        g->fam = (uint32_t)s->fam;
        g->points = 0;
        g->open = 0;
        self->has_cur = 1;
    }
    if (!g->open)
        s_open (g, s);
    else if (s->has_ts != (int)g->has_ts)
        return s_fault (fault, SCRAPE_RULE_TIMESTAMP_ORDER, SCRAPE_AT_TIMESTAMP, 0,
                        "%s: a metric's samples all have a timestamp or none has", s->name);
    else if (s->has_ts && s->ts < g->ts)
        return s_fault (fault, SCRAPE_RULE_TIMESTAMP_ORDER, SCRAPE_AT_TIMESTAMP, 0,
                        "%s: timestamp %.15g is before the metric's previous one, %.15g", s->name,
                        s->ts, g->ts);
    else if (s->has_ts && s->ts > g->ts) { /* the metric's next point */
        s_close (self, g, earlier);
        s_open (g, s);
    }
    /* "the MetricPoint with the earliest timestamp MUST be used" when two
     * meet in the ingestor's resolution (ours is the millisecond) */
    if (g->shadow)
        return 1;
    if (s->role != SCRAPE_ROLE_BUCKET && s->role != SCRAPE_ROLE_QUANTILE &&
        s->family->type != SCRAPE_TYPE_STATESET) {
        uint8_t bit = (uint8_t)(1u << s->role);
        if (g->roles & bit)
            return 1;
        g->roles |= bit;
    }
    return s_accumulate (self, g, s, bound, fault);
}

int
scrape_check_family_end (scrape_check_t *self, scrape_fault_t *fault)
{
    s_keys_clear (self);
    if (!self->has_cur)
        return 0;
    self->has_cur = 0;
    return s_close (self, &self->cur, fault);
}

int
scrape_check_end (scrape_check_t *self, scrape_fault_t *fault)
{
    if (scrape_check_family_end (self, fault) != 0)
        return -1;
    for (size_t i = 0; i < self->ngroups; i++)
        if (s_close (self, &self->groups[i], fault) != 0)
            return -1;
    return 0;
}
