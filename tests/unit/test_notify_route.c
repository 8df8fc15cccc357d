/*  test_notify_route.c - routes.yaml: inheritance, Alertmanager's route
 *  walking and group keys, matchers, inhibition, and errors that name the
 *  file, line and key. */
#include "notify_config.h"
#include "notify_inhibit.h"
#include "notify_route.h"
#include "test_assert.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_yaml = "global: {give_up_after: 2h}\n"
                            "route:\n"
                            "  receiver: default\n"
                            "  group_by: [alertname]\n"
                            "  routes:\n"
                            "    - matchers: ['severity=\"critical\"', 'service=~\"api|chat\"']\n"
                            "      receiver: pager\n"
                            "      group_by: ['...']\n"
                            "      group_wait: 0s\n"
                            "      escalation: incident\n"
                            "      continue: true\n"
                            "    - matchers: ['{severity=\"critical\"}']\n"
                            "      receiver: mail\n"
                            "    - matchers: [severity=warning]\n"
                            "      mode: digest 1h Europe/Berlin\n"
                            "      routes:\n"
                            "        - matchers: [team=db]\n"
                            "          receiver: mail\n"
                            "receivers:\n"
                            "  - name: default\n"
                            "    webhook_configs: [{url: 'http://127.0.0.1:9/hook'}]\n"
                            "  - name: pager\n"
                            "    slack_configs: [{api_url: env:TEST_NOTIFY_SLACK_URL}]\n"
                            "  - name: mail\n"
                            "    email_configs: [{to: [ops@example.com], from: vigil@example.com,\n"
                            "                     smarthost: '127.0.0.1:25', require_tls: false}]\n"
                            "inhibit_rules:\n"
                            "  - source_matchers: [severity=critical]\n"
                            "    target_matchers: [severity=warning]\n"
                            "    equal: [service]\n"
                            "escalation_policies:\n"
                            "  - name: incident\n"
                            "    levels:\n"
                            "      - {delay: 0s, receivers: [pager]}\n"
                            "      - {delay: 15m, receivers: [mail]}\n";

static notify_config_t *
s_load (const char *yaml)
{
    char err[512];
    notify_config_t *cfg = notify_config_parse ("routes.yaml", yaml, err, sizeof err);
    if (!cfg)
        TEST_FAIL ("routes.yaml: %s", err);
    return cfg;
}

static void
s_expect_error (const char *yaml, const char *want)
{
    char err[512] = "";
    notify_config_t *cfg = notify_config_parse ("routes.yaml", yaml, err, sizeof err);
    if (cfg)
        TEST_FAIL ("accepted a bad file; wanted \"%s\"", want);
    ASSERT_STR_CONTAINS (err, want);
}

static void
test_tree (void)
{
    setenv ("TEST_NOTIFY_SLACK_URL", "https://hooks.example.com/T1", 1);
    notify_config_t *cfg = s_load (s_yaml);
    ASSERT_EQ (cfg->give_up_after_ms, 7200000);
    ASSERT_EQ (cfg->retry_min_ms, 1000);
    const notify_route_t *root = cfg->root;
    ASSERT_STR_EQ (root->key, "{}");
    ASSERT_EQ (root->group_wait_ms, 30000);
    ASSERT_EQ (root->group_interval_ms, 300000);
    ASSERT_EQ (root->repeat_interval_ms, 4 * 3600000);
    ASSERT_EQ (root->nchildren, 3);
    const notify_route_t *crit = root->children[0];
    /* Matchers sorted by name, as Alertmanager keys them. */
    ASSERT_STR_EQ (crit->key, "{}/{service=~\"api|chat\",severity=\"critical\"}");
    ASSERT_EQ (crit->group_wait_ms, 0);
    ASSERT_EQ (crit->group_interval_ms, 300000); /* inherited */
    ASSERT (crit->group_by_all);
    ASSERT_STR_EQ (crit->escalation, "incident");
    const notify_route_t *warn = root->children[2];
    ASSERT_EQ (warn->mode.kind, NOTIFY_MODE_DIGEST);
    ASSERT_STR_EQ (warn->receiver, "default"); /* inherited */
    const notify_route_t *db = warn->children[0];
    ASSERT_EQ (db->mode.kind, NOTIFY_MODE_DIGEST); /* inherited */
    ASSERT_STR_EQ (db->key, "{}/{severity=\"warning\"}/{team=\"db\"}");
    ASSERT_EQ (db->group_by.n, 1);

    const notify_integration_t *slack =
        notify_config_integration (cfg, "pager", NOTIFY_KIND_SLACK, 0);
    ASSERT (slack);
    ASSERT_STR_EQ (slack->url, "https://hooks.example.com/T1");
    ASSERT_EQ (slack->min_interval_ms, 1000);
    ASSERT (notify_config_integration (cfg, "pager", NOTIFY_KIND_SLACK, 1) == NULL);
    const notify_policy_t *p = notify_config_policy (cfg, "incident");
    ASSERT_EQ (p->n, 2);
    ASSERT_EQ (p->levels[1].delay_ms, 900000);

    /* Walking: continue on the first critical route lets the second match. */
    const notify_route_t *out[NOTIFY_ROUTE_MAX_MATCHES];
    vg_label_t api[] = {{"alertname", "Latency"}, {"service", "api"}, {"severity", "critical"}};
    size_t n = notify_route_match (root, api, 3, out, NOTIFY_ROUTE_MAX_MATCHES);
    ASSERT_EQ (n, 2);
    ASSERT (out[0] == crit);
    ASSERT (out[1] == root->children[1]);
    vg_label_t web[] = {{"alertname", "Latency"}, {"service", "web"}, {"severity", "critical"}};
    n = notify_route_match (root, web, 3, out, NOTIFY_ROUTE_MAX_MATCHES);
    ASSERT_EQ (n, 1);
    ASSERT (out[0] == root->children[1]);
    vg_label_t other[] = {{"alertname", "Disk"}, {"severity", "info"}};
    n = notify_route_match (root, other, 2, out, NOTIFY_ROUTE_MAX_MATCHES);
    ASSERT_EQ (n, 1);
    ASSERT (out[0] == root);
    /* A warning for team db goes to the child; another warning stays on its route. */
    vg_label_t dbw[] = {{"alertname", "Slow"}, {"severity", "warning"}, {"team", "db"}};
    n = notify_route_match (root, dbw, 3, out, NOTIFY_ROUTE_MAX_MATCHES);
    ASSERT_EQ (n, 1);
    ASSERT (out[0] == db);

    /* Group keys as Alertmanager writes them. */
    vg_buf_t key = {0};
    notify_route_group_key (&key, root, other, 2);
    ASSERT_STR_EQ (key.data, "{}:{alertname=\"Disk\"}");
    vg_buf_reset (&key);
    notify_route_group_key (&key, crit, api, 3);
    ASSERT_STR_EQ (key.data, "{}/{service=~\"api|chat\",severity=\"critical\"}:"
                             "{alertname=\"Latency\", service=\"api\", severity=\"critical\"}");
    vg_buf_free (&key);
    notify_config_destroy (&cfg);
}

static void
test_matchers (void)
{
    char err[256];
    notify_matchers_t m = {0};
    ASSERT_EQ (
        notify_matchers_parse (&m, "{a=\"x\", b=~\"y|z\", c!=\"\", d!~\"q.*\",}", err, sizeof err),
        VG_OK);
    ASSERT_EQ (m.n, 4);
    vg_label_t l1[] = {{"a", "x"}, {"b", "z"}, {"c", "1"}, {"d", "r"}};
    ASSERT (notify_matchers_match (&m, l1, 4));
    vg_label_t l2[] = {{"a", "x"}, {"b", "yz"}, {"c", "1"}}; /* anchored: yz is not y|z */
    ASSERT (!notify_matchers_match (&m, l2, 3));
    vg_label_t l3[] = {{"a", "x"}, {"b", "y"}}; /* c missing = "" */
    ASSERT (!notify_matchers_match (&m, l3, 2));
    notify_matchers_free (&m);
    ASSERT_EQ (notify_matchers_parse (&m, "team=\"\"", err, sizeof err), VG_OK);
    ASSERT (notify_matchers_match (&m, l3, 2)); /* no team: matches "" */
    notify_matchers_free (&m);
    ASSERT_EQ (notify_matchers_parse (&m, "service=\"a\\\"b\"", err, sizeof err), VG_OK);
    vg_buf_t s = {0};
    notify_matchers_string (&m, &s);
    ASSERT_STR_EQ (s.data, "{service=\"a\\\"b\"}");
    vg_buf_free (&s);
    notify_matchers_free (&m);
    ASSERT_EQ (notify_matchers_parse (&m, "service", err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "expected =, !=, =~ or !~");
    ASSERT_EQ (notify_matchers_parse (&m, "a=~\"(\"", err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "bad regular expression");
    ASSERT_EQ (notify_matchers_parse (&m, "{a=\"x\"", err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "expected ',' or '}'");
    ASSERT_EQ (notify_matchers_parse (&m, "a=\"x", err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "unterminated");
    ASSERT_EQ (m.n, 0);

    vg_buf_t q = {0};
    notify_matcher_go_quote (&q, "tab\there \xe2\x80\xa8 caf\xc3\xa9 \x01");
    ASSERT_STR_EQ (q.data, "\"tab\\there \\u2028 caf\xc3\xa9 \\x01\"");
    vg_buf_free (&q);
}

static void
test_inhibit (void)
{
    notify_config_t *cfg = s_load (s_yaml);
    vg_label_t crit_api[] = {{"alertname", "Down"}, {"service", "api"}, {"severity", "critical"}};
    vg_label_t warn_api[] = {{"alertname", "Slow"}, {"service", "api"}, {"severity", "warning"}};
    vg_label_t warn_web[] = {{"alertname", "Slow"}, {"service", "web"}, {"severity", "warning"}};
    vg_label_t warn_none[] = {{"alertname", "Slow"}, {"severity", "warning"}};
    notify_lset_t firing[] = {{crit_api, 3}};
    ASSERT_EQ (notify_inhibit_muted (cfg, warn_api, 3, firing, 1), 0);
    ASSERT_EQ (notify_inhibit_muted (cfg, warn_web, 3, firing, 1), -1); /* another service */
    ASSERT_EQ (notify_inhibit_muted (cfg, crit_api, 3, firing, 1), -1); /* not a target */
    ASSERT_EQ (notify_inhibit_muted (cfg, warn_api, 3, NULL, 0), -1);   /* nothing firing */
    /* A missing label equals an empty one. */
    vg_label_t crit_none[] = {{"alertname", "Down"}, {"severity", "critical"}};
    notify_lset_t firing2[] = {{crit_none, 2}};
    ASSERT_EQ (notify_inhibit_muted (cfg, warn_none, 2, firing2, 1), 0);
    ASSERT_EQ (notify_inhibit_muted (cfg, warn_api, 3, firing2, 1), -1);
    notify_config_destroy (&cfg);

    /* An alert matching both sides is not muted by one that also does. */
    notify_config_t *both = s_load ("route: {receiver: r}\n"
                                    "receivers: [{name: r}]\n"
                                    "inhibit_rules:\n"
                                    "  - source_matchers: [team=ops]\n"
                                    "    target_matchers: [team=ops]\n");
    vg_label_t a[] = {{"alertname", "A"}, {"team", "ops"}};
    vg_label_t b[] = {{"alertname", "B"}, {"team", "ops"}};
    notify_lset_t f[] = {{a, 2}, {b, 2}};
    ASSERT_EQ (notify_inhibit_muted (both, a, 2, f, 2), -1);
    notify_config_destroy (&both);
}

static void
test_errors (void)
{
    s_expect_error ("route: {receiver: nobody}\nreceivers: [{name: r}]\n",
                    "routes.yaml:1: route: no receiver named \"nobody\"");
    s_expect_error ("route:\n  receiver: r\n  matchers: [a=b]\nreceivers: [{name: r}]\n",
                    "the root route matches every alert");
    s_expect_error ("route:\n  receiver: r\n  routes:\n    - matchers: ['a=~\"(\"']\n"
                    "receivers: [{name: r}]\n",
                    "routes.yaml:4: route.routes[0].matchers: at column");
    s_expect_error ("route: {receiver: r, group_wiat: 1s}\nreceivers: [{name: r}]\n", "group_wiat");
    s_expect_error ("route: {receiver: r, mode: weekly}\nreceivers: [{name: r}]\n",
                    "route.mode: \"weekly\": expected immediate");
    s_expect_error ("route: {receiver: r, escalation: x}\nreceivers: [{name: r}]\n",
                    "no escalation policy named \"x\"");
    s_expect_error ("route: {receiver: r}\nreceivers:\n  - name: r\n"
                    "    webhook_configs: [{url: 'ftp://x'}]\n",
                    "receivers[0].webhook_configs[0]: the URL must start with http");
    s_expect_error ("route: {receiver: r}\nreceivers: [{name: r}, {name: r}]\n", "defined twice");
    s_expect_error ("route: {receiver: r}\nreceivers: [{name: r}]\nescalation_policies:\n"
                    "  - name: p\n    levels: [{delay: 1h, receivers: [r]}, {delay: 5m, "
                    "receivers: [r]}]\n",
                    "at least the one before");
    s_expect_error ("receivers: [{name: r}]\n", "route: required");
}

/* deploy/routes.yaml loads, and routes the checklists' tiers as it says. */
static void
test_deploy (void)
{
    const char *src = getenv ("VIGIL_SOURCE_DIR");
    if (!src)
        TEST_FAIL ("VIGIL_SOURCE_DIR is not set: run the tests with ctest");
    static const char *vars[] = {"SLACK_PRODUCTION_ALERTS_URL", "SLACK_PRODUCTION_LOGS_URL",
                                 "SLACK_SUPPORT_URL", "SLACK_DEVELOPERS_URL"};
    for (size_t i = 0; i < 4; i++)
        setenv (vars[i], "https://hooks.example.com/x", 1);
    setenv ("VIGIL_SMTP_PASSWORD", "pw", 1);
    char path[4096], err[512];
    snprintf (path, sizeof path, "%s/deploy/routes.yaml", src);
    notify_config_t *cfg = notify_config_load (path, err, sizeof err);
    if (!cfg)
        TEST_FAIL ("%s", err);
    const notify_route_t *out[NOTIFY_ROUTE_MAX_MATCHES];
    vg_label_t crit[] = {{"alertname", "P95High"}, {"service", "chat"}, {"severity", "critical"}};
    ASSERT_EQ (notify_route_match (cfg->root, crit, 3, out, NOTIFY_ROUTE_MAX_MATCHES), 1);
    ASSERT_STR_EQ (out[0]->receiver, "alerts-critical");
    ASSERT_EQ (out[0]->group_wait_ms, 0);
    ASSERT_STR_EQ (out[0]->escalation, "incident");
    vg_label_t warn[] = {{"alertname", "P95High"}, {"severity", "warning"}};
    notify_route_match (cfg->root, warn, 2, out, NOTIFY_ROUTE_MAX_MATCHES);
    ASSERT_EQ (out[0]->mode.kind, NOTIFY_MODE_DIGEST);
    ASSERT_EQ (out[0]->mode.period_s, 3600);
    vg_label_t info[] = {{"alertname", "BackupDone"}, {"severity", "info"}};
    notify_route_match (cfg->root, info, 2, out, NOTIFY_ROUTE_MAX_MATCHES);
    ASSERT_EQ (out[0]->mode.kind, NOTIFY_MODE_DAILY);
    ASSERT_EQ (out[0]->mode.at_s, 9 * 3600);
    ASSERT_STR_EQ (out[0]->receiver, "logs-channel");
    const notify_policy_t *p = notify_config_policy (cfg, "incident");
    ASSERT_EQ (p->n, 4);
    ASSERT_EQ (p->levels[1].delay_ms, 15 * 60000);
    ASSERT_EQ (p->levels[2].delay_ms, 45 * 60000);
    ASSERT_EQ (p->levels[3].delay_ms, 2 * 3600000);
    ASSERT_STR_EQ (p->levels[3].receivers.items[0], "security-and-management");
    notify_config_destroy (&cfg);
}

int
main (void)
{
    test_deploy ();
    test_tree ();
    test_matchers ();
    test_inhibit ();
    test_errors ();
    printf ("test_notify_route: ok\n");
    return 0;
}
