/*  test_alert.c - alerts and transitions for the notify stage's tests. */
#include "test_alert.h"
#include "test_assert.h"

#include <stdlib.h>
#include <string.h>

uint64_t
test_alert_fingerprint (const vg_label_t *labels, size_t n)
{
    const vg_label_t *sorted[TEST_ALERT_MAX_LABELS];
    for (size_t i = 0; i < n; i++)
        sorted[i] = &labels[i];
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp (sorted[j]->key, sorted[j - 1]->key) < 0; j--) {
            const vg_label_t *t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        const char *parts[2] = {sorted[i]->key, sorted[i]->value};
        for (int p = 0; p < 2; p++) {
            for (const unsigned char *c = (const unsigned char *)parts[p]; *c; c++) {
                h ^= *c;
                h *= 1099511628211ULL;
            }
            h ^= 0xff;
            h *= 1099511628211ULL;
        }
    }
    return h;
}

static size_t
s_pairs (const char *const *kv, vg_label_t *out)
{
    size_t n = 0;
    for (size_t i = 0; kv && kv[i] && kv[i + 1] && n < TEST_ALERT_MAX_LABELS; i += 2, n++) {
        out[n].key = kv[i];
        out[n].value = kv[i + 1];
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp (out[j].key, out[j - 1].key) < 0; j--) {
            vg_label_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

void
test_alert_init (test_alert_t *self, int64_t id, const char *const *labels,
                 const char *const *annotations)
{
    memset (self, 0, sizeof *self);
    rules_alert_t *a = &self->alert;
    a->id = id;
    a->group = "test";
    a->expr = "up == 0";
    a->nlabels = s_pairs (labels, self->labels);
    a->labels = self->labels;
    a->nannotations = s_pairs (annotations, self->annotations);
    a->annotations = self->annotations;
    a->fingerprint = test_alert_fingerprint (a->labels, a->nlabels);
    a->state = RULES_ALERT_PENDING;
    a->value = 1;
}

void
test_alert_transition (test_alert_t *self, PGconn *conn, rules_alert_state_t state, int64_t now_ms,
                       rules_transition_fn *fn, void *arg)
{
    rules_alert_t *a = &self->alert;
    rules_alert_state_t from = a->state;
    a->state = state;
    if (state == RULES_ALERT_PENDING)
        a->active_ms = now_ms;
    if (state == RULES_ALERT_FIRING) {
        a->fired_ms = now_ms;
        a->resolved_ms = 0;
    }
    if (state == RULES_ALERT_RESOLVED)
        a->resolved_ms = now_ms;
    PGresult *res = PQexec (conn, "BEGIN");
    PQclear (res);
    char err[1024] = "";
    if (fn (conn, a, from, now_ms, arg, err, sizeof err) != 0)
        TEST_FAIL ("transition of alert %lld: %s", (long long)a->id, err);
    res = PQexec (conn, "COMMIT");
    if (PQresultStatus (res) != PGRES_COMMAND_OK)
        TEST_FAIL ("commit: %s", PQerrorMessage (conn));
    PQclear (res);
}
