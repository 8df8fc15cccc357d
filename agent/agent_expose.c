/*  agent_expose.c - batches as Prometheus text, and --once. */
#include "agent_expose.h"
#include "agent_sink.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_sketch.h"
#include "vg_time.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const double s_quantiles[] = {0.5, 0.9, 0.95, 0.99};
static const char *const s_quantile_text[] = {"0.5", "0.9", "0.95", "0.99"};

typedef struct {
    char *name;   /* sanitized metric name */
    char *labels; /* rendered: k="v",k2="v2" (may be empty) */
    vg_kind_t kind;
    size_t index; /* of the sample, or of the distribution */
} s_row_t;

/* Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names the same without
 * ':'. Anything else becomes '_' so the output always parses. */
static void
s_put_name (vg_buf_t *out, const char *name, int colon_ok)
{
    if (!*name || isdigit ((unsigned char)name[0]))
        vg_buf_puts (out, "_");
    for (const char *p = name; *p; p++) {
        char c = *p;
        int ok = isalnum ((unsigned char)c) || c == '_' || (colon_ok && c == ':');
        vg_buf_append (out, ok ? &c : "_", 1);
    }
}

static void
s_put_label_value (vg_buf_t *out, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == '\\')
            vg_buf_puts (out, "\\\\");
        else if (*p == '"')
            vg_buf_puts (out, "\\\"");
        else if (*p == '\n')
            vg_buf_puts (out, "\\n");
        else
            vg_buf_append (out, p, 1);
    }
}

/* The shortest text that reads back as the same double. */
static void
s_put_value (vg_buf_t *out, double v)
{
    if (isnan (v)) {
        vg_buf_puts (out, "NaN");
        return;
    }
    if (isinf (v)) {
        vg_buf_puts (out, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char text[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf (text, sizeof text, "%.*g", prec, v);
        if (strtod (text, NULL) == v)
            break;
    }
    vg_buf_puts (out, text);
}

static char *
s_render_labels (const vg_batch_t *batch, const vg_series_t *ser)
{
    vg_buf_t b = {0};
    vg_buf_puts (&b, "");
    for (uint32_t i = 0; i < ser->nlabels; i++) {
        if (i)
            vg_buf_puts (&b, ",");
        s_put_name (&b, batch->strings[ser->labels[2 * i]], 0);
        vg_buf_puts (&b, "=\"");
        s_put_label_value (&b, batch->strings[ser->labels[2 * i + 1]]);
        vg_buf_puts (&b, "\"");
    }
    return b.data;
}

static int
s_row_cmp (const void *a, const void *b)
{
    const s_row_t *x = a, *y = b;
    int c = strcmp (x->name, y->name);
    if (c == 0)
        c = (int)x->kind - (int)y->kind;
    if (c == 0)
        c = strcmp (x->labels, y->labels);
    return c;
}

static const char *
s_type_name (vg_kind_t kind)
{
    return kind == VG_KIND_COUNTER ? "counter" : kind == VG_KIND_DISTRIBUTION ? "summary" : "gauge";
}

/* name{labels[,extra]} - braces only when there is a label. */
static void
s_put_series (vg_buf_t *out, const char *name, const char *suffix, const char *labels,
              const char *extra)
{
    vg_buf_puts (out, name);
    vg_buf_puts (out, suffix);
    if (*labels || extra) {
        vg_buf_puts (out, "{");
        vg_buf_puts (out, labels);
        if (extra) {
            if (*labels)
                vg_buf_puts (out, ",");
            vg_buf_puts (out, extra);
        }
        vg_buf_puts (out, "}");
    }
    vg_buf_puts (out, " ");
}

void
agent_expose_batch (const vg_batch_t *batch, vg_buf_t *out)
{
    /* The latest sample or distribution of each series. */
    size_t *last = vg_malloc ((batch->nseries + 1) * sizeof *last);
    for (uint32_t s = 0; s < batch->nseries; s++)
        last[s] = SIZE_MAX;
    for (size_t i = 0; i < batch->nsamples; i++) {
        uint32_t s = batch->sample_series[i];
        if (s < batch->nseries &&
            (last[s] == SIZE_MAX || batch->sample_ts_ms[i] >= batch->sample_ts_ms[last[s]]))
            last[s] = i;
    }
    for (size_t i = 0; i < batch->ndists; i++) {
        uint32_t s = batch->dists[i].series;
        if (s < batch->nseries &&
            (last[s] == SIZE_MAX || batch->dists[i].ts_ms >= batch->dists[last[s]].ts_ms))
            last[s] = i;
    }

    s_row_t *rows = vg_calloc (batch->nseries + 1, sizeof *rows);
    size_t nrows = 0;
    for (uint32_t s = 0; s < batch->nseries; s++) {
        if (last[s] == SIZE_MAX)
            continue;
        const vg_series_t *ser = &batch->series[s];
        vg_buf_t name = {0};
        s_put_name (&name, batch->strings[ser->name], 1);
        rows[nrows++] = (s_row_t){name.data, s_render_labels (batch, ser), ser->kind, last[s]};
    }
    qsort (rows, nrows, sizeof *rows, s_row_cmp);

    for (size_t r = 0; r < nrows; r++) {
        s_row_t *row = &rows[r];
        if (r == 0 || strcmp (rows[r - 1].name, row->name) != 0 || rows[r - 1].kind != row->kind)
            vg_buf_printf (out, "# TYPE %s %s\n", row->name, s_type_name (row->kind));
        if (row->kind != VG_KIND_DISTRIBUTION) {
            s_put_series (out, row->name, "", row->labels, NULL);
            s_put_value (out, batch->sample_value[row->index]);
            vg_buf_puts (out, "\n");
            continue;
        }
        const vg_sketch_t *sk = batch->dists[row->index].sketch;
        for (size_t q = 0; q < sizeof s_quantiles / sizeof s_quantiles[0]; q++) {
            char extra[32];
            snprintf (extra, sizeof extra, "quantile=\"%s\"", s_quantile_text[q]);
            s_put_series (out, row->name, "", row->labels, extra);
            s_put_value (out, vg_sketch_quantile (sk, s_quantiles[q]));
            vg_buf_puts (out, "\n");
        }
        s_put_series (out, row->name, "_sum", row->labels, NULL);
        s_put_value (out, sk->sum);
        vg_buf_puts (out, "\n");
        s_put_series (out, row->name, "_count", row->labels, NULL);
        vg_buf_printf (out, "%llu\n", (unsigned long long)sk->count);
    }
    for (size_t r = 0; r < nrows; r++) {
        free (rows[r].name);
        free (rows[r].labels);
    }
    free (rows);
    free (last);
}

/* ---- --once ----------------------------------------------------------- */

static int
s_remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove (path);
    return 0;
}

/* One pass over every started input; returns the number that failed. */
static int
s_collect_pass (agent_config_t *config, agent_sink_t **sinks, vg_batch_t *batch, FILE *errs)
{
    int failed = 0;
    for (size_t i = 0; i < config->ninputs; i++) {
        agent_input_conf_t *in = &config->inputs[i];
        if (!in->started || !in->plugin->collect)
            continue;
        int64_t now = vg_now_ms ();
        agent_sink_retarget (sinks[i], batch, now);
        char reason[512] = "";
        int rc = in->plugin->collect (in->ctx, sinks[i], now, reason, sizeof reason);
        if (rc != VG_OK) { /* AGENT_INPUT_REJECTED too: --once checks the target */
            fprintf (errs, "vigil-agent: input %s (%s): %s%s\n", in->name, in->plugin->name,
                     rc < 0 ? "collect failed: " : "", *reason ? reason : vg_strerror (rc));
            failed++;
        }
    }
    return failed;
}

/* Waits ms - and, with until_idle, until no input has work running (HTTP
 * requests a collect started, up to a minute) - feeding meanwhile the inputs
 * that listen on a socket or finish work on the loop, into batch. */
static void
s_wait_feeding (agent_config_t *config, agent_sink_t **sinks, vg_batch_t *batch, int64_t ms,
                int until_idle)
{
    int64_t until = vg_mono_ms () + ms, limit = vg_mono_ms () + 60000;
    struct pollfd *fds = vg_calloc (config->ninputs + 1, sizeof *fds);
    size_t *which = vg_calloc (config->ninputs + 1, sizeof *which);
    for (int64_t now = vg_mono_ms (); now < limit; now = vg_mono_ms ()) {
        nfds_t n = 0;
        int busy = 0;
        for (size_t i = 0; i < config->ninputs; i++) {
            agent_input_conf_t *in = &config->inputs[i];
            int fd = in->started && in->plugin->poll_fd ? in->plugin->poll_fd (in->ctx) : -1;
            if (fd >= 0 && (in->plugin->on_readable || in->plugin->on_ready)) {
                fds[n] = (struct pollfd){fd, POLLIN, 0};
                which[n++] = i;
            }
            if (in->started && in->plugin->busy && in->plugin->busy (in->ctx))
                busy = 1;
        }
        if (now >= until && (!until_idle || !busy))
            break;
        int64_t wait = now < until ? until - now : 100;
        if (poll (fds, n, (int)wait) <= 0)
            continue;
        for (nfds_t k = 0; k < n; k++)
            if (fds[k].revents) {
                agent_input_conf_t *in = &config->inputs[which[k]];
                int64_t t = vg_now_ms ();
                if (in->plugin->on_ready) {
                    agent_sink_retarget (sinks[which[k]], batch, t);
                    in->plugin->on_ready (in->ctx, sinks[which[k]], t);
                } else
                    in->plugin->on_readable (in->ctx, t);
            }
    }
    free (fds);
    free (which);
}

/* After the work collect started has finished: the inputs whose answer came
 * later and was refused; returns how many. */
static int
s_outcomes (agent_config_t *config, FILE *errs)
{
    int failed = 0;
    for (size_t i = 0; i < config->ninputs; i++) {
        agent_input_conf_t *in = &config->inputs[i];
        if (!in->started || !in->plugin->outcome)
            continue;
        char reason[512] = "";
        int rc = in->plugin->outcome (in->ctx, reason, sizeof reason);
        if (rc != VG_OK) {
            fprintf (errs, "vigil-agent: input %s (%s): %s%s\n", in->name, in->plugin->name,
                     rc < 0 ? "collect failed: " : "", *reason ? reason : vg_strerror (rc));
            failed++;
        }
    }
    return failed;
}

int
agent_expose_once (agent_config_t *config, FILE *out, FILE *errs)
{
    const char *tmp = getenv ("TMPDIR");
    char *dir = vg_asprintf ("%s/vigil-agent-once.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp (dir)) {
        fprintf (errs,
                 "vigil-agent: cannot create a temporary state directory %s: %s; set TMPDIR "
                 "to a writable directory\n",
                 dir, strerror (errno));
        free (dir);
        return VG_EIO;
    }
    char host[256] = "localhost";
    gethostname (host, sizeof host - 1);
    vg_batch_t *first = vg_batch_new ("once", host);
    vg_batch_t *second = vg_batch_new ("once", host);
    agent_sink_t **sinks = vg_calloc (config->ninputs + 1, sizeof *sinks);
    int failed = 0;
    for (size_t i = 0; i < config->ninputs; i++) {
        agent_input_conf_t *in = &config->inputs[i];
        sinks[i] = agent_sink_new (first, 0, in->labels.items, in->labels.n);
        char err[768];
        if (agent_config_input_start (in, dir, err, sizeof err) != VG_OK) {
            fprintf (errs, "vigil-agent: %s\n", err);
            failed++;
        }
    }
    failed += s_collect_pass (config, sinks, first, errs);
    s_wait_feeding (config, sinks, first, 1000, 1);
    failed += s_outcomes (config, errs);
    failed += s_collect_pass (config, sinks, second, errs);
    s_wait_feeding (config, sinks, second, 0, 1);
    failed += s_outcomes (config, errs);

    vg_buf_t text = {0};
    agent_expose_batch (second, &text);
    if (text.len)
        fwrite (text.data, 1, text.len, out);
    fflush (out);
    vg_buf_free (&text);

    for (size_t i = 0; i < config->ninputs; i++) {
        agent_config_input_stop (&config->inputs[i]);
        agent_sink_destroy (&sinks[i]);
    }
    free (sinks);
    vg_batch_destroy (&first);
    vg_batch_destroy (&second);
    nftw (dir, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free (dir);
    return failed ? VG_EINVAL : VG_OK;
}
