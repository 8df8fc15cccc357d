/*  test_agent_config.c - agent.yaml: a full file, defaults, and each kind of
 *  error naming file, line and key. */
#include "agent_config.h"
#include "test_assert.h"
#include "test_proc.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_full = "# a full agent.yaml\n"
                            "agent:\n"
                            "  id: web-01\n"
                            "  hostname: web-01.example\n"
                            "  collector: [tcp://10.0.0.5:5555, tcp://10.0.0.6:5555]\n"
                            "  transport: plain\n"
                            "  interval: 15s\n"
                            "  state_dir: /var/lib/vigil-test\n"
                            "  ack_timeout: 2s\n"
                            "  max_pending: 100\n"
                            "  spool_max_bytes: 1MiB\n"
                            "  spool_max_age: 2d\n"
                            "  spool_fsync: always\n"
                            "  memory_max_bytes: 2MiB\n"
                            "  failover_timeout: 20s\n"
                            "  failback_after: 10m\n"
                            "  ack_timeout_max: 1m\n"
                            "  max_in_flight: 8\n"
                            "  shutdown_timeout: 500ms\n"
                            "  log_level: warn\n"
                            "  self_metrics: false\n"
                            "inputs:\n"
                            "  - type: system\n"
                            "    labels: {role: web, tier: \"front\"}\n"
                            "  - type: system\n"
                            "    name: system-fast\n"
                            "    interval: 1s\n"
                            "    percpu: true\n";

static agent_config_t *
s_load (const char *yaml, char *err, size_t errlen)
{
    err[0] = '\0';
    return agent_config_load_string ("agent.yaml", yaml, err, errlen);
}

static void
s_expect_error (const char *yaml, const char *expected)
{
    char err[1024];
    agent_config_t *cfg = s_load (yaml, err, sizeof err);
    if (cfg)
        TEST_FAIL ("expected \"%s\", but the file was accepted:\n%s", expected, yaml);
    if (strncmp (err, expected, strlen (expected)) != 0)
        TEST_FAIL ("expected an error starting \"%s\", got \"%s\"", expected, err);
}

static void
test_full (void)
{
    char err[1024];
    agent_config_t *cfg = s_load (s_full, err, sizeof err);
    if (!cfg)
        TEST_FAIL ("full file rejected: %s", err);
    ASSERT_STR_EQ (cfg->path, "agent.yaml");
    ASSERT_STR_EQ (cfg->agent.id, "web-01");
    ASSERT_STR_EQ (cfg->agent.hostname, "web-01.example");
    ASSERT_EQ (cfg->agent.collector.n, 2);
    ASSERT_STR_EQ (cfg->agent.collector.items[0], "tcp://10.0.0.5:5555");
    ASSERT_STR_EQ (cfg->agent.collector.items[1], "tcp://10.0.0.6:5555");
    ASSERT_EQ (cfg->agent.spool_max_bytes, 1024 * 1024);
    ASSERT_EQ (cfg->agent.spool_max_age_ms, 2 * 86400 * 1000LL);
    ASSERT_EQ (cfg->agent.spool_fsync_ms, 0); /* always */
    ASSERT_EQ (cfg->agent.memory_max_bytes, 2 * 1024 * 1024);
    ASSERT_EQ (cfg->agent.failover_timeout_ms, 20000);
    ASSERT_EQ (cfg->agent.failback_after_ms, 600000);
    ASSERT_EQ (cfg->agent.ack_timeout_max_ms, 60000);
    ASSERT_EQ (cfg->agent.max_in_flight, 8);
    ASSERT_EQ (cfg->agent.interval_ms, 15000);
    ASSERT_STR_EQ (cfg->agent.state_dir, "/var/lib/vigil-test");
    ASSERT_EQ (cfg->agent.ack_timeout_ms, 2000);
    ASSERT_EQ (cfg->agent.max_pending, 100);
    ASSERT_EQ (cfg->agent.shutdown_timeout_ms, 500);
    ASSERT_EQ (cfg->agent.log_level_value, VG_LOG_WARN);
    ASSERT_EQ (cfg->agent.self_metrics, 0);

    ASSERT_EQ (cfg->ninputs, 2);
    agent_input_conf_t *a = &cfg->inputs[0], *b = &cfg->inputs[1];
    ASSERT_STR_EQ (a->plugin->name, "system");
    ASSERT_STR_EQ (a->name, "system"); /* the type by default */
    ASSERT_EQ (a->interval_ms, 15000); /* agent.interval by default */
    ASSERT_EQ (a->line, 23);
    ASSERT_EQ (a->labels.n, 2);
    ASSERT_STR_EQ (a->labels.items[0].key, "role");
    ASSERT_STR_EQ (a->labels.items[0].value, "web");
    ASSERT_STR_EQ (a->labels.items[1].key, "tier");
    ASSERT_STR_EQ (a->labels.items[1].value, "front");
    ASSERT (a->ctx != NULL);
    ASSERT_EQ (a->started, 0); /* parsing never runs a plugin's init */
    ASSERT_STR_EQ (b->name, "system-fast");
    ASSERT_EQ (b->interval_ms, 1000);
    ASSERT_EQ (b->labels.n, 0);
    ASSERT_EQ (b->line, 25);
    agent_config_destroy (&cfg);
    ASSERT (cfg == NULL);
    agent_config_destroy (&cfg); /* accepts NULL */
}

static void
test_defaults (void)
{
    char err[1024];
    agent_config_t *cfg = s_load ("inputs:\n  - type: system\n", err, sizeof err);
    if (!cfg)
        TEST_FAIL ("rejected: %s", err);
    ASSERT_STR_EQ (cfg->agent.id, "");
    ASSERT_STR_EQ (cfg->agent.hostname, "");
    ASSERT_EQ (cfg->agent.collector.n, 1);
    ASSERT_STR_EQ (cfg->agent.collector.items[0], "tcp://127.0.0.1:5555");
    ASSERT_EQ (cfg->agent.spool_max_bytes, 256 * 1024 * 1024);
    ASSERT_EQ (cfg->agent.spool_max_age_ms, 7 * 86400 * 1000LL);
    ASSERT_EQ (cfg->agent.spool_fsync_ms, 1000);
    ASSERT_EQ (cfg->agent.memory_max_bytes, 16 * 1024 * 1024);
    ASSERT_EQ (cfg->agent.max_in_flight, 64);
    ASSERT_EQ (cfg->agent.interval_ms, 10000);
    ASSERT_STR_EQ (cfg->agent.state_dir, "/var/lib/vigil-agent");
    ASSERT_EQ (cfg->agent.ack_timeout_ms, 10000);
    ASSERT_EQ (cfg->agent.max_pending, 0); /* no count bound: the spool's bytes are */
    ASSERT_EQ (cfg->agent.shutdown_timeout_ms, 5000);
    ASSERT_EQ (cfg->agent.log_level_value, VG_LOG_INFO);
    ASSERT_EQ (cfg->agent.self_metrics, 1);
    ASSERT_EQ (cfg->ninputs, 1);
    ASSERT_EQ (cfg->inputs[0].interval_ms, 10000);
    agent_config_destroy (&cfg);

    /* An empty file and an empty inputs list are valid: the agent then sends
     * only its own counters. */
    cfg = s_load ("", err, sizeof err);
    if (!cfg)
        TEST_FAIL ("empty file rejected: %s", err);
    ASSERT_EQ (cfg->ninputs, 0);
    agent_config_destroy (&cfg);
    cfg = s_load ("agent:\n  interval: 5s\ninputs:\n", err, sizeof err);
    if (!cfg)
        TEST_FAIL ("empty inputs rejected: %s", err);
    ASSERT_EQ (cfg->ninputs, 0);
    ASSERT_EQ (cfg->agent.interval_ms, 5000);
    agent_config_destroy (&cfg);
}

static void
test_errors (void)
{
    /* Unknown keys, wherever they are. */
    s_expect_error ("agent:\n  interval: 10s\n  colector: tcp://x:1\n",
                    "agent.yaml:3: agent.colector: unknown key");
    s_expect_error ("agent:\n  interval: 10s\noutputs: []\n", "agent.yaml:3: outputs: unknown key");
    s_expect_error ("inputs:\n  - type: system\n    bogus: 1\n",
                    "agent.yaml:3: inputs[0].bogus: unknown key");
    /* Bad durations and bounds. */
    s_expect_error ("agent:\n  interval: often\n", "agent.yaml:2: agent.interval: ");
    s_expect_error ("agent:\n  interval: 10ms\n", "agent.yaml:2: agent.interval: ");
    s_expect_error ("inputs:\n  - type: system\n    interval: 10 parsecs\n",
                    "agent.yaml:3: inputs[0].interval: ");
    s_expect_error ("agent:\n  max_pending: -1\n", "agent.yaml:2: agent.max_pending: ");
    s_expect_error ("agent:\n  spool_fsync: sometimes\n",
                    "agent.yaml:2: agent.spool_fsync: expected always, never or a duration");
    s_expect_error ("agent:\n  spool_max_bytes: 1KiB\n", "agent.yaml:2: agent.spool_max_bytes: ");
    s_expect_error ("agent:\n  collector: [tcp://a:1, b]\n",
                    "agent.yaml:2: agent.collector: \"b\" is not a ZeroMQ endpoint");
    s_expect_error ("agent:\n  log_level: loud\n", "agent.yaml:2: agent.log_level: ");
    s_expect_error ("agent:\n  collector: localhost\n", "agent.yaml:2: agent.collector: ");
    /* Another host's collector needs CURVE keys, or plain said aloud. */
    s_expect_error ("agent:\n  collector: tcp://10.0.0.5:5555\n",
                    "agent.yaml:2: agent.collector: the collector tcp://10.0.0.5:5555 is not on "
                    "this host and no CURVE keys are set");
    s_expect_error ("agent:\n  transport: tls\n", "agent.yaml:2: agent.transport: expected curve");
    s_expect_error ("agent:\n  curve_secret_key: /nonexistent/a_secret\n",
                    "agent.yaml:2: agent.curve_secret_key: agent.curve_secret_key is set but");
    /* Inputs: unknown type, missing type, duplicate names, bad names and labels. */
    s_expect_error ("inputs:\n  - type: system\n  - type: sistem\n",
                    "agent.yaml:3: inputs[1].type: unknown input type \"sistem\"");
    s_expect_error ("inputs:\n  - name: x\n", "agent.yaml:2: inputs[0].type: missing");
    s_expect_error ("inputs:\n  - type: system\n  - type: system\n",
                    "agent.yaml:3: inputs[1].name: duplicate input name \"system\"");
    s_expect_error ("inputs:\n  - type: system\n    name: a\n  - type: system\n    name: a\n",
                    "agent.yaml:5: inputs[1].name: duplicate input name \"a\"");
    s_expect_error ("inputs:\n  - type: system\n    name: a/b\n", "agent.yaml:3: inputs[0].name: ");
    s_expect_error ("inputs:\n  - type: system\n    labels: {9lives: x}\n",
                    "agent.yaml:3: inputs[0].labels: ");
    s_expect_error ("inputs:\n  type: system\n", "agent.yaml:2: inputs: expected a list");
    s_expect_error ("inputs:\n  - system\n", "agent.yaml:2: inputs[0]: expected a mapping");
    s_expect_error ("agent: 5\n", "agent.yaml:1: agent: expected a mapping");
    /* The duplicate-name message says where the first one is. */
    char err[1024];
    ASSERT (s_load ("inputs:\n  - type: system\n  - type: system\n", err, sizeof err) == NULL);
    ASSERT_STR_CONTAINS (err, "also used at line 2");
}

static void
test_file (void)
{
    char *dir = test_tmpdir ("agent_config");
    char path[4096];
    snprintf (path, sizeof path, "%s/agent.yaml", dir);
    test_write_file (path, s_full);
    char err[1024] = "";
    agent_config_t *cfg = agent_config_load (path, err, sizeof err);
    if (!cfg)
        TEST_FAIL ("file rejected: %s", err);
    ASSERT_EQ (cfg->ninputs, 2);
    agent_config_destroy (&cfg);

    /* An error in a file names the file. */
    test_write_file (path, "agent:\n  interval: 10s\n\n  bogus: 1\n");
    ASSERT (agent_config_load (path, err, sizeof err) == NULL);
    char expected[4200];
    snprintf (expected, sizeof expected, "%s:4: agent.bogus: unknown key", path);
    ASSERT (strncmp (err, expected, strlen (expected)) == 0);

    snprintf (path, sizeof path, "%s/missing.yaml", dir);
    ASSERT (agent_config_load (path, err, sizeof err) == NULL);
    ASSERT_STR_CONTAINS (err, "missing.yaml");
    free (dir);
}

int
main (void)
{
    test_full ();
    test_defaults ();
    test_errors ();
    test_file ();
    printf ("test_agent_config: OK\n");
    return 0;
}
