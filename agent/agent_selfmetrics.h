/*  agent_selfmetrics.h - the agent's own figures, as ordinary series in its
 *  batches (agent.self_metrics): what it holds, what it dropped and why, how
 *  long sending and acknowledging take, and what each input costs.
 */
#ifndef AGENT_SELFMETRICS_H
#define AGENT_SELFMETRICS_H

#include "agent_queue.h"
#include "agent_sender.h"
#include "agent_sink.h"
#include "agent_spool.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;
    uint64_t samples;       /* produced since the start */
    uint64_t errors;        /* failed collections since the start */
    double collect_seconds; /* the last collection (the loop's time in it) */
} agent_selfmetrics_input_t;

typedef struct {
    int64_t now_ms;
    const agent_queue_stats_t *queue;
    const agent_spool_stats_t *spool; /* NULL: no spool */
    const agent_sender_stats_t *sender;
    const agent_selfmetrics_input_t *inputs;
    size_t ninputs;
} agent_selfmetrics_t;

/* Writes every figure into the sink (its batch and time set by the caller). */
void agent_selfmetrics_emit (agent_sink_t *sink, const agent_selfmetrics_t *f);

#endif
