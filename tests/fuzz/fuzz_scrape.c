/*  fuzz_scrape.c - libFuzzer target for the exposition parser, in both
 *  formats and both modes, and for the scrape input behind it (histograms
 *  into sketches).
 *
 *  The input is parsed as Prometheus 0.0.4 and as OpenMetrics with tight
 *  limits, rejecting invalid text and keeping valid lines, and every sample
 *  handed over must respect the limits; an exposition found invalid hands
 *  over nothing, and keeping valid lines finds the same first error. The
 *  seeds are tests/data/exposition/ (the conformance corpus) besides
 *  tests/fuzz/corpus/fuzz_scrape/. An input with a
 *  histogram bucket in it (le=") is then also scraped twice through the real
 *  plugin from a file:// URL: the text before
 *  a line "#~#" is the first scrape and the rest the second (without one,
 *  both scrapes read the whole input), so bucket deltas, resets and changed
 *  bounds all reach the sketch code. Whatever lands in the batch must be what
 *  the wire accepts: finite values, non-empty sketches with finite sums.
 */
#include "agent_input.h"
#include "agent_sink.h"
#include "scrape_parse.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_config.h"
#include "vg_error.h"
#include "vg_log.h"

#include <curl/curl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

extern const agent_input_plugin_t in_scrape_plugin;

static const scrape_options_t s_limits = {
    .max_samples = 500, .max_label_count = 8, .max_label_length = 64};

static char s_path[64];

static int
s_label_name_ok (const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

static void
s_check_sample (void *arg, const scrape_sample_t *s)
{
    size_t *count = arg;
    (*count)++;
    if (!s->name[0] || strlen (s->name) > s_limits.max_label_length || !s->family[0] ||
        s->nlabels > s_limits.max_label_count || (s->nlabels && !s->labels))
        abort ();
    if (strncmp (s->name, s->family, strlen (s->family)) != 0)
        abort ();
    for (size_t i = 0; i < s->nlabels; i++) {
        if (!s_label_name_ok (s->labels[i].key) ||
            strlen (s->labels[i].value) > s_limits.max_label_length)
            abort ();
        for (size_t j = 0; j < i; j++)
            if (strcmp (s->labels[i].key, s->labels[j].key) == 0)
                abort ();
    }
    if ((s->role == SCRAPE_ROLE_BUCKET || s->role == SCRAPE_ROLE_QUANTILE) && isnan (s->bound))
        abort ();
}

static void
s_parse_mode (scrape_parse_t *parser, const uint8_t *data, size_t size, scrape_format_t format,
              int keep, scrape_result_t *res)
{
    scrape_options_t opts = s_limits;
    opts.keep_valid_lines = keep;
    size_t count = 0;
    int rc = scrape_parse_run (parser, (const char *)data, size, format, &opts, s_check_sample,
                               &count, res);
    if (count != res->samples || res->samples > s_limits.max_samples ||
        (rc == VG_OK) != (res->errors == 0) ||
        (rc != VG_OK && rc != VG_EPROTO && rc != VG_ETOOBIG) ||
        (res->errors > 0) != (res->first_error_line > 0) ||
        (res->errors > 0) != (res->first_rule != SCRAPE_RULE_NONE) ||
        (res->errors > 0 && strncmp (res->first_error, "line ", 5) != 0) ||
        res->first_error_line > res->lines + 1)
        abort ();
    /* rejecting: one error at most, and nothing handed over after it */
    if (!keep && (res->errors > 1 || (res->errors && res->samples)))
        abort ();
}

static void
s_parse (scrape_parse_t *parser, const uint8_t *data, size_t size, scrape_format_t format)
{
    scrape_result_t strict, keep;
    s_parse_mode (parser, data, size, format, 0, &strict);
    s_parse_mode (parser, data, size, format, 1, &keep);
    /* both read the same lines up to the first error; past a limit, keeping
     * drops and goes on where rejecting stops */
    int limit = strict.first_rule == SCRAPE_RULE_SAMPLE_LIMIT ||
                strict.first_rule == SCRAPE_RULE_LABEL_LIMIT;
    if (!limit &&
        (strict.first_rule != keep.first_rule || strict.first_error_line != keep.first_error_line))
        abort ();
}

static void
s_write (const uint8_t *data, size_t size)
{
    FILE *f = fopen (s_path, "wb");
    if (!f)
        abort ();
    if (size && fwrite (data, 1, size, f) != size)
        abort ();
    fclose (f);
}

/* Values may be NaN or infinite (as the exposition wrote them); sketches
 * are the input's own and must be whole. */
static void
s_check_batch (const vg_batch_t *b)
{
    for (size_t i = 0; i < b->ndists; i++) {
        const vg_sketch_t *sk = b->dists[i].sketch;
        if (sk->count == 0 || !isfinite (sk->sum) || !isfinite (sk->min) || !isfinite (sk->max))
            abort ();
    }
}

static void
s_scrape_twice (const uint8_t *data, size_t size)
{
    char yaml[256], err[512];
    snprintf (yaml, sizeof yaml,
              "url: file://%s\nmax_samples: 500\nmax_label_count: 8\nmax_histograms: 20\n"
              "on_invalid: keep_valid_lines\n",
              s_path);
    void *ctx = vg_calloc (1, in_scrape_plugin.ctx_size);
    vg_config_t *cfg = vg_config_load_string ("fuzz.yaml", yaml, err, sizeof err);
    if (!cfg || vg_config_apply (cfg, vg_config_root (cfg), in_scrape_plugin.options, NULL, ctx,
                                 NULL, err, sizeof err) != VG_OK)
        abort ();
    vg_config_destroy (&cfg);
    agent_input_env_t env = {.instance = "fuzz", .interval_ms = 10000};
    if (in_scrape_plugin.init (ctx, &env, err, sizeof err) != VG_OK)
        abort ();
    vg_batch_t *batch = vg_batch_new ("fuzz", "fuzz");
    agent_sink_t *sink = agent_sink_new (batch, 0, NULL, 0);

    const uint8_t *split = memmem (data, size, "#~#\n", 4);
    size_t first = split ? (size_t)(split - data) : size;
    const uint8_t *second = split ? split + 4 : data;
    size_t second_len = split ? size - first - 4 : size;
    s_write (data, first);
    for (int round = 0; round < 2; round++) {
        if (round == 1)
            s_write (second, second_len);
        vg_batch_clear (batch);
        agent_sink_retarget (sink, batch, 1000 * (round + 1));
        int rc = in_scrape_plugin.collect (ctx, sink, 1000 * (round + 1), err, sizeof err);
        if (rc != VG_OK && rc != AGENT_INPUT_REJECTED)
            abort ();
        s_check_batch (batch);
    }
    agent_sink_destroy (&sink);
    vg_batch_destroy (&batch);
    in_scrape_plugin.fini (ctx);
    vg_config_free_fields (in_scrape_plugin.options, ctx);
    free (ctx);
}

static void
s_cleanup (void)
{
    unlink (s_path);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static scrape_parse_t *parser;
    if (!parser) {
        parser = scrape_parse_new ();
        vg_log_set_level (VG_LOG_ERROR);
        curl_global_init (CURL_GLOBAL_DEFAULT); /* held, so no instance pays for it */
        /* tmpfs: rewriting a file on ext4 waits for the disk on every run */
        const char *dir = access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf (s_path, sizeof s_path, "%s/fuzz_scrape.%d", dir, (int)getpid ());
        atexit (s_cleanup);
    }
    s_parse (parser, data, size, SCRAPE_FORMAT_PROMETHEUS);
    s_parse (parser, data, size, SCRAPE_FORMAT_OPENMETRICS);
    /* the plugin's own code is about histograms: leave the rest to the fast part */
    if (memmem (data, size, "le=\"", 4))
        s_scrape_twice (data, size);
    return 0;
}
