/*  scrape_meta.c - TYPE, HELP and UNIT lines, and # EOF.
 *
 *  0.0.4 reads "# HELP" and "# TYPE" with any blanks and takes every other
 *  comment as a comment; OpenMetrics has single spaces, UNIT, empty HELP and
 *  UNIT texts (as good as none), and no other comments. Metadata comes at
 *  most once per family and before its samples (0.0.4: TYPE before them).
 */
#include "scrape_lex.h"
#include "scrape_parse_int.h"
#include "vg_utf8.h"

#include <stdio.h>
#include <string.h>

typedef enum { S_META_TYPE, S_META_HELP, S_META_UNIT } scrape_meta_t;
static const char *const s_meta_names[] = {"TYPE", "HELP", "UNIT"};

static void
s_meta (scrape_parse_t *self, scrape_meta_t kind, const char *name, size_t n, scrape_type_t type,
        int unit_set)
{
    const char *what = s_meta_names[kind];
    char shown[48];
    int om = self->format == SCRAPE_FORMAT_OPENMETRICS;
    size_t idx = scrape_families_find (&self->fams, name, n);
    if (om && idx != SCRAPE_NONE && idx != self->cur) {
        scrape_parse_interleaved (self, idx, name, what);
        return;
    }
    if (idx == SCRAPE_NONE) {
        scrape_parse_family_end (self);
        if (self->stop)
            return;
        idx = scrape_families_add (&self->fams, name, n, self->line);
    }
    self->cur = idx;
    scrape_family_t *f = scrape_families_at (&self->fams, idx);
    unsigned seen = kind == S_META_TYPE   ? f->has_type
                    : kind == S_META_HELP ? f->has_help
                                          : f->has_unit;
    if (seen) {
        scrape_parse_error (self, SCRAPE_RULE_METADATA_REPEATED, name, "second %s line for \"%s\"",
                            what, scrape_lex_show (shown, sizeof shown, name, n));
        return;
    }
    if (f->has_samples && (om || kind == S_META_TYPE)) {
        scrape_parse_error (self, SCRAPE_RULE_METADATA_AFTER_SAMPLES, name,
                            "%s line for \"%s\" after its samples", what,
                            scrape_lex_show (shown, sizeof shown, name, n));
        return;
    }
    if (kind == S_META_TYPE) {
        f->has_type = 1;
        f->type = type;
        if (!om)
            scrape_families_mark_created (&self->fams, idx);
    } else if (kind == S_META_HELP)
        f->has_help = 1;
    else {
        f->has_unit = 1;
        f->unit_set = (unsigned)unit_set;
    }
}

/* HELP text: UTF-8, and in 0.0.4 the escapes \\ and \n alone ("the backslash
 * and the line feed characters have to be escaped as \\ and \n"). */
static int
s_help_text (scrape_parse_t *self, const char *p, const char *end)
{
    size_t n = (size_t)(end - p), bad = vg_utf8_check (p, n);
    if (bad != n) {
        scrape_parse_error (self, SCRAPE_RULE_UTF8, p + bad, "HELP: the text is not valid UTF-8");
        return -1;
    }
    if (self->format == SCRAPE_FORMAT_OPENMETRICS)
        return 0; /* BS normal-char is fine */
    for (const char *q = p; q < end; q++) {
        if (*q != '\\')
            continue;
        if (q + 1 == end || (q[1] != '\\' && q[1] != 'n')) {
            char esc[8];
            scrape_parse_error (self, SCRAPE_RULE_ESCAPE, q, "HELP: invalid escape \\%s",
                                q + 1 == end ? "" : scrape_lex_show (esc, sizeof esc, q + 1, 1));
            return -1;
        }
        q++;
    }
    return 0;
}

/* "# HELP name text", "# TYPE name type", other comments: 0.0.4. */
void
scrape_meta_prometheus (scrape_parse_t *self, const char *p, const char *end)
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
        scrape_parse_error (self, SCRAPE_RULE_METADATA_SYNTAX, p, "%s: expected a metric name",
                            what);
        return;
    }
    const char *name = p;
    p = scrape_lex_skip_blanks (self->format, p + nl, end);
    if (is_help) {
        if (s_help_text (self, p, end) == 0)
            s_meta (self, S_META_HELP, name, nl, SCRAPE_TYPE_UNTYPED, 0);
        return;
    }
    tl = scrape_lex_token_len (self->format, p, end);
    char shown[48];
    scrape_type_t type;
    if (tl == 0) {
        scrape_parse_error (self, SCRAPE_RULE_METADATA_SYNTAX, p,
                            "TYPE: expected a type after the metric name");
        return;
    }
    if (scrape_lex_type (self->format, p, tl, &type) != 0) {
        scrape_parse_error (
            self, SCRAPE_RULE_TYPE_UNKNOWN, p,
            "TYPE: unknown type \"%s\" (expected counter, gauge, histogram, summary or "
            "untyped)",
            scrape_lex_show (shown, sizeof shown, p, tl));
        return;
    }
    if (scrape_lex_skip_blanks (self->format, p + tl, end) != end) {
        scrape_parse_error (self, SCRAPE_RULE_METADATA_SYNTAX, p + tl,
                            "TYPE: unexpected text after the type");
        return;
    }
    s_meta (self, S_META_TYPE, name, nl, type, 0);
}

/* "# TYPE name type", "# HELP name text", "# UNIT name unit", "# EOF". */
void
scrape_meta_openmetrics (scrape_parse_t *self, const char *p, const char *end)
{
    size_t len = (size_t)(end - p);
    if (len == 5 && memcmp (p, "# EOF", 5) == 0) {
        self->res->eof = 1;
        return;
    }
    scrape_meta_t kind;
    if (len >= 7 && memcmp (p, "# TYPE ", 7) == 0)
        kind = S_META_TYPE;
    else if (len >= 7 && memcmp (p, "# HELP ", 7) == 0)
        kind = S_META_HELP;
    else if (len >= 7 && memcmp (p, "# UNIT ", 7) == 0)
        kind = S_META_UNIT;
    else {
        scrape_parse_error (
            self, SCRAPE_RULE_COMMENT, p,
            "expected # TYPE, # HELP, # UNIT or # EOF: OpenMetrics has no other comments");
        return;
    }
    const char *what = s_meta_names[kind];
    p += 7;
    size_t nl = scrape_lex_name_len (p, end, 0);
    const char *name = p;
    p += nl;
    if (nl == 0 || p == end || *p != ' ') { /* a space ends the name, even before "" */
        scrape_parse_error (self, SCRAPE_RULE_METADATA_SYNTAX, p,
                            "%s: expected a metric name and a space", what);
        return;
    }
    if (scrape_line_reserved (self, name, nl, "metric name") != 0)
        return;
    p++;
    char shown[48], shown2[48];
    scrape_type_t type = SCRAPE_TYPE_UNTYPED;
    size_t rest = (size_t)(end - p);
    if (kind == S_META_TYPE && scrape_lex_type (self->format, p, rest, &type) != 0) {
        scrape_parse_error (self, SCRAPE_RULE_TYPE_UNKNOWN, p,
                            "TYPE: unknown type \"%s\" (expected counter, gauge, histogram, "
                            "gaugehistogram, summary, stateset, info or unknown)",
                            scrape_lex_show (shown, sizeof shown, p, rest));
        return;
    }
    if (kind == S_META_HELP && s_help_text (self, p, end) != 0)
        return;
    if (kind == S_META_UNIT) {
        size_t ok = 0;
        while (ok < rest && scrape_lex_is_name_char (p[ok]))
            ok++;
        if (ok != rest) {
            scrape_parse_error (self, SCRAPE_RULE_METADATA_SYNTAX, p + ok,
                                "UNIT: \"%s\" is not a unit ([a-zA-Z0-9_:]*)",
                                scrape_lex_show (shown, sizeof shown, p, rest));
            return;
        }
        if (rest > 0 && (nl < rest + 1 || name[nl - rest - 1] != '_' ||
                         memcmp (name + nl - rest, p, rest) != 0)) {
            scrape_parse_error (self, SCRAPE_RULE_UNIT, p,
                                "UNIT: the name \"%s\" does not end in _%s",
                                scrape_lex_show (shown, sizeof shown, name, nl),
                                scrape_lex_show (shown2, sizeof shown2, p, rest));
            return;
        }
    }
    s_meta (self, kind, name, nl, type, rest > 0);
}
