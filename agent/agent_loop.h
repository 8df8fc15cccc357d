/*  agent_loop.h - the agent's one thread: inputs on timers, batches out,
 *  acks in, signals.
 *
 *  Every input instance has its own next due time (monotonic clock) and
 *  collects into the open batch, stamped with the wall clock. A failing input
 *  backs off - its interval doubles, up to 16 times, and comes back after a
 *  success - and is complained about at most once a minute; the others are
 *  not held up. Every agent.interval the open batch, if not empty, gets the
 *  next sequence number, is encoded and handed to the sender.
 *
 *  Signals are taken synchronously (signalfd), so none is lost between two
 *  polls:
 *      SIGTERM, SIGINT  stop collecting, send the open batch, wait up to
 *                       agent.shutdown_timeout for acknowledgements, log
 *                       "stopped: last seq N, K batches unacknowledged";
 *                       a second one ends the wait at once.
 *      SIGHUP           reload the configuration file; a file with an error
 *                       is logged and the running configuration kept.
 */
#ifndef AGENT_LOOP_H
#define AGENT_LOOP_H

#include "agent_config.h"

#include <stddef.h>

typedef struct agent_loop_t agent_loop_t;

/* Takes ownership of *config_p and nulls it. Blocks SIGTERM, SIGINT and SIGHUP
 * in the calling thread (before any other thread exists, so that every
 * thread inherits the mask), opens the state directory, connects to the
 * collector and starts every input. verbose keeps debug logging on whatever
 * agent.log_level says. On failure returns NULL and fills err with what
 * happened and what to do; the signal mask is restored. */
agent_loop_t *agent_loop_new (agent_config_t **config_p, int verbose, char *err, size_t errlen);
/* Stops the inputs, closes the sockets and restores the signal mask. */
void agent_loop_destroy (agent_loop_t **self_p);

/* Runs until SIGTERM or SIGINT, then shuts down as above. Returns 0. */
int agent_loop_run (agent_loop_t *self);

#endif
