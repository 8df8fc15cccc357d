/*  http_rules.c - the rules stage's figures. */
#include "http_rules.h"

#include <stdio.h>

static void
s_metric (vg_buf_t *out, const char *name, const char *type, const char *help)
{
    vg_buf_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
s_value (vg_buf_t *out, const char *name, const char *type, const char *help, unsigned long long v)
{
    s_metric (out, name, type, help);
    vg_buf_printf (out, "%s %llu\n", name, v);
}

static void
s_metrics (vg_buf_t *out, void *arg)
{
    rules_engine_stats_t st = rules_engine_stats (arg);
    s_value (out, "vigil_rules_evaluations_total", "counter",
             "Rule evaluations since start (on data and on the groups' intervals).",
             st.evaluations);
    s_value (out, "vigil_rules_evaluation_failures_total", "counter",
             "Rule evaluations that failed (an expression's error, a group over its limit).",
             st.eval_errors);
    s_metric (out, "vigil_rules_evaluation_duration_seconds", "histogram",
              "How long one rule's evaluation took.");
    unsigned long long cum = 0;
    for (size_t b = 0; b < RULES_ENGINE_EVAL_BUCKETS; b++) {
        cum += st.eval_buckets[b];
        vg_buf_printf (out, "vigil_rules_evaluation_duration_seconds_bucket{le=\"%g\"} %llu\n",
                       rules_engine_eval_bounds[b], cum);
    }
    cum += st.eval_buckets[RULES_ENGINE_EVAL_BUCKETS];
    vg_buf_printf (out,
                   "vigil_rules_evaluation_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                   "vigil_rules_evaluation_duration_seconds_sum %.6f\n"
                   "vigil_rules_evaluation_duration_seconds_count %llu\n",
                   cum, st.eval_seconds, cum);
    s_metric (out, "vigil_rules_alerts", "gauge", "Alerts the rules hold, by state.");
    vg_buf_printf (out, "vigil_rules_alerts{state=\"pending\"} %zu\n", st.pending);
    vg_buf_printf (out, "vigil_rules_alerts{state=\"firing\"} %zu\n", st.firing);
    s_value (out, "vigil_rules_transitions_stored_total", "counter",
             "Alert transitions stored in PostgreSQL (with what notify made of them).",
             st.transitions);
    s_value (out, "vigil_rules_transitions_waiting", "gauge",
             "Alert transitions waiting for the database.", st.backlog);
    s_value (out, "vigil_rules_transitions_dropped_total", "counter",
             "Alert transitions dropped, the database unreachable too long.", st.backlog_dropped);
    s_value (out, "vigil_rules_queue_depth", "gauge",
             "Committed batches waiting for the rule engine.", st.queued);
    s_value (out, "vigil_rules_queue_bytes", "gauge", "What the queued batches hold, in bytes.",
             st.queued_bytes);
    s_value (out, "vigil_rules_batches_applied_total", "counter",
             "Committed batches the engine applied to its windows.", st.batches);
    s_value (out, "vigil_rules_batches_overflowed_total", "counter",
             "Batches that did not fit in the queue (their windows are read back from "
             "PostgreSQL).",
             st.batches_lost);
    s_value (out, "vigil_rules_series", "gauge", "Series some rule reads, kept in memory.",
             st.series);
    s_value (out, "vigil_rules_samples", "gauge", "Samples kept in memory for the rules' windows.",
             st.samples);
    s_value (out, "vigil_rules_memory_bytes", "gauge", "What those series and samples take.",
             st.bytes);
    s_value (out, "vigil_rules_rules", "gauge", "Rules loaded.", st.rules);
    s_value (out, "vigil_rules_ready", "gauge",
             "1 once the windows are read back and rules are evaluated.", (unsigned)st.ready);
}

void
http_rules_register (rules_engine_t *engine, http_server_t *http)
{
    http_server_metrics (http, s_metrics, engine);
}
