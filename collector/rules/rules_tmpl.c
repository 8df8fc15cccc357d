/*  rules_tmpl.c - a compiler and expander for the text/template subset of
 *  rule files, with Prometheus's helper functions (template/template.go). */
#include "rules_tmpl.h"
#include "rules_tmpl_int.h"
#include "rules_arena.h"
#include "rules_fmt.h"
#include "vg_alloc.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int min, max; /* arguments, the piped one included; max -1: any */
} s_funcs[] = {
    {"humanize", 1, 1},         {"humanize1024", 1, 1},
    {"humanizeDuration", 1, 1}, {"humanizePercentage", 1, 1},
    {"printf", 1, -1},          {"toUpper", 1, 1},
    {"toLower", 1, 1},          {"index", 1, -1},
};

#define S_NFUNCS (sizeof s_funcs / sizeof s_funcs[0])

static const char *const s_unsupported[] = {"if",    "else",     "end",      "range",
                                            "with",  "define",   "template", "block",
                                            "break", "continue", "nil"};

/*  --------------------------------------------------------------------------
 *  Freeing
 */

static void s_pipe_free (rules_tmpl_pipe_t *p);

static void
s_arg_free (rules_tmpl_arg_t *a)
{
    free (a->str);
    for (size_t i = 0; i < a->nfields; i++)
        free (a->fields[i]);
    free (a->fields);
    s_pipe_free (a->pipe);
}

static void
s_pipe_free (rules_tmpl_pipe_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->ncmds; i++) {
        for (size_t k = 0; k < p->cmds[i].nargs; k++)
            s_arg_free (&p->cmds[i].args[k]);
        free (p->cmds[i].args);
    }
    free (p->cmds);
    free (p);
}

void
rules_tmpl_destroy (rules_tmpl_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rules_tmpl_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++) {
        free (self->pieces[i].text);
        s_pipe_free (self->pieces[i].pipe);
    }
    free (self->pieces);
    free (self);
    *self_p = NULL;
}

int
rules_tmpl_is_plain (const rules_tmpl_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->pieces[i].pipe)
            return 0;
    return 1;
}

/*  --------------------------------------------------------------------------
 *  Compiling
 */

typedef struct {
    const char *src;
    size_t pos, end; /* the action's inside */
    char *err;
    size_t errlen;
    size_t *errpos;
    int failed;
} s_comp_t;

static int s_cfail (s_comp_t *c, size_t pos, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_cfail (s_comp_t *c, size_t pos, const char *fmt, ...)
{
    if (c->failed)
        return -1;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (c->err, c->errlen, fmt, ap);
    va_end (ap);
    if (c->errpos)
        *c->errpos = pos;
    c->failed = 1;
    return -1;
}

static void
s_skip_space (s_comp_t *c)
{
    while (c->pos < c->end && isspace ((unsigned char)c->src[c->pos]))
        c->pos++;
}

static int
s_ident_char (char ch)
{
    return isalnum ((unsigned char)ch) || ch == '_';
}

/* .a.b.c after a root: fields into arg. */
static int
s_fields (s_comp_t *c, rules_tmpl_arg_t *a)
{
    size_t cap = 0;
    while (c->pos < c->end && c->src[c->pos] == '.') {
        c->pos++;
        size_t start = c->pos;
        while (c->pos < c->end && s_ident_char (c->src[c->pos]))
            c->pos++;
        if (c->pos == start)
            return s_cfail (c, start, "unexpected \".\" after term");
        VG_GROW (a->fields, cap, a->nfields + 1);
        a->fields[a->nfields++] = vg_strndup (c->src + start, c->pos - start);
    }
    return 0;
}

static rules_tmpl_pipe_t *s_pipeline (s_comp_t *c, int nested);

static int
s_string (s_comp_t *c, rules_tmpl_arg_t *a)
{
    char q = c->src[c->pos];
    size_t start = c->pos++;
    vg_buf_t b = {0};
    while (c->pos < c->end && c->src[c->pos] != q) {
        char ch = c->src[c->pos++];
        if (q == '"' && ch == '\\' && c->pos < c->end) {
            char e = c->src[c->pos++];
            const char *from = "nrt\\\"'";
            const char *to = "\n\r\t\\\"'";
            const char *k = strchr (from, e);
            if (!k) {
                vg_buf_free (&b);
                return s_cfail (c, c->pos - 2, "unknown escape sequence in string");
            }
            ch = to[k - from];
        } else if (q == '"' && ch == '\n') {
            vg_buf_free (&b);
            return s_cfail (c, start, "unterminated quoted string");
        }
        vg_buf_append (&b, &ch, 1);
    }
    if (c->pos >= c->end) {
        vg_buf_free (&b);
        return s_cfail (c, start, "unterminated quoted string");
    }
    c->pos++;
    a->kind = S_ARG_STRING;
    a->str = vg_strndup (b.data ? b.data : "", b.len);
    vg_buf_free (&b);
    return 0;
}

/* One operand; returns 1 if one was read, 0 at a command's end, -1 on error. */
static int
s_operand (s_comp_t *c, rules_tmpl_arg_t *a)
{
    s_skip_space (c);
    memset (a, 0, sizeof *a);
    if (c->pos >= c->end)
        return 0;
    char ch = c->src[c->pos];
    size_t start = c->pos;
    if (ch == '|' || ch == ')')
        return 0;
    if (ch == '"' || ch == '`')
        return s_string (c, a) == 0 ? 1 : -1;
    if (ch == '(') {
        c->pos++;
        a->kind = S_ARG_PIPE;
        a->pipe = s_pipeline (c, 1);
        if (!a->pipe)
            return -1;
        if (c->pos >= c->end || c->src[c->pos] != ')')
            return s_cfail (c, start, "unclosed left paren");
        c->pos++;
        return s_fields (c, a) == 0 ? 1 : -1;
    }
    if (isdigit ((unsigned char)ch) ||
        ((ch == '-' || ch == '+' || ch == '.') && c->pos + 1 < c->end &&
         isdigit ((unsigned char)c->src[c->pos + 1]))) {
        char *endp;
        char tmp[64];
        size_t n = 0;
        while (c->pos < c->end && !isspace ((unsigned char)c->src[c->pos]) &&
               c->src[c->pos] != ')' && c->src[c->pos] != '|' && n + 1 < sizeof tmp)
            tmp[n++] = c->src[c->pos++];
        tmp[n] = '\0';
        a->num = strtod (tmp, &endp);
        if (*endp)
            return s_cfail (c, start, "bad number syntax: \"%s\"", tmp);
        a->kind = S_ARG_NUMBER;
        return 1;
    }
    if (ch == '$') {
        c->pos++;
        size_t ns = c->pos;
        while (c->pos < c->end && s_ident_char (c->src[c->pos]))
            c->pos++;
        size_t len = c->pos - ns;
        const char *name = c->src + ns;
        a->kind = S_ARG_VAR;
        if (len == 0)
            a->root = S_ROOT_DOT;
        else if (len == 5 && memcmp (name, "value", 5) == 0)
            a->root = S_ROOT_VALUE;
        else if (len == 6 && memcmp (name, "labels", 6) == 0)
            a->root = S_ROOT_LABELS;
        else if (len == 14 && memcmp (name, "externalLabels", 14) == 0)
            a->root = S_ROOT_EXT_LABELS;
        else if (len == 11 && memcmp (name, "externalURL", 11) == 0)
            a->root = S_ROOT_EXT_URL;
        else
            return s_cfail (c, start, "undefined variable \"$%.*s\"", (int)len, name);
        s_skip_space (c);
        if (c->pos + 1 < c->end && (c->src[c->pos] == ':' || c->src[c->pos] == '='))
            return s_cfail (c, start, "variable assignments are not supported");
        return s_fields (c, a) == 0 ? 1 : -1;
    }
    if (ch == '.') {
        a->kind = S_ARG_VAR;
        a->root = S_ROOT_DOT;
        if (c->pos + 1 < c->end && s_ident_char (c->src[c->pos + 1]))
            return s_fields (c, a) == 0 ? 1 : -1;
        c->pos++;
        return 1;
    }
    if (isalpha ((unsigned char)ch) || ch == '_') {
        while (c->pos < c->end && s_ident_char (c->src[c->pos]))
            c->pos++;
        size_t len = c->pos - start;
        const char *name = c->src + start;
        for (size_t i = 0; i < sizeof s_unsupported / sizeof *s_unsupported; i++)
            if (strlen (s_unsupported[i]) == len && memcmp (s_unsupported[i], name, len) == 0)
                return s_cfail (c, start, "template action \"%s\" is not supported",
                                s_unsupported[i]);
        if ((len == 4 && memcmp (name, "true", 4) == 0) ||
            (len == 5 && memcmp (name, "false", 5) == 0))
            return s_cfail (c, start, "boolean constants are not supported");
        for (size_t i = 0; i < S_NFUNCS; i++)
            if (strlen (s_funcs[i].name) == len && memcmp (s_funcs[i].name, name, len) == 0) {
                a->kind = S_ARG_FUNC;
                a->str = vg_strndup (name, len);
                return 1;
            }
        return s_cfail (c, start,
                        "function \"%.*s\" not defined (supported: humanize, "
                        "humanize1024, humanizeDuration, humanizePercentage, printf, "
                        "toUpper, toLower, index)",
                        (int)len, name);
    }
    return s_cfail (c, start, "unexpected \"%c\" in command", ch);
}

static int
s_func_arity (const char *name, int *min, int *max)
{
    for (size_t i = 0; i < S_NFUNCS; i++)
        if (strcmp (s_funcs[i].name, name) == 0) {
            *min = s_funcs[i].min;
            *max = s_funcs[i].max;
            return 0;
        }
    return -1;
}

static rules_tmpl_pipe_t *
s_pipeline (s_comp_t *c, int nested)
{
    rules_tmpl_pipe_t *p = vg_calloc (1, sizeof *p);
    size_t ccap = 0;
    for (;;) {
        rules_tmpl_cmd_t cmd = {0};
        size_t acap = 0;
        size_t cmd_start = c->pos;
        for (;;) {
            rules_tmpl_arg_t a;
            int rc = s_operand (c, &a);
            if (rc < 0) {
                s_arg_free (&a);
                goto fail_cmd;
            }
            if (rc == 0)
                break;
            VG_GROW (cmd.args, acap, cmd.nargs + 1);
            cmd.args[cmd.nargs++] = a;
        }
        if (cmd.nargs == 0) {
            s_cfail (c, cmd_start,
                     p->ncmds ? "missing command after \"|\""
                              : "missing value "
                                "for command");
            goto fail_cmd;
        }
        /* Arity: a function gets its arguments plus the piped value. */
        int piped = p->ncmds > 0;
        if (cmd.args[0].kind == S_ARG_FUNC) {
            int min = 0, max = -1, got = (int)cmd.nargs - 1 + piped;
            s_func_arity (cmd.args[0].str, &min, &max);
            if (got < min || (max >= 0 && got > max)) {
                s_cfail (c, cmd_start, "wrong number of args for %s: want %d got %d",
                         cmd.args[0].str, min, got);
                goto fail_cmd;
            }
        } else if (cmd.nargs > 1 || piped) {
            s_cfail (c, cmd_start, "can't give argument to non-function");
            goto fail_cmd;
        }
        VG_GROW (p->cmds, ccap, p->ncmds + 1);
        p->cmds[p->ncmds++] = cmd;
        s_skip_space (c);
        if (c->pos < c->end && c->src[c->pos] == '|') {
            c->pos++;
            continue;
        }
        if (c->pos < c->end && c->src[c->pos] == ')' && !nested) {
            s_cfail (c, c->pos, "unexpected right paren");
            goto fail;
        }
        return p;
    fail_cmd:
        for (size_t k = 0; k < cmd.nargs; k++)
            s_arg_free (&cmd.args[k]);
        free (cmd.args);
        goto fail;
    }
fail:
    s_pipe_free (p);
    return NULL;
}

static void
s_push_piece (rules_tmpl_t *t, size_t *cap, char *text, rules_tmpl_pipe_t *pipe)
{
    VG_GROW (t->pieces, *cap, t->n + 1);
    t->pieces[t->n++] = (rules_tmpl_piece_t){text, pipe};
}

rules_tmpl_t *
rules_tmpl_new (const char *text, char *err, size_t errlen, size_t *errpos)
{
    rules_tmpl_t *t = vg_calloc (1, sizeof *t);
    size_t cap = 0, len = strlen (text), pos = 0;
    int trim_next = 0; /* the last action ended with -}} */
    s_comp_t c = {.src = text, .err = err, .errlen = errlen, .errpos = errpos};
    while (pos <= len) {
        const char *open = strstr (text + pos, "{{");
        size_t stop = open ? (size_t)(open - text) : len;
        size_t tstart = pos, tend = stop;
        if (trim_next)
            while (tstart < tend && isspace ((unsigned char)text[tstart]))
                tstart++;
        int trim_left = open && open[2] == '-' && open + 3 <= text + len &&
                        (open[3] == ' ' || open[3] == '\t' || open[3] == '\n' || open[3] == '\r');
        if (trim_left)
            while (tend > tstart && isspace ((unsigned char)text[tend - 1]))
                tend--;
        if (tend > tstart)
            s_push_piece (t, &cap, vg_strndup (text + tstart, tend - tstart), NULL);
        if (!open)
            break;
        size_t inner = stop + 2 + (trim_left ? 1 : 0);
        const char *close = strstr (text + inner, "}}");
        if (!close) {
            s_cfail (&c, stop, "unclosed action");
            goto fail;
        }
        size_t inner_end = (size_t)(close - text);
        trim_next = 0;
        if (inner_end > inner + 1 && text[inner_end - 1] == '-' &&
            isspace ((unsigned char)text[inner_end - 2])) {
            trim_next = 1;
            inner_end--;
        }
        /* A comment action: slash-star ... star-slash. */
        size_t k = inner;
        while (k < inner_end && isspace ((unsigned char)text[k]))
            k++;
        if (k + 1 < inner_end && text[k] == '/' && text[k + 1] == '*') {
            const char *cend = strstr (text + k, "*/");
            if (!cend || (size_t)(cend - text) + 2 > inner_end) {
                s_cfail (&c, k, "unclosed comment");
                goto fail;
            }
        } else {
            c.pos = inner;
            c.end = inner_end;
            rules_tmpl_pipe_t *p = s_pipeline (&c, 0);
            if (!p)
                goto fail;
            s_skip_space (&c);
            if (c.pos < c.end) {
                s_pipe_free (p);
                s_cfail (&c, c.pos, "unexpected \"%c\" in operand", text[c.pos]);
                goto fail;
            }
            s_push_piece (t, &cap, NULL, p);
        }
        pos = (size_t)(close - text) + 2;
    }
    return t;
fail:
    rules_tmpl_destroy (&t);
    return NULL;
}
