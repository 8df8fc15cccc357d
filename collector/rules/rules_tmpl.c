/*  rules_tmpl.c - a compiler and expander for the text/template subset of
 *  rule files, with Prometheus's helper functions (template/template.go). */
#include "rules_tmpl.h"
#include "rules_arena.h"
#include "rules_fmt.h"
#include "vg_alloc.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    S_ROOT_DOT,        /* . or $ */
    S_ROOT_VALUE,      /* $value */
    S_ROOT_LABELS,     /* $labels */
    S_ROOT_EXT_LABELS, /* $externalLabels */
    S_ROOT_EXT_URL,    /* $externalURL */
} s_root_t;

typedef enum {
    S_ARG_NUMBER,
    S_ARG_STRING,
    S_ARG_VAR,  /* a variable or .Field chain */
    S_ARG_FUNC, /* a function name */
    S_ARG_PIPE, /* ( pipeline ) */
} s_arg_kind_t;

typedef struct s_pipe_t s_pipe_t;

typedef struct {
    s_arg_kind_t kind;
    double num;
    char *str;     /* STRING: the text; FUNC: the name */
    s_root_t root; /* VAR */
    char **fields;
    size_t nfields;
    s_pipe_t *pipe;
} s_arg_t;

typedef struct {
    s_arg_t *args;
    size_t nargs;
} s_cmd_t;

struct s_pipe_t {
    s_cmd_t *cmds;
    size_t ncmds;
};

typedef struct {
    char *text;     /* a text piece, or NULL for an action */
    s_pipe_t *pipe; /* an action */
} s_piece_t;

struct rules_tmpl_t {
    s_piece_t *pieces;
    size_t n;
};

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

static void s_pipe_free (s_pipe_t *p);

static void
s_arg_free (s_arg_t *a)
{
    free (a->str);
    for (size_t i = 0; i < a->nfields; i++)
        free (a->fields[i]);
    free (a->fields);
    s_pipe_free (a->pipe);
}

static void
s_pipe_free (s_pipe_t *p)
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
s_fields (s_comp_t *c, s_arg_t *a)
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

static s_pipe_t *s_pipeline (s_comp_t *c, int nested);

static int
s_string (s_comp_t *c, s_arg_t *a)
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
s_operand (s_comp_t *c, s_arg_t *a)
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

static s_pipe_t *
s_pipeline (s_comp_t *c, int nested)
{
    s_pipe_t *p = vg_calloc (1, sizeof *p);
    size_t ccap = 0;
    for (;;) {
        s_cmd_t cmd = {0};
        size_t acap = 0;
        size_t cmd_start = c->pos;
        for (;;) {
            s_arg_t a;
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
            int min, max, got = (int)cmd.nargs - 1 + piped;
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
s_push_piece (rules_tmpl_t *t, size_t *cap, char *text, s_pipe_t *pipe)
{
    VG_GROW (t->pieces, *cap, t->n + 1);
    t->pieces[t->n++] = (s_piece_t){text, pipe};
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
            s_pipe_t *p = s_pipeline (&c, 0);
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

/*  --------------------------------------------------------------------------
 *  Expanding
 */

typedef enum {
    S_V_FLOAT,
    S_V_STRING,
    S_V_MAP,
    S_V_ROOT,
} s_vtype_t;

typedef struct {
    s_vtype_t type;
    double f;
    const char *s;
    const rules_labels_t *map;
} s_val_t;

typedef struct {
    const rules_tmpl_data_t *data;
    rules_arena_t *arena;
    char err[256];
    int failed;
} s_exec_t;

static s_val_t s_efail (s_exec_t *x, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static s_val_t
s_efail (s_exec_t *x, const char *fmt, ...)
{
    if (!x->failed) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (x->err, sizeof x->err, fmt, ap);
        va_end (ap);
        x->failed = 1;
    }
    return (s_val_t){.type = S_V_STRING, .s = ""};
}

static const char *
s_type_name (const s_val_t *v)
{
    switch (v->type) {
    case S_V_FLOAT:
        return "float64";
    case S_V_STRING:
        return "string";
    case S_V_MAP:
        return "map[string]string";
    default:
        return "*template.Data";
    }
}

static const char *
s_str (s_exec_t *x, vg_buf_t *b)
{
    const char *s = rules_arena_strndup (x->arena, b->data ? b->data : "", b->len);
    vg_buf_free (b);
    return s;
}

/* Go's fmt %v of a value. */
static void
s_print (const s_val_t *v, const rules_tmpl_data_t *data, vg_buf_t *out)
{
    switch (v->type) {
    case S_V_FLOAT:
        rules_fmt_float (v->f, out);
        break;
    case S_V_STRING:
        vg_buf_puts (out, v->s);
        break;
    case S_V_MAP:
        vg_buf_puts (out, "map[");
        for (size_t i = 0; v->map && i < v->map->n; i++) {
            if (i)
                vg_buf_puts (out, " ");
            vg_buf_printf (out, "%s:%s", v->map->items[i].key, v->map->items[i].value);
        }
        vg_buf_puts (out, "]");
        break;
    case S_V_ROOT:
        vg_buf_puts (out, "{");
        s_print (&(s_val_t){.type = S_V_MAP, .map = data->labels}, data, out);
        vg_buf_puts (out, " ");
        s_print (&(s_val_t){.type = S_V_MAP, .map = data->external_labels}, data, out);
        vg_buf_printf (out, " %s ", data->external_url ? data->external_url : "");
        rules_fmt_float (data->value, out);
        vg_buf_puts (out, "}");
        break;
    }
}

static s_val_t
s_field (s_exec_t *x, s_val_t v, const char *field)
{
    const rules_tmpl_data_t *d = x->data;
    if (v.type == S_V_MAP) {
        const char *s = v.map ? rules_labels_get (v.map, field) : NULL;
        return (s_val_t){.type = S_V_STRING, .s = s ? s : ""};
    }
    if (v.type == S_V_ROOT) {
        if (strcmp (field, "Value") == 0)
            return (s_val_t){.type = S_V_FLOAT, .f = d->value};
        if (strcmp (field, "Labels") == 0)
            return (s_val_t){.type = S_V_MAP, .map = d->labels};
        if (strcmp (field, "ExternalLabels") == 0)
            return (s_val_t){.type = S_V_MAP, .map = d->external_labels};
        if (strcmp (field, "ExternalURL") == 0)
            return (s_val_t){.type = S_V_STRING, .s = d->external_url ? d->external_url : ""};
        return s_efail (x, "can't evaluate field %s in type *template.Data", field);
    }
    return s_efail (x, "can't evaluate field %s in type %s", field, s_type_name (&v));
}

/* Prometheus's convertToFloat. */
static int
s_to_float (s_exec_t *x, const s_val_t *v, double *f)
{
    if (v->type == S_V_FLOAT) {
        *f = v->f;
        return 0;
    }
    if (v->type == S_V_STRING) {
        char *end;
        const char *s = v->s;
        *f = strtod (s, &end);
        if (*s && !*end && !isspace ((unsigned char)*s))
            return 0;
        s_efail (x, "strconv.ParseFloat: parsing \"%s\": invalid syntax", s);
        return -1;
    }
    s_efail (x, "can't convert %s to float", s_type_name (v));
    return -1;
}

/* Pads core to width (spaces, or zeros after any sign with the 0 flag). */
static void
s_pad (vg_buf_t *out, const char *core, int width, int left, int zero)
{
    int len = (int)strlen (core);
    if (width <= len) {
        vg_buf_puts (out, core);
        return;
    }
    if (left) {
        vg_buf_puts (out, core);
        for (int i = len; i < width; i++)
            vg_buf_append (out, " ", 1);
        return;
    }
    if (zero) {
        if (*core == '-' || *core == '+' || *core == ' ')
            vg_buf_append (out, core++, 1);
        for (int i = len; i < width; i++)
            vg_buf_append (out, "0", 1);
        vg_buf_puts (out, core);
        return;
    }
    for (int i = len; i < width; i++)
        vg_buf_append (out, " ", 1);
    vg_buf_puts (out, core);
}

/* Go's fmt.Sprintf for the verbs rule templates use: %v %s %q %f %e %g
 * (and upper case) with flags - + space 0, width and precision. */
static const char *
s_printf (s_exec_t *x, const char *fmt, const s_val_t *args, size_t nargs)
{
    vg_buf_t out = {0}, core = {0};
    size_t ai = 0;
    for (const char *p = fmt; *p;) {
        if (*p != '%') {
            vg_buf_append (&out, p++, 1);
            continue;
        }
        p++;
        if (*p == '%') {
            vg_buf_append (&out, "%", 1);
            p++;
            continue;
        }
        int left = 0, plus = 0, space = 0, zero = 0, width = 0, prec = -1;
        for (; *p && strchr ("+- #0", *p); p++) {
            left |= *p == '-';
            plus |= *p == '+';
            space |= *p == ' ';
            zero |= *p == '0';
        }
        while (isdigit ((unsigned char)*p) && width < 10000)
            width = width * 10 + (*p++ - '0');
        if (*p == '.') {
            p++;
            prec = 0;
            while (isdigit ((unsigned char)*p) && prec < 10000)
                prec = prec * 10 + (*p++ - '0');
        }
        char verb = *p;
        if (!verb) {
            vg_buf_puts (&out, "%!(NOVERB)");
            break;
        }
        p++;
        if (ai >= nargs) {
            vg_buf_printf (&out, "%%!%c(MISSING)", verb);
            continue;
        }
        const s_val_t *a = &args[ai++];
        vg_buf_reset (&core);
        if (verb == 'v' || (verb == 's' && a->type != S_V_FLOAT)) {
            s_print (a, x->data, &core);
            if (verb == 's' && prec >= 0 && core.len > (size_t)prec)
                core.len = (size_t)prec;
            vg_buf_append (&core, "", 1);
            s_pad (&out, core.data, width, left, 0);
        } else if (strchr ("eEfFgG", verb) && a->type == S_V_FLOAT) {
            double f = a->f;
            if (isnan (f) || isinf (f)) {
                vg_buf_puts (&core, isnan (f) ? "NaN" : f > 0 ? "+Inf" : "-Inf");
                zero = 0;
            } else {
                if (f >= 0 && plus)
                    vg_buf_append (&core, "+", 1);
                else if (f >= 0 && space)
                    vg_buf_append (&core, " ", 1);
                char tmp[400];
                int pr = prec < 0 ? 6 : prec > 300 ? 300 : prec;
                switch (verb) {
                case 'f':
                case 'F':
                    snprintf (tmp, sizeof tmp, "%.*f", pr, f);
                    break;
                case 'e':
                    snprintf (tmp, sizeof tmp, "%.*e", pr, f);
                    break;
                case 'E':
                    snprintf (tmp, sizeof tmp, "%.*E", pr, f);
                    break;
                default: {
                    vg_buf_t g = {0};
                    if (prec < 0)
                        rules_fmt_float (f, &g); /* shortest, like Go's %g */
                    else
                        rules_fmt_g (f, prec, &g);
                    snprintf (tmp, sizeof tmp, "%s", g.data ? g.data : "");
                    vg_buf_free (&g);
                    if (verb == 'G')
                        for (char *c = tmp; *c; c++)
                            *c = (char)toupper ((unsigned char)*c);
                }
                }
                vg_buf_puts (&core, tmp);
            }
            vg_buf_append (&core, "", 1);
            s_pad (&out, core.data, width, left, zero);
        } else if (verb == 'q' && a->type == S_V_STRING) {
            rules_labels_quote (a->s, &core);
            vg_buf_append (&core, "", 1);
            s_pad (&out, core.data, width, left, 0);
        } else {
            s_print (a, x->data, &core);
            vg_buf_append (&core, "", 1);
            vg_buf_printf (&out, "%%!%c(%s=%s)", verb, s_type_name (a), core.data);
        }
    }
    if (ai < nargs) {
        vg_buf_puts (&out, "%!(EXTRA ");
        for (size_t i = ai; i < nargs; i++) {
            vg_buf_printf (&out, "%s%s=", i > ai ? ", " : "", s_type_name (&args[i]));
            s_print (&args[i], x->data, &out);
        }
        vg_buf_puts (&out, ")");
    }
    vg_buf_free (&core);
    return s_str (x, &out);
}

static s_val_t s_run_pipe (s_exec_t *x, const s_pipe_t *p);

static s_val_t
s_eval_arg (s_exec_t *x, const s_arg_t *a)
{
    s_val_t v = {0};
    switch (a->kind) {
    case S_ARG_NUMBER:
        return (s_val_t){.type = S_V_FLOAT, .f = a->num};
    case S_ARG_STRING:
        return (s_val_t){.type = S_V_STRING, .s = a->str};
    case S_ARG_PIPE:
        v = s_run_pipe (x, a->pipe);
        break;
    case S_ARG_VAR:
        switch (a->root) {
        case S_ROOT_DOT:
            v = (s_val_t){.type = S_V_ROOT};
            break;
        case S_ROOT_VALUE:
            v = (s_val_t){.type = S_V_FLOAT, .f = x->data->value};
            break;
        case S_ROOT_LABELS:
            v = (s_val_t){.type = S_V_MAP, .map = x->data->labels};
            break;
        case S_ROOT_EXT_LABELS:
            v = (s_val_t){.type = S_V_MAP, .map = x->data->external_labels};
            break;
        case S_ROOT_EXT_URL:
            v = (s_val_t){.type = S_V_STRING,
                          .s = x->data->external_url ? x->data->external_url : ""};
            break;
        }
        break;
    case S_ARG_FUNC:
        return s_efail (x, "%s is not a value", a->str);
    }
    for (size_t i = 0; i < a->nfields && !x->failed; i++)
        v = s_field (x, v, a->fields[i]);
    return v;
}

static s_val_t
s_call (s_exec_t *x, const char *name, const s_val_t *args, size_t n)
{
    vg_buf_t b = {0};
    double f;
    if (strncmp (name, "humanize", 8) == 0) {
        if (s_to_float (x, &args[0], &f) != 0)
            return (s_val_t){.type = S_V_STRING, .s = ""};
        if (strcmp (name, "humanize") == 0)
            rules_fmt_humanize (f, &b);
        else if (strcmp (name, "humanize1024") == 0)
            rules_fmt_humanize1024 (f, &b);
        else if (strcmp (name, "humanizeDuration") == 0)
            rules_fmt_humanize_duration (f, &b);
        else
            rules_fmt_humanize_percentage (f, &b);
        return (s_val_t){.type = S_V_STRING, .s = s_str (x, &b)};
    }
    if (strcmp (name, "toUpper") == 0 || strcmp (name, "toLower") == 0) {
        if (args[0].type != S_V_STRING)
            return s_efail (x, "wrong type for value; expected string; got %s",
                            s_type_name (&args[0]));
        char *s = rules_arena_strdup (x->arena, args[0].s);
        for (char *p = s; *p; p++)
            *p = (char)(name[2] == 'U' ? toupper ((unsigned char)*p) : tolower ((unsigned char)*p));
        return (s_val_t){.type = S_V_STRING, .s = s};
    }
    if (strcmp (name, "printf") == 0) {
        if (args[0].type != S_V_STRING)
            return s_efail (x, "wrong type for value; expected string; got %s",
                            s_type_name (&args[0]));
        return (s_val_t){.type = S_V_STRING, .s = s_printf (x, args[0].s, args + 1, n - 1)};
    }
    /* index */
    s_val_t v = args[0];
    for (size_t i = 1; i < n && !x->failed; i++) {
        if (v.type != S_V_MAP)
            return s_efail (x, "can't index item of type %s", s_type_name (&v));
        if (args[i].type != S_V_STRING)
            return s_efail (x, "value has type %s; should be string", s_type_name (&args[i]));
        const char *s = v.map ? rules_labels_get (v.map, args[i].s) : NULL;
        v = (s_val_t){.type = S_V_STRING, .s = s ? s : ""};
    }
    return v;
}

static s_val_t
s_run_pipe (s_exec_t *x, const s_pipe_t *p)
{
    s_val_t cur = {0};
    int have = 0;
    for (size_t i = 0; i < p->ncmds && !x->failed; i++) {
        const s_cmd_t *cmd = &p->cmds[i];
        if (cmd->args[0].kind != S_ARG_FUNC) {
            cur = s_eval_arg (x, &cmd->args[0]);
            have = 1;
            continue;
        }
        size_t n = cmd->nargs - 1 + (have ? 1 : 0);
        s_val_t *args = rules_arena_calloc (x->arena, n ? n : 1, sizeof *args);
        for (size_t k = 1; k < cmd->nargs; k++)
            args[k - 1] = s_eval_arg (x, &cmd->args[k]);
        if (have)
            args[n - 1] = cur;
        cur = s_call (x, cmd->args[0].str, args, n);
        have = 1;
    }
    return cur;
}

void
rules_tmpl_expand (const rules_tmpl_t *self, const rules_tmpl_data_t *data, vg_buf_t *out)
{
    size_t start = out->len;
    s_exec_t x = {.data = data, .arena = NULL};
    for (size_t i = 0; i < self->n; i++) {
        const s_piece_t *pc = &self->pieces[i];
        if (pc->text) {
            vg_buf_puts (out, pc->text);
            continue;
        }
        if (!x.arena)
            x.arena = rules_arena_new ();
        s_val_t v = s_run_pipe (&x, pc->pipe);
        if (x.failed)
            break;
        s_print (&v, data, out);
    }
    if (x.failed) {
        out->len = start;
        vg_buf_printf (out, "<error expanding template: %s>", x.err);
    }
    vg_buf_append (out, "", 1); /* NUL-terminated even when empty */
    out->len--;
    rules_arena_destroy (&x.arena);
}
