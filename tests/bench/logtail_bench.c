/*  logtail_bench.c - how many log lines a second the logtail rules turn into
 *  metrics on one core. A program, not a test: tests/bench/logtail.sh builds
 *  it, generates the logs and runs it.
 *
 *    logtail_bench gen json|nginx N FILE   write N lines of that kind
 *    logtail_bench run JSON_FILE NGINX_FILE
 *
 *  run reads each file into memory and times, best of three:
 *    split   finding the lines alone (memchr): the floor every figure pays;
 *    scan    the JSON extractor alone, 4 paths (JSON file);
 *    pcre2   the bare JIT match of the access-log regex (nginx file);
 *    rule    one rule through logtail_rules_line - for JSON a distribution of
 *            jsonPayload.process_time_ms by endpoint, persona and status; for
 *            nginx a distribution of $request_time by method, path and status
 *            - with an emit into a batch every 100,000 lines, as the agent
 *            does each interval;
 *    rules3  a realistic JSON set: that distribution, errors by endpoint
 *            (where severity = ERROR) and tokens by model;
 *    follow  the JSON file through the follower and the rule, from the page
 *            cache: what the input does per collect.
 *  The last line is:  logtail: json <N> lines/s  regex <M> lines/s  (rule).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "agent_sink.h"
#include "logtail_follow.h"
#include "logtail_json.h"
#include "logtail_rules.h"
#include "vg_batch.h"

#include <fcntl.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_EMIT_EVERY 100000

static const char *s_nginx_re =
    "^(?<addr>\\S+) \\S+ \\S+ \\[[^\\]]+\\] \"(?<method>[A-Z]+) (?<path>[^ ?\"]*)[^ \"]* [^\"]*\" "
    "(?<status>\\d{3}) (?<bytes>\\d+|-) \"[^\"]*\" \"[^\"]*\"(?: (?<rt>[\\d.]+|-))?$";

/* ---- generating ------------------------------------------------------- */

static uint64_t s_rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
s_rand (void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

/* A latency in ms, log-uniform between 5 ms and 20 s. */
static double
s_latency_ms (void)
{
    double u = (double)(s_rand () % 1000000) / 1e6;
    return 5.0 * exp (u * 8.29);
}

static int
s_gen (const char *kind, long n, const char *path)
{
    static const char *endpoints[] = {"/chat",   "/chat",     "/chat",
                                      "/health", "/generate", "/api/v1/templates"};
    static const char *personas[] = {"tutor", "coach", "critic", "assistant"};
    static const char *models[] = {"gpt-4o-mini", "gpt-4o", "claude-3-haiku"};
    static const int statuses[] = {200, 200, 200, 200, 200, 200, 200, 201, 404, 429, 500, 502};
    static const char *agents[] = {"Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0",
                                   "python-httpx/0.27.0", "kube-probe/1.29"};
    FILE *out = fopen (path, "w");
    if (!out) {
        perror (path);
        return 1;
    }
    int json = strcmp (kind, "json") == 0;
    for (long i = 0; i < n; i++) {
        const char *ep = endpoints[s_rand () % 6];
        int status = statuses[s_rand () % 12];
        double ms = s_latency_ms ();
        long sec = i / 1000, us = (i % 1000) * 1000 + (long)(s_rand () % 1000);
        if (json)
            fprintf (out,
                     "{\"timestamp\":\"2024-05-01T%02ld:%02ld:%02ld.%06ldZ\",\"severity\":\"%s\","
                     "\"logger\":\"app.api\",\"jsonPayload\":{\"endpoint\":\"%s\",\"persona_used\":"
                     "\"%s\",\"process_time_ms\":%.1f,\"model\":\"%s\",\"tokens\":%d},"
                     "\"status_code\":%d,\"trace\":\"%016llx\"}\n",
                     sec / 3600 % 24, sec / 60 % 60, sec % 60, us, status >= 500 ? "ERROR" : "INFO",
                     ep, personas[s_rand () % 4], ms, models[s_rand () % 3],
                     (int)(s_rand () % 2000), status, (unsigned long long)s_rand ());
        else
            fprintf (out,
                     "10.%d.%d.%d - - [01/May/2024:%02ld:%02ld:%02ld +0000] \"%s %s%s HTTP/1.1\" "
                     "%d %d \"-\" \"%s\" %.3f\n",
                     (int)(s_rand () % 256), (int)(s_rand () % 256), (int)(s_rand () % 256),
                     sec / 3600 % 24, sec / 60 % 60, sec % 60, status == 201 ? "POST" : "GET", ep,
                     s_rand () % 4 == 0 ? "?stream=1" : "", status, (int)(s_rand () % 20000),
                     agents[s_rand () % 4], ms / 1000.0);
    }
    return fclose (out) == 0 ? 0 : 1;
}

/* ---- running ---------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len;
    long lines;
} text_t;

static int
s_load (const char *path, text_t *t)
{
    int fd = open (path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat (fd, &st) != 0) {
        perror (path);
        return 1;
    }
    t->len = (size_t)st.st_size;
    t->data = malloc (t->len + 1);
    size_t done = 0;
    while (done < t->len) {
        ssize_t n = read (fd, t->data + done, t->len - done);
        if (n <= 0) {
            perror (path);
            return 1;
        }
        done += (size_t)n;
    }
    close (fd);
    t->lines = 0;
    for (const char *p = t->data; (p = memchr (p, '\n', (size_t)(t->data + t->len - p))); p++)
        t->lines++;
    return 0;
}

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef enum { S_SPLIT, S_SCAN, S_PCRE2, S_RULES } s_mode_t;

typedef struct {
    s_mode_t mode;
    logtail_rules_t *rules;
    logtail_json_t *json;
    logtail_json_val_t slots[8];
    pcre2_code *re;
    pcre2_match_data *md;
    vg_batch_t *batch;
    uint64_t sink; /* keeps the compiler from dropping work */
} s_run_t;

static void
s_emit (s_run_t *run)
{
    agent_sink_t *sink = agent_sink_new (run->batch, 1700000000000LL, NULL, 0);
    logtail_rules_emit (run->rules, sink);
    agent_sink_destroy (&sink);
    run->sink += vg_batch_count (run->batch);
    vg_batch_clear (run->batch);
}

static void
s_line (s_run_t *run, const char *p, size_t len)
{
    switch (run->mode) {
    case S_SPLIT:
        run->sink += len;
        break;
    case S_SCAN:
        run->sink += logtail_json_scan (run->json, p, len, run->slots) == 0;
        break;
    case S_PCRE2:
        run->sink += pcre2_jit_match (run->re, (PCRE2_SPTR)p, len, 0, 0, run->md, NULL) > 0;
        break;
    case S_RULES:
        logtail_rules_line (run->rules, p, len);
        break;
    }
}

/* Lines per second over the whole text, best of three passes. */
static double
s_time (s_run_t *run, const text_t *t)
{
    double best = 0;
    for (int pass = 0; pass < 3; pass++) {
        double t0 = s_now ();
        const char *p = t->data, *end = t->data + t->len;
        long n = 0;
        while (p < end) {
            const char *nl = memchr (p, '\n', (size_t)(end - p));
            if (!nl)
                break;
            s_line (run, p, (size_t)(nl - p));
            p = nl + 1;
            if (run->rules && ++n % S_EMIT_EVERY == 0)
                s_emit (run);
        }
        if (run->rules)
            s_emit (run);
        double rate = (double)t->lines / (s_now () - t0);
        if (rate > best)
            best = rate;
    }
    return best;
}

static logtail_rules_t *
s_rules (int json, int realistic)
{
    logtail_rules_t *rules = logtail_rules_new ();
    char err[512];
    int rc;
    if (json) {
        static const vg_label_t labels[] = {{"endpoint", "jsonPayload.endpoint"},
                                            {"persona", "jsonPayload.persona_used"},
                                            {"status", "status_code"}};
        rc = logtail_rules_add (rules,
                                &(logtail_rule_spec_t){.name = "api_request_seconds",
                                                       .type = LOGTAIL_RULE_DISTRIBUTION,
                                                       .json = 1,
                                                       .value = "jsonPayload.process_time_ms",
                                                       .value_scale = 0.001,
                                                       .labels = labels,
                                                       .nlabels = 3},
                                err, sizeof err);
        if (rc == 0 && realistic) {
            static const vg_label_t where[] = {{"severity", "ERROR"}};
            static const vg_label_t ep[] = {{"endpoint", "jsonPayload.endpoint"}};
            static const vg_label_t model[] = {{"model", "jsonPayload.model"}};
            rc = logtail_rules_add (rules,
                                    &(logtail_rule_spec_t){.name = "api_errors_total",
                                                           .json = 1,
                                                           .where = where,
                                                           .nwhere = 1,
                                                           .labels = ep,
                                                           .nlabels = 1},
                                    err, sizeof err);
            if (rc == 0)
                rc = logtail_rules_add (rules,
                                        &(logtail_rule_spec_t){.name = "api_tokens_total",
                                                               .json = 1,
                                                               .value = "jsonPayload.tokens",
                                                               .labels = model,
                                                               .nlabels = 1},
                                        err, sizeof err);
        }
    } else {
        static const vg_label_t labels[] = {
            {"method", "method"}, {"path", "path"}, {"status", "status"}};
        rc = logtail_rules_add (rules,
                                &(logtail_rule_spec_t){.name = "nginx_request_seconds",
                                                       .type = LOGTAIL_RULE_DISTRIBUTION,
                                                       .regex = s_nginx_re,
                                                       .value = "rt",
                                                       .labels = labels,
                                                       .nlabels = 3},
                                err, sizeof err);
    }
    if (rc != 0) {
        fprintf (stderr, "logtail_bench: %s\n", err);
        exit (1);
    }
    return rules;
}

/* Checks that the rule saw every line, so no figure comes from doing nothing. */
static void
s_check (logtail_rules_t *rules, const text_t *t, const char *what)
{
    logtail_rule_stats_t st;
    logtail_rules_stats (rules, 0, &st);
    if (st.matched != 3 * (uint64_t)t->lines) {
        fprintf (stderr, "logtail_bench: %s matched %llu of %ld lines\n", what,
                 (unsigned long long)st.matched, 3 * t->lines);
        exit (1);
    }
}

static void
s_follow_line (void *arg, const char *line, size_t len)
{
    logtail_rules_line (arg, line, len);
}

static double
s_follow (const char *path, const text_t *t)
{
    logtail_rules_t *rules = s_rules (1, 0);
    const char *patterns[] = {path};
    logtail_follow_opts_t opts = {.name = "bench",
                                  .patterns = patterns,
                                  .npatterns = 1,
                                  .from_beginning = 1,
                                  .max_line = 16384,
                                  .read_budget = 8 << 20,
                                  .max_files = 10};
    logtail_follow_t *f = logtail_follow_new (&opts);
    vg_batch_t *batch = vg_batch_new ("bench", "bench");
    double t0 = s_now ();
    logtail_follow_stats_t st;
    /* 8 MiB per poll, an emit after each, as the input does every interval. */
    do {
        logtail_follow_poll (f, s_follow_line, rules);
        agent_sink_t *sink = agent_sink_new (batch, 1700000000000LL, NULL, 0);
        logtail_rules_emit (rules, sink);
        agent_sink_destroy (&sink);
        vg_batch_clear (batch);
        logtail_follow_stats (f, &st);
    } while (st.backlog > 0 || st.lines == 0);
    double rate = (double)st.lines / (s_now () - t0);
    if (st.lines != (uint64_t)t->lines) {
        fprintf (stderr, "logtail_bench: follow read %llu of %ld lines\n",
                 (unsigned long long)st.lines, t->lines);
        exit (1);
    }
    vg_batch_destroy (&batch);
    logtail_follow_destroy (&f);
    logtail_rules_destroy (&rules);
    return rate;
}

static int
s_run (const char *json_path, const char *nginx_path)
{
    text_t json, nginx;
    if (s_load (json_path, &json) || s_load (nginx_path, &nginx))
        return 1;
    printf ("json:  %ld lines, %.0f bytes/line\n", json.lines, (double)json.len / json.lines);
    printf ("nginx: %ld lines, %.0f bytes/line\n", nginx.lines, (double)nginx.len / nginx.lines);

    s_run_t run;
    memset (&run, 0, sizeof run);
    run.batch = vg_batch_new ("bench", "bench");

    run.mode = S_SPLIT;
    double split_json = s_time (&run, &json);
    double split_nginx = s_time (&run, &nginx);

    run.mode = S_SCAN;
    run.json = logtail_json_new ();
    char err[256];
    const char *paths[] = {"jsonPayload.process_time_ms", "jsonPayload.endpoint",
                           "jsonPayload.persona_used", "status_code"};
    for (int i = 0; i < 4; i++)
        logtail_json_add_path (run.json, paths[i], err, sizeof err);
    double scan = s_time (&run, &json);
    logtail_json_destroy (&run.json);

    run.mode = S_PCRE2;
    int code;
    PCRE2_SIZE off;
    run.re = pcre2_compile ((PCRE2_SPTR)s_nginx_re, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
    pcre2_jit_compile (run.re, PCRE2_JIT_COMPLETE);
    run.md = pcre2_match_data_create_from_pattern (run.re, NULL);
    run.sink = 0;
    double pcre = s_time (&run, &nginx);
    if (run.sink != 3 * (uint64_t)nginx.lines) {
        fprintf (stderr, "logtail_bench: the regex matched %llu of %ld lines\n",
                 (unsigned long long)run.sink, 3 * nginx.lines);
        return 1;
    }
    pcre2_match_data_free (run.md);
    pcre2_code_free (run.re);

    run.mode = S_RULES;
    run.rules = s_rules (1, 0);
    double json_rule = s_time (&run, &json);
    s_check (run.rules, &json, "the JSON rule");
    logtail_rules_destroy (&run.rules);

    run.rules = s_rules (1, 1);
    double json_rules3 = s_time (&run, &json);
    logtail_rules_destroy (&run.rules);

    run.rules = s_rules (0, 0);
    double regex_rule = s_time (&run, &nginx);
    s_check (run.rules, &nginx, "the regex rule");
    logtail_rules_destroy (&run.rules);

    double follow = s_follow (json_path, &json);
    vg_batch_destroy (&run.batch);

    printf ("\n%-44s %12s\n", "lines/s, one core, best of 3", "");
    printf ("%-44s %12.0f\n", "json  split only (reference: memchr)", split_json);
    printf ("%-44s %12.0f\n", "json  extractor only, 4 paths", scan);
    printf ("%-44s %12.0f\n", "json  rule: distribution, 3 labels", json_rule);
    printf ("%-44s %12.0f\n", "json  3 rules (dist, errors, tokens)", json_rules3);
    printf ("%-44s %12.0f\n", "json  rule through the follower (page cache)", follow);
    printf ("%-44s %12.0f\n", "nginx split only (reference: memchr)", split_nginx);
    printf ("%-44s %12.0f\n", "nginx bare pcre2 JIT match (reference)", pcre);
    printf ("%-44s %12.0f\n", "nginx rule: distribution, 3 labels", regex_rule);
    printf ("logtail: json %.0f lines/s  regex %.0f lines/s\n", json_rule, regex_rule);
    free (json.data);
    free (nginx.data);
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc == 5 && strcmp (argv[1], "gen") == 0)
        return s_gen (argv[2], atol (argv[3]), argv[4]);
    if (argc == 4 && strcmp (argv[1], "run") == 0)
        return s_run (argv[2], argv[3]);
    fprintf (stderr, "usage: logtail_bench gen json|nginx N FILE\n"
                     "       logtail_bench run JSON_FILE NGINX_FILE\n");
    return 2;
}
