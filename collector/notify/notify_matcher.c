/*  notify_matcher.c - Alertmanager's label matchers: parse, match, print. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "notify_matcher.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_utf8.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_ops[] = {"=", "!=", "=~", "!~"};

const char *
notify_matcher_label (const vg_label_t *labels, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (labels[i].key, name) == 0)
            return labels[i].value ? labels[i].value : "";
    return "";
}

/* ---- Go's strconv.Quote -------------------------------------------------- */

/* unicode.IsPrint for the code points labels carry: letters, marks, numbers,
 * punctuation and symbols print; controls, spaces other than U+0020, format
 * characters, separators and private use do not. */
static int
s_go_printable (uint32_t cp)
{
    if (cp < 0xa0)
        return cp >= 0x20 && cp < 0x7f;
    if (cp == 0xa0 || cp == 0xad || cp == 0x1680 || cp == 0x180e)
        return 0;
    if ((cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
        (cp >= 0x205f && cp <= 0x206f) || cp == 0x3000 || cp == 0xfeff)
        return 0;
    if ((cp >= 0xe000 && cp <= 0xf8ff) || (cp >= 0xfff9 && cp <= 0xfffb) || cp >= 0xf0000)
        return 0;
    return 1;
}

static uint32_t
s_decode (const unsigned char *p, size_t n)
{
    if (n == 2)
        return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
    if (n == 3)
        return (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
    return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
           (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
}

void
notify_matcher_go_quote (vg_buf_t *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen (s);
    vg_buf_append (out, "\"", 1);
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            switch (c) {
            case '"':
                vg_buf_puts (out, "\\\"");
                continue;
            case '\\':
                vg_buf_puts (out, "\\\\");
                continue;
            case '\a':
                vg_buf_puts (out, "\\a");
                continue;
            case '\b':
                vg_buf_puts (out, "\\b");
                continue;
            case '\f':
                vg_buf_puts (out, "\\f");
                continue;
            case '\n':
                vg_buf_puts (out, "\\n");
                continue;
            case '\r':
                vg_buf_puts (out, "\\r");
                continue;
            case '\t':
                vg_buf_puts (out, "\\t");
                continue;
            case '\v':
                vg_buf_puts (out, "\\v");
                continue;
            default:
                if (c < 0x20 || c == 0x7f)
                    vg_buf_printf (out, "\\x%02x", c);
                else
                    vg_buf_append (out, &c, 1);
                continue;
            }
        }
        size_t n = vg_utf8_seq (p + i, len - i);
        if (n == 0) {
            vg_buf_printf (out, "\\x%02x", c);
            i++;
            continue;
        }
        uint32_t cp = s_decode (p + i, n);
        if (s_go_printable (cp))
            vg_buf_append (out, p + i, n);
        else if (cp < 0x10000)
            vg_buf_printf (out, "\\u%04x", cp);
        else
            vg_buf_printf (out, "\\U%08x", cp);
        i += n;
    }
    vg_buf_append (out, "\"", 1);
}

/* ---- parsing ------------------------------------------------------------- */

typedef struct {
    const char *text;
    size_t pos;
    char *err;
    size_t errlen;
} s_lex_t;

static int
s_fail (s_lex_t *lx, const char *what)
{
    snprintf (lx->err, lx->errlen, "at column %zu of '%s': %s", lx->pos + 1, lx->text, what);
    return VG_EINVAL;
}

static void
s_space (s_lex_t *lx)
{
    while (lx->text[lx->pos] == ' ' || lx->text[lx->pos] == '\t' || lx->text[lx->pos] == '\n' ||
           lx->text[lx->pos] == '\r')
        lx->pos++;
}

static int
s_name_char (char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* A double-quoted Go string; *out owned by the caller. */
static int
s_quoted (s_lex_t *lx, char **out)
{
    vg_buf_t b = {0};
    lx->pos++; /* the opening quote */
    for (;;) {
        char c = lx->text[lx->pos];
        if (c == '\0') {
            vg_buf_free (&b);
            return s_fail (lx, "unterminated quoted value: add the closing \"");
        }
        lx->pos++;
        if (c == '"')
            break;
        if (c != '\\') {
            vg_buf_append (&b, &c, 1);
            continue;
        }
        char e = lx->text[lx->pos++];
        const char *rep = NULL;
        switch (e) {
        case '"':
            rep = "\"";
            break;
        case '\\':
            rep = "\\";
            break;
        case 'n':
            rep = "\n";
            break;
        case 't':
            rep = "\t";
            break;
        case 'r':
            rep = "\r";
            break;
        default:
            lx->pos--;
            vg_buf_free (&b);
            return s_fail (lx, "unknown escape: only \\\", \\\\, \\n, \\t and \\r");
        }
        vg_buf_puts (&b, rep);
    }
    vg_buf_append (&b, "", 1);
    *out = b.data;
    return VG_OK;
}

static int
s_bare_char (char c)
{
    return c && !strchr (" \t\r\n{}!=~,\\\"'`", c);
}

static int
s_compile (s_lex_t *lx, notify_matcher_t *m)
{
    char *anchored = vg_asprintf ("^(?:%s)$", m->value);
    int code;
    PCRE2_SIZE off;
    pcre2_code *re =
        pcre2_compile ((PCRE2_SPTR)anchored, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
    free (anchored);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message (code, msg, sizeof msg);
        char what[512];
        snprintf (what, sizeof what, "bad regular expression \"%s\": %s", m->value,
                  (const char *)msg);
        return s_fail (lx, what);
    }
    m->re = re;
    return VG_OK;
}

static void
s_matcher_free (notify_matcher_t *m)
{
    free (m->name);
    free (m->value);
    if (m->re)
        pcre2_code_free (m->re);
    memset (m, 0, sizeof *m);
}

static int
s_one (s_lex_t *lx, notify_matcher_t *m)
{
    s_space (lx);
    size_t start = lx->pos;
    if (!s_name_char (lx->text[lx->pos], 1))
        return s_fail (lx, "expected a label name");
    while (s_name_char (lx->text[lx->pos], 0))
        lx->pos++;
    m->name = vg_strndup (lx->text + start, lx->pos - start);
    s_space (lx);
    const char *p = lx->text + lx->pos;
    if (p[0] == '=' && p[1] == '~')
        m->op = NOTIFY_MATCH_RE;
    else if (p[0] == '!' && p[1] == '~')
        m->op = NOTIFY_MATCH_NRE;
    else if (p[0] == '!' && p[1] == '=')
        m->op = NOTIFY_MATCH_NE;
    else if (p[0] == '=')
        m->op = NOTIFY_MATCH_EQ;
    else
        return s_fail (lx, "expected =, !=, =~ or !~ after the label name");
    lx->pos += strlen (s_ops[m->op]);
    s_space (lx);
    if (lx->text[lx->pos] == '"') {
        if (s_quoted (lx, &m->value) != VG_OK)
            return VG_EINVAL;
    } else {
        start = lx->pos;
        while (s_bare_char (lx->text[lx->pos]))
            lx->pos++;
        m->value = vg_strndup (lx->text + start, lx->pos - start);
    }
    if (vg_utf8_check (m->value, strlen (m->value)) != strlen (m->value))
        return s_fail (lx, "the value is not valid UTF-8");
    if (m->op == NOTIFY_MATCH_RE || m->op == NOTIFY_MATCH_NRE)
        return s_compile (lx, m);
    return VG_OK;
}

int
notify_matchers_parse (notify_matchers_t *self, const char *text, char *err, size_t errlen)
{
    s_lex_t lx = {.text = text, .err = err, .errlen = errlen};
    s_space (&lx);
    int braced = text[lx.pos] == '{';
    if (braced)
        lx.pos++;
    notify_matchers_t got = {0};
    int rc = VG_OK;
    for (;;) {
        s_space (&lx);
        char c = text[lx.pos];
        if ((braced && c == '}') || (!braced && c == '\0'))
            break;
        VG_GROW (got.items, got.cap, got.n + 1);
        notify_matcher_t *m = &got.items[got.n++];
        memset (m, 0, sizeof *m);
        if ((rc = s_one (&lx, m)) != VG_OK)
            goto out;
        s_space (&lx);
        if (text[lx.pos] == ',') {
            lx.pos++;
            continue;
        }
        if ((braced && text[lx.pos] != '}') || (!braced && text[lx.pos] != '\0')) {
            rc = s_fail (&lx, braced ? "expected ',' or '}'" : "expected ',' or the end");
            goto out;
        }
    }
    if (braced) {
        lx.pos++;
        s_space (&lx);
        if (text[lx.pos] != '\0') {
            rc = s_fail (&lx, "unexpected text after '}'");
            goto out;
        }
    }
    if (got.n == 0) {
        rc = s_fail (&lx, "no matcher: write one like severity=\"critical\"");
        goto out;
    }
    notify_matchers_take (self, &got);
out:
    notify_matchers_free (&got);
    return rc;
}

void
notify_matchers_take (notify_matchers_t *self, notify_matchers_t *src)
{
    VG_GROW (self->items, self->cap, self->n + src->n);
    memcpy (self->items + self->n, src->items, src->n * sizeof *src->items);
    self->n += src->n;
    src->n = 0;
}

void
notify_matchers_free (notify_matchers_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        s_matcher_free (&self->items[i]);
    free (self->items);
    memset (self, 0, sizeof *self);
}

/* ---- matching ------------------------------------------------------------ */

static int
s_re_match (void *code, const char *s)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern (code, NULL);
    int rc = pcre2_match (code, (PCRE2_SPTR)s, strlen (s), 0, 0, md, NULL);
    pcre2_match_data_free (md);
    return rc >= 0;
}

int
notify_matchers_match (const notify_matchers_t *self, const vg_label_t *labels, size_t n)
{
    for (size_t i = 0; i < self->n; i++) {
        const notify_matcher_t *m = &self->items[i];
        const char *v = notify_matcher_label (labels, n, m->name);
        int ok;
        switch (m->op) {
        case NOTIFY_MATCH_EQ:
            ok = strcmp (v, m->value) == 0;
            break;
        case NOTIFY_MATCH_NE:
            ok = strcmp (v, m->value) != 0;
            break;
        case NOTIFY_MATCH_RE:
            ok = s_re_match (m->re, v);
            break;
        default:
            ok = !s_re_match (m->re, v);
            break;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

void
notify_matchers_string (const notify_matchers_t *self, vg_buf_t *out)
{
    vg_buf_append (out, "{", 1);
    for (size_t i = 0; i < self->n; i++) {
        if (i)
            vg_buf_append (out, ",", 1);
        vg_buf_puts (out, self->items[i].name);
        vg_buf_puts (out, s_ops[self->items[i].op]);
        notify_matcher_go_quote (out, self->items[i].value);
    }
    vg_buf_append (out, "}", 1);
}
