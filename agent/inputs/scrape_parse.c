/*  scrape_parse.c - the Prometheus 0.0.4 and OpenMetrics 1.0 text formats.
 *
 *  One pass over the text, line by line. 0.0.4 is read the way Prometheus
 *  reads it: tokens separated by any blanks, other comments ignored, blank
 *  lines skipped. OpenMetrics is read by its ABNF: single spaces, no blank
 *  lines, no other comments, # EOF last; it adds exemplars (checked, then
 *  ignored), _total/_created counters, UNIT and more types. The spec calls a
 *  partly broken exposition wholly invalid; an agent watching a service does
 *  better to keep the good lines and count the bad ones, so that is what we
 *  do.
 *
 *  Families are remembered by name for the run (an open-addressing table over
 *  a name arena), so a sample finds its type even when its family is not the
 *  one just above it, and a second TYPE line is caught. The table holds at
 *  most max_samples families; past that, new families read as untyped.
 */
#include "scrape_parse.h"
#include "scrape_lex.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_hash.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_NONE ((size_t)-1)

typedef struct {
    size_t name_off; /* in names, NUL-terminated */
    size_t name_len;
    uint64_t hash;
    scrape_type_t type;
    unsigned has_type : 1;
    unsigned has_help : 1;
    unsigned has_unit : 1;
    unsigned has_samples : 1;
    unsigned
        created : 1; /* 0.0.4: a gauge foo_created beside a counter, histogram or summary foo */
} scrape_family_t;

struct scrape_parse_t {
    /* the run */
    scrape_format_t format;
    scrape_limits_t limits;
    scrape_result_t *res;
    size_t line;

    /* the line: the sample's name at 0, then label keys and values, NUL-terminated */
    char *scratch;
    size_t scratch_len;
    size_t scratch_cap;
    size_t *offs; /* key, value offsets in scratch, per stored label */
    size_t noffs;
    size_t offs_cap;
    vg_label_t *labels;
    size_t labels_cap;
    size_t nseen; /* labels on the line, stored or not */
    int drop;     /* the line's sample is over a label limit */

    /* families */
    scrape_family_t *fams;
    size_t nfams;
    size_t fams_cap;
    uint32_t *slots; /* index + 1; 0 is empty; a power of two long */
    size_t nslots;
    char *names;
    size_t names_len;
    size_t names_cap;
    size_t cur; /* the family of the last metadata line or sample */
};

scrape_parse_t *
scrape_parse_new (void)
{
    return vg_calloc (1, sizeof (scrape_parse_t));
}

void
scrape_parse_destroy (scrape_parse_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    scrape_parse_t *self = *self_p;
    free (self->scratch);
    free (self->offs);
    free (self->labels);
    free (self->fams);
    free (self->slots);
    free (self->names);
    free (self);
    *self_p = NULL;
}

/* ---- errors ----------------------------------------------------------- */

static void s_error (scrape_parse_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Counts a malformed line; the first one's reason is kept. */
static void
s_error (scrape_parse_t *self, const char *fmt, ...)
{
    scrape_result_t *res = self->res;
    res->errors++;
    if (res->first_error_line)
        return;
    res->first_error_line = self->line;
    int n = snprintf (res->first_error, sizeof res->first_error, "line %zu: ", self->line);
    if (n < 0 || (size_t)n >= sizeof res->first_error)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (res->first_error + n, sizeof res->first_error - (size_t)n, fmt, ap);
    va_end (ap);
}

/* ---- the scratch area ------------------------------------------------- */

static void
s_scratch_reserve (scrape_parse_t *self, size_t extra)
{
    if (self->scratch_len + extra > self->scratch_cap) {
        size_t cap = self->scratch_cap ? self->scratch_cap : 256;
        while (cap < self->scratch_len + extra)
            cap *= 2;
        self->scratch = vg_realloc (self->scratch, cap);
        self->scratch_cap = cap;
    }
}

static size_t
s_scratch_put (scrape_parse_t *self, const char *s, size_t n)
{
    s_scratch_reserve (self, n + 1);
    size_t off = self->scratch_len;
    memcpy (self->scratch + off, s, n);
    self->scratch[off + n] = '\0';
    self->scratch_len += n + 1;
    return off;
}

/* ---- families --------------------------------------------------------- */

static size_t
s_fam_find (scrape_parse_t *self, const char *name, size_t n)
{
    if (!self->nslots)
        return S_NONE;
    uint64_t h = vg_hash_bytes (name, n);
    size_t mask = self->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint32_t slot = self->slots[i];
        if (!slot)
            return S_NONE;
        const scrape_family_t *f = &self->fams[slot - 1];
        if (f->hash == h && f->name_len == n && memcmp (self->names + f->name_off, name, n) == 0)
            return slot - 1;
    }
}

static void
s_fam_slot (scrape_parse_t *self, size_t idx)
{
    size_t mask = self->nslots - 1;
    size_t i = (size_t)self->fams[idx].hash & mask;
    while (self->slots[i])
        i = (i + 1) & mask;
    self->slots[i] = (uint32_t)(idx + 1);
}

/* A new family (untyped, no flags), or S_NONE when the table is full. */
static size_t
s_fam_add (scrape_parse_t *self, const char *name, size_t n)
{
    size_t cap = self->limits.max_samples ? self->limits.max_samples : (size_t)UINT32_MAX - 1;
    if (cap < 4096)
        cap = 4096;
    if (self->nfams >= cap)
        return S_NONE;
    if (2 * (self->nfams + 1) > self->nslots) {
        size_t nslots = self->nslots ? self->nslots * 2 : 64;
        free (self->slots);
        self->slots = vg_calloc (nslots, sizeof *self->slots);
        self->nslots = nslots;
        for (size_t i = 0; i < self->nfams; i++)
            s_fam_slot (self, i);
    }
    VG_GROW (self->fams, self->fams_cap, self->nfams + 1);
    VG_GROW (self->names, self->names_cap, self->names_len + n + 1);
    scrape_family_t *f = &self->fams[self->nfams];
    memset (f, 0, sizeof *f);
    f->name_off = self->names_len;
    f->name_len = n;
    f->hash = vg_hash_bytes (name, n);
    memcpy (self->names + self->names_len, name, n);
    self->names[self->names_len + n] = '\0';
    self->names_len += n + 1;
    s_fam_slot (self, self->nfams);
    return self->nfams++;
}

/* Which role a sample named family+suffix plays in a family of type, or -1
 * when such a sample cannot belong to it. */
static int
s_role (scrape_parse_t *self, const scrape_family_t *f, const char *suffix, size_t n)
{
    int om = self->format == SCRAPE_FORMAT_OPENMETRICS;
#define S_IS(s) (n == sizeof (s) - 1 && memcmp (suffix, s, n) == 0)
    switch (f->type) {
    case SCRAPE_TYPE_UNTYPED:
    case SCRAPE_TYPE_STATESET:
        return n == 0 ? SCRAPE_ROLE_VALUE : -1;
    case SCRAPE_TYPE_GAUGE:
        return n == 0 ? (f->created ? SCRAPE_ROLE_CREATED : SCRAPE_ROLE_VALUE) : -1;
    case SCRAPE_TYPE_COUNTER:
        if (!om)
            return n == 0 ? SCRAPE_ROLE_VALUE : -1;
        return S_IS ("_total") ? SCRAPE_ROLE_VALUE : S_IS ("_created") ? SCRAPE_ROLE_CREATED : -1;
    case SCRAPE_TYPE_INFO:
        return S_IS ("_info") ? SCRAPE_ROLE_VALUE : -1;
    case SCRAPE_TYPE_HISTOGRAM:
    case SCRAPE_TYPE_SUMMARY:
        if (S_IS ("_sum"))
            return SCRAPE_ROLE_SUM;
        if (S_IS ("_count"))
            return SCRAPE_ROLE_COUNT;
        if (om && S_IS ("_created"))
            return SCRAPE_ROLE_CREATED;
        if (f->type == SCRAPE_TYPE_HISTOGRAM)
            return S_IS ("_bucket") ? SCRAPE_ROLE_BUCKET : -1;
        return n == 0 ? SCRAPE_ROLE_QUANTILE : -1;
    case SCRAPE_TYPE_GAUGEHISTOGRAM:
        return S_IS ("_bucket")   ? SCRAPE_ROLE_BUCKET
               : S_IS ("_gsum")   ? SCRAPE_ROLE_SUM
               : S_IS ("_gcount") ? SCRAPE_ROLE_COUNT
                                  : -1;
    }
#undef S_IS
    return -1;
}

static const char *
s_suffixes (scrape_parse_t *self, scrape_type_t type)
{
    int om = self->format == SCRAPE_FORMAT_OPENMETRICS;
    switch (type) {
    case SCRAPE_TYPE_COUNTER:
        return "_total or _created";
    case SCRAPE_TYPE_HISTOGRAM:
        return om ? "_bucket, _sum, _count or _created" : "_bucket, _sum or _count";
    case SCRAPE_TYPE_GAUGEHISTOGRAM:
        return "_bucket, _gsum or _gcount";
    case SCRAPE_TYPE_INFO:
        return "_info";
    default:
        return "no suffix";
    }
}

const char *
scrape_parse_type_name (scrape_type_t type)
{
    static const char *const names[] = {"untyped", "counter",        "gauge",    "histogram",
                                        "summary", "gaugehistogram", "stateset", "info"};
    if ((unsigned)type < sizeof names / sizeof names[0])
        return names[type];
    return "untyped";
}

/* ---- metadata lines --------------------------------------------------- */

typedef enum { S_META_TYPE, S_META_HELP, S_META_UNIT } scrape_meta_t;

/* 0.0.4 tooling writes a counter's start time as a gauge family of its own
 * (foo_created beside foo_total or foo): mark it, so it reads as CREATED. */
static void
s_mark_created (scrape_parse_t *self, size_t idx)
{
    scrape_family_t *f = &self->fams[idx];
    const char *name = self->names + f->name_off;
    static const char suffix[] = "_created";
    size_t sl = sizeof suffix - 1;
    if (f->type != SCRAPE_TYPE_GAUGE || f->name_len <= sl ||
        memcmp (name + f->name_len - sl, suffix, sl) != 0)
        return;
    size_t base = f->name_len - sl;
    size_t b = s_fam_find (self, name, base);
    if (b != S_NONE &&
        (self->fams[b].type == SCRAPE_TYPE_COUNTER || self->fams[b].type == SCRAPE_TYPE_HISTOGRAM ||
         self->fams[b].type == SCRAPE_TYPE_SUMMARY)) {
        self->fams[idx].created = 1;
        return;
    }
    char total[256];
    if (base + 6 < sizeof total) {
        memcpy (total, name, base);
        memcpy (total + base, "_total", 6);
        b = s_fam_find (self, total, base + 6);
        if (b != S_NONE && self->fams[b].type == SCRAPE_TYPE_COUNTER)
            self->fams[idx].created = 1;
    }
}

static void
s_meta (scrape_parse_t *self, scrape_meta_t kind, const char *name, size_t n, scrape_type_t type)
{
    static const char *const what[] = {"TYPE", "HELP", "UNIT"};
    char shown[48];
    size_t idx = s_fam_find (self, name, n);
    if (idx == S_NONE) {
        idx = s_fam_add (self, name, n);
        self->cur = idx;
        if (idx == S_NONE)
            return;
    } else {
        scrape_family_t *f = &self->fams[idx];
        unsigned seen = kind == S_META_TYPE   ? f->has_type
                        : kind == S_META_HELP ? f->has_help
                                              : f->has_unit;
        if (seen) {
            s_error (self, "second %s line for \"%s\"", what[kind],
                     scrape_lex_show (shown, sizeof shown, name, n));
            return;
        }
        if (kind == S_META_TYPE && f->has_samples) {
            s_error (self, "TYPE line for \"%s\" after its samples",
                     scrape_lex_show (shown, sizeof shown, name, n));
            return;
        }
    }
    self->cur = idx;
    scrape_family_t *f = &self->fams[idx];
    if (kind == S_META_TYPE) {
        f->has_type = 1;
        f->type = type;
        if (self->format == SCRAPE_FORMAT_PROMETHEUS)
            s_mark_created (self, idx);
    } else if (kind == S_META_HELP)
        f->has_help = 1;
    else
        f->has_unit = 1;
}

/* "# HELP name text", "# TYPE name type", other comments: 0.0.4. */
static void
s_comment_prometheus (scrape_parse_t *self, const char *p, const char *end)
{
    p = scrape_lex_skip_blanks (self->format, p + 1, end);
    size_t tl = scrape_lex_token_len (self->format, p, end);
    int is_type = tl == 4 && memcmp (p, "TYPE", 4) == 0;
    int is_help = tl == 4 && memcmp (p, "HELP", 4) == 0;
    if (!is_type && !is_help)
        return; /* a comment */
    const char *what = is_type ? "TYPE" : "HELP";
    p = scrape_lex_skip_blanks (self->format, p + tl, end);
    size_t nl = scrape_lex_name_len (p, end, 0);
    if (nl == 0 || (p + nl < end && !scrape_lex_is_blank (self->format, p[nl]))) {
        s_error (self, "%s: expected a metric name", what);
        return;
    }
    const char *name = p;
    if (is_help) {
        s_meta (self, S_META_HELP, name, nl, SCRAPE_TYPE_UNTYPED);
        return;
    }
    p = scrape_lex_skip_blanks (self->format, p + nl, end);
    tl = scrape_lex_token_len (self->format, p, end);
    char shown[48];
    scrape_type_t type;
    if (tl == 0) {
        s_error (self, "TYPE: expected a type after the metric name");
        return;
    }
    if (scrape_lex_type (self->format, p, tl, &type) != 0) {
        s_error (self,
                 "TYPE: unknown type \"%s\" (expected counter, gauge, histogram, summary or "
                 "untyped)",
                 scrape_lex_show (shown, sizeof shown, p, tl));
        return;
    }
    if (scrape_lex_skip_blanks (self->format, p + tl, end) != end) {
        s_error (self, "TYPE: unexpected text after the type");
        return;
    }
    s_meta (self, S_META_TYPE, name, nl, type);
}

/* "# TYPE name type", "# HELP name text", "# UNIT name unit", "# EOF". */
static void
s_comment_openmetrics (scrape_parse_t *self, const char *p, const char *end)
{
    size_t len = (size_t)(end - p);
    if (len == 5 && memcmp (p, "# EOF", 5) == 0) {
        self->res->eof = 1;
        return;
    }
    scrape_meta_t kind;
    if (len > 7 && memcmp (p, "# TYPE ", 7) == 0)
        kind = S_META_TYPE;
    else if (len > 7 && memcmp (p, "# HELP ", 7) == 0)
        kind = S_META_HELP;
    else if (len > 7 && memcmp (p, "# UNIT ", 7) == 0)
        kind = S_META_UNIT;
    else {
        s_error (self, "expected # TYPE, # HELP, # UNIT or # EOF: OpenMetrics has no other "
                       "comments");
        return;
    }
    static const char *const what[] = {"TYPE", "HELP", "UNIT"};
    p += 7;
    size_t nl = scrape_lex_name_len (p, end, 0);
    const char *name = p;
    p += nl;
    if (nl == 0 || (p < end && *p != ' ') || (p == end && kind == S_META_TYPE)) {
        s_error (self, "%s: expected a metric name and a space", what[kind]);
        return;
    }
    if (p < end)
        p++;
    char shown[48], shown2[48];
    scrape_type_t type = SCRAPE_TYPE_UNTYPED;
    if (kind == S_META_TYPE && scrape_lex_type (self->format, p, (size_t)(end - p), &type) != 0) {
        s_error (self,
                 "TYPE: unknown type \"%s\" (expected counter, gauge, histogram, gaugehistogram, "
                 "summary, stateset, info or unknown)",
                 scrape_lex_show (shown, sizeof shown, p, (size_t)(end - p)));
        return;
    }
    if (kind == S_META_UNIT) {
        size_t ul = (size_t)(end - p);
        size_t ok = 0;
        while (ok < ul && scrape_lex_is_name_char (p[ok]))
            ok++;
        if (ok != ul) {
            s_error (self, "UNIT: invalid unit \"%s\"",
                     scrape_lex_show (shown, sizeof shown, p, ul));
            return;
        }
        if (ul > 0 &&
            (nl < ul + 1 || name[nl - ul - 1] != '_' || memcmp (name + nl - ul, p, ul) != 0)) {
            s_error (self, "UNIT: the name \"%s\" does not end in _%s",
                     scrape_lex_show (shown, sizeof shown, name, nl),
                     scrape_lex_show (shown2, sizeof shown2, p, ul));
            return;
        }
    }
    s_meta (self, kind, name, nl, type);
}

/* ---- samples ---------------------------------------------------------- */

/* Reads the label set at *pp ('{'), unescaping values into the scratch area.
 * With store unset (an exemplar's labels) nothing is kept. Returns 0, or -1
 * after reporting the error. */
static int
s_labels (scrape_parse_t *self, const char **pp, const char *end, int store)
{
    const char *p = *pp + 1;
    int om = self->format == SCRAPE_FORMAT_OPENMETRICS;
    char shown[48];
    size_t mark = self->scratch_len;
    p = scrape_lex_skip_blanks (self->format, p, end);
    if (p < end && *p == '}') {
        *pp = p + 1;
        return 0;
    }
    for (;;) {
        size_t kl = scrape_lex_name_len (p, end, 1);
        if (kl == 0) {
            s_error (self, "expected a label name");
            return -1;
        }
        const char *key = p;
        scrape_lex_show (shown, sizeof shown, key, kl);
        p = scrape_lex_skip_blanks (self->format, p + kl, end);
        if (p == end || *p != '=') {
            s_error (self, "expected '=' after label name \"%s\"", shown);
            return -1;
        }
        p = scrape_lex_skip_blanks (self->format, p + 1, end);
        if (p == end || *p != '"') {
            s_error (self, "expected a quoted value for label \"%s\"", shown);
            return -1;
        }
        p++;
        const char *close = scrape_lex_value_end (p, end);
        if (!close) {
            s_error (self, "unterminated value of label \"%s\"", shown);
            return -1;
        }
        s_scratch_reserve (self, kl + 1 + (size_t)(close - p) + 1);
        size_t koff = self->scratch_len;
        memcpy (self->scratch + koff, key, kl);
        self->scratch[koff + kl] = '\0';
        size_t voff = koff + kl + 1;
        size_t vl = 0;
        char bad = 0, esc[8];
        switch (scrape_lex_unescape (self->format, p, (size_t)(close - p), self->scratch + voff,
                                     &vl, &bad)) {
        case SCRAPE_LEX_OK:
            break;
        case SCRAPE_LEX_NUL:
            s_error (self, "NUL byte in the value of label \"%s\"", shown);
            return -1;
        case SCRAPE_LEX_ESCAPE:
            s_error (self, "invalid escape \\%s in the value of label \"%s\"",
                     scrape_lex_show (esc, sizeof esc, &bad, 1), shown);
            return -1;
        case SCRAPE_LEX_UTF8:
            s_error (self, "the value of label \"%s\" is not valid UTF-8", shown);
            return -1;
        }
        p = close + 1;
        if (store) {
            self->nseen++;
            if ((self->limits.max_label_count && self->nseen > self->limits.max_label_count) ||
                (self->limits.max_label_length &&
                 (vl > self->limits.max_label_length || kl > self->limits.max_label_length)) ||
                self->drop) {
                self->drop = 1;
            } else {
                for (size_t i = 0; i < self->noffs; i++)
                    if (strcmp (self->scratch + self->offs[2 * i], self->scratch + koff) == 0) {
                        s_error (self, "duplicate label \"%s\"", shown);
                        return -1;
                    }
                VG_GROW (self->offs, self->offs_cap, 2 * (self->noffs + 1));
                self->offs[2 * self->noffs] = koff;
                self->offs[2 * self->noffs + 1] = voff;
                self->noffs++;
                self->scratch_len = voff + vl + 1;
            }
        }
        p = scrape_lex_skip_blanks (self->format, p, end);
        if (p < end && *p == ',') {
            p = scrape_lex_skip_blanks (self->format, p + 1, end);
            if (!om && p < end && *p == '}') /* 0.0.4 allows a trailing comma */
                break;
            continue;
        }
        if (p < end && *p == '}')
            break;
        s_error (self, "expected ',' or '}' after label \"%s\"", shown);
        return -1;
    }
    if (!store)
        self->scratch_len = mark;
    *pp = p + 1;
    return 0;
}

/* The family and role of a sample named name; -1 after reporting an error. */
static int
s_classify (scrape_parse_t *self, const char *name, size_t n, size_t *fam, int *role)
{
    static const char *const suffixes[] = {"_total", "_created", "_bucket", "_sum",
                                           "_count", "_gsum",    "_gcount", "_info"};
    if (self->cur != S_NONE) {
        const scrape_family_t *f = &self->fams[self->cur];
        if (n >= f->name_len && memcmp (name, self->names + f->name_off, f->name_len) == 0 &&
            (*role = s_role (self, f, name + f->name_len, n - f->name_len)) >= 0) {
            *fam = self->cur;
            return 0;
        }
    }
    size_t idx = s_fam_find (self, name, n);
    if (idx != S_NONE) {
        const scrape_family_t *f = &self->fams[idx];
        if ((*role = s_role (self, f, "", 0)) >= 0) {
            *fam = idx;
            return 0;
        }
        char shown[48];
        const char *tn = scrape_parse_type_name (f->type);
        s_error (self, "\"%s\" is %s %s: its samples are named with %s",
                 scrape_lex_show (shown, sizeof shown, name, n),
                 strchr ("aeiou", tn[0]) ? "an" : "a", tn, s_suffixes (self, f->type));
        return -1;
    }
    /* a family other than the one above: 0.0.4 and careless exposers interleave */
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t sl = strlen (suffixes[i]);
        if (n <= sl || memcmp (name + n - sl, suffixes[i], sl) != 0)
            continue;
        idx = s_fam_find (self, name, n - sl);
        if (idx != S_NONE && (*role = s_role (self, &self->fams[idx], suffixes[i], sl)) >= 0) {
            *fam = idx;
            return 0;
        }
    }
    *fam = s_fam_add (self, name, n); /* S_NONE when full: untyped, unremembered */
    *role = SCRAPE_ROLE_VALUE;
    return 0;
}

/* The value of label key among the stored ones, or NULL. */
static const char *
s_label_value (scrape_parse_t *self, const char *key)
{
    for (size_t i = 0; i < self->noffs; i++)
        if (strcmp (self->scratch + self->offs[2 * i], key) == 0)
            return self->scratch + self->offs[2 * i + 1];
    return NULL;
}

/* le="..." of a bucket, quantile="..." of a summary's quantile. */
static int
s_bound (scrape_parse_t *self, int role, double *bound)
{
    const char *key = role == SCRAPE_ROLE_BUCKET ? "le" : "quantile";
    const char *v = s_label_value (self, key);
    char shown[48];
    if (!v) {
        s_error (self, "%s without a %s label",
                 role == SCRAPE_ROLE_BUCKET ? "histogram bucket" : "summary quantile", key);
        return -1;
    }
    if (scrape_lex_number (v, strlen (v), 1, bound) != 0 || isnan (*bound)) {
        s_error (self, "invalid %s value \"%s\"", key,
                 scrape_lex_show (shown, sizeof shown, v, strlen (v)));
        return -1;
    }
    return 0;
}

static void
s_sample (scrape_parse_t *self, const char *p, const char *end, scrape_sample_fn fn, void *arg)
{
    int om = self->format == SCRAPE_FORMAT_OPENMETRICS;
    char shown[48];
    size_t nl = scrape_lex_name_len (p, end, 0);
    if (nl == 0) {
        s_error (self, "expected a metric name");
        return;
    }
    const char *name = p;
    self->scratch_len = 0;
    self->noffs = 0;
    self->nseen = 0;
    self->drop = self->limits.max_label_length && nl > self->limits.max_label_length;
    s_scratch_put (self, name, nl);
    p += nl;
    const char *after = "the metric name";
    const char *q = scrape_lex_skip_blanks (self->format, p, end);
    if (q < end && *q == '{') {
        p = q;
        if (s_labels (self, &p, end, 1) != 0)
            return;
        after = "the labels";
    }
    /* 0.0.4 reads "foo{a=\"b\"}1"; OpenMetrics wants exactly one space */
    if (p < end && !scrape_lex_is_blank (self->format, *p) && (om || p == q)) {
        s_error (self, "unexpected '%s' after %s", scrape_lex_show (shown, sizeof shown, p, 1),
                 after);
        return;
    }
    p = om ? (p < end ? p + 1 : p) : scrape_lex_skip_blanks (self->format, p, end);
    size_t tl = scrape_lex_token_len (self->format, p, end);
    double value;
    if (tl == 0) {
        s_error (self, "expected a value after %s", after);
        return;
    }
    if (scrape_lex_number (p, tl, 1, &value) != 0) {
        s_error (self, "invalid value \"%s\"", scrape_lex_show (shown, sizeof shown, p, tl));
        return;
    }
    p += tl;
    int has_ts = 0;
    int64_t ts = 0;
    if (om) {
        if (p < end && p + 1 < end && p[1] != '#') {
            p++;
            tl = scrape_lex_token_len (self->format, p, end);
            if (scrape_lex_timestamp (self->format, p, tl, &ts) != 0) {
                s_error (self, "invalid timestamp \"%s\"",
                         scrape_lex_show (shown, sizeof shown, p, tl));
                return;
            }
            has_ts = 1;
            p += tl;
        }
        if (p < end) { /* an exemplar: " # {labels} value [timestamp]" */
            double ev;
            int64_t ets;
            if (end - p < 4 || memcmp (p, " # {", 4) != 0) {
                s_error (self, "unexpected text after the %s", has_ts ? "timestamp" : "value");
                return;
            }
            p += 3;
            if (s_labels (self, &p, end, 0) != 0)
                return;
            if (p == end || *p != ' ' ||
                scrape_lex_number (p + 1, scrape_lex_token_len (self->format, p + 1, end), 1,
                                   &ev)) {
                s_error (self, "exemplar: expected a value after the labels");
                return;
            }
            p += 1 + scrape_lex_token_len (self->format, p + 1, end);
            if (p < end && (*p != ' ' || scrape_lex_timestamp (self->format, p + 1,
                                                               (size_t)(end - p - 1), &ets))) {
                s_error (self, "exemplar: invalid timestamp");
                return;
            }
        }
    } else {
        p = scrape_lex_skip_blanks (self->format, p, end);
        if (p < end) {
            tl = scrape_lex_token_len (self->format, p, end);
            if (scrape_lex_timestamp (self->format, p, tl, &ts) != 0) {
                s_error (self, "invalid timestamp \"%s\"",
                         scrape_lex_show (shown, sizeof shown, p, tl));
                return;
            }
            has_ts = 1;
            if (scrape_lex_skip_blanks (self->format, p + tl, end) != end) {
                s_error (self, "unexpected text after the timestamp");
                return;
            }
        }
    }

    size_t fam;
    int role;
    if (s_classify (self, name, nl, &fam, &role) != 0)
        return;
    if (fam != S_NONE)
        self->fams[fam].has_samples = 1;
    self->cur = fam;
    double bound = 0;
    if (!self->drop && (role == SCRAPE_ROLE_BUCKET || role == SCRAPE_ROLE_QUANTILE) &&
        s_bound (self, role, &bound) != 0)
        return;
    if (self->drop) {
        self->res->dropped_labels++;
        return;
    }
    if (self->limits.max_samples && self->res->samples >= self->limits.max_samples) {
        self->res->dropped_samples++;
        return;
    }
    VG_GROW (self->labels, self->labels_cap, self->noffs + 1);
    for (size_t i = 0; i < self->noffs; i++) {
        self->labels[i].key = self->scratch + self->offs[2 * i];
        self->labels[i].value = self->scratch + self->offs[2 * i + 1];
    }
    scrape_sample_t s = {
        .name = self->scratch,
        .family = fam != S_NONE ? self->names + self->fams[fam].name_off : self->scratch,
        .type = fam != S_NONE ? self->fams[fam].type : SCRAPE_TYPE_UNTYPED,
        .role = (scrape_role_t)role,
        .labels = self->labels,
        .nlabels = self->noffs,
        .value = value,
        .bound = bound,
        .has_timestamp = has_ts,
        .timestamp_ms = ts,
        .line = self->line,
    };
    self->res->samples++;
    if (fn)
        fn (arg, &s);
}

/* ---- the run ---------------------------------------------------------- */

static void
s_line (scrape_parse_t *self, const char *p, const char *end, scrape_sample_fn fn, void *arg)
{
    if (self->format == SCRAPE_FORMAT_PROMETHEUS) {
        /* blanks around a line mean nothing, and a CR before the LF is common */
        while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            end--;
        p = scrape_lex_skip_blanks (self->format, p, end);
        if (p == end)
            return;
        if (*p == '#')
            s_comment_prometheus (self, p, end);
        else
            s_sample (self, p, end, fn, arg);
        return;
    }
    if (p == end) {
        s_error (self, "empty line: OpenMetrics has none");
        return;
    }
    if (*p == '#')
        s_comment_openmetrics (self, p, end);
    else
        s_sample (self, p, end, fn, arg);
}

int
scrape_parse_run (scrape_parse_t *self, const char *text, size_t len, scrape_format_t format,
                  const scrape_limits_t *limits, scrape_sample_fn fn, void *arg,
                  scrape_result_t *result)
{
    memset (result, 0, sizeof *result);
    self->format = format;
    if (limits)
        self->limits = *limits;
    else
        memset (&self->limits, 0, sizeof self->limits);
    self->res = result;
    self->line = 0;
    self->nfams = 0;
    self->names_len = 0;
    self->cur = S_NONE;
    if (self->nslots)
        memset (self->slots, 0, self->nslots * sizeof *self->slots);

    const char *p = text, *end = text ? text + len : text;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        self->line++;
        result->lines++;
        if (result->eof) {
            s_error (self, "text after # EOF");
            break;
        }
        s_line (self, p, eol, fn, arg);
        if (!nl)
            break;
        p = nl + 1;
    }
    if (format == SCRAPE_FORMAT_OPENMETRICS && !result->eof) {
        self->line = result->lines + 1;
        s_error (self, "missing # EOF at the end");
    }
    self->res = NULL;
    return result->errors ? VG_EPROTO : VG_OK;
}

/* ---- formats ---------------------------------------------------------- */

static int
s_media_is (const char *ct, const char *type)
{
    size_t n = strlen (type);
    return strncasecmp (ct, type, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

int
scrape_parse_content_type (const char *content_type, scrape_format_t *format)
{
    if (!content_type)
        return VG_ENOTFOUND;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    if (s_media_is (content_type, "application/openmetrics-text")) {
        *format = SCRAPE_FORMAT_OPENMETRICS;
        return VG_OK;
    }
    if (s_media_is (content_type, "text/plain")) {
        *format = SCRAPE_FORMAT_PROMETHEUS;
        return VG_OK;
    }
    return VG_ENOTFOUND;
}

scrape_format_t
scrape_parse_guess_format (const char *text, size_t len)
{
    if (!text)
        return SCRAPE_FORMAT_PROMETHEUS;
    const char *end = text + len;
    while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    if (end - start == 5 && memcmp (start, "# EOF", 5) == 0)
        return SCRAPE_FORMAT_OPENMETRICS;
    return SCRAPE_FORMAT_PROMETHEUS;
}
