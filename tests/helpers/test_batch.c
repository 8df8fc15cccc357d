/*  test_batch.c - an input instance run as the agent core runs one, and
 *  lookups of samples in a batch. */
#include "test_batch.h"
#include "test_assert.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_config.h"
#include "vg_error.h"
#include "vg_time.h"

#include <poll.h>
#include <stdarg.h>

#define S_MAX_LABELS 16

/* ---- an input instance ------------------------------------------------- */

int
test_input_configure (test_input_t *self, const agent_input_plugin_t *plugin, const char *yaml)
{
    memset (self, 0, sizeof *self);
    self->plugin = plugin;
    self->ctx = vg_calloc (1, plugin->ctx_size);
    if (!yaml)
        return vg_config_defaults (plugin->options, self->ctx, self->err, sizeof self->err);
    vg_config_t *cfg = vg_config_load_string ("agent.yaml", yaml, self->err, sizeof self->err);
    if (!cfg)
        TEST_FAIL ("yaml: %s", self->err);
    int rc = vg_config_apply (cfg, vg_config_root (cfg), plugin->options, NULL, self->ctx,
                              "inputs[0]", self->err, sizeof self->err);
    vg_config_destroy (&cfg);
    return rc;
}

int
test_input_init (test_input_t *self, const agent_input_env_t *env)
{
    ASSERT (self->plugin && !self->started);
    self->env =
        env ? *env
            : (agent_input_env_t){.instance = "test", .state_dir = NULL, .interval_ms = 10000};
    self->err[0] = '\0';
    int rc = self->plugin->init (self->ctx, &self->env, self->err, sizeof self->err);
    if (rc == VG_OK) {
        self->started = 1;
        self->batch = vg_batch_new ("test-agent", "test-host");
        self->sink = agent_sink_new (self->batch, 0, NULL, 0);
    }
    return rc;
}

void
test_input_start (test_input_t *self, const agent_input_plugin_t *plugin,
                  const agent_input_env_t *env, const char *yaml)
{
    if (test_input_configure (self, plugin, yaml) != VG_OK)
        TEST_FAIL ("options: %s", self->err);
    if (test_input_init (self, env) != VG_OK)
        TEST_FAIL ("init: %s", self->err);
}

void
test_input_startf (test_input_t *self, const agent_input_plugin_t *plugin,
                   const agent_input_env_t *env, const char *fmt, ...)
{
    char *yaml = NULL;
    va_list ap;
    va_start (ap, fmt);
    int n = vasprintf (&yaml, fmt, ap);
    va_end (ap);
    ASSERT (n >= 0);
    test_input_start (self, plugin, env, yaml);
    free (yaml);
}

int
test_input_try_collect (test_input_t *self, int64_t now_ms)
{
    ASSERT (self->started);
    vg_batch_clear (self->batch);
    agent_sink_retarget (self->sink, self->batch, now_ms);
    self->err[0] = '\0';
    int rc = self->plugin->collect (self->ctx, self->sink, now_ms, self->err, sizeof self->err);
    if (rc == VG_OK && self->plugin->on_ready) {
        test_input_finish (self, now_ms);
        if (self->plugin->outcome)
            rc = self->plugin->outcome (self->ctx, self->err, sizeof self->err);
    }
    return rc;
}

void
test_input_finish (test_input_t *self, int64_t now_ms)
{
    /* The work a collect started finishes on the loop: poll as the agent
     * does, with a generous deadline (a check's own timeout ends it first). */
    int64_t until = vg_mono_ms () + 60000;
    while (self->plugin->busy (self->ctx)) {
        if (vg_mono_ms () > until)
            TEST_FAIL ("%s: the work started by collect did not finish in 60 s",
                       self->env.instance);
        struct pollfd pfd = {self->plugin->poll_fd (self->ctx), POLLIN, 0};
        if (poll (&pfd, 1, 100) > 0)
            self->plugin->on_ready (self->ctx, self->sink, now_ms);
    }
}

void
test_input_collect (test_input_t *self, int64_t now_ms)
{
    int rc = test_input_try_collect (self, now_ms);
    if (rc != VG_OK)
        TEST_FAIL ("collect %s: %s (%d)", self->env.instance, self->err, rc);
}

void
test_input_stop (test_input_t *self)
{
    if (self->started)
        self->plugin->fini (self->ctx);
    if (self->ctx)
        vg_config_free_fields (self->plugin->options, self->ctx);
    free (self->ctx);
    agent_sink_destroy (&self->sink);
    vg_batch_destroy (&self->batch);
    memset (self, 0, sizeof *self);
}

/* ---- looking samples up ------------------------------------------------ */

/* Reads the NULL-terminated key, value, ... list into want; returns its
 * length (twice the number of labels). */
static size_t
s_want (va_list ap, const char **want)
{
    size_t n = 0;
    const char *k;
    while ((k = va_arg (ap, const char *))) {
        if (n == 2 * S_MAX_LABELS)
            TEST_FAIL ("more than %d labels asked for", S_MAX_LABELS);
        want[n++] = k;
        want[n++] = va_arg (ap, const char *);
    }
    return n;
}

/* Does series s carry every label of want, and (when exact) no other? */
static int
s_labels_match (const vg_batch_t *b, const vg_series_t *s, const char *const *want, size_t nwant,
                int exact)
{
    if (exact && s->nlabels != nwant / 2)
        return 0;
    for (size_t j = 0; j < nwant; j += 2) {
        const char *v = test_batch_label (b, s, want[j]);
        if (!v || strcmp (v, want[j + 1]) != 0)
            return 0;
    }
    return 1;
}

static int
s_kind_matches (const vg_series_t *s, int kind)
{
    return kind == TEST_KIND_ANY ? s->kind != VG_KIND_DISTRIBUTION : (int)s->kind == kind;
}

static size_t
s_find (const vg_batch_t *b, const char *name, int kind, int exact, double *value,
        const char *const *want, size_t nwant)
{
    size_t found = 0;
    for (size_t i = 0; i < b->nsamples; i++) {
        const vg_series_t *s = &b->series[b->sample_series[i]];
        if (!s_kind_matches (s, kind) || strcmp (b->strings[s->name], name) != 0 ||
            !s_labels_match (b, s, want, nwant, exact))
            continue;
        found++;
        if (value)
            *value = b->sample_value[i];
    }
    return found;
}

size_t
test_batch_vfind (const vg_batch_t *batch, const char *name, int kind, int exact, double *value,
                  va_list labels)
{
    const char *want[2 * S_MAX_LABELS];
    size_t nwant = s_want (labels, want);
    return s_find (batch, name, kind, exact, value, want, nwant);
}

size_t
test_batch_find (const vg_batch_t *batch, const char *name, double *value, ...)
{
    va_list ap;
    va_start (ap, value);
    size_t n = test_batch_vfind (batch, name, TEST_KIND_ANY, 0, value, ap);
    va_end (ap);
    return n;
}

size_t
test_batch_find_exact (const vg_batch_t *batch, const char *name, int kind, double *value, ...)
{
    va_list ap;
    va_start (ap, value);
    size_t n = test_batch_vfind (batch, name, kind, 1, value, ap);
    va_end (ap);
    return n;
}

/* A series' labels as k="v",k="v" (quoted) or k=v,k=v, in the batch's order. */
static void
s_render (const vg_batch_t *b, const vg_series_t *s, int quoted, vg_buf_t *out)
{
    vg_buf_reset (out);
    vg_buf_puts (out, "");
    for (uint32_t i = 0; i < s->nlabels; i++)
        vg_buf_printf (out, quoted ? "%s%s=\"%s\"" : "%s%s=%s", i ? "," : "",
                       b->strings[s->labels[2 * i]], b->strings[s->labels[2 * i + 1]]);
}

size_t
test_batch_find_text (const vg_batch_t *batch, const char *name, int kind, const char *labels,
                      int quoted, double *value, const vg_sketch_t **sketch)
{
    int dists = kind == VG_KIND_DISTRIBUTION;
    size_t n = dists ? batch->ndists : batch->nsamples;
    vg_buf_t text = {0};
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        const vg_series_t *s =
            &batch->series[dists ? batch->dists[i].series : batch->sample_series[i]];
        if (!s_kind_matches (s, kind) || strcmp (batch->strings[s->name], name) != 0)
            continue;
        s_render (batch, s, quoted, &text);
        if (strcmp (text.data, labels) != 0)
            continue;
        found++;
        if (value && !dists)
            *value = batch->sample_value[i];
        if (sketch && dists)
            *sketch = batch->dists[i].sketch;
    }
    vg_buf_free (&text);
    return found;
}

const vg_sketch_t *
test_batch_dist (const vg_batch_t *batch, const char *name, ...)
{
    const char *want[2 * S_MAX_LABELS];
    va_list ap;
    va_start (ap, name);
    size_t nwant = s_want (ap, want);
    va_end (ap);
    const vg_sketch_t *found = NULL;
    for (size_t i = 0; i < batch->ndists; i++) {
        const vg_series_t *s = &batch->series[batch->dists[i].series];
        if (strcmp (batch->strings[s->name], name) != 0 ||
            !s_labels_match (batch, s, want, nwant, 1))
            continue;
        if (found)
            TEST_FAIL ("distribution %s: more than one", name);
        found = batch->dists[i].sketch;
    }
    return found;
}

size_t
test_batch_count (const vg_batch_t *batch, const char *name)
{
    return s_find (batch, name, TEST_KIND_ANY, 0, NULL, NULL, 0);
}

const char *
test_batch_label (const vg_batch_t *batch, const vg_series_t *series, const char *key)
{
    for (uint32_t i = 0; i < series->nlabels; i++)
        if (strcmp (batch->strings[series->labels[2 * i]], key) == 0)
            return batch->strings[series->labels[2 * i + 1]];
    return NULL;
}
