/*  rules_tmpl_expand.c - expanding a compiled template: values, fields,
 *  pipelines, and Prometheus's helper functions (template/template.go). */
#include "rules_arena.h"
#include "rules_fmt.h"
#include "rules_tmpl.h"
#include "rules_tmpl_int.h"
#include "vg_alloc.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static s_val_t s_run_pipe (s_exec_t *x, const rules_tmpl_pipe_t *p);

static s_val_t
s_eval_arg (s_exec_t *x, const rules_tmpl_arg_t *a)
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
s_run_pipe (s_exec_t *x, const rules_tmpl_pipe_t *p)
{
    s_val_t cur = {0};
    int have = 0;
    for (size_t i = 0; i < p->ncmds && !x->failed; i++) {
        const rules_tmpl_cmd_t *cmd = &p->cmds[i];
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
        const rules_tmpl_piece_t *pc = &self->pieces[i];
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
