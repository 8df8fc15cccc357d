/*  agent_config.h - agent.yaml: the agent's own settings and its inputs.
 *
 *      agent:
 *        collector: tcp://127.0.0.1:5555
 *        interval: 10s
 *      inputs:
 *        - type: system
 *          labels: {role: web}
 *
 *  Parsing is driven by option tables (vg_config.h), so every error names
 *  file, line and key, unknown keys are errors, and --help lists every key
 *  with its default. Each input's plugin options are parsed into a context of
 *  the plugin's ctx_size that the configuration owns; agent_config_input_start
 *  and _stop run the plugin's init and fini on it.
 */
#ifndef AGENT_CONFIG_H
#define AGENT_CONFIG_H

#include "agent_input.h"
#include "vg_config.h"
#include "vg_log.h"

#include <stddef.h>
#include <stdint.h>

#define AGENT_CONFIG_DEFAULT_PATH "/etc/vigil/agent.yaml"

/* The agent: section. Strings are owned. */
typedef struct {
    char *id;               /* "" : generated once and kept in state_dir/agent_id */
    char *hostname;         /* "" : gethostname () */
    vg_strlist_t collector; /* ZeroMQ endpoints of the collectors, in failover order */
    int64_t interval_ms;
    char *state_dir;
    int64_t ack_timeout_ms;
    int64_t ack_timeout_max_ms; /* resends back off up to this */
    int64_t max_in_flight;      /* batches awaiting an answer at once */
    int64_t failover_timeout_ms;
    int64_t failback_after_ms;
    int64_t max_pending; /* 0: no count bound */
    int64_t spool_max_bytes;
    int64_t spool_max_age_ms;
    int64_t spool_fsync_ms; /* AGENT_SPOOL_FSYNC_ALWAYS, _NEVER or an interval */
    int64_t memory_max_bytes;
    int64_t shutdown_timeout_ms;
    char *log_level;
    int self_metrics;               /* add the agent's own counters to every batch */
    char *transport;                /* "curve" or "plain" (agent_curve.h) */
    char *curve_secret_key;         /* the agent's zcert secret file */
    char *curve_server_key;         /* the collector's zcert public file */
    vg_log_level_t log_level_value; /* log_level, parsed */
} agent_settings_t;

/* One configured input instance. */
typedef struct {
    const agent_input_plugin_t *plugin;
    char *name; /* unique; defaults to the plugin's name */
    int64_t interval_ms;
    vg_labels_t labels;
    void *ctx;   /* plugin->ctx_size bytes with the option fields filled; owned */
    int line;    /* where the entry starts in the file */
    int started; /* init succeeded and fini has not run yet */
} agent_input_conf_t;

typedef struct {
    char *path; /* the file it came from (or the name given to _load_string) */
    agent_settings_t agent;
    agent_input_conf_t *inputs;
    size_t ninputs;
    size_t inputs_cap;
} agent_config_t;

/* Loads and validates a file: syntax, every key and value, and each input's
 * plugin options (but no plugin's init). On error returns NULL and fills err
 * with "file:line: key: reason". */
agent_config_t *agent_config_load (const char *path, char *err, size_t errlen);
/* The same from text in memory; name stands for the file name in messages. */
agent_config_t *agent_config_load_string (const char *name, const char *yaml, char *err,
                                          size_t errlen);
/* Stops inputs still started, then frees everything. Accepts NULL. */
void agent_config_destroy (agent_config_t **self_p);

/* Runs the plugin's init for one input. On failure fills err with the reason
 * (prefixed with the input's name) and returns a negative VG_E* code. */
int agent_config_input_start (agent_input_conf_t *input, const char *state_dir, char *err,
                              size_t errlen);
/* Runs the plugin's fini if the input was started. */
void agent_config_input_stop (agent_input_conf_t *input);

/* The option tables, for --help and docs. */
const vg_option_t *agent_config_agent_options (void);
const vg_option_t *agent_config_input_options (void);
/* Prints every agent key, the keys common to all inputs and each input plugin
 * with its description and options, to stdout. */
void agent_config_print_reference (void);

#endif
