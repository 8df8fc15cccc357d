/*  scrape_lex.h - the tokens of the Prometheus 0.0.4 and OpenMetrics 1.0
 *  text formats: blanks, names, numbers, timestamps, type names and quoted
 *  label values.
 *
 *  Everything here works on a span [p, end) of one line, not NUL-terminated,
 *  and keeps no state; the exposition parser (scrape_parse.c) puts the
 *  tokens together and reports what is wrong with a line. What runs per
 *  character is inline: the parser calls it for every token.
 */
#ifndef SCRAPE_LEX_H
#define SCRAPE_LEX_H

#include "scrape_parse.h"

#include <stddef.h>
#include <stdint.h>

/* Blanks between tokens: 0.0.4 takes spaces and tabs, OpenMetrics one space. */
static inline int
scrape_lex_is_blank (scrape_format_t format, char c)
{
    return c == ' ' || (c == '\t' && format == SCRAPE_FORMAT_PROMETHEUS);
}

/* Past the blanks at p (0.0.4); OpenMetrics has no runs of blanks to skip. */
static inline const char *
scrape_lex_skip_blanks (scrape_format_t format, const char *p, const char *end)
{
    if (format == SCRAPE_FORMAT_PROMETHEUS)
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
    return p;
}

static inline int
scrape_lex_is_alpha (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int
scrape_lex_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

/* A character of a metric name or a unit: [a-zA-Z0-9_:]. */
static inline int
scrape_lex_is_name_char (char c)
{
    return scrape_lex_is_alpha (c) || scrape_lex_is_digit (c) || c == '_' || c == ':';
}

/* The length of the metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) at p, or of the
 * label name ([a-zA-Z_][a-zA-Z0-9_]*) when label is set; 0 for none. */
static inline size_t
scrape_lex_name_len (const char *p, const char *end, int label)
{
    const char *q = p;
    while (q < end && (scrape_lex_is_alpha (*q) || *q == '_' || (!label && *q == ':') ||
                       (q > p && scrape_lex_is_digit (*q))))
        q++;
    return (size_t)(q - p);
}

/* The length of the token at p: up to the next blank or the end of the line. */
static inline size_t
scrape_lex_token_len (scrape_format_t format, const char *p, const char *end)
{
    const char *q = p;
    while (q < end && !scrape_lex_is_blank (format, *q))
        q++;
    return (size_t)(q - p);
}

/* Parses s[0..n) as a number: [sign] digits [. digits] [e [sign] digits] (or
 * . digits for the first digits) and, when allow_special is set, [sign] Inf,
 * Infinity or NaN in any case, as Prometheus and the OpenMetrics ABNF read
 * them. Returns 0 and sets *out, or -1 (also for a value out of range). */
int scrape_lex_number (const char *s, size_t n, int allow_special, double *out);
/* Parses s[0..n) as a sample's or an exemplar's timestamp. 0.0.4 writes
 * integer milliseconds (an int64); OpenMetrics seconds as any real number a
 * double holds, however far from now. *ms gets milliseconds (OpenMetrics:
 * rounded; saturated to INT64_MIN/MAX beyond what int64 holds) and *exact
 * the value as written, in the format's unit, for comparing timestamps
 * finer than a millisecond (may be NULL). Returns 0, or -1. */
int scrape_lex_timestamp (scrape_format_t format, const char *s, size_t n, int64_t *ms,
                          double *exact);

/* Parses s[0..n) as the type of a TYPE line: counter, gauge, histogram,
 * summary and untyped in 0.0.4; OpenMetrics adds gaugehistogram, stateset
 * and info and says unknown for untyped. Returns 0, or -1. */
int scrape_lex_type (scrape_format_t format, const char *s, size_t n, scrape_type_t *type);

/* The closing quote of the label value that starts at p (just past its
 * opening quote), escaped characters skipped; NULL when the line ends first. */
const char *scrape_lex_value_end (const char *p, const char *end);

typedef enum {
    SCRAPE_LEX_OK = 0,
    SCRAPE_LEX_ESCAPE, /* 0.0.4: an escape other than \\, \" and \n */
    SCRAPE_LEX_UTF8,   /* the value is not valid UTF-8 */
} scrape_lex_status_t;

/* Room scrape_lex_unescape needs for a value of n bytes: a NUL byte becomes
 * three. */
#define SCRAPE_LEX_UNESCAPED_MAX(n) (3 * (n) + 1)

/* Unescapes the label value s[0..n) (between its quotes, as
 * scrape_lex_value_end found them) into out, which has room for
 * SCRAPE_LEX_UNESCAPED_MAX (n) bytes. \\, \" and \n are unescaped;
 * OpenMetrics keeps any other escaped character as written, 0.0.4 refuses it
 * (*bad gets the character after the backslash). A NUL byte is valid in both
 * formats but no C string, wire string or PostgreSQL text can hold one: it
 * becomes U+FFFD and *nuls counts it. out is NUL-terminated and *outlen set
 * when the value is good. The first problem found is returned. */
scrape_lex_status_t scrape_lex_unescape (scrape_format_t format, const char *s, size_t n, char *out,
                                         size_t *outlen, char *bad, size_t *nuls);

/* The characters (code points) of the valid UTF-8 string s[0..n). */
size_t scrape_lex_chars (const char *s, size_t n);

/* Text from the exposition, safe to put in a message: at most 32 bytes of s,
 * "..." after a cut, anything not printable ASCII shown as '?'. Returns dst. */
const char *scrape_lex_show (char *dst, size_t cap, const char *s, size_t n);

#endif
