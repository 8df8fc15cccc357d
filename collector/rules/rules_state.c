/*  rules_state.c - Prometheus's alert state machine, with transitions. */
#include "rules_state.h"
#include "vg_alloc.h"

#include <stdlib.h>
#include <string.h>

static const char *const s_names[] = {"inactive", "pending", "firing", "resolved"};

const char *
rules_state_name (rules_alert_state_t state)
{
    return state <= RULES_ALERT_RESOLVED ? s_names[state] : "unknown";
}

int
rules_state_parse (const char *name, rules_alert_state_t *state)
{
    for (int i = 0; i <= RULES_ALERT_RESOLVED; i++)
        if (strcmp (s_names[i], name) == 0) {
            *state = (rules_alert_state_t)i;
            return 0;
        }
    return -1;
}

static uint64_t
s_fingerprint (const rules_labels_t *l)
{
    return rules_labels_fingerprint (l->items, l->n);
}

static vg_label_t *
s_dup_items (const vg_label_t *items, size_t n)
{
    vg_label_t *out = vg_calloc (n ? n : 1, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = (vg_label_t){vg_strdup (items[i].key), vg_strdup (items[i].value)};
    return out;
}

static void
s_free_items (vg_label_t *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++) {
        free ((char *)items[i].key);
        free ((char *)items[i].value);
    }
    free (items);
}

static void
s_free_active (rules_active_t *a)
{
    free (a->labels);
    s_free_items (a->annotations, a->nannotations);
}

static void
s_set_annotations (rules_active_t *a, const vg_label_t *items, size_t n)
{
    size_t same = n == a->nannotations ? 0 : n + 1;
    while (same < n && strcmp (items[same].key, a->annotations[same].key) == 0 &&
           strcmp (items[same].value, a->annotations[same].value) == 0)
        same++;
    if (same == n)
        return; /* unchanged: no copy */
    s_free_items (a->annotations, a->nannotations);
    a->annotations = s_dup_items (items, n);
    a->nannotations = n;
}

/* One of the alerts indexed by fingerprint (refs sorted), or NULL. */
static rules_active_t *
s_find_indexed (rules_state_t *self, const rules_labels_ref_t *refs, size_t n, uint64_t fp,
                const rules_labels_t *labels)
{
    for (size_t i = rules_labels_refs_lower (refs, n, fp); i < n && refs[i].hash == fp; i++)
        if (rules_labels_equal (self->items[refs[i].at].labels, labels))
            return &self->items[refs[i].at];
    return NULL;
}

rules_active_t *
rules_state_find (rules_state_t *self, uint64_t fp, const rules_labels_t *labels)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->items[i].fingerprint == fp && rules_labels_equal (self->items[i].labels, labels))
            return &self->items[i];
    return NULL;
}

static void s_transition_free (rules_transition_t *t);

static void
s_record (const rules_state_rule_t *rule, const rules_active_t *a, rules_alert_state_t from,
          int64_t ts, rules_transitions_t *out)
{
    if (!out || from == a->state)
        return;
    VG_GROW (out->items, out->cap, out->n + 1);
    rules_transition_t *t = &out->items[out->n++];
    memset (t, 0, sizeof *t);
    t->from = from;
    t->at_ms = ts;
    t->rule_key = vg_strdup (rule->rule_key);
    t->keep_since_ms = a->keep_since_ms;
    t->labels = rules_labels_dup (a->labels->items, a->labels->n);
    t->annotations = s_dup_items (a->annotations, a->nannotations);
    t->nannotations = a->nannotations;
    t->group = vg_strdup (rule->group);
    t->expr = vg_strdup (rule->expr);
    t->alert = (rules_alert_t){.id = a->id,
                               .fingerprint = a->fingerprint,
                               .group = t->group,
                               .expr = t->expr,
                               .labels = t->labels->items,
                               .nlabels = t->labels->n,
                               .annotations = t->annotations,
                               .nannotations = t->nannotations,
                               .state = a->state,
                               .value = a->value,
                               .active_ms = a->active_ms,
                               .fired_ms = a->fired_ms,
                               .resolved_ms = a->resolved_ms};
}

static rules_active_t *
s_add (rules_state_t *self)
{
    VG_GROW (self->items, self->cap, self->n + 1);
    rules_active_t *a = &self->items[self->n++];
    memset (a, 0, sizeof *a);
    return a;
}

size_t
rules_state_update (rules_state_t *self, const rules_state_rule_t *rule,
                    const rules_state_input_t *in, size_t n, int64_t ts, rules_transitions_t *out)
{
    /* What each alert was before this evaluation, and whether it is in the
     * result now. */
    size_t old_n = self->n;
    rules_alert_state_t *before = vg_malloc ((old_n + n + 1) * sizeof *before);
    unsigned char *seen = vg_calloc (old_n + n + 1, 1);
    rules_labels_ref_t *refs = vg_malloc ((old_n + 1) * sizeof *refs);
    for (size_t i = 0; i < old_n; i++) {
        before[i] = self->items[i].state;
        refs[i] = (rules_labels_ref_t){self->items[i].fingerprint, i};
    }
    rules_labels_refs_sort (refs, old_n);
    /* The results' label sets are distinct (the caller checks), so each is
     * one of the alerts there were before, or a new one. */
    for (size_t k = 0; k < n; k++) {
        uint64_t fp = s_fingerprint (in[k].labels);
        rules_active_t *a = s_find_indexed (self, refs, old_n, fp, in[k].labels);
        if (a && a->state != RULES_ALERT_INACTIVE && a->state != RULES_ALERT_RESOLVED) {
            a->value = in[k].value;
            s_set_annotations (a, in[k].annotations, in[k].nannotations);
            seen[a - self->items] = 1;
            continue;
        }
        if (a) {
            /* A resolved alert whose label set is back: a new alert. */
            size_t idx = (size_t)(a - self->items);
            s_free_active (a);
            memset (a, 0, sizeof *a);
            before[idx] = RULES_ALERT_INACTIVE;
        } else {
            a = s_add (self);
            before[self->n - 1] = RULES_ALERT_INACTIVE;
        }
        a->labels = rules_labels_dup (in[k].labels->items, in[k].labels->n);
        a->fingerprint = fp;
        a->annotations = s_dup_items (in[k].annotations, in[k].nannotations);
        a->nannotations = in[k].nannotations;
        a->state = RULES_ALERT_PENDING;
        a->active_ms = ts;
        a->value = in[k].value;
        seen[a - self->items] = 1;
    }
    size_t active = 0;
    unsigned char *drop = vg_calloc (self->n + 1, 1);
    for (size_t i = 0; i < self->n; i++) {
        rules_active_t *a = &self->items[i];
        if (!seen[i]) {
            int keep = 0;
            if (a->state == RULES_ALERT_FIRING && rule->keep_firing_for_ms > 0) {
                if (a->keep_since_ms == 0)
                    a->keep_since_ms = ts;
                keep = ts - a->keep_since_ms < rule->keep_firing_for_ms;
            }
            if (a->state == RULES_ALERT_PENDING ||
                (a->state == RULES_ALERT_RESOLVED &&
                 ts - a->resolved_ms > RULES_RESOLVED_RETENTION_MS))
                drop[i] = 1;
            if (!keep) {
                if (a->state == RULES_ALERT_PENDING)
                    a->state = RULES_ALERT_INACTIVE;
                else if (a->state == RULES_ALERT_FIRING) {
                    a->state = RULES_ALERT_RESOLVED;
                    a->resolved_ms = ts;
                }
                continue;
            }
        } else
            a->keep_since_ms = 0;
        active++;
        if (a->state == RULES_ALERT_PENDING && ts - a->active_ms >= rule->for_ms) {
            a->state = RULES_ALERT_FIRING;
            a->fired_ms = ts;
        }
    }
    for (size_t i = 0; i < self->n; i++)
        s_record (rule, &self->items[i], before[i], ts, out);
    /* Forget what was dropped, keeping the order of the rest. */
    size_t m = 0;
    for (size_t i = 0; i < self->n; i++) {
        if (drop[i])
            s_free_active (&self->items[i]);
        else
            self->items[m++] = self->items[i];
    }
    self->n = m;
    free (drop);
    free (before);
    free (seen);
    free (refs);
    return active;
}

void
rules_state_clear (rules_state_t *self, const rules_state_rule_t *rule, int64_t ts,
                   rules_transitions_t *out, size_t since)
{
    /* What each alert was before the evaluation being undone. */
    rules_alert_state_t *before = vg_malloc ((self->n + 1) * sizeof *before);
    for (size_t i = 0; i < self->n; i++) {
        rules_active_t *a = &self->items[i];
        before[i] = a->state;
        for (size_t k = since; out && k < out->n; k++)
            if (out->items[k].alert.fingerprint == a->fingerprint &&
                rules_labels_equal (out->items[k].labels, a->labels))
                before[i] = out->items[k].from;
    }
    if (out && since < out->n) {
        for (size_t k = since; k < out->n; k++)
            s_transition_free (&out->items[k]);
        out->n = since;
    }
    for (size_t i = 0; i < self->n; i++) {
        rules_active_t *a = &self->items[i];
        if (before[i] == RULES_ALERT_PENDING)
            a->state = RULES_ALERT_INACTIVE;
        else if (before[i] == RULES_ALERT_FIRING) {
            a->state = RULES_ALERT_RESOLVED;
            a->resolved_ms = ts;
        } else
            a->state = before[i];
        s_record (rule, a, before[i], ts, out);
        s_free_active (a);
    }
    free (before);
    self->n = 0;
}

void
rules_state_restore (rules_state_t *self, const rules_active_t *alert)
{
    rules_active_t *a = rules_state_find (self, alert->fingerprint, alert->labels);
    if (a)
        s_free_active (a);
    else
        a = s_add (self);
    *a = *alert;
    a->labels = rules_labels_dup (alert->labels->items, alert->labels->n);
    a->annotations = s_dup_items (alert->annotations, alert->nannotations);
}

void
rules_state_free (rules_state_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        s_free_active (&self->items[i]);
    free (self->items);
    memset (self, 0, sizeof *self);
}

static void
s_transition_free (rules_transition_t *t)
{
    free (t->rule_key);
    free (t->labels);
    s_free_items (t->annotations, t->nannotations);
    free (t->group);
    free (t->expr);
}

void
rules_transitions_clear (rules_transitions_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        s_transition_free (&self->items[i]);
    self->n = 0;
}

void
rules_transitions_free (rules_transitions_t *self)
{
    rules_transitions_clear (self);
    free (self->items);
    memset (self, 0, sizeof *self);
}

void
rules_transitions_drop (rules_transitions_t *self, size_t n)
{
    if (n > self->n)
        n = self->n;
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        s_transition_free (&self->items[i]);
    memmove (self->items, self->items + n, (self->n - n) * sizeof *self->items);
    self->n -= n;
}
