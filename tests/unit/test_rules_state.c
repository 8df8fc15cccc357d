/*  test_rules_state.c - the alert state machine with an injected clock:
 *  for, keep_firing_for, flapping, absent, up, a restart that restores pending
 *  and firing alerts, resolved alerts that come back, group limits; and
 *  Alertmanager's fingerprint on its own test vectors. */
#include "rules_exec.h"
#include "rules_index.h"
#include "rules_queue.h"
#include "rules_file.h"
#include "rules_mem.h"
#include "rules_parse.h"
#include "rules_state.h"
#include "test_assert.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN 60000

static rules_set_t *s_set;
static rules_mem_t *s_mem;
static rules_exec_t *s_exec;
static rules_transitions_t s_tr;

static void
s_setup (const char *yaml)
{
    rules_exec_destroy (&s_exec);
    rules_mem_destroy (&s_mem);
    rules_set_destroy (&s_set);
    rules_transitions_free (&s_tr);
    vg_buf_t errs = {0};
    s_set = rules_file_parse ("state.yml", yaml, &errs);
    if (!s_set)
        TEST_FAIL ("%s", errs.data);
    s_mem = rules_mem_new (0);
    s_exec = rules_exec_new (s_set, s_mem, NULL, NULL);
}

static void
s_sample (const char *series, int64_t t, double v)
{
    rules_parse_error_t perr;
    rules_labels_t *l = rules_parse_series (series, &perr);
    ASSERT (l);
    rules_mem_add (s_mem, rules_mem_series (s_mem, l, 0, 0), t, v);
    free (l);
}

/* Evaluates rule 0 of group 0 at t; returns how many transitions it made. */
static size_t
s_eval (int64_t t)
{
    rules_transitions_clear (&s_tr);
    char err[256];
    if (rules_exec_rule (s_exec, 0, 0, t, &s_tr, err, sizeof err) != 0)
        TEST_FAIL ("eval at %lld: %s", (long long)t, err);
    return s_tr.n;
}

static rules_state_t *
s_state (void)
{
    return rules_exec_state (s_exec, 0, 0);
}

static void
s_expect_transition (size_t i, rules_alert_state_t from, rules_alert_state_t to, int64_t at)
{
    ASSERT_LT (i, s_tr.n);
    const rules_transition_t *t = &s_tr.items[i];
    if (t->from != from || t->alert.state != to || t->at_ms != at)
        TEST_FAIL ("transition %zu: %s -> %s at %lld, expected %s -> %s at %lld", i,
                   rules_state_name (t->from), rules_state_name (t->alert.state),
                   (long long)t->at_ms, rules_state_name (from), rules_state_name (to),
                   (long long)at);
}

static void
s_for (void)
{
    s_setup ("groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n    for: 3m\n"
             "    labels: {severity: critical}\n"
             "    annotations: {summary: '{{ $labels.host }} down at {{ $value }}'}\n");
    s_sample ("up{host=\"a\"}", 0, 1);
    ASSERT_EQ (s_eval (0), 0);
    ASSERT_EQ (s_state ()->n, 0);
    for (int m = 1; m <= 6; m++)
        s_sample ("up{host=\"a\"}", m * MIN, 0);
    ASSERT_EQ (s_eval (1 * MIN), 1);
    s_expect_transition (0, RULES_ALERT_INACTIVE, RULES_ALERT_PENDING, MIN);
    const rules_transition_t *t = &s_tr.items[0];
    ASSERT_EQ (t->alert.active_ms, MIN);
    ASSERT_STR_EQ (t->rule_key, "g/Down");
    ASSERT_STR_EQ (t->alert.group, "g");
    ASSERT_STR_EQ (t->alert.expr, "up == 0");
    ASSERT_EQ (t->alert.nlabels, 3);
    ASSERT_STR_EQ (t->alert.labels[0].key, "alertname");
    ASSERT_STR_EQ (t->alert.labels[0].value, "Down");
    ASSERT_STR_EQ (t->alert.labels[1].key, "host");
    ASSERT_STR_EQ (t->alert.labels[2].value, "critical");
    ASSERT_EQ (t->alert.nannotations, 1);
    ASSERT_STR_EQ (t->alert.annotations[0].value, "a down at 0");
    ASSERT_EQ (t->alert.fingerprint, rules_labels_fingerprint (t->alert.labels, t->alert.nlabels));
    /* Still pending until 3 minutes have passed: at 4m it fires. */
    ASSERT_EQ (s_eval (2 * MIN), 0);
    ASSERT_EQ (s_eval (3 * MIN + 59999), 0);
    ASSERT_EQ (s_state ()->items[0].state, RULES_ALERT_PENDING);
    ASSERT_EQ (s_eval (4 * MIN), 1);
    s_expect_transition (0, RULES_ALERT_PENDING, RULES_ALERT_FIRING, 4 * MIN);
    ASSERT_EQ (s_tr.items[0].alert.fired_ms, 4 * MIN);
    ASSERT_EQ (s_tr.items[0].alert.active_ms, MIN);
    ASSERT_EQ (s_eval (5 * MIN), 0);
    /* Up again: resolved at once. */
    s_sample ("up{host=\"a\"}", 7 * MIN, 1);
    ASSERT_EQ (s_eval (7 * MIN), 1);
    s_expect_transition (0, RULES_ALERT_FIRING, RULES_ALERT_RESOLVED, 7 * MIN);
    ASSERT_EQ (s_tr.items[0].alert.resolved_ms, 7 * MIN);
    /* Down again: a new alert, with a new start. */
    s_sample ("up{host=\"a\"}", 8 * MIN, 0);
    ASSERT_EQ (s_eval (8 * MIN), 1);
    s_expect_transition (0, RULES_ALERT_INACTIVE, RULES_ALERT_PENDING, 8 * MIN);
    ASSERT_EQ (s_tr.items[0].alert.active_ms, 8 * MIN);
    ASSERT_EQ (s_tr.items[0].alert.id, 0);
    /* The resolved one is forgotten 15 minutes after resolving. */
    ASSERT_EQ (s_state ()->n, 1);
}

static void
s_for_zero (void)
{
    /* Without for, a new alert fires at its first evaluation: one
     * transition, inactive -> firing. */
    s_setup ("groups:\n- name: g\n  rules:\n  - alert: Now\n    expr: x > 1\n");
    s_sample ("x", 0, 5);
    ASSERT_EQ (s_eval (0), 1);
    s_expect_transition (0, RULES_ALERT_INACTIVE, RULES_ALERT_FIRING, 0);
    ASSERT_EQ (s_tr.items[0].alert.value, 5);
}

static void
s_keep_firing (void)
{
    s_setup ("groups:\n- name: g\n  rules:\n  - alert: Blip\n    expr: x > 0\n"
             "    keep_firing_for: 3m\n");
    s_sample ("x", 0, 1);
    ASSERT_EQ (s_eval (0), 1);
    s_expect_transition (0, RULES_ALERT_INACTIVE, RULES_ALERT_FIRING, 0);
    s_sample ("x", MIN, 0);
    /* Gone at 1m: held while less than 3 minutes have passed since. */
    ASSERT_EQ (s_eval (MIN), 0);
    ASSERT_EQ (s_state ()->items[0].keep_since_ms, MIN);
    ASSERT_EQ (s_eval (3 * MIN + 59999), 0);
    ASSERT_EQ (s_state ()->items[0].state, RULES_ALERT_FIRING);
    ASSERT_EQ (s_eval (4 * MIN), 1);
    s_expect_transition (0, RULES_ALERT_FIRING, RULES_ALERT_RESOLVED, 4 * MIN);
    /* Back within the hold: the hold starts over. */
    s_setup ("groups:\n- name: g\n  rules:\n  - alert: Blip\n    expr: x > 0\n"
             "    keep_firing_for: 3m\n");
    s_sample ("x", 0, 1);
    s_eval (0);
    s_sample ("x", MIN, 0);
    s_eval (MIN);
    s_sample ("x", 2 * MIN, 1);
    ASSERT_EQ (s_eval (2 * MIN), 0);
    ASSERT_EQ (s_state ()->items[0].keep_since_ms, 0);
    s_sample ("x", 3 * MIN, 0);
    ASSERT_EQ (s_eval (3 * MIN), 0);
    ASSERT_EQ (s_eval (5 * MIN + 59999), 0);
    ASSERT_EQ (s_eval (6 * MIN), 1);
    s_expect_transition (0, RULES_ALERT_FIRING, RULES_ALERT_RESOLVED, 6 * MIN);
}

static void
s_flapping (void)
{
    s_setup ("groups:\n- name: g\n  rules:\n  - alert: Flap\n    expr: x == 1\n    for: 2m\n");
    size_t pending = 0, dropped = 0;
    for (int m = 0; m < 10; m++) {
        s_sample ("x", m * MIN, m % 2 == 0);
        s_eval (m * MIN);
        for (size_t i = 0; i < s_tr.n; i++) {
            ASSERT (s_tr.items[i].alert.state != RULES_ALERT_FIRING);
            pending += s_tr.items[i].alert.state == RULES_ALERT_PENDING;
            dropped += s_tr.items[i].alert.state == RULES_ALERT_INACTIVE;
        }
    }
    ASSERT_EQ (pending, 5);
    ASSERT_EQ (dropped, 5);
    /* A dropped pending alert is forgotten at once. */
    ASSERT_EQ (s_state ()->n, 0);
}

static void
s_absent (void)
{
    s_setup ("groups:\n- name: g\n  rules:\n  - alert: NoBackup\n"
             "    expr: absent(backup_age_seconds{job=\"db\"})\n    for: 10m\n");
    s_sample ("backup_age_seconds{job=\"db\"}", 0, 100);
    ASSERT_EQ (s_eval (0), 0);
    /* The last sample goes out of the 5-minute lookback after 5m. */
    ASSERT_EQ (s_eval (5 * MIN - 1), 0);
    ASSERT_EQ (s_eval (5 * MIN), 1);
    s_expect_transition (0, RULES_ALERT_INACTIVE, RULES_ALERT_PENDING, 5 * MIN);
    ASSERT_STR_EQ (s_tr.items[0].alert.labels[1].key, "job");
    ASSERT_EQ (s_eval (15 * MIN), 1);
    s_expect_transition (0, RULES_ALERT_PENDING, RULES_ALERT_FIRING, 15 * MIN);
    s_sample ("backup_age_seconds{job=\"db\"}", 16 * MIN, 5);
    ASSERT_EQ (s_eval (16 * MIN), 1);
    s_expect_transition (0, RULES_ALERT_FIRING, RULES_ALERT_RESOLVED, 16 * MIN);
}

static void
s_restore (void)
{
    /* A pending alert put back after a restart keeps its start, so it fires
     * 'for' after it first became pending, not after the restart. */
    s_setup ("groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n    for: 5m\n");
    vg_label_t items[] = {{"alertname", "Down"}, {"host", "a"}};
    rules_labels_t *l = rules_labels_dup (items, 2);
    rules_active_t a = {.id = 42,
                        .fingerprint = rules_labels_fingerprint (l->items, l->n),
                        .labels = l,
                        .state = RULES_ALERT_PENDING,
                        .active_ms = 2 * MIN};
    rules_state_restore (s_state (), &a);
    free (l);
    s_sample ("up{host=\"a\"}", 6 * MIN, 0);
    ASSERT_EQ (s_eval (6 * MIN), 0);
    ASSERT_EQ (s_eval (7 * MIN), 1);
    s_expect_transition (0, RULES_ALERT_PENDING, RULES_ALERT_FIRING, 7 * MIN);
    ASSERT_EQ (s_tr.items[0].alert.id, 42);
    ASSERT_EQ (s_tr.items[0].alert.active_ms, 2 * MIN);
    /* A firing alert put back is not fired again. */
    s_setup ("groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n    for: 5m\n");
    l = rules_labels_dup (items, 2);
    a.labels = l;
    a.state = RULES_ALERT_FIRING;
    a.fired_ms = 5 * MIN;
    rules_state_restore (s_state (), &a);
    free (l);
    s_sample ("up{host=\"a\"}", 9 * MIN, 0);
    ASSERT_EQ (s_eval (9 * MIN), 0);
    ASSERT_EQ (s_state ()->items[0].state, RULES_ALERT_FIRING);
    ASSERT_EQ (s_state ()->items[0].fired_ms, 5 * MIN);
}

static void
s_limit (void)
{
    s_setup ("groups:\n- name: g\n  limit: 1\n  rules:\n  - alert: Many\n    expr: x > 0\n");
    s_sample ("x{i=\"1\"}", 0, 1);
    ASSERT_EQ (s_eval (0), 1);
    s_sample ("x{i=\"2\"}", MIN, 1);
    rules_transitions_clear (&s_tr);
    char err[256];
    ASSERT_EQ (rules_exec_rule (s_exec, 0, 0, MIN, &s_tr, err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "exceeded limit of 1 with 2 alerts");
    /* Every alert of the rule is dropped: the firing one resolves. */
    ASSERT_EQ (s_state ()->n, 0);
    ASSERT_EQ (s_tr.n, 1);
    s_expect_transition (0, RULES_ALERT_FIRING, RULES_ALERT_RESOLVED, MIN);
}

static void
s_duplicates (void)
{
    /* Two results that are one alert once the name is gone: an error. */
    s_setup ("groups:\n- name: g\n  rules:\n  - alert: Dup\n    expr: '{__name__=~\"a|b\"} > 0'\n");
    s_sample ("a{k=\"1\"}", 0, 1);
    s_sample ("b{k=\"1\"}", 0, 1);
    char err[256];
    ASSERT_EQ (rules_exec_rule (s_exec, 0, 0, 0, &s_tr, err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "same labelset after applying alert labels");
}

static void
s_many (void)
{
    /* Thousands of alerts of one rule: each result finds its own alert (by
     * fingerprint, then labels), those still there make no transition, those
     * gone resolve; a duplicate among thousands is still caught; the ALERTS
     * series of a resolved alert gets its staleness marker. */
    s_setup ("groups:\n- name: g\n  rules:\n  - alert: Many\n    expr: v > 0\n");
    char name[64];
    for (int i = 0; i < 3000; i++) {
        snprintf (name, sizeof name, "v{i=\"%04d\"}", i);
        s_sample (name, 0, 1);
        s_sample (name, 1000, i % 3 ? 1 : 0);
    }
    ASSERT_EQ (s_eval (0), 3000);
    ASSERT_EQ (s_state ()->n, 3000);
    ASSERT_EQ (s_eval (1000), 1000);
    for (size_t k = 0; k < s_tr.n; k++) {
        const char *i = rules_labels_get (s_tr.items[k].labels, "i");
        ASSERT (i && atoi (i) % 3 == 0);
        s_expect_transition (k, RULES_ALERT_FIRING, RULES_ALERT_RESOLVED, 1000);
    }
    ASSERT_EQ (s_eval (1001), 0);
    /* ALERTS: the resolved ones' series end (a staleness marker) at 1000. */
    const char *expr = "count (ALERTS{alertname=\"Many\"})";
    rules_parse_error_t perr;
    rules_node_t *node = rules_parse (expr, strlen (expr), &perr);
    ASSERT (node);
    rules_arena_t *arena = rules_arena_new ();
    rules_value_t v;
    char err[256];
    ASSERT_EQ (rules_eval (node, rules_mem_source (s_mem), 999, arena, &v, err, sizeof err), 0);
    ASSERT (v.n == 1 && v.samples[0].v == 3000);
    ASSERT_EQ (rules_eval (node, rules_mem_source (s_mem), 1001, arena, &v, err, sizeof err), 0);
    ASSERT (v.n == 1 && v.samples[0].v == 2000);
    rules_arena_destroy (&arena);
    rules_ast_destroy (&node);

    s_setup ("groups:\n- name: g\n  rules:\n  - alert: Dup\n    expr: '{__name__=~\"a|b\"} > 0'\n");
    for (int i = 0; i < 2000; i++) {
        snprintf (name, sizeof name, "a{k=\"%d\"}", i);
        s_sample (name, 0, 1);
    }
    s_sample ("b{k=\"1999\"}", 0, 1);
    ASSERT_EQ (rules_exec_rule (s_exec, 0, 0, 0, &s_tr, err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "same labelset after applying alert labels");
}

static void
s_fingerprints (void)
{
    /* Alertmanager's vectors (prometheus/common model/signature_test.go). */
    ASSERT (rules_labels_fingerprint (NULL, 0) == 14695981039346656037ULL);
    vg_label_t a[] = {{"name", "garland, briggs"}, {"fear", "love is not enough"}};
    ASSERT (rules_labels_fingerprint (a, 2) == 5799056148416392346ULL);
    vg_label_t b[] = {{"alertname", "TestAlert"}};
    ASSERT (rules_labels_fingerprint (b, 1) == 0xdab43189276e5f48ULL);
}

/* A batch from host h at the injected time now, through the queue and the
 * index as the engine takes it. */
static void
s_batch_in (rules_index_t *index, rules_queue_t *q, int64_t host_id, const char *host, int64_t now)
{
    vg_batch_t *b = vg_batch_new (host, host);
    b->interval_ms = 10000;
    uint32_t s = vg_batch_series (b, "load1", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, s, now, 0.5);
    int64_t ids[] = {host_id * 100};
    coll_committed_t c = {.host_id = host_id,
                          .hostname = host,
                          .batch = b,
                          .series_ids = ids,
                          .received_ms = now,
                          .committed_ms = now,
                          .min_ts_ms = now - MIN,
                          .max_ts_ms = now + MIN};
    ASSERT_EQ (rules_queue_push (q, &c, 1), 0);
    size_t n;
    int overflowed;
    rules_queue_batch_t **items = rules_queue_drain (q, &n, &overflowed);
    ASSERT_EQ (n, 1);
    ASSERT (!overflowed);
    rules_index_apply (index, s_mem, items[0], NULL, NULL);
    rules_queue_batch_free (&items[0]);
    free (items);
    vg_batch_destroy (&b);
}

static void
s_up (void)
{
    /* up{host} is 1 while batches come, 0 after three agent intervals
     * (10 s here) without one; HostDown waits 20 s more. */
    s_setup ("groups:\n- name: g\n  rules:\n  - alert: HostDown\n    expr: up == 0\n"
             "    for: 20s\n");
    rules_exec_watch (s_exec);
    rules_index_t *index = rules_index_new (0);
    rules_queue_t *q = rules_queue_new (1 << 20, NULL, NULL);
    int64_t t0 = 1000 * MIN;
    s_batch_in (index, q, 1, "web1", t0);
    rules_index_up (index, s_mem, t0, NULL, NULL);
    ASSERT_EQ (s_eval (t0), 0);
    /* Exactly three intervals: still up. */
    rules_index_up (index, s_mem, t0 + 30000, NULL, NULL);
    ASSERT_EQ (s_eval (t0 + 30000), 0);
    rules_index_up (index, s_mem, t0 + 30001, NULL, NULL);
    ASSERT_EQ (s_eval (t0 + 30001), 1);
    s_expect_transition (0, RULES_ALERT_INACTIVE, RULES_ALERT_PENDING, t0 + 30001);
    ASSERT_STR_EQ (rules_labels_get (s_tr.items[0].labels, "host"), "web1");
    rules_index_up (index, s_mem, t0 + 50001, NULL, NULL);
    ASSERT_EQ (s_eval (t0 + 50001), 1);
    s_expect_transition (0, RULES_ALERT_PENDING, RULES_ALERT_FIRING, t0 + 50001);
    /* A batch again: up at once, resolved. */
    s_batch_in (index, q, 1, "web1", t0 + 55000);
    rules_index_up (index, s_mem, t0 + 55000, NULL, NULL);
    ASSERT_EQ (s_eval (t0 + 55000), 1);
    s_expect_transition (0, RULES_ALERT_FIRING, RULES_ALERT_RESOLVED, t0 + 55000);
    /* A host the index knows only from the database (its last contact long
     * ago) is down at once. */
    rules_index_host (index, 2, "db1", t0 - 10 * MIN, 0);
    rules_index_up (index, s_mem, t0 + 56000, NULL, NULL);
    ASSERT_EQ (s_eval (t0 + 56000), 1);
    s_expect_transition (0, RULES_ALERT_INACTIVE, RULES_ALERT_PENDING, t0 + 56000);
    ASSERT_STR_EQ (rules_labels_get (s_tr.items[0].labels, "host"), "db1");
    ASSERT_EQ (rules_index_hosts (index), 2);
    rules_queue_destroy (&q);
    rules_index_destroy (&index);
}

int
main (void)
{
    s_fingerprints ();
    s_for ();
    s_for_zero ();
    s_keep_firing ();
    s_flapping ();
    s_absent ();
    s_restore ();
    s_limit ();
    s_duplicates ();
    s_many ();
    s_up ();
    rules_exec_destroy (&s_exec);
    rules_mem_destroy (&s_mem);
    rules_set_destroy (&s_set);
    rules_transitions_free (&s_tr);
    printf ("test_rules_state: ok\n");
    return 0;
}
