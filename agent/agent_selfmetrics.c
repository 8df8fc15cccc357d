/*  agent_selfmetrics.c - the agent's own figures as series. */
#include "agent_selfmetrics.h"

#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *const s_drop_reason[AGENT_QUEUE_DROP_REASONS] = {
    "spool_bytes", "spool_age", "memory", "max_pending", "corrupt",
};

void
agent_selfmetrics_emit (agent_sink_t *sk, const agent_selfmetrics_t *f)
{
    const agent_queue_stats_t *q = f->queue;
    const agent_sender_stats_t *st = f->sender;
    vg_label_t l = {"reason", NULL};

    agent_sink_gauge (sk, "vigil_agent_batches_pending", NULL, 0, (double)q->batches);
    agent_sink_gauge (sk, "vigil_agent_batches_in_memory", NULL, 0, (double)q->memory_batches);
    agent_sink_gauge (sk, "vigil_agent_memory_bytes", NULL, 0, (double)q->memory_bytes);
    double age = q->oldest_ms > 0 && f->now_ms > q->oldest_ms
                     ? (double)(f->now_ms - q->oldest_ms) / 1000.0
                     : 0.0;
    agent_sink_gauge (sk, "vigil_agent_oldest_unacked_seconds", NULL, 0, age);
    for (int i = 0; i < AGENT_QUEUE_DROP_REASONS; i++) {
        l.value = s_drop_reason[i];
        agent_sink_counter (sk, "vigil_agent_batches_dropped_total", &l, 1, (double)q->dropped[i]);
    }
    if (f->spool) {
        const agent_spool_stats_t *sp = f->spool;
        agent_sink_gauge (sk, "vigil_agent_spool_bytes", NULL, 0, (double)sp->bytes);
        agent_sink_gauge (sk, "vigil_agent_spool_batches", NULL, 0, (double)sp->batches);
        agent_sink_gauge (sk, "vigil_agent_spool_segments", NULL, 0, (double)sp->segments);
        l.value = "corrupt";
        agent_sink_counter (sk, "vigil_agent_spool_skipped_total", &l, 1, (double)sp->corrupt);
        l.value = "torn";
        agent_sink_counter (sk, "vigil_agent_spool_skipped_total", &l, 1, (double)sp->torn);
        l.value = "write";
        agent_sink_counter (sk, "vigil_agent_spool_errors_total", &l, 1, (double)sp->write_errors);
        l.value = "sync";
        agent_sink_counter (sk, "vigil_agent_spool_errors_total", &l, 1, (double)sp->sync_errors);
        agent_sink_counter (sk, "vigil_agent_spool_syncs_total", NULL, 0, (double)sp->syncs);
    }
    agent_sink_counter (sk, "vigil_agent_batches_sent_total", NULL, 0, (double)st->sent);
    agent_sink_counter (sk, "vigil_agent_batches_resent_total", NULL, 0, (double)st->resent);
    agent_sink_counter (sk, "vigil_agent_batches_acked_total", NULL, 0, (double)st->acked);
    agent_sink_counter (sk, "vigil_agent_batches_rejected_total", NULL, 0, (double)st->rejected);
    agent_sink_counter (sk, "vigil_agent_batches_retried_total", NULL, 0, (double)st->retried);
    agent_sink_counter (sk, "vigil_agent_failovers_total", NULL, 0, (double)st->failovers);
    agent_sink_gauge (sk, "vigil_agent_batches_in_flight", NULL, 0, (double)st->in_flight);
    agent_sink_gauge (sk, "vigil_agent_collector_index", NULL, 0, (double)st->endpoint);
    agent_sink_gauge (sk, "vigil_agent_connected", NULL, 0, st->connected ? 1.0 : 0.0);
    if (st->last_ack_latency_ms >= 0)
        agent_sink_gauge (sk, "vigil_agent_ack_latency_seconds", NULL, 0,
                          (double)st->last_ack_latency_ms / 1000.0);
    if (st->last_send_delay_ms >= 0)
        agent_sink_gauge (sk, "vigil_agent_send_delay_seconds", NULL, 0,
                          (double)st->last_send_delay_ms / 1000.0);
    for (size_t i = 0; i < f->ninputs; i++) {
        const agent_selfmetrics_input_t *in = &f->inputs[i];
        vg_label_t label = {"input", in->name};
        agent_sink_counter (sk, "vigil_agent_input_samples_total", &label, 1, (double)in->samples);
        agent_sink_counter (sk, "vigil_agent_input_errors_total", &label, 1, (double)in->errors);
        agent_sink_gauge (sk, "vigil_agent_input_collect_seconds", &label, 1, in->collect_seconds);
    }
    struct rusage ru;
    if (getrusage (RUSAGE_SELF, &ru) == 0)
        agent_sink_counter (sk, "vigil_agent_cpu_seconds_total", NULL, 0,
                            (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                                (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    FILE *fp = fopen ("/proc/self/statm", "re");
    unsigned long size = 0, resident = 0;
    if (fp && fscanf (fp, "%lu %lu", &size, &resident) == 2)
        agent_sink_gauge (sk, "vigil_agent_rss_bytes", NULL, 0,
                          (double)resident * (double)sysconf (_SC_PAGESIZE));
    if (fp)
        fclose (fp);
}
