/*  test_batch.h - drive an input plugin the way the agent core does, and
 *  find samples in the batch it filled.
 *
 *      test_input_t h;
 *      test_input_start (&h, &in_file_plugin, NULL, "paths: [/backups/db.gz]\n");
 *      test_input_collect (&h, now_ms);
 *      double v;
 *      ASSERT_EQ (test_batch_find (h.batch, "file_count", &v, "path", "/backups/db.gz", NULL), 1);
 *      test_input_stop (&h);
 *
 *  Options go through the real parser (vg_config_apply with the file name
 *  "agent.yaml" and the key prefix "inputs[0]"), so messages read as a user
 *  would see them. Anything the test did not ask to fail fails the test.
 */
#ifndef TEST_BATCH_H
#define TEST_BATCH_H

#include "agent_input.h"
#include "agent_sink.h"
#include "vg_batch.h"
#include "vg_sketch.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- an input instance ------------------------------------------------- */

typedef struct {
    const agent_input_plugin_t *plugin;
    agent_input_env_t env; /* what init was given; the strings are the caller's */
    void *ctx;             /* the instance's context, options filled */
    vg_batch_t *batch;     /* what the last collect made; NULL until init succeeds */
    agent_sink_t *sink;
    int started; /* init succeeded, so stop calls fini */
    char err[1024];
} test_input_t;

/* Parses yaml (the keys of one agent.yaml input entry besides type, name,
 * interval and labels; NULL for the defaults) into a fresh context for
 * plugin. Returns the parser's code with its message in self->err; YAML that
 * does not load at all fails the test. Call test_input_stop afterwards,
 * whatever the result. */
int test_input_configure (test_input_t *self, const agent_input_plugin_t *plugin, const char *yaml);
/* Runs the plugin's init with env (NULL: instance "test", a 10 s interval,
 * no state directory) and, when it succeeds, makes the batch and the sink.
 * Returns init's code with its message in self->err. */
int test_input_init (test_input_t *self, const agent_input_env_t *env);
/* Both, failing the test on either error. */
void test_input_start (test_input_t *self, const agent_input_plugin_t *plugin,
                       const agent_input_env_t *env, const char *yaml);
/* The same with the YAML given as a printf format. */
void test_input_startf (test_input_t *self, const agent_input_plugin_t *plugin,
                        const agent_input_env_t *env, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Collects into the emptied batch at now_ms and returns collect's code (the
 * message in self->err, "" on success). */
int test_input_try_collect (test_input_t *self, int64_t now_ms);
/* For inputs whose collect only starts work (http, scrape): polls their
 * descriptor and runs on_ready into the batch until the work is done.
 * test_input_try_collect does this itself. */
void test_input_finish (test_input_t *self, int64_t now_ms);
/* The same, failing the test with the input's message on an error. */
void test_input_collect (test_input_t *self, int64_t now_ms);

/* Calls fini if init succeeded, frees the options, context, sink and batch,
 * and zeroes self. Safe after a failed configure or init. */
void test_input_stop (test_input_t *self);

/* ---- looking samples up ------------------------------------------------ */

/* For kind arguments: gauges and counters alike. */
#define TEST_KIND_ANY (-1)

/* How many gauge and counter samples of metric name carry every label of the
 * NULL-terminated key, value, ... list (they may carry others too); *value
 * (may be NULL) gets the last one's value. At most 16 labels. */
size_t test_batch_find (const vg_batch_t *batch, const char *name, double *value, ...)
    __attribute__ ((sentinel));
/* The same for samples of one kind (or TEST_KIND_ANY) whose series carries
 * exactly the labels listed, no others. */
size_t test_batch_find_exact (const vg_batch_t *batch, const char *name, int kind, double *value,
                              ...) __attribute__ ((sentinel));
/* Both, with the labels as a va_list (for a test's own variadic lookups). */
size_t test_batch_vfind (const vg_batch_t *batch, const char *name, int kind, int exact,
                         double *value, va_list labels);
/* How many samples of name, of kind (TEST_KIND_ANY, or VG_KIND_DISTRIBUTION
 * to look at distributions), have exactly the labels written in labels, keys
 * ascending as the batch keeps them: k="v",k="v" when quoted, k=v,k=v when
 * not, "" for none. *value (gauges and counters) and *sketch
 * (distributions) get the last one's; either may be NULL. */
size_t test_batch_find_text (const vg_batch_t *batch, const char *name, int kind,
                             const char *labels, int quoted, double *value,
                             const vg_sketch_t **sketch);
/* The distribution of name with exactly the labels listed (NULL-terminated
 * key, value, ...); NULL when there is none. More than one fails the test. */
const vg_sketch_t *test_batch_dist (const vg_batch_t *batch, const char *name, ...)
    __attribute__ ((sentinel));
/* How many gauge and counter samples of name there are, whatever their labels. */
size_t test_batch_count (const vg_batch_t *batch, const char *name);
/* The value of label key on series, or NULL. */
const char *test_batch_label (const vg_batch_t *batch, const vg_series_t *series, const char *key);

#endif
