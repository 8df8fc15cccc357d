/*  test_config.c - option tables over YAML: every type, every error message
 *  with its file, line and key, defaults, secrets and the document checks. */
#include "test_assert.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_config.h"
#include "vg_error.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *host;
    int64_t port;
} endpoint_t;

typedef struct {
    char *name;
    char *token;
    int64_t count;
    double ratio;
    int enabled;
    int64_t interval_ms;
    int64_t max_size;
    vg_strlist_t paths;
    vg_labels_t labels;
    endpoint_t endpoint;
} conf_t;

static int s_endpoint_frees;

/* "host:port" into an endpoint_t. */
static int
s_parse_endpoint (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
                  size_t errlen)
{
    endpoint_t *ep = field;
    char *text = vg_cnode_strdup (node);
    char *colon = text ? strrchr (text, ':') : NULL;
    if (!colon || colon == text || !colon[1]) {
        free (text);
        return vg_config_error (cfg, node, key, err, errlen, "expected host:port");
    }
    *colon = '\0';
    ep->host = text;
    ep->port = atoi (colon + 1);
    return VG_OK;
}

static void
s_free_endpoint (void *field)
{
    endpoint_t *ep = field;
    if (ep->host)
        s_endpoint_frees++;
    free (ep->host);
    ep->host = NULL;
    ep->port = 0;
}

#define F(f) offsetof (conf_t, f)

static const vg_option_t s_opts[] = {
    {"name", VG_OPT_STRING, NULL, 0, 0, F (name), 1, "instance name", NULL, NULL},
    {"token", VG_OPT_SECRET, NULL, 0, 0, F (token), 0, "API token", NULL, NULL},
    {"count", VG_OPT_INT, "3", 1, 100, F (count), 0, "how many", NULL, NULL},
    {"ratio", VG_OPT_DOUBLE, "0.5", 0, 1, F (ratio), 0, "a fraction", NULL, NULL},
    {"enabled", VG_OPT_BOOL, "true", 0, 0, F (enabled), 0, "on or off", NULL, NULL},
    {"interval", VG_OPT_DURATION, "10s", 100, 86400000, F (interval_ms), 0, "how often", NULL,
     NULL},
    {"max_size", VG_OPT_SIZE, "1MiB", 1024, 1073741824, F (max_size), 0, "largest", NULL, NULL},
    {"paths", VG_OPT_STRING_LIST, "[/var/log/a.log, /var/log/b.log]", 0, 0, F (paths), 0, "files",
     NULL, NULL},
    {"labels", VG_OPT_LABELS, NULL, 0, 0, F (labels), 0, "extra labels", NULL, NULL},
    {"endpoint", VG_OPT_CUSTOM, "localhost:80", 0, 0, F (endpoint), 0, "where", s_parse_endpoint,
     s_free_endpoint},
    {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};

static char s_err[1024];

/* Loads yaml as "agent.yaml" and applies s_opts to the mapping at key (the
 * root when key is NULL), with prefix in messages. */
static int
s_apply (const char *yaml, const char *key, const char *prefix, const char *const *skip, conf_t *c)
{
    s_err[0] = '\0';
    vg_config_t *cfg = vg_config_load_string ("agent.yaml", yaml, s_err, sizeof s_err);
    if (!cfg)
        return VG_EINVAL;
    vg_cnode_t *map = vg_config_root (cfg);
    if (key)
        map = vg_cnode_get (map, key);
    int rc = vg_config_apply (cfg, map, s_opts, skip, c, prefix, s_err, sizeof s_err);
    vg_config_destroy (&cfg);
    return rc;
}

/* Applies and expects this exact error message. */
static void
s_expect_error (const char *yaml, const char *prefix, const char *expected)
{
    conf_t c;
    memset (&c, 0, sizeof c);
    int rc = s_apply (yaml, NULL, prefix, NULL, &c);
    vg_config_free_fields (s_opts, &c);
    if (rc != VG_EINVAL)
        TEST_FAIL ("expected an error for:\n%s\ngot rc %d", yaml, rc);
    ASSERT_STR_EQ (s_err, expected);
}

/* Loading alone fails with this exact message. */
static void
s_expect_load_error (const char *yaml, const char *expected)
{
    char err[512] = "";
    vg_config_t *cfg = vg_config_load_string ("agent.yaml", yaml, err, sizeof err);
    if (cfg)
        TEST_FAIL ("expected a load error for:\n%s", yaml);
    ASSERT_STR_EQ (err, expected);
}

static void
test_every_type (void)
{
    conf_t c;
    memset (&c, 0, sizeof c);
    const char *yaml = "name: web-1\n"
                       "token: plain-token\n"
                       "count: 42\n"
                       "ratio: 0.25\n"
                       "enabled: no\n"
                       "interval: 500ms\n"
                       "max_size: 8MiB\n"
                       "paths:\n"
                       "  - /a\n"
                       "  - '/b c'\n"
                       "labels: {env: prod, role: \"web\"}\n"
                       "endpoint: db.example:5432\n";
    ASSERT_EQ (s_apply (yaml, NULL, NULL, NULL, &c), VG_OK);
    ASSERT_STR_EQ (c.name, "web-1");
    ASSERT_STR_EQ (c.token, "plain-token");
    ASSERT_EQ (c.count, 42);
    ASSERT_NEAR (c.ratio, 0.25, 0);
    ASSERT_EQ (c.enabled, 0);
    ASSERT_EQ (c.interval_ms, 500);
    ASSERT_EQ (c.max_size, 8 * 1024 * 1024);
    ASSERT_EQ (c.paths.n, 2);
    ASSERT_STR_EQ (c.paths.items[0], "/a");
    ASSERT_STR_EQ (c.paths.items[1], "/b c");
    ASSERT_EQ (c.labels.n, 2);
    ASSERT_STR_EQ (c.labels.items[0].key, "env");
    ASSERT_STR_EQ (c.labels.items[0].value, "prod");
    ASSERT_STR_EQ (c.labels.items[1].key, "role");
    ASSERT_STR_EQ (c.labels.items[1].value, "web");
    ASSERT_STR_EQ (c.endpoint.host, "db.example");
    ASSERT_EQ (c.endpoint.port, 5432);

    /* Freeing leaves every field empty. */
    s_endpoint_frees = 0;
    vg_config_free_fields (s_opts, &c);
    ASSERT_EQ (s_endpoint_frees, 1);
    conf_t zero;
    memset (&zero, 0, sizeof zero);
    ASSERT (memcmp (&c, &zero, sizeof c) == 0);
    vg_config_free_fields (s_opts, &c); /* twice is harmless */
}

static void
test_scalar_forms (void)
{
    conf_t c;
    memset (&c, 0, sizeof c);
    /* Quoted numbers are numbers; booleans in any case and spelling; a
     * single scalar is a one-item list; an empty quoted string is a value. */
    const char *yaml = "name: ''\ncount: \"7\"\nratio: 1\nenabled: ON\ninterval: 2\n"
                       "max_size: 64k\npaths: /only\nlabels: {}\nendpoint: \"h:1\"\n";
    ASSERT_EQ (s_apply (yaml, NULL, NULL, NULL, &c), VG_OK);
    ASSERT_STR_EQ (c.name, "");
    ASSERT_EQ (c.count, 7);
    ASSERT_NEAR (c.ratio, 1.0, 0);
    ASSERT_EQ (c.enabled, 1);
    ASSERT_EQ (c.interval_ms, 2000);
    ASSERT_EQ (c.max_size, 65536);
    ASSERT_EQ (c.paths.n, 1);
    ASSERT_STR_EQ (c.paths.items[0], "/only");
    ASSERT_EQ (c.labels.n, 0);
    ASSERT_EQ (c.endpoint.port, 1);
    vg_config_free_fields (s_opts, &c);

    static const struct {
        const char *text;
        int value;
    } bools[] = {{"true", 1},  {"True", 1},  {"yes", 1}, {"YES", 1}, {"on", 1},
                 {"false", 0}, {"FALSE", 0}, {"no", 0},  {"No", 0},  {"off", 0}};
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        char yaml_b[64];
        snprintf (yaml_b, sizeof yaml_b, "name: x\nenabled: %s\n", bools[i].text);
        memset (&c, 0, sizeof c);
        c.enabled = -1;
        ASSERT_EQ (s_apply (yaml_b, NULL, NULL, NULL, &c), VG_OK);
        ASSERT_EQ (c.enabled, bools[i].value);
        vg_config_free_fields (s_opts, &c);
    }
}

/* Single-quoted scalars, which libfyaml 0.7.12 decodes wrongly when two ''
 * escapes follow each other. */
static void
test_single_quoted (void)
{
    static const struct {
        const char *yaml, *value;
    } cases[] = {
        {"name: 'it''s'\n", "it's"},
        {"name: 'a''''b'\n", "a''b"},
        {"name: ''''''''\n", "'''"},
        {"name: 'x'''\n", "x'"},
        {"name: 'one\n  two  \n\n\n  three'\n", "one two\n\nthree"},
        {"name: '  padded  '\n", "  padded  "},
        {"name: ''\n", ""},
        {"name: '#not a comment: [x]'\n", "#not a comment: [x]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        conf_t c;
        memset (&c, 0, sizeof c);
        if (s_apply (cases[i].yaml, NULL, NULL, NULL, &c) != VG_OK)
            TEST_FAIL ("case %zu: %s", i, s_err);
        ASSERT_STR_EQ (c.name, cases[i].value);
        vg_config_free_fields (s_opts, &c);
    }
    /* In keys, labels and lists, and in messages. */
    conf_t c;
    memset (&c, 0, sizeof c);
    ASSERT_EQ (s_apply ("'name': x\nlabels: {'a''''b': 'c''''d'}\npaths: ['e''''f']\n", NULL, NULL,
                        NULL, &c),
               VG_OK);
    ASSERT_STR_EQ (c.labels.items[0].key, "a''b");
    ASSERT_STR_EQ (c.labels.items[0].value, "c''d");
    ASSERT_STR_EQ (c.paths.items[0], "e''f");
    vg_config_free_fields (s_opts, &c);
    s_expect_error ("name: x\ncount: '1''''2'\n", NULL,
                    "agent.yaml:2: count: expected an integer, got \"1''2\"");
}

static void
test_defaults (void)
{
    conf_t c;
    memset (&c, 0, sizeof c);
    ASSERT_EQ (s_apply ("name: x\n", NULL, NULL, NULL, &c), VG_OK);
    ASSERT_STR_EQ (c.name, "x");
    ASSERT (c.token == NULL);
    ASSERT_EQ (c.count, 3);
    ASSERT_NEAR (c.ratio, 0.5, 0);
    ASSERT_EQ (c.enabled, 1);
    ASSERT_EQ (c.interval_ms, 10000);
    ASSERT_EQ (c.max_size, 1024 * 1024);
    ASSERT_EQ (c.paths.n, 2);
    ASSERT_STR_EQ (c.paths.items[1], "/var/log/b.log");
    ASSERT_EQ (c.labels.n, 0);
    ASSERT_STR_EQ (c.endpoint.host, "localhost");
    ASSERT_EQ (c.endpoint.port, 80);

    /* Applying again over filled fields replaces them (ASan sees no leak). */
    ASSERT_EQ (s_apply ("name: y\npaths: [/c]\nlabels: {a: b}\nendpoint: e:9\ntoken: t\n", NULL,
                        NULL, NULL, &c),
               VG_OK);
    ASSERT_STR_EQ (c.name, "y");
    ASSERT_STR_EQ (c.token, "t");
    ASSERT_EQ (c.paths.n, 1);
    ASSERT_STR_EQ (c.paths.items[0], "/c");
    ASSERT_STR_EQ (c.endpoint.host, "e");
    /* ... and a key that is gone falls back to its default again. */
    ASSERT_EQ (s_apply ("name: z\n", NULL, NULL, NULL, &c), VG_OK);
    ASSERT (c.token == NULL);
    ASSERT_EQ (c.labels.n, 0);
    ASSERT_EQ (c.paths.n, 2);
    ASSERT_STR_EQ (c.endpoint.host, "localhost");
    vg_config_free_fields (s_opts, &c);

    /* An explicit null (~, null or nothing) means "use the default". */
    memset (&c, 0, sizeof c);
    ASSERT_EQ (s_apply ("name: x\ncount: ~\ninterval:\nratio: null\npaths:\nendpoint: ~\n", NULL,
                        NULL, NULL, &c),
               VG_OK);
    ASSERT_EQ (c.count, 3);
    ASSERT_EQ (c.interval_ms, 10000);
    ASSERT_NEAR (c.ratio, 0.5, 0);
    ASSERT_EQ (c.paths.n, 2);
    ASSERT_STR_EQ (c.endpoint.host, "localhost");
    vg_config_free_fields (s_opts, &c);

    /* Defaults without a document. */
    memset (&c, 0, sizeof c);
    char err[256] = "";
    ASSERT_EQ (vg_config_defaults (s_opts, &c, err, sizeof err), VG_EINVAL);
    ASSERT_STR_EQ (err, "name: required");
    vg_config_free_fields (s_opts, &c);
    memset (&c, 0, sizeof c);
    ASSERT_EQ (vg_config_defaults (s_opts + 1, &c, err, sizeof err), VG_OK);
    ASSERT_EQ (c.count, 3);
    ASSERT_EQ (c.interval_ms, 10000);
    ASSERT_EQ (c.paths.n, 2);
    ASSERT_STR_EQ (c.endpoint.host, "localhost");
    vg_config_free_fields (s_opts, &c);
}

static void
test_type_errors (void)
{
    s_expect_error ("name: x\ninterval: ten\n", NULL,
                    "agent.yaml:2: interval: expected a duration like 10s or 500ms, got \"ten\"");
    s_expect_error ("name: x\ncount: 12abc\n", NULL,
                    "agent.yaml:2: count: expected an integer, got \"12abc\"");
    s_expect_error ("name: x\ncount: 1.5\n", NULL,
                    "agent.yaml:2: count: expected an integer, got \"1.5\"");
    s_expect_error ("name: x\ncount: 99999999999999999999\n", NULL,
                    "agent.yaml:2: count: expected an integer, got \"99999999999999999999\" "
                    "(out of range)");
    s_expect_error ("name: x\n\nratio: half\n", NULL,
                    "agent.yaml:3: ratio: expected a number, got \"half\"");
    s_expect_error ("name: x\nratio: .nan\n", NULL,
                    "agent.yaml:2: ratio: expected a number, got \".nan\"");
    s_expect_error ("name: x\nenabled: maybe\n", NULL,
                    "agent.yaml:2: enabled: expected a boolean (true/false, yes/no, on/off), got "
                    "\"maybe\"");
    s_expect_error ("name: x\nmax_size: 3 parsecs\n", NULL,
                    "agent.yaml:2: max_size: expected a size like 512, 64KB or 8MiB, got "
                    "\"3 parsecs\"");
    s_expect_error ("name:\n  first: a\n", NULL,
                    "agent.yaml:2: name: expected a string, got a mapping");
    s_expect_error ("name: x\ncount: [1, 2]\n", NULL,
                    "agent.yaml:2: count: expected an integer, got a sequence");
    s_expect_error ("name: x\npaths:\n  - /a\n  - [b]\n", NULL,
                    "agent.yaml:4: paths[1]: expected a string, got a sequence");
    s_expect_error ("name: x\npaths:\n  - /a\n  - ~\n", NULL,
                    "agent.yaml:4: paths[1]: expected a string, got null");
    s_expect_error ("name: x\npaths: {a: b}\n", NULL,
                    "agent.yaml:2: paths: expected a string or a list of strings, got a mapping");
    s_expect_error ("name: x\nlabels: prod\n", NULL,
                    "agent.yaml:2: labels: expected a mapping of label names to values, got "
                    "\"prod\"");
    s_expect_error ("name: x\nlabels:\n  env: prod\n  role: [a]\n", NULL,
                    "agent.yaml:4: labels.role: expected a label value, got a sequence");
    s_expect_error ("name: x\nlabels:\n  env:\n", NULL,
                    "agent.yaml:3: labels.env: expected a label value, got null");
    s_expect_error ("name: x\nendpoint: nowhere\n", NULL,
                    "agent.yaml:2: endpoint: expected host:port");
    /* Messages stay on one line whatever the value holds. */
    s_expect_error ("name: x\ninterval: \"a\\nb\"\n", NULL,
                    "agent.yaml:2: interval: expected a duration like 10s or 500ms, got "
                    "\"a\\x0ab\"");
    /* The top level must be a mapping. */
    s_expect_error ("just a string\n", NULL,
                    "agent.yaml:1: expected a mapping of options, got \"just a string\"");
    s_expect_error ("- a\n- b\n", "inputs[0]",
                    "agent.yaml:1: inputs[0]: expected a mapping of options, got a sequence");
}

static void
test_bounds (void)
{
    s_expect_error ("name: x\ncount: 500\n", NULL,
                    "agent.yaml:2: count: must be between 1 and 100, got \"500\"");
    s_expect_error ("name: x\ncount: 0\n", NULL,
                    "agent.yaml:2: count: must be between 1 and 100, got \"0\"");
    s_expect_error ("name: x\nratio: 1.5\n", NULL,
                    "agent.yaml:2: ratio: must be between 0 and 1, got \"1.5\"");
    s_expect_error ("name: x\ninterval: 2d\n", NULL,
                    "agent.yaml:2: interval: must be between 100ms and 1d, got \"2d\"");
    s_expect_error ("name: x\ninterval: 50ms\n", NULL,
                    "agent.yaml:2: interval: must be between 100ms and 1d, got \"50ms\"");
    s_expect_error ("name: x\nmax_size: 2GiB\n", NULL,
                    "agent.yaml:2: max_size: must be between 1KiB and 1GiB, got \"2GiB\"");

    /* The bounds themselves are accepted. */
    conf_t c;
    memset (&c, 0, sizeof c);
    ASSERT_EQ (s_apply ("name: x\ncount: 100\ninterval: 1d\nmax_size: 1k\nratio: 0\n", NULL, NULL,
                        NULL, &c),
               VG_OK);
    ASSERT_EQ (c.count, 100);
    ASSERT_EQ (c.interval_ms, 86400000);
    ASSERT_EQ (c.max_size, 1024);
    vg_config_free_fields (s_opts, &c);
}

static void
test_unknown_required_nested (void)
{
    /* Unknown key, in a nested mapping walked by the caller. */
    const char *yaml = "agent:\n"
                       "  interval: 10s\n"
                       "inputs:\n"
                       "  - name: a\n"
                       "    type: system\n"
                       "    intervall: 5s\n";
    char err[1024] = "";
    vg_config_t *cfg = vg_config_load_string ("agent.yaml", yaml, err, sizeof err);
    ASSERT (cfg);
    vg_cnode_t *inputs = vg_cnode_get (vg_config_root (cfg), "inputs");
    ASSERT (vg_cnode_is_seq (inputs));
    ASSERT_EQ (vg_cnode_seq_len (inputs), 1);
    vg_cnode_t *in0 = vg_cnode_seq_at (inputs, 0);
    ASSERT (vg_cnode_is_map (in0));
    ASSERT (vg_cnode_seq_at (inputs, 1) == NULL);
    conf_t c;
    memset (&c, 0, sizeof c);
    static const char *const skip[] = {"type", NULL};
    ASSERT_EQ (vg_config_apply (cfg, in0, s_opts, skip, &c, "inputs[0]", err, sizeof err),
               VG_EINVAL);
    ASSERT_STR_EQ (err, "agent.yaml:6: inputs[0].intervall: unknown key (known: name, token, "
                        "count, ratio, enabled, interval, max_size, paths, labels, endpoint, "
                        "type)");
    vg_config_free_fields (s_opts, &c);

    /* The skipped key is left alone; the rest is parsed. */
    memset (&c, 0, sizeof c);
    ASSERT_EQ (
        s_apply ("inputs:\n  - name: a\n    type: system\n    count: 9\n", NULL, NULL, NULL, &c),
        VG_EINVAL);
    ASSERT_STR_EQ (s_err, "agent.yaml:1: inputs: unknown key (known: name, token, count, ratio, "
                          "enabled, interval, max_size, paths, labels, endpoint)");
    vg_config_free_fields (s_opts, &c);
    vg_config_destroy (&cfg);

    cfg = vg_config_load_string ("agent.yaml", "agent:\n  type: x\n  name: n\n  count: 9\n", err,
                                 sizeof err);
    ASSERT (cfg);
    memset (&c, 0, sizeof c);
    ASSERT_EQ (vg_config_apply (cfg, vg_cnode_get (vg_config_root (cfg), "agent"), s_opts, skip, &c,
                                "agent", err, sizeof err),
               VG_OK);
    ASSERT_STR_EQ (c.name, "n");
    ASSERT_EQ (c.count, 9);
    vg_config_free_fields (s_opts, &c);

    /* A nested type error names the full key. */
    memset (&c, 0, sizeof c);
    ASSERT_EQ (s_apply ("# agent settings\nagent:\n  name: a\n  interval: ten\n", "agent", "agent",
                        NULL, &c),
               VG_EINVAL);
    ASSERT_STR_EQ (s_err,
                   "agent.yaml:4: agent.interval: expected a duration like 10s or 500ms, got "
                   "\"ten\"");
    vg_config_free_fields (s_opts, &c);
    vg_config_destroy (&cfg);

    /* Required: the line of the mapping, or of the key when given as null. */
    s_expect_error ("\n\ncount: 5\nratio: 0.1\n", NULL, "agent.yaml:3: name: required");
    s_expect_error ("count: 5\nname:\n", NULL, "agent.yaml:2: name: required");
    memset (&c, 0, sizeof c);
    ASSERT_EQ (s_apply ("inputs:\n  - count: 5\n", NULL, NULL, NULL, &c), VG_EINVAL);
    vg_config_free_fields (s_opts, &c);
    cfg = vg_config_load_string ("agent.yaml", "inputs:\n  - {}\n  - count: 5\n    ratio: 1\n", err,
                                 sizeof err);
    ASSERT (cfg);
    inputs = vg_cnode_get (vg_config_root (cfg), "inputs");
    memset (&c, 0, sizeof c);
    ASSERT_EQ (vg_config_apply (cfg, vg_cnode_seq_at (inputs, 1), s_opts, NULL, &c, "inputs[1]",
                                err, sizeof err),
               VG_EINVAL);
    ASSERT_STR_EQ (err, "agent.yaml:3: inputs[1].name: required");
    ASSERT_EQ (vg_config_apply (cfg, vg_cnode_seq_at (inputs, 0), s_opts, NULL, &c, "inputs[0]",
                                err, sizeof err),
               VG_EINVAL);
    ASSERT_STR_EQ (err, "agent.yaml:2: inputs[0].name: required");
    vg_config_free_fields (s_opts, &c);
    vg_config_destroy (&cfg);
}

static void
test_secrets (void)
{
    conf_t c;
    memset (&c, 0, sizeof c);
    setenv ("VIGIL_TEST_TOKEN", "s3cret value", 1);
    unsetenv ("VIGIL_TEST_UNSET");
    ASSERT_EQ (s_apply ("name: x\ntoken: env:VIGIL_TEST_TOKEN\n", NULL, NULL, NULL, &c), VG_OK);
    ASSERT_STR_EQ (c.token, "s3cret value");
    vg_config_free_fields (s_opts, &c);
    s_expect_error ("name: x\ntoken: env:VIGIL_TEST_UNSET\n", NULL,
                    "agent.yaml:2: token: environment variable VIGIL_TEST_UNSET is not set");
    s_expect_error ("name: x\ntoken: 'env:'\n", NULL,
                    "agent.yaml:2: token: expected env:NAME with the name of an environment "
                    "variable");

    char *dir = test_tmpdir ("config");
    char *secret = vg_asprintf ("%s/secret.txt", dir);
    test_write_file (secret, "from-a-file\n");
    char *yaml = vg_asprintf ("name: x\ntoken: file:%s\n", secret);
    memset (&c, 0, sizeof c);
    ASSERT_EQ (s_apply (yaml, NULL, NULL, NULL, &c), VG_OK);
    ASSERT_STR_EQ (c.token, "from-a-file"); /* one trailing newline stripped */
    vg_config_free_fields (s_opts, &c);
    free (yaml);

    /* Only one newline goes; inner newlines stay. */
    test_write_file (secret, "two\nlines\n\n");
    yaml = vg_asprintf ("name: x\ntoken: file:%s\n", secret);
    memset (&c, 0, sizeof c);
    ASSERT_EQ (s_apply (yaml, NULL, NULL, NULL, &c), VG_OK);
    ASSERT_STR_EQ (c.token, "two\nlines\n");
    vg_config_free_fields (s_opts, &c);
    free (yaml);

    char *missing = vg_asprintf ("%s/missing.txt", dir);
    yaml = vg_asprintf ("name: x\ntoken: file:%s\n", missing);
    char *expected = vg_asprintf (
        "agent.yaml:2: token: cannot read secret file %s: No such file or directory", missing);
    s_expect_error (yaml, NULL, expected);
    free (yaml);
    free (expected);
    yaml = vg_asprintf ("name: x\ntoken: file:%s\n", dir);
    expected =
        vg_asprintf ("agent.yaml:2: token: cannot read secret file %s: not a regular file", dir);
    s_expect_error (yaml, NULL, expected);
    free (yaml);
    free (expected);

    /* Anything else is the value itself. */
    memset (&c, 0, sizeof c);
    ASSERT_EQ (s_apply ("name: x\ntoken: 'environment: not a reference'\n", NULL, NULL, NULL, &c),
               VG_OK);
    ASSERT_STR_EQ (c.token, "environment: not a reference");
    vg_config_free_fields (s_opts, &c);
    /* A file:// URL is a value, not a secret file. */
    memset (&c, 0, sizeof c);
    ASSERT_EQ (s_apply ("name: x\ntoken: file:///srv/metrics.txt\n", NULL, NULL, NULL, &c), VG_OK);
    ASSERT_STR_EQ (c.token, "file:///srv/metrics.txt");
    vg_config_free_fields (s_opts, &c);

    /* From a file, a relative file: path is read next to the configuration. */
    char *conf_path = vg_asprintf ("%s/agent.yaml", dir);
    test_write_file (secret, "relative\n");
    test_write_file (conf_path, "name: x\ntoken: file:secret.txt\n");
    char err[512] = "";
    vg_config_t *cfg = vg_config_load_file (conf_path, err, sizeof err);
    ASSERT (cfg);
    ASSERT_STR_EQ (vg_config_path (cfg), conf_path);
    memset (&c, 0, sizeof c);
    ASSERT_EQ (vg_config_apply (cfg, vg_config_root (cfg), s_opts, NULL, &c, NULL, err, sizeof err),
               VG_OK);
    ASSERT_STR_EQ (c.token, "relative");
    vg_config_free_fields (s_opts, &c);
    vg_config_destroy (&cfg);

    /* Errors from a file carry its path. */
    test_write_file (conf_path, "name: x\ncount: many\n");
    cfg = vg_config_load_file (conf_path, err, sizeof err);
    ASSERT (cfg);
    memset (&c, 0, sizeof c);
    ASSERT_EQ (vg_config_apply (cfg, vg_config_root (cfg), s_opts, NULL, &c, NULL, err, sizeof err),
               VG_EINVAL);
    expected = vg_asprintf ("%s:2: count: expected an integer, got \"many\"", conf_path);
    ASSERT_STR_EQ (err, expected);
    free (expected);
    vg_config_free_fields (s_opts, &c);
    vg_config_destroy (&cfg);

    ASSERT (vg_config_load_file (missing, err, sizeof err) == NULL);
    expected = vg_asprintf ("%s: cannot open: No such file or directory", missing);
    ASSERT_STR_EQ (err, expected);
    free (expected);

    /* A secret default whose variable is unset leaves the field empty. */
    static const vg_option_t env_opts[] = {
        {"url", VG_OPT_SECRET, "env:VIGIL_TEST_UNSET", 0, 0, 0, 0, "database", NULL, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL},
    };
    char *url = NULL;
    ASSERT_EQ (vg_config_defaults (env_opts, &url, err, sizeof err), VG_OK);
    ASSERT (url == NULL);
    ASSERT_EQ (vg_config_defaults (env_opts, &url, err, sizeof err), VG_OK);
    setenv ("VIGIL_TEST_UNSET", "postgresql://db", 1);
    ASSERT_EQ (vg_config_defaults (env_opts, &url, err, sizeof err), VG_OK);
    ASSERT_STR_EQ (url, "postgresql://db");
    vg_config_free_fields (env_opts, &url);
    ASSERT (url == NULL);
    unsetenv ("VIGIL_TEST_UNSET");

    free (conf_path);
    free (missing);
    free (secret);
    free (dir);
    unsetenv ("VIGIL_TEST_TOKEN");
}

static void
test_document_errors (void)
{
    /* YAML syntax errors name file and line (the reason is libfyaml's). */
    s_expect_load_error ("name: x\nratio: \"0.5\n", "agent.yaml:2: double-quoted scalar without "
                                                    "closing quote");
    s_expect_load_error (
        "name: x\nlabels:\n\tenv: prod\n",
        "agent.yaml:3: a tab character; YAML files are indented and spaced with spaces");
    s_expect_load_error ("name: x\ncount: 1: 2\n",
                         "agent.yaml:2: invalid nested block mapping on the same line");
    /* Duplicate keys, with the full key path and both lines. */
    s_expect_load_error ("name: x\ncount: 1\ncount: 2\n",
                         "agent.yaml:3: count: duplicate key (first given on line 2)");
    s_expect_load_error ("inputs:\n"
                         "  - type: system\n"
                         "  - type: http\n"
                         "    labels:\n"
                         "      env: a\n"
                         "      'env': b\n",
                         "agent.yaml:6: inputs[1].labels.env: duplicate key (first given on line "
                         "5)");
    s_expect_load_error ("a: 1\n---\nb: 2\n",
                         "agent.yaml:2: a second YAML document; a configuration file holds "
                         "exactly one");
    /* An error after the first document, and one libfyaml reports without a reason. */
    s_expect_load_error ("a: 1\n---\nb: [\n",
                         "agent.yaml:4: flow sequence without a closing bracket");
    s_expect_load_error ("  - 2m\n- 3m\n", "agent.yaml:2: missing document start");
    s_expect_load_error ("# block scalar\n|0\n", "agent.yaml:2: not valid YAML");
    s_expect_load_error ("base: &b 10s\ninterval: *b\n",
                         "agent.yaml:2: interval: aliases (*name) are not supported; write the "
                         "value out");
    s_expect_load_error ("name: x\n? [a, b]\n: c\n",
                         "agent.yaml:2: a key must be a plain name, got a sequence");
    /* Not UTF-8: a UTF-16 byte order mark, a truncated sequence, an encoded
     * surrogate, and a directive line that would make libfyaml loop. */
    s_expect_load_error ("\xff\xfe: 1\n", "agent.yaml:1: not valid UTF-8 text");
    s_expect_load_error ("name: x\nlabels: {a: \"caf\xc3\"}\n",
                         "agent.yaml:2: not valid UTF-8 text");
    s_expect_load_error ("a: 1\n\nb: \xed\xa0\x80\n", "agent.yaml:3: not valid UTF-8 text");
    /* Tabs are refused before libfyaml sees them (it double-frees on some),
     * in comments too. */
    s_expect_load_error ("a: 1\nb:\t2\n",
                         "agent.yaml:2: a tab character; YAML files are indented and spaced with "
                         "spaces");
    s_expect_load_error ("? ::\t:", "agent.yaml:1: a tab character; YAML files are indented and "
                                    "spaced with spaces");
    s_expect_load_error ("a: 1\n# a\ttab\n", "agent.yaml:2: a tab character; YAML files are "
                                             "indented and spaced with spaces");
    s_expect_load_error ("%\xbd\n", "agent.yaml:1: not valid UTF-8 text");
    /* ... while UTF-8 text, with or without a byte order mark, is fine. */
    conf_t c;
    memset (&c, 0, sizeof c);
    ASSERT_EQ (s_apply ("\xef\xbb\xbfname: caf\xc3\xa9 \xf0\x9f\x94\xa5\n", NULL, NULL, NULL, &c),
               VG_OK);
    ASSERT_STR_EQ (c.name, "caf\xc3\xa9 \xf0\x9f\x94\xa5");
    vg_config_free_fields (s_opts, &c);
}

static void
test_empty_documents (void)
{
    static const char *empties[] = {"",      "\n\n",    "# only a comment\n",
                                    "---\n", "--- ~\n", "---\n# nothing\n...\n"};
    static const vg_option_t optional[] = {
        {"count", VG_OPT_INT, "3", 1, 100, F (count), 0, "how many", NULL, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        char err[256] = "";
        vg_config_t *cfg = vg_config_load_string ("agent.yaml", empties[i], err, sizeof err);
        if (!cfg)
            TEST_FAIL ("empty document %zu: %s", i, err);
        ASSERT (vg_config_root (cfg) == NULL);
        conf_t c;
        memset (&c, 0, sizeof c);
        ASSERT_EQ (vg_config_apply (cfg, NULL, optional, NULL, &c, NULL, err, sizeof err), VG_OK);
        ASSERT_EQ (c.count, 3);
        ASSERT_EQ (vg_config_apply (cfg, NULL, s_opts, NULL, &c, NULL, err, sizeof err), VG_EINVAL);
        ASSERT_STR_EQ (err, "agent.yaml:1: name: required");
        vg_config_free_fields (s_opts, &c);
        vg_config_destroy (&cfg);
    }
    vg_config_destroy (NULL);
}

static void
test_nodes (void)
{
    char err[256];
    vg_config_t *cfg = vg_config_load_string ("x.yaml",
                                              "# header\n"
                                              "a: 1\n"
                                              "b:\n"
                                              "  - one\n"
                                              "  - 'two'\n"
                                              "c:\n"
                                              "  d: \"x y\"\n"
                                              "e:\n",
                                              err, sizeof err);
    ASSERT (cfg);
    vg_cnode_t *root = vg_config_root (cfg);
    ASSERT (vg_cnode_is_map (root));
    ASSERT (!vg_cnode_is_seq (root));
    ASSERT_EQ (vg_config_line (root), 2);
    size_t len = 0;
    const char *text = vg_cnode_scalar (vg_cnode_get (root, "a"), &len);
    ASSERT (text && len == 1 && text[0] == '1');
    ASSERT (vg_cnode_get (root, "zz") == NULL);
    ASSERT (vg_cnode_get (NULL, "a") == NULL);
    vg_cnode_t *b = vg_cnode_get (root, "b");
    ASSERT (vg_cnode_is_seq (b));
    ASSERT_EQ (vg_config_line (b), 4);
    ASSERT_EQ (vg_cnode_seq_len (b), 2);
    char *two = vg_cnode_strdup (vg_cnode_seq_at (b, 1));
    ASSERT_STR_EQ (two, "two");
    free (two);
    ASSERT (vg_cnode_scalar (b, NULL) == NULL);
    ASSERT (vg_cnode_strdup (b) == NULL);
    ASSERT_EQ (vg_cnode_seq_len (root), 0);
    vg_cnode_t *d = vg_cnode_get (vg_cnode_get (root, "c"), "d");
    ASSERT_EQ (vg_config_line (d), 7);
    char *dv = vg_cnode_strdup (d);
    ASSERT_STR_EQ (dv, "x y");
    free (dv);
    /* An empty value is present, has its key's line and empty text. */
    vg_cnode_t *e = vg_cnode_get (root, "e");
    ASSERT (e != NULL);
    ASSERT_EQ (vg_config_line (e), 8);
    text = vg_cnode_scalar (e, &len);
    ASSERT (text && len == 0);
    ASSERT_EQ (vg_config_line (NULL), 0);

    /* vg_config_error: with and without a key and a document. */
    ASSERT_EQ (vg_config_error (cfg, d, "c.d", err, sizeof err, "bad %s", "thing"), VG_EINVAL);
    ASSERT_STR_EQ (err, "x.yaml:7: c.d: bad thing");
    vg_config_error (cfg, root, "", err, sizeof err, "no key");
    ASSERT_STR_EQ (err, "x.yaml:2: no key");
    vg_config_error (NULL, NULL, "k", err, sizeof err, "no file");
    ASSERT_STR_EQ (err, "k: no file");
    char tiny[8];
    vg_config_error (cfg, d, "c.d", tiny, sizeof tiny, "truncated safely");
    ASSERT_STR_EQ (tiny, "x.yaml:");

    /* vg_config_parse_value on one node. */
    static const vg_option_t dur = {"timeout", VG_OPT_DURATION, "5s", 1, 60000, 0, 0, "t", NULL,
                                    NULL};
    int64_t ms = 0;
    ASSERT_EQ (
        vg_config_parse_value (cfg, vg_cnode_get (root, "a"), &dur, "a", &ms, err, sizeof err),
        VG_OK);
    ASSERT_EQ (ms, 1000);
    ASSERT_EQ (vg_config_parse_value (cfg, e, &dur, "e", &ms, err, sizeof err), VG_OK);
    ASSERT_EQ (ms, 5000);
    ASSERT_EQ (vg_config_parse_value (cfg, d, &dur, "c.d", &ms, err, sizeof err), VG_EINVAL);
    ASSERT_STR_EQ (err, "x.yaml:7: c.d: expected a duration like 10s or 500ms, got \"x y\"");
    ASSERT_EQ (ms, 5000); /* unchanged on error */
    vg_config_destroy (&cfg);
}

static void
test_print_options (void)
{
    static const vg_option_t opts[] = {
        {"url", VG_OPT_STRING, NULL, 0, 0, 0, 1, "where to send", NULL, NULL},
        {"interval", VG_OPT_DURATION, "10s", 1000, 3600000, 0, 0, "how often", NULL, NULL},
        {"verbose", VG_OPT_BOOL, "false", 0, 0, 0, 0, "say more", NULL, NULL},
        {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL},
    };
    char *dir = test_tmpdir ("config-print");
    char *path = vg_asprintf ("%s/out.txt", dir);
    fflush (stdout);
    int saved = dup (1);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT (saved >= 0 && fd >= 0);
    dup2 (fd, 1);
    close (fd);
    vg_config_print_options (opts, "  ");
    fflush (stdout);
    dup2 (saved, 1);
    close (saved);
    char *out = test_read_file (path);
    ASSERT_STR_EQ (out, "  url       string    required               where to send\n"
                        "  interval  duration  default 10s    1s..1h  how often\n"
                        "  verbose   bool      default false          say more\n");
    free (out);
    free (path);
    free (dir);
}

int
main (void)
{
    test_every_type ();
    test_scalar_forms ();
    test_single_quoted ();
    test_defaults ();
    test_type_errors ();
    test_bounds ();
    test_unknown_required_nested ();
    test_secrets ();
    test_document_errors ();
    test_empty_documents ();
    test_nodes ();
    test_print_options ();
    printf ("test_config: ok\n");
    return 0;
}
