/*  agent_loop.c - the agent's one thread. */
#include "agent_loop.h"
#include "agent_sender.h"
#include "agent_sink.h"
#include "agent_state.h"
#include "vg_alloc.h"
#include "vg_codec.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

#define S_COMPLAIN_MS 60000
#define S_MAX_BACKOFF 4     /* 2^4: a failing input waits at most 16 intervals */
#define S_MAX_WAIT_MS 60000 /* never sleep longer than this in one poll */

typedef struct {
    agent_input_conf_t *conf; /* owned by the loop's config */
    agent_sink_t *sink;
    int64_t next_due; /* monotonic */
    int failures;     /* consecutive; the interval is shifted by it */
    vg_complain_t complain;
    uint64_t samples;
    uint64_t errors;
} s_input_t;

struct agent_loop_t {
    agent_config_t *config;
    int verbose;
    sigset_t old_mask;
    int sigfd;
    agent_state_t *state;
    agent_sender_t *sender;
    vg_batch_t *batch;
    agent_sink_t *self_sink;
    char *hostname;
    s_input_t *inputs;
    size_t ninputs;
    zmq_pollitem_t *items;
    size_t items_cap;
    int64_t next_flush; /* monotonic */
    int stopping;       /* SIGTERM/SIGINT seen */
    int hurry;          /* a second one: do not wait for acks */
    int64_t self_ts;    /* wall time of the last self metrics */
    vg_complain_t seq_complain;
};

static char *
s_hostname (const char *configured)
{
    if (configured && *configured)
        return vg_strdup (configured);
    char host[256] = "";
    if (gethostname (host, sizeof host - 1) != 0 || !*host)
        snprintf (host, sizeof host, "localhost");
    return vg_strdup (host);
}

static void
s_apply_log_level (agent_loop_t *self)
{
    vg_log_set_level (self->verbose ? VG_LOG_DEBUG : self->config->agent.log_level_value);
}

/* Starts the config's inputs. fatal: the first init failure fails the call
 * (at start); otherwise a failing input is logged and left off (on reload). */
static int
s_start_inputs (agent_loop_t *self, int fatal, char *err, size_t errlen)
{
    agent_config_t *cfg = self->config;
    self->inputs = vg_calloc (cfg->ninputs + 1, sizeof *self->inputs);
    self->ninputs = 0;
    int64_t now = vg_mono_ms ();
    for (size_t i = 0; i < cfg->ninputs; i++) {
        s_input_t *in = &self->inputs[self->ninputs++];
        in->conf = &cfg->inputs[i];
        in->sink = agent_sink_new (self->batch, 0, in->conf->labels.items, in->conf->labels.n);
        in->next_due = now;
        char why[768];
        if (agent_config_input_start (in->conf, agent_state_dir (self->state), why, sizeof why) ==
            VG_OK)
            continue;
        if (fatal) {
            snprintf (err, errlen, "%s; fix the input in %s or remove it", why, cfg->path);
            return VG_EINVAL;
        }
        vg_error ("%s; the input stays off until the configuration is fixed and reloaded", why);
    }
    return VG_OK;
}

static void
s_stop_inputs (agent_loop_t *self)
{
    for (size_t i = 0; i < self->ninputs; i++) {
        agent_config_input_stop (self->inputs[i].conf);
        agent_sink_destroy (&self->inputs[i].sink);
    }
    free (self->inputs);
    self->inputs = NULL;
    self->ninputs = 0;
}

agent_loop_t *
agent_loop_new (agent_config_t **config_p, int verbose, char *err, size_t errlen)
{
    agent_loop_t *self = vg_calloc (1, sizeof *self);
    self->config = *config_p;
    *config_p = NULL;
    self->verbose = verbose;
    self->sigfd = -1;
    s_apply_log_level (self);

    /* Blocked before ZeroMQ, libcurl or any input makes a thread, so that the
     * signals reach only the signalfd. */
    sigset_t mask;
    sigemptyset (&mask);
    sigaddset (&mask, SIGTERM);
    sigaddset (&mask, SIGINT);
    sigaddset (&mask, SIGHUP);
    pthread_sigmask (SIG_BLOCK, &mask, &self->old_mask);
    self->sigfd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (self->sigfd < 0) {
        snprintf (err, errlen, "cannot take signals (signalfd): %s", strerror (errno));
        agent_loop_destroy (&self);
        return NULL;
    }
    agent_settings_t *a = &self->config->agent;
    self->state = agent_state_new (a->state_dir, a->id, err, errlen);
    if (!self->state) {
        agent_loop_destroy (&self);
        return NULL;
    }
    self->hostname = s_hostname (a->hostname);
    self->batch = vg_batch_new (agent_state_id (self->state), self->hostname);
    self->self_sink = agent_sink_new (self->batch, 0, NULL, 0);
    self->sender =
        agent_sender_new (a->collector, a->ack_timeout_ms, (size_t)a->max_pending, err, errlen);
    if (!self->sender || s_start_inputs (self, 1, err, errlen) != VG_OK) {
        agent_loop_destroy (&self);
        return NULL;
    }
    vg_info ("agent %s on %s: %zu inputs, a batch every %lld ms to %s",
             agent_state_id (self->state), self->hostname, self->ninputs, (long long)a->interval_ms,
             a->collector);
    return self;
}

void
agent_loop_destroy (agent_loop_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agent_loop_t *self = *self_p;
    s_stop_inputs (self);
    agent_sender_destroy (&self->sender);
    agent_sink_destroy (&self->self_sink);
    vg_batch_destroy (&self->batch);
    agent_state_destroy (&self->state);
    agent_config_destroy (&self->config);
    free (self->hostname);
    free (self->items);
    if (self->sigfd >= 0) {
        close (self->sigfd);
        /* Drop what arrived meanwhile rather than die of it on unblocking. */
        sigset_t pending;
        sigpending (&pending);
        struct timespec zero = {0, 0};
        while (sigismember (&pending, SIGTERM) || sigismember (&pending, SIGINT) ||
               sigismember (&pending, SIGHUP)) {
            sigset_t mask;
            sigemptyset (&mask);
            sigaddset (&mask, SIGTERM);
            sigaddset (&mask, SIGINT);
            sigaddset (&mask, SIGHUP);
            if (sigtimedwait (&mask, NULL, &zero) < 0)
                break;
            sigpending (&pending);
        }
    }
    pthread_sigmask (SIG_SETMASK, &self->old_mask, NULL);
    free (self);
    *self_p = NULL;
}

static void
s_collect (agent_loop_t *self, s_input_t *in, int64_t now)
{
    agent_input_conf_t *conf = in->conf;
    int64_t wall = vg_now_ms ();
    agent_sink_retarget (in->sink, self->batch, wall);
    char reason[512] = "";
    int rc = conf->plugin->collect
                 ? conf->plugin->collect (conf->ctx, in->sink, wall, reason, sizeof reason)
                 : VG_OK;
    in->samples += agent_sink_take_count (in->sink);
    if (rc < 0) {
        in->errors++;
        if (in->failures < S_MAX_BACKOFF)
            in->failures++;
        vg_complain (&in->complain, S_COMPLAIN_MS, VG_LOG_WARN,
                     "input %s (%s): %s; trying again in %lld ms", conf->name, conf->plugin->name,
                     *reason ? reason : vg_strerror (rc),
                     (long long)(conf->interval_ms << in->failures));
    } else if (in->failures) {
        in->failures = 0;
        vg_complain_clear (&in->complain, "input %s (%s) collects again", conf->name,
                           conf->plugin->name);
    }
    /* Keep the cadence; after a stall, start again from now. */
    int64_t step = conf->interval_ms << in->failures;
    in->next_due += step;
    if (in->next_due <= now)
        in->next_due = now + step;
}

/* The agent's own counters, so that what it drops is data too. */
static void
s_self_metrics (agent_loop_t *self)
{
    agent_sink_t *sk = self->self_sink;
    /* Two flushes within one millisecond (a signal right after the timer)
     * must not give a series two samples at the same time. */
    int64_t ts = vg_now_ms ();
    if (ts <= self->self_ts)
        ts = self->self_ts + 1;
    self->self_ts = ts;
    agent_sink_retarget (sk, self->batch, ts);
    agent_sender_stats_t st;
    agent_sender_stats (self->sender, &st);
    agent_sink_gauge (sk, "vigil_agent_batches_pending", NULL, 0, (double)st.pending);
    agent_sink_counter (sk, "vigil_agent_batches_sent_total", NULL, 0, (double)st.sent);
    agent_sink_counter (sk, "vigil_agent_batches_resent_total", NULL, 0, (double)st.resent);
    agent_sink_counter (sk, "vigil_agent_batches_acked_total", NULL, 0, (double)st.acked);
    agent_sink_counter (sk, "vigil_agent_batches_rejected_total", NULL, 0, (double)st.rejected);
    agent_sink_counter (sk, "vigil_agent_batches_dropped_total", NULL, 0, (double)st.dropped);
    if (st.last_ack_latency_ms >= 0)
        agent_sink_gauge (sk, "vigil_agent_ack_latency_ms", NULL, 0,
                          (double)st.last_ack_latency_ms);
    for (size_t i = 0; i < self->ninputs; i++) {
        s_input_t *in = &self->inputs[i];
        vg_label_t label = {"input", in->conf->name};
        agent_sink_counter (sk, "vigil_agent_input_samples_total", &label, 1, (double)in->samples);
        agent_sink_counter (sk, "vigil_agent_input_errors_total", &label, 1, (double)in->errors);
    }
    struct rusage ru;
    if (getrusage (RUSAGE_SELF, &ru) == 0)
        agent_sink_counter (sk, "vigil_agent_cpu_seconds_total", NULL, 0,
                            (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                                (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    FILE *f = fopen ("/proc/self/statm", "re");
    unsigned long size = 0, resident = 0;
    if (f && fscanf (f, "%lu %lu", &size, &resident) == 2)
        agent_sink_gauge (sk, "vigil_agent_rss_bytes", NULL, 0,
                          (double)resident * (double)sysconf (_SC_PAGESIZE));
    if (f)
        fclose (f);
}

/* Seals the open batch with the next seq and hands it to the sender. */
static void
s_flush (agent_loop_t *self, int64_t now)
{
    if (self->config->agent.self_metrics)
        s_self_metrics (self);
    if (vg_batch_count (self->batch) == 0 && self->batch->nevents == 0)
        return;
    uint64_t seq = 0;
    char err[768];
    if (agent_state_next_seq (self->state, &seq, err, sizeof err) != VG_OK) {
        vg_complain (&self->seq_complain, S_COMPLAIN_MS, VG_LOG_ERROR,
                     "%s; keeping the samples and trying again at the next interval", err);
        return;
    }
    vg_complain_clear (&self->seq_complain, "sequence numbers can be reserved again");
    self->batch->seq = seq;
    self->batch->sent_ms = vg_now_ms ();
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = vg_codec_encode_batch (self->batch, &data, &len);
    if (rc != VG_OK)
        vg_error ("cannot encode batch seq %llu (%s); dropped it", (unsigned long long)seq,
                  vg_strerror (rc));
    else {
        vg_debug ("batch seq %llu: %zu samples, %zu bytes", (unsigned long long)seq,
                  vg_batch_count (self->batch), len);
        agent_sender_send (self->sender, seq, &data, len, now);
    }
    free (data);
    vg_batch_clear (self->batch);
}

static void
s_reload (agent_loop_t *self)
{
    agent_config_t *old = self->config;
    char err[1024];
    agent_config_t *fresh = agent_config_load (old->path, err, sizeof err);
    if (!fresh) {
        vg_error ("reload: %s; keeping the running configuration", err);
        return;
    }
    if (strcmp (old->agent.collector, fresh->agent.collector) != 0 &&
        agent_sender_set_endpoint (self->sender, fresh->agent.collector, err, sizeof err) !=
            VG_OK) {
        vg_error ("reload: %s; keeping the running configuration", err);
        agent_config_destroy (&fresh);
        return;
    }
    if (strcmp (old->agent.state_dir, fresh->agent.state_dir) != 0 ||
        strcmp (old->agent.id, fresh->agent.id) != 0)
        vg_warn ("reload: agent.state_dir and agent.id take effect at the next start; still "
                 "using %s and id %s",
                 agent_state_dir (self->state), agent_state_id (self->state));

    int64_t now = vg_mono_ms ();
    /* What the old inputs collected goes out under the old configuration. */
    s_flush (self, now);
    s_stop_inputs (self);
    self->config = fresh;
    agent_config_destroy (&old);
    s_apply_log_level (self);
    agent_settings_t *a = &fresh->agent;
    agent_sender_configure (self->sender, a->ack_timeout_ms, (size_t)a->max_pending);
    char *host = s_hostname (a->hostname);
    if (strcmp (host, self->hostname) != 0 && vg_batch_count (self->batch) == 0) {
        vg_batch_destroy (&self->batch);
        self->batch = vg_batch_new (agent_state_id (self->state), host);
        free (self->hostname);
        self->hostname = host;
    } else
        free (host);
    if (self->next_flush > now + a->interval_ms)
        self->next_flush = now + a->interval_ms;
    s_start_inputs (self, 0, err, sizeof err);
    vg_info ("reloaded %s: %zu inputs, a batch every %lld ms to %s", fresh->path, self->ninputs,
             (long long)a->interval_ms, a->collector);
}

static void
s_on_signal (agent_loop_t *self)
{
    struct signalfd_siginfo si;
    while (read (self->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            if (!self->stopping)
                s_reload (self);
        } else if (self->stopping) {
            self->hurry = 1;
        } else {
            vg_debug ("signal %u: stopping", si.ssi_signo);
            self->stopping = 1;
        }
    }
}

/* One zmq_poll over the sender's sockets, the signals and (unless stopping)
 * the inputs' descriptors, then what became ready. */
static void
s_poll (agent_loop_t *self, int64_t timeout_ms, int with_inputs)
{
    size_t n = 3 + (with_inputs ? self->ninputs : 0);
    VG_GROW (self->items, self->items_cap, n);
    zmq_pollitem_t *it = self->items;
    it[0] = (zmq_pollitem_t){agent_sender_socket (self->sender), 0,
                             agent_sender_events (self->sender), 0};
    it[1] = (zmq_pollitem_t){agent_sender_monitor (self->sender), 0, ZMQ_POLLIN, 0};
    it[2] = (zmq_pollitem_t){NULL, self->sigfd, ZMQ_POLLIN, 0};
    size_t used = 3;
    size_t *owner = NULL;
    if (with_inputs && self->ninputs) {
        owner = vg_calloc (self->ninputs, sizeof *owner);
        for (size_t i = 0; i < self->ninputs; i++) {
            agent_input_conf_t *conf = self->inputs[i].conf;
            if (!conf->started || !conf->plugin->poll_fd || !conf->plugin->on_readable)
                continue;
            int fd = conf->plugin->poll_fd (conf->ctx);
            if (fd < 0)
                continue;
            owner[used - 3] = i;
            it[used++] = (zmq_pollitem_t){NULL, fd, ZMQ_POLLIN, 0};
        }
    }
    if (timeout_ms < 0)
        timeout_ms = 0;
    if (timeout_ms > S_MAX_WAIT_MS)
        timeout_ms = S_MAX_WAIT_MS;
    int rc = zmq_poll (it, (int)used, (long)timeout_ms);
    if (rc < 0) {
        if (errno != EINTR)
            vg_error ("zmq_poll: %s", zmq_strerror (errno));
        free (owner);
        return;
    }
    int64_t now = vg_mono_ms ();
    if (it[1].revents)
        agent_sender_on_monitor (self->sender, now);
    if (it[0].revents)
        agent_sender_on_readable (self->sender, now);
    for (size_t k = 3; k < used; k++)
        if (it[k].revents) {
            agent_input_conf_t *conf = self->inputs[owner[k - 3]].conf;
            conf->plugin->on_readable (conf->ctx, vg_now_ms ());
        }
    free (owner);
    if (it[2].revents)
        s_on_signal (self);
}

static int64_t
s_min (int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int
agent_loop_run (agent_loop_t *self)
{
    self->next_flush = vg_mono_ms () + self->config->agent.interval_ms;
    while (!self->stopping) {
        int64_t now = vg_mono_ms ();
        for (size_t i = 0; i < self->ninputs; i++)
            if (self->inputs[i].conf->started && now >= self->inputs[i].next_due)
                s_collect (self, &self->inputs[i], vg_mono_ms ());
        now = vg_mono_ms ();
        if (now >= self->next_flush) {
            s_flush (self, now);
            int64_t interval = self->config->agent.interval_ms;
            self->next_flush += interval;
            if (self->next_flush <= now)
                self->next_flush = now + interval;
        }
        if (now >= agent_sender_next_due (self->sender))
            agent_sender_tick (self->sender, now);

        int64_t wake = s_min (self->next_flush, agent_sender_next_due (self->sender));
        for (size_t i = 0; i < self->ninputs; i++)
            if (self->inputs[i].conf->started)
                wake = s_min (wake, self->inputs[i].next_due);
        s_poll (self, wake - vg_mono_ms (), 1);
    }

    /* Stop collecting, send what is open, wait a while for the acks. */
    int64_t now = vg_mono_ms ();
    s_flush (self, now);
    int64_t deadline = now + self->config->agent.shutdown_timeout_ms;
    while (!self->hurry && agent_sender_pending (self->sender) > 0 && now < deadline) {
        if (now >= agent_sender_next_due (self->sender))
            agent_sender_tick (self->sender, now);
        s_poll (self, s_min (deadline, agent_sender_next_due (self->sender)) - now, 0);
        now = vg_mono_ms ();
    }
    vg_info ("stopped: last seq %llu, %zu batches unacknowledged",
             (unsigned long long)agent_state_last_seq (self->state),
             agent_sender_pending (self->sender));
    return 0;
}
