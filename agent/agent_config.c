/*  agent_config.c - agent.yaml: the agent's own settings and its inputs. */
#include "agent_config.h"
#include "agent_spool.h"
#include "agent_curve.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The top level: two keys whose nodes are walked by hand. Going through
 * vg_config_apply still makes any other top-level key an error. */
typedef struct {
    vg_cnode_t *agent;
    vg_cnode_t *inputs;
} s_top_t;

/* The keys every input has, whatever its type. */
typedef struct {
    char *type;
    char *name;
    int64_t interval_ms;
    vg_labels_t labels;
} s_common_t;

static int
s_keep_node (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
             size_t errlen)
{
    (void)cfg, (void)key, (void)err, (void)errlen;
    *(vg_cnode_t **)field = node;
    return VG_OK;
}

static const vg_option_t s_top_options[] = {
    {.name = "agent",
     .type = VG_OPT_CUSTOM,
     .offset = offsetof (s_top_t, agent),
     .help = "the agent's own settings",
     .parse = s_keep_node},
    {.name = "inputs",
     .type = VG_OPT_CUSTOM,
     .offset = offsetof (s_top_t, inputs),
     .help = "the list of inputs",
     .parse = s_keep_node},
    {.name = NULL},
};

#define S_DAY_MS (86400.0 * 1000)

/* spool_fsync: always, never, or a duration. */
static int
s_parse_fsync (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
               size_t errlen)
{
    size_t len = 0;
    const char *text = vg_cnode_scalar (node, &len);
    int64_t *ms = field;
    if (text && len == 6 && strncmp (text, "always", 6) == 0) {
        *ms = AGENT_SPOOL_FSYNC_ALWAYS;
        return VG_OK;
    }
    if (text && len == 5 && strncmp (text, "never", 5) == 0) {
        *ms = AGENT_SPOOL_FSYNC_NEVER;
        return VG_OK;
    }
    char buf[64];
    if (text && len < sizeof buf) {
        memcpy (buf, text, len);
        buf[len] = '\0';
        if (vg_parse_duration_ms (buf, ms) == VG_OK && *ms >= 10 && *ms <= 3600 * 1000)
            return VG_OK;
    }
    return vg_config_error (cfg, node, key, err, errlen,
                            "expected always, never or a duration from 10ms to 1h like 1s");
}

static const vg_option_t s_agent_options[] = {
    {"id", VG_OPT_STRING, "", 0, 0, offsetof (agent_settings_t, id), 0,
     "agent id; empty: generated once and kept in state_dir/agent_id", NULL, NULL},
    {"hostname", VG_OPT_STRING, "", 0, 0, offsetof (agent_settings_t, hostname), 0,
     "host name sent with every batch; empty: the system's host name", NULL, NULL},
    {"collector", VG_OPT_STRING_LIST, "tcp://127.0.0.1:5555", 0, 0,
     offsetof (agent_settings_t, collector), 0,
     "ZeroMQ endpoint of the collector, or a list of them to fail over along", NULL, NULL},
    {"interval", VG_OPT_DURATION, "10s", 100, S_DAY_MS, offsetof (agent_settings_t, interval_ms), 0,
     "how often a batch is made and sent; inputs default to it", NULL, NULL},
    {"state_dir", VG_OPT_STRING, "/var/lib/vigil-agent", 0, 0,
     offsetof (agent_settings_t, state_dir), 0,
     "where the agent id, the sequence reservation and input state are kept", NULL, NULL},
    {"ack_timeout", VG_OPT_DURATION, "10s", 100, S_DAY_MS,
     offsetof (agent_settings_t, ack_timeout_ms), 0,
     "resend a batch the collector has not acknowledged within this", NULL, NULL},
    {"ack_timeout_max", VG_OPT_DURATION, "5m", 100, S_DAY_MS,
     offsetof (agent_settings_t, ack_timeout_max_ms), 0,
     "resends back off from ack_timeout, doubling (with jitter) up to this", NULL, NULL},
    {"max_in_flight", VG_OPT_INT, "64", 1, 100000, offsetof (agent_settings_t, max_in_flight), 0,
     "batches sent and awaiting an answer at once; the backlog follows as answers come", NULL,
     NULL},
    {"failover_timeout", VG_OPT_DURATION, "30s", 100, S_DAY_MS,
     offsetof (agent_settings_t, failover_timeout_ms), 0,
     "with several collectors: no answer this long while batches wait moves to the next", NULL,
     NULL},
    {"failback_after", VG_OPT_DURATION, "5m", 100, S_DAY_MS,
     offsetof (agent_settings_t, failback_after_ms), 0,
     "with several collectors: away from this agent's own for this long, try it again", NULL, NULL},
    {"max_pending", VG_OPT_INT, "0", 0, 100000000, offsetof (agent_settings_t, max_pending), 0,
     "batches kept until acknowledged (0: no count bound; the byte bounds apply); past it the "
     "oldest is dropped and counted",
     NULL, NULL},
    {"spool_max_bytes", VG_OPT_SIZE, "256MiB", 128 * 1024, 1024.0 * 1024 * 1024 * 1024,
     offsetof (agent_settings_t, spool_max_bytes), 0,
     "the spool of unacknowledged batches on disk; past it the oldest are dropped and counted",
     NULL, NULL},
    {"spool_max_age", VG_OPT_DURATION, "7d", 1000, 3650 * S_DAY_MS,
     offsetof (agent_settings_t, spool_max_age_ms), 0,
     "spooled batches older than this are dropped and counted", NULL, NULL},
    {"spool_fsync", VG_OPT_CUSTOM, "1s", 0, 0, offsetof (agent_settings_t, spool_fsync_ms), 0,
     "always (every batch), never (the kernel decides), or at most this long after a write",
     s_parse_fsync, NULL},
    {"memory_max_bytes", VG_OPT_SIZE, "16MiB", 64 * 1024, 1024.0 * 1024 * 1024,
     offsetof (agent_settings_t, memory_max_bytes), 0,
     "batches kept in memory while the spool cannot take them (a full disk)", NULL, NULL},
    {"shutdown_timeout", VG_OPT_DURATION, "5s", 0, S_DAY_MS,
     offsetof (agent_settings_t, shutdown_timeout_ms), 0,
     "on SIGTERM, how long to wait for outstanding acknowledgements", NULL, NULL},
    {"log_level", VG_OPT_STRING, "info", 0, 0, offsetof (agent_settings_t, log_level), 0,
     "debug, info, warn or error", NULL, NULL},
    {"self_metrics", VG_OPT_BOOL, "true", 0, 0, offsetof (agent_settings_t, self_metrics), 0,
     "add the agent's own counters (vigil_agent_*) to every batch", NULL, NULL},
    {"transport", VG_OPT_STRING, "curve", 0, 0, offsetof (agent_settings_t, transport), 0,
     "curve (the default; without keys only to a collector on this host) or plain", NULL, NULL},
    {"curve_secret_key", VG_OPT_STRING, "", 0, 0, offsetof (agent_settings_t, curve_secret_key), 0,
     "the agent's secret key file (vigil keygen NAME writes NAME_secret)", NULL, NULL},
    {"curve_server_key", VG_OPT_STRING, "", 0, 0, offsetof (agent_settings_t, curve_server_key), 0,
     "the collector's public key file", NULL, NULL},
    {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};

static const vg_option_t s_input_options[] = {
    {"type", VG_OPT_STRING, NULL, 0, 0, offsetof (s_common_t, type), 1,
     "the input plugin (see the list of input types)", NULL, NULL},
    {"name", VG_OPT_STRING, NULL, 0, 0, offsetof (s_common_t, name), 0,
     "unique name of this instance; default: the type", NULL, NULL},
    {"interval", VG_OPT_DURATION, NULL, 100, S_DAY_MS, offsetof (s_common_t, interval_ms), 0,
     "how often this input collects; default: agent.interval", NULL, NULL},
    {"labels", VG_OPT_LABELS, NULL, 0, 0, offsetof (s_common_t, labels), 0,
     "labels added to every series of this instance, e.g. {role: web}", NULL, NULL},
    {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};

static const vg_option_t s_no_options[] = {{NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL}};
static const char *const s_common_keys[] = {"type", "name", "interval", "labels", NULL};

const vg_option_t *
agent_config_agent_options (void)
{
    return s_agent_options;
}

const vg_option_t *
agent_config_input_options (void)
{
    return s_input_options;
}

static const vg_option_t *
s_plugin_options (const agent_input_plugin_t *plugin)
{
    return plugin->options ? plugin->options : s_no_options;
}

/* "system, process, http" for messages. */
static void
s_plugin_names (char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; agent_input_plugins[i] && used < outlen; i++) {
        int n = snprintf (out + used, outlen - used, "%s%s", i ? ", " : "",
                          agent_input_plugins[i]->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int
s_is_label_key (const char *s)
{
    if (!*s || !(isalpha ((unsigned char)*s) || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!(isalnum ((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

/* Instance names end up in file names (input state) and in labels. */
static int
s_is_instance_name (const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!(isalnum ((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

static vg_cnode_t *
s_node_or (vg_cnode_t *map, const char *key, vg_cnode_t *fallback)
{
    vg_cnode_t *node = map ? vg_cnode_get (map, key) : NULL;
    return node ? node : fallback;
}

static int
s_check_agent (vg_config_t *cfg, vg_cnode_t *map, agent_settings_t *a, char *err, size_t errlen)
{
    vg_cnode_t *root = vg_config_root (cfg);
    if (vg_log_parse_level (a->log_level, &a->log_level_value) != VG_OK)
        return vg_config_error (cfg, s_node_or (map, "log_level", root), "agent.log_level", err,
                                errlen, "\"%s\" is not a log level; use debug, info, warn or error",
                                a->log_level);
    if (a->collector.n == 0)
        return vg_config_error (cfg, s_node_or (map, "collector", root), "agent.collector", err,
                                errlen,
                                "give at least one endpoint, like tcp://collector.example:5555");
    for (size_t i = 0; i < a->collector.n; i++)
        if (!strstr (a->collector.items[i], "://"))
            return vg_config_error (cfg, s_node_or (map, "collector", root), "agent.collector", err,
                                    errlen,
                                    "\"%s\" is not a ZeroMQ endpoint; write it like "
                                    "tcp://collector.example:5555",
                                    a->collector.items[i]);
    char why[512], base[4096] = "";
    const char *path = vg_config_path (cfg);
    if (path && strrchr (path, '/'))
        snprintf (base, sizeof base, "%.*s", (int)(strrchr (path, '/') - path), path);
    if (agent_curve_configure (a->transport, a->curve_secret_key, a->curve_server_key,
                               (const char *const *)a->collector.items, a->collector.n, base, why,
                               sizeof why) != VG_OK) {
        const char *key = map && vg_cnode_get (map, "curve_secret_key") ? "curve_secret_key"
                          : map && vg_cnode_get (map, "transport")      ? "transport"
                                                                        : "collector";
        char full[64];
        snprintf (full, sizeof full, "agent.%s", key);
        return vg_config_error (cfg, s_node_or (map, key, root), full, err, errlen, "%s", why);
    }
    if (!*a->state_dir)
        return vg_config_error (cfg, s_node_or (map, "state_dir", root), "agent.state_dir", err,
                                errlen, "must not be empty; the agent keeps its sequence there");
    size_t idlen = strlen (a->id);
    int printable = 1;
    for (size_t i = 0; i < idlen; i++)
        if (!isgraph ((unsigned char)a->id[i]))
            printable = 0;
    if (idlen > VG_WIRE_MAX_AGENT_ID || !printable)
        return vg_config_error (cfg, s_node_or (map, "id", root), "agent.id", err, errlen,
                                "must be at most %d printable characters without spaces, or empty "
                                "to generate one",
                                VG_WIRE_MAX_AGENT_ID);
    return VG_OK;
}

/* Parses inputs[i] into self->inputs[self->ninputs++]. */
static int
s_parse_input (agent_config_t *self, vg_config_t *cfg, vg_cnode_t *node, size_t i, char *err,
               size_t errlen)
{
    char prefix[32], key[64];
    snprintf (prefix, sizeof prefix, "inputs[%zu]", i);
    if (!vg_cnode_is_map (node))
        return vg_config_error (cfg, node, prefix, err, errlen,
                                "expected a mapping like \"- type: system\"");

    snprintf (key, sizeof key, "%s.type", prefix);
    vg_cnode_t *type_node = vg_cnode_get (node, "type");
    char names[256];
    s_plugin_names (names, sizeof names);
    if (!type_node)
        return vg_config_error (cfg, node, key, err, errlen,
                                "missing; every input needs a type (one of: %s)", names);
    char *type = vg_cnode_strdup (type_node);
    if (!type)
        return vg_config_error (cfg, type_node, key, err, errlen,
                                "expected the name of an input type (one of: %s)", names);
    const agent_input_plugin_t *plugin = agent_input_find (type);
    if (!plugin) {
        int rc = vg_config_error (cfg, type_node, key, err, errlen,
                                  "unknown input type \"%s\"; known types: %s", type, names);
        free (type);
        return rc;
    }
    free (type);

    VG_GROW (self->inputs, self->inputs_cap, self->ninputs + 1);
    agent_input_conf_t *in = &self->inputs[self->ninputs++];
    memset (in, 0, sizeof *in);
    in->plugin = plugin;
    in->line = vg_config_line (node);
    in->ctx = vg_calloc (1, plugin->ctx_size ? plugin->ctx_size : 1);

    /* The common keys first, leaving the plugin's own for the second pass. */
    const vg_option_t *popts = s_plugin_options (plugin);
    size_t nopts = 0;
    while (popts[nopts].name)
        nopts++;
    const char **skip = vg_calloc (nopts + 1, sizeof *skip);
    for (size_t k = 0; k < nopts; k++)
        skip[k] = popts[k].name;
    s_common_t common;
    memset (&common, 0, sizeof common);
    int rc = vg_config_apply (cfg, node, s_input_options, skip, &common, prefix, err, errlen);
    free (skip);
    if (rc == VG_OK)
        rc = vg_config_apply (cfg, node, popts, s_common_keys, in->ctx, prefix, err, errlen);

    if (rc == VG_OK) {
        in->name = vg_strdup (common.name && *common.name ? common.name : plugin->name);
        in->interval_ms = common.interval_ms > 0 ? common.interval_ms : self->agent.interval_ms;
        in->labels = common.labels;
        memset (&common.labels, 0, sizeof common.labels);
        snprintf (key, sizeof key, "%s.name", prefix);
        vg_cnode_t *name_node = s_node_or (node, "name", node);
        if (!s_is_instance_name (in->name))
            rc = vg_config_error (cfg, name_node, key, err, errlen,
                                  "\"%s\" may contain only letters, digits, '_', '-' and '.'",
                                  in->name);
        for (size_t k = 0; rc == VG_OK && k + 1 < self->ninputs; k++)
            if (strcmp (self->inputs[k].name, in->name) == 0)
                rc = vg_config_error (cfg, name_node, key, err, errlen,
                                      "duplicate input name \"%s\" (also used at line %d); give "
                                      "each instance its own name",
                                      in->name, self->inputs[k].line);
    }
    for (size_t k = 0; rc == VG_OK && k < in->labels.n; k++)
        if (!s_is_label_key (in->labels.items[k].key)) {
            snprintf (key, sizeof key, "%s.labels", prefix);
            rc = vg_config_error (cfg, s_node_or (node, "labels", node), key, err, errlen,
                                  "\"%s\" is not a label name; use letters, digits and '_', not "
                                  "starting with a digit",
                                  in->labels.items[k].key);
        }
    vg_config_free_fields (s_input_options, &common);
    return rc;
}

static agent_config_t *
s_parse (vg_config_t *cfg, const char *path, char *err, size_t errlen)
{
    agent_config_t *self = vg_calloc (1, sizeof *self);
    self->path = vg_strdup (path);
    s_top_t top = {NULL, NULL};
    vg_cnode_t *root = vg_config_root (cfg);
    int rc = VG_OK;
    if (root && !vg_cnode_is_map (root))
        rc = vg_config_error (cfg, root, "(top level)", err, errlen,
                              "expected a mapping with the keys agent and inputs");
    else if (root)
        rc = vg_config_apply (cfg, root, s_top_options, NULL, &top, NULL, err, errlen);

    if (rc == VG_OK && top.agent) {
        if (!vg_cnode_is_map (top.agent))
            rc = vg_config_error (cfg, top.agent, "agent", err, errlen,
                                  "expected a mapping of settings (collector: ..., interval: ...)");
        else
            rc = vg_config_apply (cfg, top.agent, s_agent_options, NULL, &self->agent, "agent", err,
                                  errlen);
    } else if (rc == VG_OK)
        rc = vg_config_defaults (s_agent_options, &self->agent, err, errlen);
    if (rc == VG_OK)
        rc = s_check_agent (cfg, top.agent, &self->agent, err, errlen);

    if (rc == VG_OK && top.inputs) {
        size_t len = 0;
        const char *text = vg_cnode_scalar (top.inputs, &len);
        if (text && len == 0)
            ; /* "inputs:" with nothing after it: no inputs */
        else if (!vg_cnode_is_seq (top.inputs))
            rc = vg_config_error (cfg, top.inputs, "inputs", err, errlen,
                                  "expected a list of inputs, each starting with \"- type: ...\"");
        else
            for (size_t i = 0; rc == VG_OK && i < vg_cnode_seq_len (top.inputs); i++)
                rc = s_parse_input (self, cfg, vg_cnode_seq_at (top.inputs, i), i, err, errlen);
    }
    if (rc != VG_OK)
        agent_config_destroy (&self);
    return self;
}

agent_config_t *
agent_config_load (const char *path, char *err, size_t errlen)
{
    vg_config_t *cfg = vg_config_load_file (path, err, errlen);
    if (!cfg)
        return NULL;
    agent_config_t *self = s_parse (cfg, path, err, errlen);
    vg_config_destroy (&cfg);
    return self;
}

agent_config_t *
agent_config_load_string (const char *name, const char *yaml, char *err, size_t errlen)
{
    vg_config_t *cfg = vg_config_load_string (name, yaml, err, errlen);
    if (!cfg)
        return NULL;
    agent_config_t *self = s_parse (cfg, name, err, errlen);
    vg_config_destroy (&cfg);
    return self;
}

void
agent_config_destroy (agent_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agent_config_t *self = *self_p;
    for (size_t i = 0; i < self->ninputs; i++) {
        agent_input_conf_t *in = &self->inputs[i];
        agent_config_input_stop (in);
        vg_config_free_fields (s_plugin_options (in->plugin), in->ctx);
        free (in->ctx);
        free (in->name);
        vg_labels_free (&in->labels);
    }
    free (self->inputs);
    vg_config_free_fields (s_agent_options, &self->agent);
    free (self->path);
    free (self);
    *self_p = NULL;
}

int
agent_config_input_start (agent_input_conf_t *input, const char *state_dir, char *err,
                          size_t errlen)
{
    if (input->started)
        return VG_OK;
    if (input->plugin->init) {
        agent_input_env_t env = {input->name, state_dir, input->interval_ms};
        char reason[512] = "";
        int rc = input->plugin->init (input->ctx, &env, reason, sizeof reason);
        if (rc < 0) {
            snprintf (err, errlen, "input %s (%s): %s", input->name, input->plugin->name,
                      *reason ? reason : vg_strerror (rc));
            return rc;
        }
    }
    input->started = 1;
    return VG_OK;
}

void
agent_config_input_stop (agent_input_conf_t *input)
{
    if (!input->started)
        return;
    if (input->plugin->fini)
        input->plugin->fini (input->ctx);
    input->started = 0;
}

void
agent_config_print_reference (void)
{
    printf ("Configuration keys (agent.yaml):\n\nagent:\n");
    vg_config_print_options (s_agent_options, "  ");
    printf ("\ninputs: a list; every entry has\n");
    vg_config_print_options (s_input_options, "  ");
    printf ("  and the options of its type:\n");
    for (size_t i = 0; agent_input_plugins[i]; i++) {
        const agent_input_plugin_t *p = agent_input_plugins[i];
        printf ("\n  type: %s - %s\n", p->name, p->description ? p->description : "");
        vg_config_print_options (s_plugin_options (p), "    ");
    }
}
