/*  scrape_parse.c - the Prometheus 0.0.4 and OpenMetrics 1.0 text formats.
 *
 *  One pass over the text, line by line. 0.0.4 is read the way Prometheus
 *  reads it: tokens separated by any blanks, other comments ignored, blank
 *  lines skipped, families in any order. OpenMetrics is read by its ABNF:
 *  single spaces, no blank lines, no other comments, # EOF last; it adds
 *  exemplars, _total/_created counters, UNIT and more types, and wants each
 *  family's, metric's and metric point's lines together.
 *
 *  This file runs the lines and finds each sample's family and role
 *  (scrape_family.c); scrape_line.c reads a sample line's tokens and
 *  scrape_meta.c the metadata lines; what values and structure are allowed
 *  is scrape_check.c's. Kept samples wait in an arena (their names and
 *  unescaped labels, and a record each) until the end, and are handed over
 *  only when the exposition turned out valid, or always with
 *  keep_valid_lines.
 */
#include "scrape_parse.h"
#include "scrape_lex.h"
#include "scrape_parse_int.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

scrape_parse_t *
scrape_parse_new (void)
{
    scrape_parse_t *self = vg_calloc (1, sizeof (scrape_parse_t));
    VG_GROW (self->spans, self->spans_cap, 64); /* never NULL: spans + i is taken at 0 labels */
    self->check = scrape_check_new ();
    return self;
}

void
scrape_parse_destroy (scrape_parse_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    scrape_parse_t *self = *self_p;
    free (self->arena);
    free (self->spans);
    free (self->strings);
    free (self->name);
    free (self->kept);
    free (self->labels);
    free (self->lhash);
    scrape_families_free (&self->fams);
    scrape_check_destroy (&self->check);
    free (self);
    *self_p = NULL;
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

/* ---- errors ----------------------------------------------------------- */

/* Counts a rule broken on line at column col; the first one is kept. */
static void
s_report (scrape_parse_t *self, scrape_rule_t rule, size_t line, size_t col, const char *msg)
{
    scrape_result_t *res = self->res;
    res->errors++;
    if (!self->opts.keep_valid_lines)
        self->stop = 1;
    if (res->first_rule != SCRAPE_RULE_NONE)
        return;
    res->first_rule = rule;
    res->first_error_line = line;
    res->first_error_column = col;
    snprintf (res->first_error, sizeof res->first_error, "line %zu, column %zu: %s", line, col,
              msg);
}

void
scrape_parse_error (scrape_parse_t *self, scrape_rule_t rule, const char *at, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    size_t col = at ? (size_t)(at - self->line_start) + 1 : 1;
    s_report (self, rule, self->line, col, msg);
}

static void
s_fault (scrape_parse_t *self, const scrape_fault_t *fault)
{
    if (fault->line && fault->line != self->line) {
        s_report (self, fault->rule, fault->line, 1, fault->msg);
        return;
    }
    const char *at = fault->at == SCRAPE_AT_LINE ? NULL : self->at[fault->at];
    scrape_parse_error (self, fault->rule, at, "%s", fault->msg);
}

/* ---- the arena -------------------------------------------------------- */

void
scrape_parse_arena_reserve (scrape_parse_t *self, size_t extra)
{
    if (self->arena_len + extra > self->arena_cap) {
        size_t cap = self->arena_cap ? self->arena_cap : 4096;
        while (cap < self->arena_len + extra)
            cap *= 2;
        self->arena = vg_realloc (self->arena, cap);
        self->arena_cap = cap;
    }
}

/* ---- families --------------------------------------------------------- */

void
scrape_parse_family_end (scrape_parse_t *self)
{
    if (self->format != SCRAPE_FORMAT_OPENMETRICS || self->cur == SCRAPE_NONE)
        return;
    scrape_fault_t fault;
    size_t idx = self->cur;
    self->cur = SCRAPE_NONE;
    if (scrape_check_family_end (self->check, &fault) != 0) {
        s_fault (self, &fault);
        return;
    }
    const scrape_family_t *f = scrape_families_at (&self->fams, idx);
    const char *name = scrape_families_name (&self->fams, idx);
    char msg[256];
    size_t other = scrape_families_clash (&self->fams, idx);
    if (other != SCRAPE_NONE) {
        const scrape_family_t *o = scrape_families_at (&self->fams, other);
        snprintf (msg, sizeof msg,
                  "%s \"%.64s\" and %s \"%.64s\" could both write the same sample name",
                  scrape_parse_type_name (f->type), name, scrape_parse_type_name (o->type),
                  scrape_families_name (&self->fams, other));
        s_report (self, SCRAPE_RULE_NAME_CLASH, f->line, 1, msg);
        return;
    }
    if (f->unit_set && (f->type == SCRAPE_TYPE_INFO || f->type == SCRAPE_TYPE_STATESET)) {
        snprintf (msg, sizeof msg, "%s \"%.64s\" has a unit, which %ss cannot have",
                  scrape_parse_type_name (f->type), name, scrape_parse_type_name (f->type));
        s_report (self, SCRAPE_RULE_UNIT, f->line, 1, msg);
    }
}

void
scrape_parse_interleaved (scrape_parse_t *self, size_t idx, const char *at, const char *what)
{
    char shown[48];
    const char *name = scrape_families_name (&self->fams, idx);
    scrape_parse_error (
        self, SCRAPE_RULE_FAMILY_INTERLEAVED, at,
        "%s of family \"%s\" after other families' lines; a family's lines come together", what,
        scrape_lex_show (shown, sizeof shown, name, strlen (name)));
}

/* ---- samples ---------------------------------------------------------- */

/* Whether name fits family idx, with which role; -1 when it does not. */
static int
s_fits (scrape_parse_t *self, size_t idx, const char *name, size_t n)
{
    const scrape_family_t *f = scrape_families_at (&self->fams, idx);
    if (n < f->name_len || memcmp (name, scrape_families_name (&self->fams, idx), f->name_len) != 0)
        return -1;
    return scrape_family_role (f, self->format, name + f->name_len, n - f->name_len);
}

/* The family and role of a sample named name; -1 after reporting. */
static int
s_classify (scrape_parse_t *self, const char *name, size_t n, size_t *fam, int *role)
{
    static const char *const suffixes[] = {"_total", "_created", "_bucket", "_sum",
                                           "_count", "_gsum",    "_gcount", "_info"};
    int om = self->format == SCRAPE_FORMAT_OPENMETRICS;
    if (self->cur != SCRAPE_NONE && (*role = s_fits (self, self->cur, name, n)) >= 0) {
        *fam = self->cur;
        return 0;
    }
    size_t idx = scrape_families_find (&self->fams, name, n);
    if (idx != SCRAPE_NONE) {
        const scrape_family_t *f = scrape_families_at (&self->fams, idx);
        if ((*role = scrape_family_role (f, self->format, "", 0)) < 0) {
            char shown[48];
            const char *tn = scrape_parse_type_name (f->type);
            scrape_parse_error (self, SCRAPE_RULE_SUFFIX, name,
                                "\"%s\" is %s %s: its samples are named with %s",
                                scrape_lex_show (shown, sizeof shown, name, n),
                                strchr ("aeiou", tn[0]) ? "an" : "a", tn,
                                scrape_family_suffixes (f->type, self->format));
            return -1;
        }
        if (om) { /* not the current family, or it would have fit */
            scrape_parse_interleaved (self, idx, name, "a sample");
            return -1;
        }
        *fam = idx;
        return 0;
    }
    /* a family other than the one above: 0.0.4 lets families interleave */
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t sl = strlen (suffixes[i]);
        if (n <= sl || memcmp (name + n - sl, suffixes[i], sl) != 0)
            continue;
        idx = scrape_families_find (&self->fams, name, n - sl);
        if (idx != SCRAPE_NONE && (*role = s_fits (self, idx, name, n)) >= 0) {
            if (om) {
                scrape_parse_interleaved (self, idx, name, "a sample");
                return -1;
            }
            *fam = idx;
            return 0;
        }
    }
    scrape_parse_family_end (self);
    if (self->stop)
        return -1;
    *fam = scrape_families_add (&self->fams, name, n, self->line);
    *role = SCRAPE_ROLE_VALUE;
    return 0;
}

static void
s_sample (scrape_parse_t *self, const char *p, const char *end)
{
    size_t mark = self->arena_len, first = self->nspans;
    self->nseen = 0;
    self->over_limit = 0;
    self->line_nuls = 0;
    scrape_line_t ln;
    size_t fam;
    int role;
    if (scrape_line_read (self, p, end, &ln) != 0 ||
        s_classify (self, ln.name, ln.name_len, &fam, &role) != 0)
        goto drop;
    self->cur = fam;
    scrape_family_t *f = scrape_families_at (&self->fams, fam);
    f->has_samples = 1;
    VG_GROW (self->name, self->name_cap, ln.name_len + 1); /* for messages */
    memcpy (self->name, ln.name, ln.name_len);
    self->name[ln.name_len] = '\0';
    scrape_check_sample_t cs = {
        .fam = fam,
        .family = f,
        .family_name = scrape_families_name (&self->fams, fam),
        .role = (scrape_role_t)role,
        .name = self->name,
        .text = self->text,
        .arena = self->arena,
        .labels = self->spans + first,
        .nlabels = self->nspans - first,
        .hashes = self->lhash,
        .value = ln.value,
        .has_ts = ln.has_ts,
        .ts = ln.ts,
        .ts_ms = ln.ts_ms,
        .has_exemplar = ln.has_exemplar,
        .exemplar_value = ln.exemplar_value,
        .exemplar_chars = ln.exemplar_chars,
        .line = self->line,
    };
    scrape_fault_t fault;
    double bound = 0;
    scrape_check_prepare (self->check, &cs);
    if (self->over_limit) { /* keep_valid_lines: dropped whole, its labels unchecked */
        self->res->dropped_labels++;
        goto drop;
    }
    if (scrape_check_sample (self->format, &cs, &bound, &fault) != 0) {
        s_fault (self, &fault);
        goto drop;
    }
    scrape_fault_t earlier;
    int placed = scrape_check_place (self->check, &cs, bound, &fault, &earlier);
    if (earlier.rule != SCRAPE_RULE_NONE) { /* the metric before this one's: this one may be fine */
        s_fault (self, &earlier);
        if (self->stop)
            goto drop;
    }
    if (placed < 0) {
        s_fault (self, &fault);
        goto drop;
    }
    if (placed > 0) {
        self->res->duplicates++;
        goto drop;
    }
    if (self->opts.max_samples && self->nkept >= self->opts.max_samples) {
        if (!self->opts.keep_valid_lines)
            scrape_parse_error (self, SCRAPE_RULE_SAMPLE_LIMIT, NULL,
                                "more than max_samples (%zu) samples", self->opts.max_samples);
        else
            self->res->dropped_samples++;
        goto drop;
    }
    VG_GROW (self->kept, self->kept_cap, self->nkept + 1);
    self->kept[self->nkept++] = (scrape_kept_t){
        .name = (uint32_t)(ln.name - self->text),
        .name_len = (uint32_t)ln.name_len,
        .line = self->line < UINT32_MAX ? (uint32_t)self->line : UINT32_MAX,
        .value = ln.value,
        .bound = bound,
        .ts_ms = ln.ts_ms,
        .nlabels = (uint32_t)(self->nspans - first),
        .fam = (uint32_t)fam,
        .role = (uint8_t)role,
        .has_ts = (uint8_t)ln.has_ts,
    };
    self->res->nul_replaced += self->line_nuls;
    return;
drop:
    self->arena_len = mark;
    self->nspans = first;
}

/* ---- the run ---------------------------------------------------------- */

static void
s_line (scrape_parse_t *self, const char *p, const char *end)
{
    self->line_start = p;
    if (end > p && end[-1] == '\r') {
        /* lines end with LF alone; keep_valid_lines reads the line anyway */
        scrape_parse_error (self, SCRAPE_RULE_CARRIAGE_RETURN, end - 1,
                            "a carriage return ends the line: lines end with a line feed alone");
        if (self->stop)
            return;
        end--;
    }
    if (self->format == SCRAPE_FORMAT_PROMETHEUS) {
        /* blanks around a line mean nothing */
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        p = scrape_lex_skip_blanks (self->format, p, end);
        if (p == end)
            return;
        if (*p == '#')
            scrape_meta_prometheus (self, p, end);
        else
            s_sample (self, p, end);
        return;
    }
    if (p == end) {
        scrape_parse_error (self, SCRAPE_RULE_BLANK_LINE, NULL, "empty line: OpenMetrics has none");
        return;
    }
    if (*p == '#')
        scrape_meta_openmetrics (self, p, end);
    else
        s_sample (self, p, end);
}

/* Appends s[0..n) and a NUL to self->strings at *at; returns where it went. */
static size_t
s_string (scrape_parse_t *self, size_t *at, const char *s, size_t n)
{
    size_t off = *at;
    memcpy (self->strings + off, s, n);
    self->strings[off + n] = '\0';
    *at = off + n + 1;
    return off;
}

/* The samples kept, to fn, their strings made C strings one sample at a time. */
static void
s_hand_over (scrape_parse_t *self, scrape_sample_fn fn, void *arg)
{
    const scrape_span_t *sp = self->spans;
    for (size_t k = 0; k < self->nkept; k++) {
        const scrape_kept_t *kp = &self->kept[k];
        size_t need = (size_t)kp->name_len + 1;
        for (uint32_t i = 0; i < kp->nlabels; i++)
            need += sp[i].key_len + (sp[i].val_len & ~SCRAPE_SPAN_ARENA) + 2;
        VG_GROW (self->strings, self->strings_cap, need);
        VG_GROW (self->labels, self->labels_cap, (size_t)kp->nlabels + 1);
        size_t at = 0, name = s_string (self, &at, self->text + kp->name, kp->name_len);
        for (uint32_t i = 0; i < kp->nlabels; i++) {
            size_t vl;
            const char *v = scrape_span_value (self->text, self->arena, &sp[i], &vl);
            size_t ko = s_string (self, &at, self->text + sp[i].key, sp[i].key_len);
            size_t vo = s_string (self, &at, v, vl);
            self->labels[i].key = self->strings + ko;
            self->labels[i].value = self->strings + vo;
        }
        const scrape_family_t *f = scrape_families_at (&self->fams, kp->fam);
        scrape_sample_t s = {
            .name = self->strings + name,
            .family = scrape_families_name (&self->fams, kp->fam),
            .type = f->type,
            .role = (scrape_role_t)kp->role,
            .labels = self->labels,
            .nlabels = kp->nlabels,
            .value = kp->value,
            .bound = kp->bound,
            .has_timestamp = kp->has_ts,
            .timestamp_ms = kp->ts_ms,
            .line = kp->line,
        };
        self->res->samples++;
        if (fn)
            fn (arg, &s);
        sp += kp->nlabels;
    }
}

int
scrape_parse_run (scrape_parse_t *self, const char *text, size_t len, scrape_format_t format,
                  const scrape_options_t *options, scrape_sample_fn fn, void *arg,
                  scrape_result_t *result)
{
    memset (result, 0, sizeof *result);
    self->format = format;
    if (options)
        self->opts = *options;
    else
        memset (&self->opts, 0, sizeof self->opts);
    self->res = result;
    self->stop = 0;
    self->line = 0;
    if (len >= SCRAPE_SPAN_ARENA) { /* spans are 31 bits; max_body is 1 GiB at most */
        result->errors = 1;
        result->first_rule = SCRAPE_RULE_BODY_LIMIT;
        result->first_error_line = result->first_error_column = 1;
        snprintf (result->first_error, sizeof result->first_error,
                  "line 1, column 1: an exposition of 2 GiB or more");
        return VG_ETOOBIG;
    }
    self->text = text;
    self->arena_len = 0;
    self->nspans = 0;
    self->nkept = 0;
    self->cur = SCRAPE_NONE;
    scrape_families_reset (&self->fams);
    scrape_check_begin (self->check, format, &self->fams);

    const char *p = text, *end = text ? text + len : text;
    while (p < end && !self->stop) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        self->line++;
        result->lines++;
        if (result->eof) {
            self->line_start = p;
            scrape_parse_error (self, SCRAPE_RULE_AFTER_EOF, NULL, "text after # EOF");
            break;
        }
        s_line (self, p, eol);
        if (!nl)
            break;
        p = nl + 1;
    }
    if (!self->stop && format == SCRAPE_FORMAT_PROMETHEUS && len > 0 && text[len - 1] != '\n') {
        char msg[64];
        snprintf (msg, sizeof msg, "the last line does not end with a line feed");
        s_report (self, SCRAPE_RULE_FINAL_NEWLINE, self->line, (size_t)(end - self->line_start) + 1,
                  msg);
    }
    if (!self->stop && format == SCRAPE_FORMAT_OPENMETRICS && !result->eof)
        s_report (self, SCRAPE_RULE_EOF_MISSING, result->lines + 1, 1, "missing # EOF at the end");
    if (!self->stop)
        scrape_parse_family_end (self);
    scrape_fault_t fault;
    if (!self->stop && scrape_check_end (self->check, &fault) != 0)
        s_fault (self, &fault);

    if (result->errors == 0 || self->opts.keep_valid_lines)
        s_hand_over (self, fn, arg);
    self->res = NULL;
    if (result->errors == 0)
        return VG_OK;
    if (!self->opts.keep_valid_lines && (result->first_rule == SCRAPE_RULE_SAMPLE_LIMIT ||
                                         result->first_rule == SCRAPE_RULE_LABEL_LIMIT))
        return VG_ETOOBIG;
    return VG_EPROTO;
}
