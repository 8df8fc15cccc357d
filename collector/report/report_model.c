/*  report_model.c - building and freeing a report as data. */
#include "report_model.h"
#include "vg_alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

report_t *
report_model_new (void)
{
    return vg_calloc (1, sizeof (report_t));
}

static void
s_table_free (report_table_t *t)
{
    for (size_t i = 0; i < t->nrows; i++) {
        free (t->rows[i].key);
        free (t->rows[i].note);
    }
    free (t->rows);
    free (t->id);
    free (t->title);
    free (t->key_name);
}

void
report_model_destroy (report_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    report_t *self = *self_p;
    for (size_t i = 0; i < self->nsections; i++) {
        report_section_t *s = &self->sections[i];
        free (s->none);
        free (s->warning);
        for (size_t k = 0; k < s->nfigs; k++)
            free (s->figs[k].note);
        for (size_t k = 0; k < s->ntables; k++)
            s_table_free (&s->tables[k]);
    }
    for (size_t i = 0; i < self->ncharts; i++) {
        report_chart_t *c = &self->charts[i];
        for (size_t k = 0; k < c->npoints; k++)
            free (c->labels[k]);
        free (c->labels);
        free (c->ts_ms);
        for (size_t k = 0; k < c->nlines; k++)
            free (c->lines[k].vals);
    }
    for (size_t i = 0; i < self->nmarks; i++) {
        report_mark_t *m = &self->marks[i];
        free (m->when);
        free (m->service);
        free (m->version);
        free (m->note);
        free (m->source);
    }
    free (self->marks);
    free (self->kind);
    free (self->tz);
    free (self->selector);
    free (self->first_day);
    free (self->last_day);
    free (self->currency);
    free (self->step_name);
    free (self);
    *self_p = NULL;
}

report_section_t *
report_model_section (report_t *self, const char *id, const char *title)
{
    if (self->nsections >= REPORT_MAX_SECTIONS)
        return NULL;
    report_section_t *s = &self->sections[self->nsections++];
    memset (s, 0, sizeof *s);
    s->id = id;
    s->title = title;
    return s;
}

void
report_model_none (report_section_t *section, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf, sizeof buf, fmt, ap);
    va_end (ap);
    free (section->none);
    section->none = vg_strdup (buf);
    /* A section that shows nothing has no rows of nothing either. */
    for (size_t k = 0; k < section->ntables; k++)
        report_model_truncate (&section->tables[k], 0);
}

void
report_model_fig (report_section_t *section, const char *id, const char *label, report_val_t val,
                  report_unit_t unit, const char *note)
{
    if (section->nfigs >= REPORT_MAX_FIGS)
        return;
    report_fig_t *f = &section->figs[section->nfigs++];
    f->id = id;
    f->label = label;
    f->val = val;
    f->unit = unit;
    f->note = vg_strdup (note);
}

report_table_t *
report_model_table (report_section_t *section, const char *id, const char *title,
                    const char *key_name)
{
    if (section->ntables >= REPORT_MAX_TABLES)
        return NULL;
    report_table_t *t = &section->tables[section->ntables++];
    memset (t, 0, sizeof *t);
    t->id = vg_strdup (id);
    t->title = vg_strdup (title);
    t->key_name = vg_strdup (key_name);
    return t;
}

void
report_model_col (report_table_t *table, const char *id, const char *name, report_unit_t unit)
{
    if (table->ncols >= REPORT_MAX_COLS)
        return;
    table->col_ids[table->ncols] = id;
    table->col_names[table->ncols] = name;
    table->col_units[table->ncols++] = unit;
}

report_row_t *
report_model_find (report_table_t *table, const char *key)
{
    for (size_t i = 0; i < table->nrows; i++)
        if (strcmp (table->rows[i].key, key) == 0)
            return &table->rows[i];
    return NULL;
}

report_row_t *
report_model_row (report_table_t *table, const char *key)
{
    for (size_t i = 0; i < table->nrows; i++)
        if (strcmp (table->rows[i].key, key) == 0)
            return &table->rows[i];
    VG_GROW (table->rows, table->rows_cap, table->nrows + 1);
    report_row_t *r = &table->rows[table->nrows++];
    memset (r, 0, sizeof *r);
    r->key = vg_strdup (key);
    return r;
}

report_chart_t *
report_model_chart (report_t *self, const char *id, const char *title, report_unit_t unit,
                    size_t npoints)
{
    if (self->ncharts >= REPORT_MAX_CHARTS)
        return NULL;
    report_chart_t *c = &self->charts[self->ncharts++];
    memset (c, 0, sizeof *c);
    c->id = id;
    c->title = title;
    c->unit = unit;
    c->npoints = npoints;
    c->ts_ms = vg_calloc (npoints + 1, sizeof *c->ts_ms);
    c->labels = vg_calloc (npoints + 1, sizeof *c->labels);
    return c;
}

static int
s_row_desc (const void *a, const void *b, void *arg)
{
    size_t col = *(const size_t *)arg;
    const report_val_t *x = &((const report_row_t *)a)->vals[col];
    const report_val_t *y = &((const report_row_t *)b)->vals[col];
    if (x->has != y->has)
        return x->has ? -1 : 1;
    if (x->has && x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return strcmp (((const report_row_t *)a)->key, ((const report_row_t *)b)->key);
}

void
report_model_sort_desc (report_table_t *table, size_t col)
{
    if (table->nrows < 2 || col >= REPORT_MAX_COLS)
        return;
    qsort_r (table->rows, table->nrows, sizeof *table->rows, s_row_desc, &col);
}

void
report_model_truncate (report_table_t *table, size_t n)
{
    while (table->nrows > n) {
        report_row_t *r = &table->rows[--table->nrows];
        free (r->key);
        free (r->note);
    }
}
