/*  agent_input.h - the input plugin interface.
 *
 *  An input is a descriptor and an option table (after Fluent Bit's plugins):
 *
 *      const agent_input_plugin_t in_system_plugin = {
 *          .name = "system", .description = "CPU, memory, disk, network, load",
 *          .options = s_options, .ctx_size = sizeof (system_ctx_t),
 *          .init = s_init, .collect = s_collect, .fini = s_fini,
 *      };
 *
 *  The core allocates ctx_size zeroed bytes per configured instance, fills the
 *  option fields (offsets into that context) from agent.yaml, then calls init.
 *  collect runs every interval and writes samples into the sink; it returns 0,
 *  or a negative VG_E* code with the reason in err (the core logs it at a
 *  limited rate and backs the input off). fini frees what init and collect
 *  allocated; the core then frees the option fields and the context itself.
 *  When init fails, fini is not called: init cleans up after itself.
 *  A target being down is data (up 0), not a collect error. A target that
 *  answered with something the input refused (an invalid exposition) is data
 *  too, and the input logs it; collect then returns AGENT_INPUT_REJECTED with
 *  the reason in err, which the loop takes as success and --once as failure.
 */
#ifndef AGENT_INPUT_H
#define AGENT_INPUT_H

#include "agent_sink.h"
#include "vg_buf.h"
#include "vg_config.h"

#include <stddef.h>
#include <stdint.h>

/* collect's answer when the target's data was refused (> 0: not an error). */
#define AGENT_INPUT_REJECTED 1

typedef struct {
    const char *instance;  /* the instance's name ("system", "api-health") */
    const char *state_dir; /* the agent's state directory, for inputs that remember */
    int64_t interval_ms;
} agent_input_env_t;

typedef struct {
    const char *name;
    const char *description;
    const vg_option_t *options; /* NULL-terminated; fields live in the context */
    size_t ctx_size;
    int (*init) (void *ctx, const agent_input_env_t *env, char *err, size_t errlen);
    int (*collect) (void *ctx, agent_sink_t *sink, int64_t now_ms, char *err, size_t errlen);
    void (*fini) (void *ctx);
    /* Optional, for inputs fed by a socket (statsd): a descriptor the loop
     * polls, and what to do when it is readable. */
    int (*poll_fd) (void *ctx);
    void (*on_readable) (void *ctx, int64_t now_ms);
    /* Optional, for inputs whose collect only starts work that finishes on
     * the loop later (HTTP requests through libcurl's multi interface): when
     * poll_fd is readable, on_ready runs instead of on_readable, with a sink
     * for the results. busy says whether started work is unfinished. */
    void (*on_ready) (void *ctx, agent_sink_t *sink, int64_t now_ms);
    int (*busy) (void *ctx);
    /* Optional, with on_ready: what the work finished since the last call
     * came to, as collect would have answered it (0, or AGENT_INPUT_REJECTED
     * with the reason in err), so --once can report a refused target whose
     * answer came after collect returned. Reading it clears it. */
    int (*outcome) (void *ctx, char *err, size_t errlen);
    /* Optional, for inputs that remember how far they read (logtail): the
     * batch sealed as seq holds all that was collected so far, so checkpoint
     * notes the position reached as seq's and appends it, as text, to out:
     * the spool writes it with the batch in one write, so a kill leaves both
     * or neither. restore, after init and before the first collect, gives
     * back the newest position the spool held. commit says every batch up to
     * seq is safe (in the spool as its fsync policy promises, or
     * acknowledged), so the latest position noted for a seq <= it may be
     * saved in the input's own state file too. A line is thus never read
     * again once its batch is kept, nor lost before. */
    int (*checkpoint) (void *ctx, uint64_t seq, vg_buf_t *out);
    void (*restore) (void *ctx, const uint8_t *text, size_t len, uint64_t seq);
    void (*commit) (void *ctx, uint64_t seq);
} agent_input_plugin_t;

/* Every plugin the agent knows, NULL-terminated (agent_inputs.c). */
extern const agent_input_plugin_t *const agent_input_plugins[];
const agent_input_plugin_t *agent_input_find (const char *name);

#endif
