/*  rules_lex.c - PromQL's lexer, after Prometheus's promql/parser/lex.go. */
#include "rules_lex.h"
#include "vg_alloc.h"
#include "vg_utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *word;
    rules_tok_type_t type;
} s_keywords[] = {
    {"and", RULES_TOK_LAND},
    {"or", RULES_TOK_LOR},
    {"unless", RULES_TOK_LUNLESS},
    {"atan2", RULES_TOK_ATAN2},
    {"bool", RULES_TOK_BOOL},
    {"by", RULES_TOK_BY},
    {"without", RULES_TOK_WITHOUT},
    {"on", RULES_TOK_ON},
    {"ignoring", RULES_TOK_IGNORING},
    {"group_left", RULES_TOK_GROUP_LEFT},
    {"group_right", RULES_TOK_GROUP_RIGHT},
    {"offset", RULES_TOK_OFFSET},
    {"start", RULES_TOK_START},
    {"end", RULES_TOK_END},
    {"sum", RULES_TOK_SUM},
    {"avg", RULES_TOK_AVG},
    {"count", RULES_TOK_COUNT},
    {"min", RULES_TOK_MIN},
    {"max", RULES_TOK_MAX},
    {"group", RULES_TOK_GROUP},
    {"stddev", RULES_TOK_STDDEV},
    {"stdvar", RULES_TOK_STDVAR},
    {"topk", RULES_TOK_TOPK},
    {"bottomk", RULES_TOK_BOTTOMK},
    {"quantile", RULES_TOK_QUANTILE},
    {"count_values", RULES_TOK_COUNT_VALUES},
    {"limitk", RULES_TOK_LIMITK},
    {"limit_ratio", RULES_TOK_LIMIT_RATIO},
};

#define S_NKEYWORDS (sizeof s_keywords / sizeof s_keywords[0])

void
rules_lex_init (rules_lex_t *self, const char *src, size_t len)
{
    memset (self, 0, sizeof *self);
    self->src = src;
    self->len = len;
}

void
rules_lex_fini (rules_lex_t *self)
{
    free (self->buf);
    self->buf = NULL;
}

int
rules_lex_is_binop (rules_tok_type_t t)
{
    return t >= RULES_TOK_ADD && t <= RULES_TOK_LUNLESS;
}

int
rules_lex_is_aggregator (rules_tok_type_t t)
{
    return t >= RULES_TOK_SUM && t <= RULES_TOK_LIMIT_RATIO;
}

int
rules_lex_is_keyword (rules_tok_type_t t)
{
    return t == RULES_TOK_ATAN2 || (t >= RULES_TOK_LAND && t <= RULES_TOK_LUNLESS) ||
           (t >= RULES_TOK_BOOL && t <= RULES_TOK_LIMIT_RATIO);
}

const char *
rules_lex_op_text (rules_tok_type_t t)
{
    static const char *const ops[] = {"+",  "-", "*",  "/", "%",  "^",   "atan2", "==",
                                      "!=", "<", "<=", ">", ">=", "and", "or",    "unless"};
    if (t >= RULES_TOK_ADD && t <= RULES_TOK_LUNLESS)
        return ops[t - RULES_TOK_ADD];
    for (size_t i = 0; i < S_NKEYWORDS; i++)
        if (s_keywords[i].type == t)
            return s_keywords[i].word;
    return "?";
}

const char *
rules_lex_describe (rules_tok_type_t t)
{
    switch (t) {
    case RULES_TOK_EOF:
        return "end of input";
    case RULES_TOK_ERROR:
        return "error";
    case RULES_TOK_IDENT:
    case RULES_TOK_METRIC:
        return "identifier";
    case RULES_TOK_NUMBER:
        return "number";
    case RULES_TOK_DURATION:
        return "duration";
    case RULES_TOK_STRING:
        return "string";
    case RULES_TOK_LPAREN:
        return "\"(\"";
    case RULES_TOK_RPAREN:
        return "\")\"";
    case RULES_TOK_LBRACE:
        return "\"{\"";
    case RULES_TOK_RBRACE:
        return "\"}\"";
    case RULES_TOK_LBRACKET:
        return "\"[\"";
    case RULES_TOK_RBRACKET:
        return "\"]\"";
    case RULES_TOK_COMMA:
        return "\",\"";
    case RULES_TOK_COLON:
        return "\":\"";
    case RULES_TOK_AT:
        return "\"@\"";
    case RULES_TOK_ASSIGN:
        return "\"=\"";
    case RULES_TOK_ADD:
        return "\"+\"";
    case RULES_TOK_SUB:
        return "\"-\"";
    case RULES_TOK_MUL:
        return "\"*\"";
    case RULES_TOK_DIV:
        return "\"/\"";
    case RULES_TOK_MOD:
        return "\"%\"";
    case RULES_TOK_POW:
        return "\"^\"";
    case RULES_TOK_EQLC:
        return "\"==\"";
    case RULES_TOK_NEQ:
        return "\"!=\"";
    case RULES_TOK_LSS:
        return "\"<\"";
    case RULES_TOK_LTE:
        return "\"<=\"";
    case RULES_TOK_GTR:
        return "\">\"";
    case RULES_TOK_GTE:
        return "\">=\"";
    case RULES_TOK_EQL_REGEX:
        return "\"=~\"";
    case RULES_TOK_NEQ_REGEX:
        return "\"!~\"";
    default:
        for (size_t i = 0; i < S_NKEYWORDS; i++)
            if (s_keywords[i].type == t)
                return s_keywords[i].word;
        return "token";
    }
}

static int
s_is_alpha (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

static int
s_is_alnum (char c)
{
    return s_is_alpha (c) || s_is_digit (c);
}

static int
s_peek (const rules_lex_t *self, size_t ahead)
{
    size_t p = self->pos + ahead;
    return p < self->len ? (unsigned char)self->src[p] : -1;
}

static void
s_text (rules_lex_t *self, const char *s, size_t n)
{
    if (self->bufcap < n + 1) {
        self->bufcap = n + 64;
        self->buf = vg_realloc (self->buf, self->bufcap);
    }
    memcpy (self->buf, s, n);
    self->buf[n] = '\0';
}

static rules_tok_t s_error (rules_lex_t *self, size_t pos, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static rules_tok_t
s_error (rules_lex_t *self, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (self->err, sizeof self->err, fmt, ap);
    va_end (ap);
    rules_tok_t t = {.type = RULES_TOK_ERROR, .pos = (uint32_t)pos, .len = 1};
    t.text = self->err;
    self->pos = self->len; /* nothing after an error */
    return t;
}

/* Duration units, longest first, as PromQL and Prometheus's model parse
 * and print them. */
static const struct {
    const char *unit;
    int64_t ms;
} s_units[] = {
    {"y", 365LL * 86400000},
    {"w", 7LL * 86400000},
    {"d", 86400000},
    {"h", 3600000},
    {"m", 60000},
    {"s", 1000},
    {"ms", 1},
};

#define S_NUNITS (sizeof s_units / sizeof s_units[0])

void
rules_lex_format_duration (int64_t ms, vg_buf_t *out)
{
    if (ms == 0) {
        vg_buf_puts (out, "0s");
        return;
    }
    if (ms < 0) {
        vg_buf_append (out, "-", 1);
        ms = -ms;
    }
    for (size_t i = 0; i < S_NUNITS; i++) {
        if (ms >= s_units[i].ms) {
            vg_buf_printf (out, "%lld%s", (long long)(ms / s_units[i].ms), s_units[i].unit);
            ms %= s_units[i].ms;
        }
    }
}

int
rules_lex_duration (const char *s, size_t len, int64_t *ms)
{
    size_t i = 0, last = 0; /* last: index of the next allowed unit */
    int64_t total = 0;
    if (len == 0)
        return -1;
    if (len == 1 && s[0] == '0') {
        *ms = 0;
        return 0;
    }
    while (i < len) {
        if (!s_is_digit (s[i]))
            return -1;
        int64_t n = 0;
        while (i < len && s_is_digit (s[i])) {
            if (n > INT64_MAX / 10 - 10)
                return -1;
            n = n * 10 + (s[i] - '0');
            i++;
        }
        size_t u = i;
        while (i < len && !s_is_digit (s[i]))
            i++;
        size_t k;
        for (k = last; k < S_NUNITS; k++)
            if (strlen (s_units[k].unit) == i - u && memcmp (s_units[k].unit, s + u, i - u) == 0)
                break;
        if (k == S_NUNITS)
            return -1;
        if (n > INT64_MAX / s_units[k].ms || total > INT64_MAX - n * s_units[k].ms)
            return -1;
        total += n * s_units[k].ms;
        last = k + 1;
    }
    *ms = total;
    return 0;
}

/* Scans a number the way Prometheus's scanNumber does; returns its end, or
 * 0 if what is there is not a well-formed number. */
static size_t
s_scan_number (const rules_lex_t *self, size_t p)
{
    const char *s = self->src;
    size_t n = self->len, start = p;
    int hex = 0;
    if (p + 1 < n && s[p] == '0' && (s[p + 1] == 'x' || s[p + 1] == 'X')) {
        p += 2;
        hex = 1;
        if (p < n && s[p] == '_')
            p++;
    }
#define S_DIGIT(c)                                                                                 \
    (hex ? ((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F')  \
         : s_is_digit (c))
    int dot = 0, exp = 0;
    if (p < n && s[p] == '.') {
        dot = 1;
        p++;
    }
    while (p < n) {
        char c = s[p];
        if (S_DIGIT (c)) {
            p++;
        } else if (c == '.' && !hex) {
            if (dot || exp)
                return 0;
            dot = 1;
            p++;
            if (p < n && (s[p] == '_' || s[p] == '.'))
                return 0;
        } else if ((c == 'e' || c == 'E') && !hex) {
            if (exp)
                return 0;
            exp = 1;
            p++;
            if (p < n && (s[p] == '+' || s[p] == '-'))
                p++;
            if (p >= n || !s_is_digit (s[p]))
                return 0;
        } else if (c == '_') {
            p++;
            if (p >= n || !S_DIGIT (s[p]))
                return 0;
        } else
            break;
    }
#undef S_DIGIT
    if (p == start || (p == start + 1 && s[start] == '.'))
        return 0;
    return p;
}

/* The value of the number text (underscores removed). */
static double
s_number_value (const char *s, size_t n)
{
    char tmp[128];
    size_t m = 0;
    for (size_t i = 0; i < n && m + 1 < sizeof tmp; i++)
        if (s[i] != '_')
            tmp[m++] = s[i];
    tmp[m] = '\0';
    if (m > 2 && tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X'))
        return (double)strtoull (tmp, NULL, 16);
    return strtod (tmp, NULL);
}

static int
s_hexval (int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A quoted string with Go's escapes, or a raw one in backquotes. */
static rules_tok_t
s_string (rules_lex_t *self)
{
    size_t start = self->pos;
    char quote = self->src[start];
    size_t p = start + 1;
    /* Decoded text is never longer than the source. */
    char *out = vg_malloc (self->len - start + 1);
    size_t o = 0;
    for (;;) {
        if (p >= self->len) {
            free (out);
            return s_error (self, start, "unterminated quoted string");
        }
        char c = self->src[p];
        if (c == quote) {
            p++;
            break;
        }
        if (quote != '`' && (c == '\n' || c == '\r')) {
            free (out);
            return s_error (self, start, "unterminated quoted string");
        }
        if (quote == '`' || c != '\\') {
            out[o++] = c;
            p++;
            continue;
        }
        /* An escape. */
        p++;
        if (p >= self->len) {
            free (out);
            return s_error (self, start, "unterminated quoted string");
        }
        char e = self->src[p++];
        const char *simple = strchr ("abfnrtv\\", e);
        if (e && simple) {
            out[o++] = "\a\b\f\n\r\t\v\\"[simple - "abfnrtv\\"];
        } else if (e == quote) {
            out[o++] = e;
        } else if (e == 'x' || e == 'u' || e == 'U') {
            int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            uint32_t cp = 0;
            for (int k = 0; k < digits; k++) {
                int v = p < self->len ? s_hexval ((unsigned char)self->src[p]) : -1;
                if (v < 0) {
                    free (out);
                    return s_error (self, p, "invalid escape sequence in string");
                }
                cp = cp * 16 + (uint32_t)v;
                p++;
            }
            if (e == 'x')
                out[o++] = (char)cp;
            else if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
                free (out);
                return s_error (self, p, "escape sequence is an invalid Unicode code point");
            } else
                o += vg_utf8_encode (cp, out + o);
        } else if (e >= '0' && e <= '7') {
            uint32_t v = (uint32_t)(e - '0');
            for (int k = 0; k < 2; k++) {
                if (p >= self->len || self->src[p] < '0' || self->src[p] > '7') {
                    free (out);
                    return s_error (self, p, "invalid escape sequence in string");
                }
                v = v * 8 + (uint32_t)(self->src[p++] - '0');
            }
            if (v > 255) {
                free (out);
                return s_error (self, p, "octal escape value > 255");
            }
            out[o++] = (char)v;
        } else {
            free (out);
            return s_error (self, p - 2, "unknown escape sequence '\\%c'", e ? e : '0');
        }
    }
    s_text (self, out, o);
    free (out);
    rules_tok_t t = {
        .type = RULES_TOK_STRING, .pos = (uint32_t)start, .len = (uint32_t)(p - start)};
    t.text = self->buf;
    self->pos = p;
    return t;
}

static rules_tok_t
s_tok (rules_lex_t *self, rules_tok_type_t type, size_t n)
{
    rules_tok_t t = {.type = type, .pos = (uint32_t)self->pos, .len = (uint32_t)n};
    self->pos += n;
    return t;
}

rules_tok_t
rules_lex_next (rules_lex_t *self)
{
    for (;;) {
        int c = s_peek (self, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            self->pos++;
        } else if (c == '#') {
            while (self->pos < self->len && self->src[self->pos] != '\n')
                self->pos++;
        } else
            break;
    }
    if (self->pos >= self->len)
        return (rules_tok_t){.type = RULES_TOK_EOF, .pos = (uint32_t)self->len};
    if (self->len > UINT32_MAX)
        return s_error (self, 0, "expression too long");
    char c = self->src[self->pos];
    int next = s_peek (self, 1);
    switch (c) {
    case '(':
        return s_tok (self, RULES_TOK_LPAREN, 1);
    case ')':
        return s_tok (self, RULES_TOK_RPAREN, 1);
    case '{':
        self->brace_depth++;
        return s_tok (self, RULES_TOK_LBRACE, 1);
    case '}':
        if (self->brace_depth > 0)
            self->brace_depth--;
        return s_tok (self, RULES_TOK_RBRACE, 1);
    case '[':
        self->bracket_depth++;
        return s_tok (self, RULES_TOK_LBRACKET, 1);
    case ']':
        if (self->bracket_depth > 0)
            self->bracket_depth--;
        return s_tok (self, RULES_TOK_RBRACKET, 1);
    case ',':
        return s_tok (self, RULES_TOK_COMMA, 1);
    case '@':
        return s_tok (self, RULES_TOK_AT, 1);
    case '+':
        return s_tok (self, RULES_TOK_ADD, 1);
    case '-':
        return s_tok (self, RULES_TOK_SUB, 1);
    case '*':
        return s_tok (self, RULES_TOK_MUL, 1);
    case '/':
        return s_tok (self, RULES_TOK_DIV, 1);
    case '%':
        return s_tok (self, RULES_TOK_MOD, 1);
    case '^':
        return s_tok (self, RULES_TOK_POW, 1);
    case '=':
        if (next == '=')
            return s_tok (self, RULES_TOK_EQLC, 2);
        if (next == '~')
            return s_tok (self, RULES_TOK_EQL_REGEX, 2);
        return s_tok (self, RULES_TOK_ASSIGN, 1);
    case '!':
        if (next == '=')
            return s_tok (self, RULES_TOK_NEQ, 2);
        if (next == '~')
            return s_tok (self, RULES_TOK_NEQ_REGEX, 2);
        return s_error (self, self->pos, "unexpected character after '!': %s",
                        next < 0 ? "end of input" : "not = or ~");
    case '<':
        return next == '=' ? s_tok (self, RULES_TOK_LTE, 2) : s_tok (self, RULES_TOK_LSS, 1);
    case '>':
        return next == '=' ? s_tok (self, RULES_TOK_GTE, 2) : s_tok (self, RULES_TOK_GTR, 1);
    case '"':
    case '\'':
    case '`':
        return s_string (self);
    default:
        break;
    }
    if (c == ':' && (self->bracket_depth > 0 || !(s_is_alnum ((char)next) || next == ':')))
        return s_tok (self, RULES_TOK_COLON, 1);

    size_t start = self->pos;
    if (s_is_digit (c) || (c == '.' && s_is_digit ((char)next))) {
        size_t end = s_scan_number (self, start);
        if (end && (end >= self->len || !s_is_alnum (self->src[end]))) {
            rules_tok_t t = {
                .type = RULES_TOK_NUMBER, .pos = (uint32_t)start, .len = (uint32_t)(end - start)};
            t.num = s_number_value (self->src + start, end - start);
            self->pos = end;
            return t;
        }
        /* A duration: digits and units. */
        size_t p = start;
        while (p < self->len && s_is_alnum (self->src[p]))
            p++;
        int64_t ms;
        if (rules_lex_duration (self->src + start, p - start, &ms) == 0) {
            rules_tok_t t = {
                .type = RULES_TOK_DURATION, .pos = (uint32_t)start, .len = (uint32_t)(p - start)};
            t.ms = ms;
            self->pos = p;
            return t;
        }
        return s_error (self, start, "bad number or duration syntax: \"%.*s\"", (int)(p - start),
                        self->src + start);
    }
    if (s_is_alpha (c) || c == ':') {
        size_t p = start;
        int colon = 0;
        while (p < self->len && (s_is_alnum (self->src[p]) || self->src[p] == ':')) {
            colon |= self->src[p] == ':';
            p++;
        }
        if (self->brace_depth > 0 && colon)
            p = start + strcspn (self->src + start, ":");
        size_t n = p - start;
        s_text (self, self->src + start, n);
        self->pos = p;
        rules_tok_t t = {.pos = (uint32_t)start, .len = (uint32_t)n};
        t.text = self->buf;
        if (self->brace_depth > 0) {
            t.type = RULES_TOK_IDENT;
            return t;
        }
        if ((n == 3 && strncasecmp (self->buf, "inf", 3) == 0) ||
            (n == 3 && strncasecmp (self->buf, "nan", 3) == 0)) {
            t.type = RULES_TOK_NUMBER;
            t.num = tolower ((unsigned char)self->buf[0]) == 'i' ? INFINITY : NAN;
            return t;
        }
        for (size_t i = 0; i < S_NKEYWORDS; i++)
            if (strlen (s_keywords[i].word) == n &&
                strncasecmp (self->buf, s_keywords[i].word, n) == 0) {
                t.type = s_keywords[i].type;
                return t;
            }
        t.type = colon ? RULES_TOK_METRIC : RULES_TOK_IDENT;
        return t;
    }
    if ((unsigned char)c >= 0x80)
        return s_error (self, start, "unexpected character: non-ASCII byte 0x%02x outside a string",
                        (unsigned char)c);
    return s_error (self, start, "unexpected character: '%c'", c);
}
