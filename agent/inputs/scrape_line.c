/*  scrape_line.c - a sample line's tokens: its name, its labels (unescaped
 *  into the parser's arena, with the limits on them), its value, its
 *  timestamp and, in OpenMetrics, its exemplar.
 */
#include "scrape_lex.h"
#include "scrape_parse_int.h"
#include "vg_alloc.h"
#include "vg_hash.h"
#include "vg_utf8.h"

#include <stdio.h>
#include <string.h>

/* OpenMetrics reserves names that begin with an underscore. */
int
scrape_line_reserved (scrape_parse_t *self, const char *name, size_t n, const char *what)
{
    if (self->format != SCRAPE_FORMAT_OPENMETRICS || n == 0 || name[0] != '_')
        return 0;
    char shown[48];
    scrape_parse_error (self, SCRAPE_RULE_RESERVED_NAME, name,
                        "%s \"%s\" begins with an underscore: such names are reserved", what,
                        scrape_lex_show (shown, sizeof shown, name, n));
    return -1;
}

/* ---- labels ----------------------------------------------------------- */

/* Checks a label name; its limits when store is set. Returns 0 or -1. */
static int
s_label_name (scrape_parse_t *self, const char *key, size_t kl, int store)
{
    char shown[48];
    if (self->format == SCRAPE_FORMAT_OPENMETRICS) {
        if (scrape_line_reserved (self, key, kl, "label name") != 0)
            return -1;
    } else if (kl == 8 && memcmp (key, "__name__", 8) == 0) {
        scrape_parse_error (self, SCRAPE_RULE_RESERVED_NAME, key,
                            "label name \"__name__\" is reserved");
        return -1;
    }
    if (!store)
        return 0;
    self->nseen++;
    size_t max_count = self->opts.max_label_count, max_len = self->opts.max_label_length;
    if ((max_count && self->nseen > max_count) || (max_len && kl > max_len)) {
        if (!self->opts.keep_valid_lines) {
            scrape_parse_error (self, SCRAPE_RULE_LABEL_LIMIT, key,
                                max_len && kl > max_len
                                    ? "label name \"%s\" is longer than max_label_length"
                                    : "label \"%s\" is past max_label_count",
                                scrape_lex_show (shown, sizeof shown, key, kl));
            return -1;
        }
        self->over_limit = 1;
    }
    return 0;
}

/* Reads the label set at *pp ('{') into spans, unescaping values with escapes
 * into the arena. With
 * store unset (an exemplar's labels) nothing is kept and *chars gets the
 * code points of the names and values. Returns 0, or -1 after reporting. */
static int
s_labels (scrape_parse_t *self, const char **pp, const char *end, int store, size_t *chars)
{
    const char *p = *pp + 1;
    int om = self->format == SCRAPE_FORMAT_OPENMETRICS;
    char shown[48];
    size_t mark = self->arena_len, first = self->nspans;
    int rc = -1;
    if (chars)
        *chars = 0;
    p = scrape_lex_skip_blanks (self->format, p, end);
    if (p < end && *p == '}') {
        *pp = p + 1;
        return 0;
    }
    for (;;) {
        size_t kl = scrape_lex_name_len (p, end, 1);
        if (kl == 0) {
            if (p < end && scrape_lex_is_digit (*p))
                scrape_parse_error (self, SCRAPE_RULE_LABEL_NAME, p,
                                    "a label name begins with a letter or an underscore");
            else
                scrape_parse_error (self, SCRAPE_RULE_LABEL_SYNTAX, p, "expected a label name");
            goto out;
        }
        const char *key = p;
#define S_SHOWN scrape_lex_show (shown, sizeof shown, key, kl) /* for messages alone */
        if (s_label_name (self, key, kl, store) != 0)
            goto out;
        p = scrape_lex_skip_blanks (self->format, p + kl, end);
        if (p == end || *p != '=') {
            scrape_parse_error (self, SCRAPE_RULE_LABEL_SYNTAX, p,
                                "expected '=' after label name \"%s\"", S_SHOWN);
            goto out;
        }
        p = scrape_lex_skip_blanks (self->format, p + 1, end);
        if (p == end || *p != '"') {
            scrape_parse_error (self, SCRAPE_RULE_LABEL_SYNTAX, p,
                                "expected a quoted value for label \"%s\"", S_SHOWN);
            goto out;
        }
        p++;
        const char *close = scrape_lex_value_end (p, end);
        if (!close) {
            scrape_parse_error (self, SCRAPE_RULE_LABEL_SYNTAX, p - 1,
                                "unterminated value of label \"%s\"", S_SHOWN);
            goto out;
        }
        size_t raw = (size_t)(close - p), vl = raw;
        const char *value = p;
        uint32_t where = 0;
        if (!memchr (p, '\\', raw) && !memchr (p, '\0', raw)) { /* as written: from the text */
            size_t bad = vg_utf8_check (p, raw);
            if (bad != raw) {
                scrape_parse_error (self, SCRAPE_RULE_UTF8, p + bad,
                                    "the value of label \"%s\" is not valid UTF-8", S_SHOWN);
                goto out;
            }
        } else { /* unescaped into the arena */
            scrape_parse_arena_reserve (self, SCRAPE_LEX_UNESCAPED_MAX (raw));
            char bad = 0, esc[8];
            value = self->arena + self->arena_len;
            switch (scrape_lex_unescape (self->format, p, raw, self->arena + self->arena_len, &vl,
                                         &bad, &self->line_nuls)) {
            case SCRAPE_LEX_OK:
                break;
            case SCRAPE_LEX_ESCAPE:
                scrape_parse_error (self, SCRAPE_RULE_ESCAPE, p,
                                    "invalid escape \\%s in the value of label \"%s\"",
                                    scrape_lex_show (esc, sizeof esc, &bad, 1), S_SHOWN);
                goto out;
            case SCRAPE_LEX_UTF8:
                scrape_parse_error (self, SCRAPE_RULE_UTF8, p,
                                    "the value of label \"%s\" is not valid UTF-8", S_SHOWN);
                goto out;
            }
            where = SCRAPE_SPAN_ARENA;
        }
        if (store && self->opts.max_label_length && vl > self->opts.max_label_length) {
            if (!self->opts.keep_valid_lines) {
                scrape_parse_error (self, SCRAPE_RULE_LABEL_LIMIT, p,
                                    "the value of label \"%s\" is longer than max_label_length",
                                    S_SHOWN);
                goto out;
            }
            self->over_limit = 1;
        }
        if (chars)
            *chars += kl + scrape_lex_chars (value, vl);
        if (!self->over_limit) {
            for (size_t i = first; i < self->nspans; i++)
                if (self->spans[i].key_len == kl &&
                    memcmp (self->text + self->spans[i].key, key, kl) == 0) {
                    scrape_parse_error (self, SCRAPE_RULE_LABEL_DUPLICATE, key,
                                        "duplicate label \"%s\"", S_SHOWN);
                    goto out;
                }
            VG_GROW (self->spans, self->spans_cap, self->nspans + 1);
            self->spans[self->nspans] = (scrape_span_t){
                .key = (uint32_t)(key - self->text),
                .key_len = (uint32_t)kl,
                .val = where ? (uint32_t)self->arena_len : (uint32_t)(p - self->text),
                .val_len = (uint32_t)vl | where,
            };
            if (store) { /* for the checks: which metric the sample belongs to */
                VG_GROW (self->lhash, self->lhash_cap, self->nspans - first + 1);
                self->lhash[self->nspans - first] =
                    vg_hash_bytes (key, kl) * 0x9e3779b97f4a7c15ULL + vg_hash_bytes (value, vl);
            }
            self->nspans++;
            if (where)
                self->arena_len += vl;
        }
        p = scrape_lex_skip_blanks (self->format, close + 1, end);
        if (p < end && *p == ',') {
            p = scrape_lex_skip_blanks (self->format, p + 1, end);
            if (!om && p < end && *p == '}') /* 0.0.4 allows a trailing comma */
                break;
            continue;
        }
        if (p < end && *p == '}')
            break;
        scrape_parse_error (self, SCRAPE_RULE_LABEL_SYNTAX, p,
                            "expected ',' or '}' after label \"%s\"", S_SHOWN);
        goto out;
    }
    *pp = p + 1;
    rc = 0;
out:
    if (!store) { /* an exemplar's labels are checked, not kept */
        self->arena_len = mark;
        self->nspans = first;
    }
    return rc;
#undef S_SHOWN
}

/* ---- samples ---------------------------------------------------------- */

/* The sample's timestamp, the token p[0..n). Returns 0, or -1 after reporting. */
static int
s_timestamp (scrape_parse_t *self, const char *p, size_t n, scrape_line_t *ln)
{
    char shown[48];
    if (scrape_lex_timestamp (self->format, p, n, &ln->ts_ms, &ln->ts) != 0) {
        scrape_parse_error (self, SCRAPE_RULE_TIMESTAMP, p, "invalid timestamp \"%s\"",
                            scrape_lex_show (shown, sizeof shown, p, n));
        return -1;
    }
    ln->has_ts = 1;
    return 0;
}

/* Reads a sample line's tokens into *ln; its name and labels go to the
 * arena. Returns 0, or -1 after reporting. */
int
scrape_line_read (scrape_parse_t *self, const char *p, const char *end, scrape_line_t *ln)
{
    int om = self->format == SCRAPE_FORMAT_OPENMETRICS;
    char shown[48];
    memset (ln, 0, sizeof *ln);
    for (int i = 0; i < SCRAPE_AT_COUNT; i++)
        self->at[i] = p;
    size_t nl = scrape_lex_name_len (p, end, 0);
    if (nl == 0) {
        if (end - p >= 3 && memcmp (p, "\xef\xbb\xbf", 3) == 0)
            scrape_parse_error (self, SCRAPE_RULE_LINE_SYNTAX, p,
                                "a byte order mark: there must be none");
        else
            scrape_parse_error (self, SCRAPE_RULE_METRIC_NAME, p, "expected a metric name");
        return -1;
    }
    if (scrape_line_reserved (self, p, nl, "metric name") != 0)
        return -1;
    if (self->opts.max_label_length && nl > self->opts.max_label_length) {
        if (!self->opts.keep_valid_lines) {
            scrape_parse_error (self, SCRAPE_RULE_LABEL_LIMIT, p,
                                "the metric name is longer than max_label_length");
            return -1;
        }
        self->over_limit = 1;
    }
    ln->name = p;
    ln->name_len = nl;
    p += nl;
    const char *after = "the metric name";
    const char *q = scrape_lex_skip_blanks (self->format, p, end);
    self->at[SCRAPE_AT_LABELS] = q < end && *q == '{' ? q : p;
    if (q < end && *q == '{') {
        p = q;
        if (s_labels (self, &p, end, 1, NULL) != 0)
            return -1;
        after = "the labels";
    }
    /* 0.0.4 reads "foo{a=\"b\"}1"; OpenMetrics wants exactly one space */
    if (p < end && !scrape_lex_is_blank (self->format, *p) && (om || p == q)) {
        /* "a-b 1", "a.b 1": a character no metric name has */
        int in_name = p == q && *p != ' ' && *p != '\t';
        scrape_parse_error (self, in_name ? SCRAPE_RULE_METRIC_NAME : SCRAPE_RULE_LINE_SYNTAX, p,
                            "unexpected '%s' after %s", scrape_lex_show (shown, sizeof shown, p, 1),
                            after);
        return -1;
    }
    p = om ? (p < end ? p + 1 : p) : scrape_lex_skip_blanks (self->format, p, end);
    self->at[SCRAPE_AT_VALUE] = p;
    size_t tl = scrape_lex_token_len (self->format, p, end);
    if (tl == 0) {
        scrape_parse_error (self, SCRAPE_RULE_LINE_SYNTAX, p, "expected a value after %s", after);
        return -1;
    }
    if (scrape_lex_number (p, tl, 1, &ln->value) != 0) {
        scrape_parse_error (self, SCRAPE_RULE_VALUE, p, "invalid value \"%s\"",
                            scrape_lex_show (shown, sizeof shown, p, tl));
        return -1;
    }
    p += tl;
    if (!om) {
        p = scrape_lex_skip_blanks (self->format, p, end);
        self->at[SCRAPE_AT_TIMESTAMP] = p;
        if (p == end)
            return 0;
        tl = scrape_lex_token_len (self->format, p, end);
        if (s_timestamp (self, p, tl, ln) != 0)
            return -1;
        if (scrape_lex_skip_blanks (self->format, p + tl, end) != end) {
            scrape_parse_error (self, SCRAPE_RULE_LINE_SYNTAX, p + tl,
                                "unexpected text after the timestamp");
            return -1;
        }
        return 0;
    }
    self->at[SCRAPE_AT_TIMESTAMP] = p; /* where a missing one would be */
    if (p + 1 < end && p[0] == ' ' && p[1] != '#') {
        p++;
        self->at[SCRAPE_AT_TIMESTAMP] = p;
        tl = scrape_lex_token_len (self->format, p, end);
        if (s_timestamp (self, p, tl, ln) != 0)
            return -1;
        p += tl;
    }
    if (p == end)
        return 0;
    /* an exemplar: " # {labels} value [timestamp]" */
    self->at[SCRAPE_AT_EXEMPLAR] = p + 1;
    if (end - p < 3 || memcmp (p, " # ", 3) != 0) {
        scrape_parse_error (self, SCRAPE_RULE_LINE_SYNTAX, p, "unexpected text after the %s",
                            ln->has_ts ? "timestamp" : "value");
        return -1;
    }
    p += 3;
    if (p == end || *p != '{') {
        scrape_parse_error (self, SCRAPE_RULE_EXEMPLAR, p,
                            "exemplar: expected its labels in braces");
        return -1;
    }
    if (s_labels (self, &p, end, 0, &ln->exemplar_chars) != 0)
        return -1;
    size_t vl = p < end ? scrape_lex_token_len (self->format, p + 1, end) : 0;
    if (p == end || *p != ' ' || scrape_lex_number (p + 1, vl, 1, &ln->exemplar_value) != 0) {
        scrape_parse_error (self, SCRAPE_RULE_EXEMPLAR, p,
                            "exemplar: expected a value after the labels");
        return -1;
    }
    p += 1 + vl;
    int64_t ets;
    if (p < end && (*p != ' ' || scrape_lex_timestamp (self->format, p + 1, (size_t)(end - p - 1),
                                                       &ets, NULL) != 0)) {
        scrape_parse_error (self, SCRAPE_RULE_EXEMPLAR, p, "exemplar: invalid timestamp");
        return -1;
    }
    ln->has_exemplar = 1;
    return 0;
}
