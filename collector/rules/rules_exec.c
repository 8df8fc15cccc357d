/*  rules_exec.c - one rule's evaluation: expression, templates, recorded
 *  series with staleness, alert state, ALERTS series. */
#include "rules_exec.h"
#include "rules_eval.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    rules_state_t alerts;
    char *rule_key;
    rules_labels_t **prev; /* the series written by the last evaluation */
    size_t nprev;
    char err[512];
} s_rt_t;

struct rules_exec_t {
    const rules_set_t *set;
    rules_mem_t *mem;
    const rules_labels_t *ext;
    const char *ext_url;
    s_rt_t *rt;
    size_t nrules;
    size_t *first; /* index of each group's first rule */
    rules_arena_t *arena;
    vg_buf_t buf;
    int keep_unwatched;
};

rules_exec_t *
rules_exec_new (const rules_set_t *set, rules_mem_t *mem, const rules_labels_t *external_labels,
                const char *external_url)
{
    rules_exec_t *self = vg_calloc (1, sizeof *self);
    self->set = set;
    self->mem = mem;
    self->ext = external_labels;
    self->ext_url = external_url;
    self->first = vg_calloc (set->ngroups + 1, sizeof *self->first);
    for (size_t g = 0; g < set->ngroups; g++) {
        self->first[g] = self->nrules;
        self->nrules += set->groups[g].nrules;
    }
    self->first[set->ngroups] = self->nrules;
    self->rt = vg_calloc (self->nrules ? self->nrules : 1, sizeof *self->rt);
    for (size_t g = 0; g < set->ngroups; g++)
        for (size_t r = 0; r < set->groups[g].nrules; r++)
            self->rt[self->first[g] + r].rule_key =
                vg_asprintf ("%s/%s", set->groups[g].name, set->groups[g].rules[r].name);
    self->arena = rules_arena_new ();
    self->keep_unwatched = 1;
    return self;
}

void
rules_exec_keep_unwatched (rules_exec_t *self, int keep)
{
    self->keep_unwatched = keep;
}

static void
s_free_prev (s_rt_t *rt)
{
    for (size_t i = 0; i < rt->nprev; i++)
        free (rt->prev[i]);
    free (rt->prev);
    rt->prev = NULL;
    rt->nprev = 0;
}

void
rules_exec_destroy (rules_exec_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rules_exec_t *self = *self_p;
    for (size_t i = 0; i < self->nrules; i++) {
        rules_state_free (&self->rt[i].alerts);
        free (self->rt[i].rule_key);
        s_free_prev (&self->rt[i]);
    }
    free (self->rt);
    free (self->first);
    rules_arena_destroy (&self->arena);
    vg_buf_free (&self->buf);
    free (self);
    *self_p = NULL;
}

size_t
rules_exec_index (rules_exec_t *self, size_t g, size_t r)
{
    return self->first[g] + r;
}

void
rules_exec_locate (rules_exec_t *self, size_t index, size_t *g, size_t *r)
{
    size_t k = 0;
    while (k + 1 < self->set->ngroups && self->first[k + 1] <= index)
        k++;
    *g = k;
    *r = index - self->first[k];
}

size_t
rules_exec_count (const rules_exec_t *self)
{
    return self->nrules;
}

rules_state_t *
rules_exec_state (rules_exec_t *self, size_t g, size_t r)
{
    if (!self->set->groups[g].rules[r].is_alert)
        return NULL;
    return &self->rt[self->first[g] + r].alerts;
}

rules_state_rule_t
rules_exec_rule_info (rules_exec_t *self, size_t g, size_t r)
{
    const rules_group_t *grp = &self->set->groups[g];
    const rules_rule_t *rule = &grp->rules[r];
    return (rules_state_rule_t){.group = grp->name,
                                .rule_key = self->rt[self->first[g] + r].rule_key,
                                .expr = rule->expr_text,
                                .for_ms = rule->for_ms,
                                .keep_firing_for_ms = rule->keep_firing_for_ms};
}

const char *
rules_exec_last_error (rules_exec_t *self, size_t index)
{
    return index < self->nrules ? self->rt[index].err : "";
}

/*  --------------------------------------------------------------------------
 *  Watching
 */

static void
s_watch_node (rules_exec_t *self, const rules_node_t *n, int reader)
{
    if (!n)
        return;
    if (n->kind == RULES_N_SELECTOR) {
        int64_t w = RULES_LOOKBACK_MS + n->offset_ms;
        rules_mem_watch (self->mem, n, w > 0 ? w : 0, reader);
        return;
    }
    if (n->kind == RULES_N_MATRIX) {
        int64_t w = n->range_ms + n->lhs->offset_ms;
        rules_mem_watch (self->mem, n->lhs, w > 0 ? w : 0, reader);
        return;
    }
    s_watch_node (self, n->lhs, reader);
    s_watch_node (self, n->rhs, reader);
    for (size_t i = 0; i < n->nargs; i++)
        s_watch_node (self, n->args[i], reader);
}

void
rules_exec_watch (rules_exec_t *self)
{
    for (size_t g = 0; g < self->set->ngroups; g++)
        for (size_t r = 0; r < self->set->groups[g].nrules; r++)
            s_watch_node (self, self->set->groups[g].rules[r].expr,
                          (int)rules_exec_index (self, g, r));
}

/*  --------------------------------------------------------------------------
 *  Evaluating
 */

/* Writes the series of this evaluation, and staleness markers for those of
 * the last one that are gone. */
static void
s_write (rules_exec_t *self, s_rt_t *rt, rules_labels_t **labels, const double *values, size_t n,
         int64_t ts)
{
    for (size_t i = 0; i < n; i++) {
        rules_mem_series_t *s = rules_mem_series (self->mem, labels[i], 0, !self->keep_unwatched);
        if (s)
            rules_mem_add (self->mem, s, ts, values[i]);
    }
    rules_labels_ref_t *refs = rules_arena_calloc (self->arena, n ? n : 1, sizeof *refs);
    rules_labels_index (labels, n, refs);
    for (size_t i = 0; i < rt->nprev; i++) {
        if (rules_labels_index_find (refs, n, labels, rt->prev[i]) >= 0)
            continue;
        rules_mem_series_t *s = rules_mem_find (self->mem, rt->prev[i]);
        if (s)
            rules_mem_add (self->mem, s, ts, rules_stale_nan ());
    }
    s_free_prev (rt);
    rt->prev = vg_calloc (n ? n : 1, sizeof *rt->prev);
    for (size_t i = 0; i < n; i++)
        rt->prev[i] = rules_labels_dup (labels[i]->items, labels[i]->n);
    rt->nprev = n;
}

static int
s_has_duplicates (rules_exec_t *self, rules_labels_t **labels, size_t n)
{
    rules_labels_ref_t *refs = rules_arena_calloc (self->arena, n ? n : 1, sizeof *refs);
    rules_labels_index (labels, n, refs);
    return rules_labels_index_has_equal (refs, n, labels);
}

static int
s_fail (s_rt_t *rt, char *err, size_t errlen, const char *msg)
{
    snprintf (rt->err, sizeof rt->err, "%s", msg);
    snprintf (err, errlen, "%s", msg);
    return VG_EINVAL;
}

static const char *
s_expand (rules_exec_t *self, const rules_tmpl_t *t, const char *plain,
          const rules_tmpl_data_t *data)
{
    if (!t || rules_tmpl_is_plain (t))
        return plain;
    vg_buf_reset (&self->buf);
    rules_tmpl_expand (t, data, &self->buf);
    return rules_arena_strndup (self->arena, self->buf.data ? self->buf.data : "", self->buf.len);
}

static int
s_record_rule (rules_exec_t *self, const rules_group_t *grp, const rules_rule_t *rule, s_rt_t *rt,
               rules_sample_t *samples, size_t n, int64_t ts, char *err, size_t errlen)
{
    rules_labels_t **labels = rules_arena_calloc (self->arena, n ? n : 1, sizeof *labels);
    double *values = rules_arena_calloc (self->arena, n ? n : 1, sizeof *values);
    for (size_t i = 0; i < n; i++) {
        rules_labels_t *l =
            rules_labels_set (self->arena, samples[i].labels, RULES_NAME_LABEL, rule->name);
        for (size_t k = 0; k < rule->nlabels; k++)
            l = rules_labels_set (self->arena, l, rule->labels[k].key, rule->labels[k].value);
        labels[i] = l;
        values[i] = samples[i].v;
    }
    if (s_has_duplicates (self, labels, n))
        return s_fail (rt, err, errlen,
                       "vector contains metrics with the same labelset after applying rule labels");
    if (grp->limit > 0 && (int64_t)n > grp->limit) {
        char msg[128];
        snprintf (msg, sizeof msg, "exceeded limit of %lld with %zu series", (long long)grp->limit,
                  n);
        return s_fail (rt, err, errlen, msg);
    }
    s_write (self, rt, labels, values, n, ts);
    return 0;
}

static int
s_alert_rule (rules_exec_t *self, size_t g, size_t r, s_rt_t *rt, rules_sample_t *samples, size_t n,
              int64_t ts, rules_transitions_t *out, char *err, size_t errlen)
{
    const rules_group_t *grp = &self->set->groups[g];
    const rules_rule_t *rule = &grp->rules[r];
    rules_state_input_t *in = rules_arena_calloc (self->arena, n ? n : 1, sizeof *in);
    rules_labels_t **all = rules_arena_calloc (self->arena, n ? n : 1, sizeof *all);
    for (size_t i = 0; i < n; i++) {
        rules_tmpl_data_t data = {.labels = samples[i].labels,
                                  .value = samples[i].v,
                                  .external_labels = self->ext,
                                  .external_url = self->ext_url};
        rules_labels_t *l = rules_labels_drop_name (self->arena, samples[i].labels);
        for (size_t k = 0; k < rule->nlabels; k++)
            l = rules_labels_set (
                self->arena, l, rule->labels[k].key,
                s_expand (self, rule->label_tmpls[k], rule->labels[k].value, &data));
        l = rules_labels_set (self->arena, l, "alertname", rule->name);
        vg_label_t *ann = rules_arena_calloc (self->arena, rule->nannotations + 1, sizeof *ann);
        for (size_t k = 0; k < rule->nannotations; k++)
            ann[k] = (vg_label_t){
                rule->annotations[k].key,
                s_expand (self, rule->annotation_tmpls[k], rule->annotations[k].value, &data)};
        in[i] = (rules_state_input_t){.labels = l,
                                      .annotations = ann,
                                      .nannotations = rule->nannotations,
                                      .value = samples[i].v};
        all[i] = l;
    }
    if (s_has_duplicates (self, all, n))
        return s_fail (rt, err, errlen,
                       "vector contains metrics with the same labelset after applying alert "
                       "labels");
    rules_state_rule_t info = rules_exec_rule_info (self, g, r);
    size_t since = out ? out->n : 0;
    size_t active = rules_state_update (&rt->alerts, &info, in, n, ts, out);
    if (grp->limit > 0 && (int64_t)active > grp->limit) {
        rules_state_clear (&rt->alerts, &info, ts, out, since);
        s_write (self, rt, NULL, NULL, 0, ts);
        char msg[128];
        snprintf (msg, sizeof msg, "exceeded limit of %lld with %zu alerts", (long long)grp->limit,
                  active);
        return s_fail (rt, err, errlen, msg);
    }
    /* ALERTS{alertname, alertstate, ...} = 1 for each pending or firing alert. */
    size_t m = 0;
    rules_labels_t **series = rules_arena_calloc (self->arena, rt->alerts.n + 1, sizeof *series);
    double *ones = rules_arena_calloc (self->arena, rt->alerts.n + 1, sizeof *ones);
    for (size_t i = 0; i < rt->alerts.n; i++) {
        const rules_active_t *a = &rt->alerts.items[i];
        if (a->state != RULES_ALERT_PENDING && a->state != RULES_ALERT_FIRING)
            continue;
        rules_labels_t *l = rules_labels_set (self->arena, a->labels, RULES_NAME_LABEL, "ALERTS");
        l = rules_labels_set (self->arena, l, "alertstate",
                              a->state == RULES_ALERT_FIRING ? "firing" : "pending");
        series[m] = l;
        ones[m++] = 1;
    }
    s_write (self, rt, series, ones, m, ts);
    return 0;
}

int
rules_exec_rule (rules_exec_t *self, size_t g, size_t r, int64_t ts, rules_transitions_t *out,
                 char *err, size_t errlen)
{
    const rules_group_t *grp = &self->set->groups[g];
    const rules_rule_t *rule = &grp->rules[r];
    s_rt_t *rt = &self->rt[self->first[g] + r];
    rules_arena_reset (self->arena);
    rt->err[0] = '\0';
    rules_value_t v;
    char why[512];
    if (rules_eval (rule->expr, rules_mem_source (self->mem), ts, self->arena, &v, why,
                    sizeof why) != 0)
        return s_fail (rt, err, errlen, why);
    rules_sample_t *samples = v.samples;
    size_t n = v.n;
    if (v.type == RULES_T_SCALAR) {
        samples = rules_arena_calloc (self->arena, 1, sizeof *samples);
        samples[0] = (rules_sample_t){rules_labels_empty (), v.scalar, ts};
        n = 1;
    }
    if (!rule->is_alert)
        return s_record_rule (self, grp, rule, rt, samples, n, ts, err, errlen);
    return s_alert_rule (self, g, r, rt, samples, n, ts, out, err, errlen);
}

/* Static labels of a rule (no template) that the alert's labels must carry
 * for the alert to be that rule's: tells rules sharing an alertname apart. */
static int
s_rule_claims (const rules_rule_t *rule, const rules_labels_t *labels)
{
    for (size_t i = 0; i < rule->nlabels; i++) {
        if (rule->label_tmpls[i] && !rules_tmpl_is_plain (rule->label_tmpls[i]))
            continue;
        const char *v = rules_labels_get (labels, rule->labels[i].key);
        if (!v ? rule->labels[i].value[0] != '\0' : strcmp (v, rule->labels[i].value) != 0)
            return 0;
    }
    return 1;
}

int
rules_exec_find_rule (rules_exec_t *self, const char *rule_key, const rules_labels_t *labels,
                      size_t *g, size_t *r)
{
    int found = 0;
    for (size_t gi = 0; gi < self->set->ngroups; gi++)
        for (size_t ri = 0; ri < self->set->groups[gi].nrules; ri++) {
            const rules_rule_t *rule = &self->set->groups[gi].rules[ri];
            if (!rule->is_alert || strcmp (self->rt[self->first[gi] + ri].rule_key, rule_key) != 0)
                continue;
            int claims = s_rule_claims (rule, labels);
            if (!found || claims) {
                *g = gi;
                *r = ri;
                if (claims)
                    return 1;
                found = 1;
            }
        }
    return found;
}
