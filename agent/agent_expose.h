/*  agent_expose.h - a batch as Prometheus text (exposition format 0.0.4), and
 *  `vigil-agent --once`, which prints what every input collects.
 *
 *      # TYPE cpu_percent gauge
 *      cpu_percent{mode="user"} 3.5
 *      # TYPE request_seconds summary
 *      request_seconds{endpoint="/chat",quantile="0.5"} 0.41
 *      ...
 *      request_seconds_sum{endpoint="/chat"} 97.2
 *      request_seconds_count{endpoint="/chat"} 210
 *
 *  Gauges and counters keep their kind; a distribution becomes a summary with
 *  the quantiles 0.5, 0.9, 0.95 and 0.99. Output is sorted by name, then by
 *  labels, so it is stable. A series with several samples shows its latest.
 */
#ifndef AGENT_EXPOSE_H
#define AGENT_EXPOSE_H

#include "agent_config.h"
#include "vg_batch.h"
#include "vg_buf.h"

#include <stdio.h>

/* Appends the batch's samples to out. Events are not part of the format and
 * are left out. */
void agent_expose_batch (const vg_batch_t *batch, vg_buf_t *out);

/* Runs every input of config: init, collect, then one second later collect
 * again into a fresh batch (rates need two readings), and prints that second
 * batch to out. Inputs get a private temporary state directory, so a running
 * agent's state is not touched. Returns 0, or a negative VG_E* code when any
 * input's init or collect failed; each reason is printed to errs. Connects
 * nowhere. */
int agent_expose_once (agent_config_t *config, FILE *out, FILE *errs);

#endif
