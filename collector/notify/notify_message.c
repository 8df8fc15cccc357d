/*  notify_message.c - what every receiver's message is computed from. */
#include "notify_message.h"
#include "notify_route.h"
#include "vg_alloc.h"

#include <stdlib.h>
#include <string.h>

/* LabelSet.Before: fewer labels first, then by the first differing
 * (name, value) over the names of both, sorted. */
static int
s_before (const notify_alert_t *a, const notify_alert_t *b)
{
    if (a->nlabels != b->nlabels)
        return a->nlabels < b->nlabels;
    /* Both are sorted by name: walk them together. */
    size_t i = 0, j = 0;
    while (i < a->nlabels && j < b->nlabels) {
        int d = strcmp (a->labels[i].key, b->labels[j].key);
        if (d < 0)
            return 0; /* a has a name b lacks: with the names merged, b misses it first */
        if (d > 0)
            return 1;
        int v = strcmp (a->labels[i].value, b->labels[j].value);
        if (v)
            return v < 0;
        i++;
        j++;
    }
    return 0;
}

static int
s_label_find (const notify_alert_t *a, const char *name, const char **value)
{
    for (size_t i = 0; i < a->nlabels; i++)
        if (strcmp (a->labels[i].key, name) == 0) {
            *value = a->labels[i].value;
            return 1;
        }
    return 0;
}

static int
s_less (const notify_alert_t *a, const notify_alert_t *b)
{
    static const char *keys[] = {"job", "instance"};
    for (int k = 0; k < 2; k++) {
        const char *va = NULL, *vb = NULL;
        int ha = s_label_find (a, keys[k], &va), hb = s_label_find (b, keys[k], &vb);
        if (!ha && !hb)
            continue;
        if (!ha)
            return 0;
        if (!hb)
            return 1;
        int d = strcmp (va, vb);
        if (d)
            return d < 0;
    }
    return s_before (a, b);
}

void
notify_message_sort (notify_alert_t **alerts, size_t n)
{
    /* Stable insertion sort: groups are small, and Alertmanager's is stable. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && s_less (alerts[j], alerts[j - 1]); j--) {
            notify_alert_t *t = alerts[j];
            alerts[j] = alerts[j - 1];
            alerts[j - 1] = t;
        }
}

int
notify_message_firing (const notify_message_t *m)
{
    for (size_t i = 0; i < m->nalerts; i++)
        if (m->alerts[i]->state == RULES_ALERT_FIRING)
            return 1;
    return 0;
}

size_t
notify_message_common (const notify_message_t *m, int annotations, vg_label_t *out)
{
    if (m->nalerts == 0)
        return 0;
    const notify_alert_t *first = m->alerts[0];
    const vg_label_t *kv = annotations ? first->annotations : first->labels;
    size_t n = annotations ? first->nannotations : first->nlabels, k = 0;
    for (size_t i = 0; i < n; i++) {
        int all = 1;
        for (size_t a = 1; all && a < m->nalerts; a++) {
            const notify_alert_t *x = m->alerts[a];
            const vg_label_t *xs = annotations ? x->annotations : x->labels;
            size_t xn = annotations ? x->nannotations : x->nlabels;
            int found = 0;
            for (size_t j = 0; j < xn && !found; j++)
                found =
                    strcmp (xs[j].key, kv[i].key) == 0 && strcmp (xs[j].value, kv[i].value) == 0;
            all = found;
        }
        if (all)
            out[k++] = kv[i];
    }
    return k;
}

void
notify_message_title (const notify_message_t *m, vg_buf_t *out)
{
    size_t firing = 0;
    for (size_t i = 0; i < m->nalerts; i++)
        firing += m->alerts[i]->state == RULES_ALERT_FIRING;
    if (firing)
        vg_buf_printf (out, "[FIRING:%zu]", firing);
    else
        vg_buf_puts (out, "[RESOLVED]");
    for (size_t i = 0; i < m->ngroup; i++)
        vg_buf_printf (out, " %s", m->group_labels[i].value);
    vg_label_t *common = vg_calloc (m->nalerts ? m->alerts[0]->nlabels + 1 : 1, sizeof *common);
    size_t nc = notify_message_common (m, 0, common), shown = 0;
    for (size_t i = 0; i < nc; i++) {
        int grouped = 0;
        for (size_t g = 0; g < m->ngroup && !grouped; g++)
            grouped = strcmp (m->group_labels[g].key, common[i].key) == 0;
        if (grouped)
            continue;
        vg_buf_puts (out, shown++ ? " " : " (");
        vg_buf_puts (out, common[i].value);
    }
    if (shown)
        vg_buf_puts (out, ")");
    free (common);
}

const char *
notify_message_summary (const notify_alert_t *a)
{
    static const char *keys[] = {"summary", "description"};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < a->nannotations; i++)
            if (strcmp (a->annotations[i].key, keys[k]) == 0)
                return a->annotations[i].value;
    return notify_matcher_label (a->labels, a->nlabels, "alertname");
}

const char *
notify_message_annotation (const notify_alert_t *a, const char *key)
{
    for (size_t i = 0; i < a->nannotations; i++)
        if (strcmp (a->annotations[i].key, key) == 0)
            return a->annotations[i].value;
    return NULL;
}

const char *
notify_message_runbook (const notify_alert_t *a)
{
    const char *url = notify_message_annotation (a, "runbook_url");
    return url ? url : notify_message_annotation (a, "runbook");
}

void
notify_message_quote_meta (vg_buf_t *out, const char *s)
{
    for (; *s; s++) {
        if (strchr ("\\.+*?()|[]{}^$", *s))
            vg_buf_append (out, "\\", 1);
        vg_buf_append (out, s, 1);
    }
}

void
notify_message_add_links (notify_message_t *m)
{
    if (!m->signer || !m->signer->have_key)
        return;
    for (size_t i = 0; i < m->nalerts; i++) {
        notify_alert_t *a = m->alerts[i];
        if (a->state != RULES_ALERT_FIRING)
            continue;
        vg_buf_t link = {0};
        notify_ack_link (m->signer, a->id, m->now_ms, &link);
        size_t at = 0;
        while (at < a->nannotations && strcmp (a->annotations[at].key, "ack_url") < 0)
            at++;
        if (at < a->nannotations && strcmp (a->annotations[at].key, "ack_url") == 0) {
            free ((char *)a->annotations[at].value);
            a->annotations[at].value = link.data;
            continue;
        }
        a->annotations =
            vg_realloc (a->annotations, (a->nannotations + 1) * sizeof *a->annotations);
        memmove (a->annotations + at + 1, a->annotations + at,
                 (a->nannotations - at) * sizeof *a->annotations);
        a->annotations[at].key = vg_strdup ("ack_url");
        a->annotations[at].value = link.data;
        a->nannotations++;
    }
}
