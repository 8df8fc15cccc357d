/*  report_md.c - a report as text that reads well pasted into Slack: bold
 *  titles with *single asterisks*, bullets, tables as aligned columns in
 *  code blocks (Slack draws no markdown tables), emoji for warnings. It
 *  reads as plain markdown elsewhere too. */
#include "report_md.h"
#include "report_fmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void
s_pad (vg_buf_t *out, const char *s, size_t width, int right)
{
    size_t w = report_fmt_width (s);
    if (right)
        for (size_t i = w; i < width; i++)
            vg_buf_puts (out, " ");
    vg_buf_puts (out, s);
    if (!right)
        for (size_t i = w; i < width; i++)
            vg_buf_puts (out, " ");
}

/* Text from the database, on one line (Slack has no escapes: a backslash
 * would show; what could be read as formatting goes in `code`). */
static void
s_text (vg_buf_t *out, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++)
        vg_buf_append (out, *p == '\n' || *p == '\r' ? " " : p, 1);
}

static void
s_table (vg_buf_t *out, const report_table_t *t, const char *currency)
{
    size_t w[REPORT_MAX_COLS + 1] = {report_fmt_width (t->key_name)};
    char cell[64];
    for (size_t c = 0; c < t->ncols; c++)
        w[c + 1] = report_fmt_width (t->col_names[c]);
    for (size_t r = 0; r < t->nrows; r++) {
        size_t kw = report_fmt_width (t->rows[r].key);
        w[0] = kw > w[0] ? kw : w[0];
        for (size_t c = 0; c < t->ncols; c++) {
            report_fmt_value (cell, sizeof cell, t->rows[r].vals[c], t->col_units[c], currency);
            w[c + 1] = report_fmt_width (cell) > w[c + 1] ? report_fmt_width (cell) : w[c + 1];
        }
    }
    vg_buf_puts (out, "```\n");
    s_pad (out, t->key_name, w[0], 0);
    for (size_t c = 0; c < t->ncols; c++) {
        vg_buf_puts (out, "  ");
        s_pad (out, t->col_names[c], w[c + 1], 1);
    }
    vg_buf_puts (out, "\n");
    for (size_t r = 0; r < t->nrows; r++) {
        s_pad (out, t->rows[r].key, w[0], 0);
        for (size_t c = 0; c < t->ncols; c++) {
            report_fmt_value (cell, sizeof cell, t->rows[r].vals[c], t->col_units[c], currency);
            vg_buf_puts (out, "  ");
            s_pad (out, cell, w[c + 1], 1);
        }
        if (t->rows[r].note) {
            vg_buf_puts (out, "  ");
            vg_buf_puts (out, t->rows[r].note);
        }
        vg_buf_puts (out, "\n");
    }
    vg_buf_puts (out, "```\n");
}

static const report_fig_t *
s_fig (const report_t *r, const char *section, const char *fig)
{
    for (size_t i = 0; i < r->nsections; i++)
        if (strcmp (r->sections[i].id, section) == 0)
            for (size_t k = 0; k < r->sections[i].nfigs; k++)
                if (strcmp (r->sections[i].figs[k].id, fig) == 0)
                    return &r->sections[i].figs[k];
    return NULL;
}

/* One line of the figures that matter most; those without data are left
 * out, never shown as zero. */
static void
s_summary (vg_buf_t *out, const report_t *r)
{
    static const struct {
        const char *section, *fig, *label;
    } keys[] = {
        {"requests", "requests", "requests"},
        {"requests", "success_rate", "success"},
        {"latency", "avg", "avg"},
        {"latency", "p95", "P95"},
        {"errors", "lines", "error lines"},
        {"users", "peak", "peak users"},
        {"resources", "memory_peak", "memory peak"},
        {"tokens", "cost", "cost"},
    };
    int n = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const report_fig_t *f = s_fig (r, keys[i].section, keys[i].fig);
        if (!f || !f->val.has)
            continue;
        char v[64];
        report_fmt_value (v, sizeof v, f->val, f->unit, r->currency);
        vg_buf_printf (out, "%s%s %s", n++ ? " · " : "*Summary:* ", keys[i].label, v);
    }
    if (!n)
        vg_buf_puts (out, "*Summary:* no data in this period");
    vg_buf_puts (out, "\n");
    for (size_t i = 0; i < r->nsections; i++)
        if (r->sections[i].warning)
            vg_buf_printf (out, "%s\n", r->sections[i].warning);
}

void
report_md_render (const report_t *r, vg_buf_t *out)
{
    char title[32];
    snprintf (title, sizeof title, "%c%s", r->kind[0] - 32, r->kind + 1);
    vg_buf_printf (out, "*%s report · %s", title, r->first_day);
    if (strcmp (r->first_day, r->last_day) != 0)
        vg_buf_printf (out, " to %s", r->last_day);
    vg_buf_printf (out, " (%s)*", r->tz);
    if (*r->selector) {
        vg_buf_puts (out, " · `");
        vg_buf_puts (out, r->selector);
        vg_buf_puts (out, "`");
    }
    vg_buf_puts (out, "\n");
    s_summary (out, r);
    for (size_t i = 0; i < r->nsections; i++) {
        const report_section_t *s = &r->sections[i];
        vg_buf_puts (out, "\n*");
        s_text (out, s->title);
        vg_buf_puts (out, "*");
        if (s->none) {
            vg_buf_puts (out, " — _");
            s_text (out, s->none);
            vg_buf_puts (out, "_\n");
            continue;
        }
        vg_buf_puts (out, "\n");
        if (strcmp (s->id, "deploys") == 0)
            for (size_t k = 0; k < r->nmarks; k++) {
                const report_mark_t *m = &r->marks[k];
                vg_buf_printf (out, "• %s  ", m->when);
                s_text (out, m->service);
                vg_buf_puts (out, " ");
                s_text (out, m->version);
                if (*m->note) {
                    vg_buf_puts (out, " — ");
                    s_text (out, m->note);
                }
                vg_buf_puts (out, "\n");
            }
        for (size_t k = 0; k < s->nfigs; k++) {
            const report_fig_t *f = &s->figs[k];
            char v[64];
            report_fmt_value (v, sizeof v, f->val, f->unit, r->currency);
            vg_buf_printf (out, "• %s: *%s*", f->label, v);
            if (f->note && f->unit != REPORT_UNIT_MONEY) {
                vg_buf_puts (out, " (`");
                s_text (out, f->note);
                vg_buf_puts (out, "`)");
            }
            vg_buf_puts (out, "\n");
        }
        for (size_t k = 0; k < s->ntables; k++)
            if (s->tables[k].nrows)
                s_table (out, &s->tables[k], r->currency);
        if (s->warning)
            vg_buf_printf (out, "%s\n", s->warning);
    }
}
