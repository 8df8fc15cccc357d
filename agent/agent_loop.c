/*  agent_loop.c - the agent's one thread. */
#include "agent_loop.h"
#include "agent_curve.h"
#include "agent_queue.h"
#include "agent_selfmetrics.h"
#include "agent_sender.h"
#include "agent_sink.h"
#include "agent_spool.h"
#include "agent_state.h"
#include "vg_alloc.h"
#include "vg_codec.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <errno.h>
#include <inttypes.h>
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
#define S_MAX_SEALED  4096  /* sealed batches remembered until safe, for commits */

typedef struct {
    agent_input_conf_t *conf; /* owned by the loop's config */
    agent_sink_t *sink;
    int64_t next_due; /* monotonic */
    int failures;     /* consecutive; the interval is shifted by it */
    vg_complain_t complain;
    uint64_t samples;
    uint64_t errors;
    double collect_seconds; /* the last collect */
} s_input_t;

struct agent_loop_t {
    agent_config_t *config;
    int verbose;
    sigset_t old_mask;
    int sigfd;
    agent_state_t *state;
    agent_spool_t *spool; /* NULL when the state directory cannot hold one */
    agent_queue_t *queue;
    agent_sender_t *sender;
    uint64_t *sealed; /* seqs sealed and not yet known safe, ascending */
    size_t nsealed, sealed_cap;
    uint64_t committed; /* inputs were told every batch up to it is safe */
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

/* The sender's options from the agent's settings. */
static agent_sender_opts_t
s_sender_opts (const agent_settings_t *a)
{
    return (agent_sender_opts_t){
        .ack_timeout_ms = a->ack_timeout_ms,
        .max_backoff_ms = a->ack_timeout_max_ms,
        .window = (size_t)a->max_in_flight,
        .failover_ms = a->failover_timeout_ms,
        .failback_ms = a->failback_after_ms,
        .socket_hook = agent_curve_socket_hook, /* CURVE keys, or plain with a warning */
    };
}

static agent_spool_opts_t
s_spool_opts (const agent_settings_t *a)
{
    return (agent_spool_opts_t){
        .max_bytes = a->spool_max_bytes,
        .max_age_ms = a->spool_max_age_ms,
        .fsync_ms = a->spool_fsync_ms,
    };
}

/* A batch answered (or dropped) is safe for the commits of inputs. */
static void
s_on_queue_drop (void *arg, agent_queue_entry_t *e)
{
    (void)arg, (void)e; /* what is dropped is counted; it is found gone when commits are due */
}

/* Opens the spool and hands what it kept to the queue. A spool that cannot
 * be opened is an error logged, not a reason to stop: batches wait in
 * memory then. */
static void
s_open_spool (agent_loop_t *self)
{
    agent_settings_t *a = &self->config->agent;
    char *dir = vg_asprintf ("%s/spool", agent_state_dir (self->state));
    char err[768];
    agent_spool_opts_t so = s_spool_opts (a);
    self->spool = agent_spool_open (dir, &so, err, sizeof err);
    if (!self->spool)
        vg_error ("%s; batches are kept in memory only (at most agent.memory_max_bytes), and lost "
                  "if the agent stops before the collector has them",
                  err);
    free (dir);
    self->queue =
        agent_queue_new (self->spool, (uint64_t)a->memory_max_bytes, (size_t)a->max_pending);
    agent_queue_on_drop (self->queue, s_on_queue_drop, self);
    if (!self->spool)
        return;
    const agent_spool_loc_t *locs;
    size_t n = agent_spool_recovered (self->spool, &locs);
    for (size_t i = 0; i < n; i++)
        agent_queue_add_spooled (self->queue, &locs[i]);
    if (n)
        agent_state_skip_to (self->state, locs[n - 1].seq);
    agent_queue_enforce (self->queue, vg_now_ms ());
}

/* Inputs take the positions the spool kept with the newest batches, which
 * may be newer than their own state files (a kill before those were saved). */
static void
s_restore_inputs (agent_loop_t *self)
{
    if (!self->spool)
        return;
    for (size_t i = 0; i < self->ninputs; i++) {
        agent_input_conf_t *conf = self->inputs[i].conf;
        const uint8_t *text;
        size_t len;
        uint64_t seq;
        if (conf->started && conf->plugin->restore &&
            agent_spool_checkpoint (self->spool, conf->name, &text, &len, &seq))
            conf->plugin->restore (conf->ctx, text, len, seq);
    }
    agent_spool_forget_recovered (self->spool);
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
    s_open_spool (self);
    self->hostname = s_hostname (a->hostname);
    self->batch = vg_batch_new (agent_state_id (self->state), self->hostname);
    self->batch->incarnation = agent_state_incarnation (self->state);
    self->self_sink = agent_sink_new (self->batch, 0, NULL, 0);
    agent_sender_opts_t so = s_sender_opts (a);
    self->sender = agent_sender_new ((const char *const *)a->collector.items, a->collector.n,
                                     agent_state_id (self->state), &so, self->queue, err, errlen);
    if (!self->sender || s_start_inputs (self, 1, err, errlen) != VG_OK) {
        agent_loop_destroy (&self);
        return NULL;
    }
    s_restore_inputs (self);
    char *aside = vg_asprintf ("%s/rejected", agent_state_dir (self->state));
    agent_sender_set_aside_dir (self->sender, aside);
    free (aside);
    vg_info ("agent %s on %s: %zu inputs, a batch every %lld ms to %s%s",
             agent_state_id (self->state), self->hostname, self->ninputs, (long long)a->interval_ms,
             agent_sender_endpoint (self->sender),
             a->collector.n > 1 ? " (first of its list of collectors)" : "");
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
    agent_queue_destroy (&self->queue);
    agent_spool_close (&self->spool);
    agent_sink_destroy (&self->self_sink);
    vg_batch_destroy (&self->batch);
    agent_state_destroy (&self->state);
    agent_config_destroy (&self->config);
    free (self->hostname);
    free (self->items);
    free (self->sealed);
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
    int64_t t0 = vg_mono_ns ();
    int rc = conf->plugin->collect
                 ? conf->plugin->collect (conf->ctx, in->sink, wall, reason, sizeof reason)
                 : VG_OK;
    in->collect_seconds = (double)(vg_mono_ns () - t0) / 1e9;
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

/* The agent's own figures, so that what it holds and drops is data too. */
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
    agent_queue_stats_t qs;
    agent_queue_stats (self->queue, &qs);
    agent_spool_stats_t ss;
    if (self->spool)
        agent_spool_stats (self->spool, &ss);
    agent_sender_stats_t st;
    agent_sender_stats (self->sender, &st);
    agent_selfmetrics_input_t *ins = vg_calloc (self->ninputs + 1, sizeof *ins);
    for (size_t i = 0; i < self->ninputs; i++)
        ins[i] =
            (agent_selfmetrics_input_t){self->inputs[i].conf->name, self->inputs[i].samples,
                                        self->inputs[i].errors, self->inputs[i].collect_seconds};
    agent_selfmetrics_t f = {
        .now_ms = ts,
        .queue = &qs,
        .spool = self->spool ? &ss : NULL,
        .sender = &st,
        .inputs = ins,
        .ninputs = self->ninputs,
    };
    agent_selfmetrics_emit (sk, &f);
    free (ins);
}

/* Tells the inputs which sealed batches are safe now: every one up to the
 * first that is still only in memory or not yet synced. */
static void
s_commit (agent_loop_t *self)
{
    uint64_t synced = self->spool ? agent_spool_synced_seq (self->spool) : 0;
    size_t k = 0;
    uint64_t safe = 0;
    for (; k < self->nsealed; k++) {
        uint64_t seq = self->sealed[k];
        agent_queue_entry_t *e = agent_queue_find (self->queue, seq);
        if (e && !(e->loc.seg && seq <= synced))
            break;
        safe = seq;
    }
    if (!k)
        return;
    memmove (self->sealed, self->sealed + k, (self->nsealed - k) * sizeof *self->sealed);
    self->nsealed -= k;
    self->committed = safe;
    for (size_t i = 0; i < self->ninputs; i++) {
        agent_input_conf_t *conf = self->inputs[i].conf;
        if (conf->started && conf->plugin->commit)
            conf->plugin->commit (conf->ctx, safe);
    }
}

static void
s_sync_spool (agent_loop_t *self, int64_t now, int force)
{
    if (!self->spool)
        return;
    char err[512];
    if (agent_spool_sync (self->spool, now, force, err, sizeof err) != VG_OK)
        vg_complain (&self->seq_complain, S_COMPLAIN_MS, VG_LOG_ERROR,
                     "spool: %s; log positions are saved only once the collector acknowledges",
                     err);
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
    self->batch->incarnation = agent_state_incarnation (self->state);
    self->batch->interval_ms = (uint32_t)self->config->agent.interval_ms;
    self->batch->sent_ms = vg_now_ms ();
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = vg_codec_encode_batch (self->batch, &data, &len);
    if (rc != VG_OK)
        vg_error ("cannot encode batch seq %" PRIu64 " (%s); dropped it", seq, vg_strerror (rc));
    else {
        vg_debug ("batch seq %" PRIu64 ": %zu samples, %zu bytes", seq,
                  vg_batch_count (self->batch), len);
        /* The inputs' positions go into the spool with the batch. */
        agent_spool_ckpt_t *ckpts = vg_calloc (self->ninputs + 1, sizeof *ckpts);
        vg_buf_t *texts = vg_calloc (self->ninputs + 1, sizeof *texts);
        size_t nckpts = 0;
        for (size_t i = 0; i < self->ninputs; i++) {
            agent_input_conf_t *conf = self->inputs[i].conf;
            if (conf->started && conf->plugin->checkpoint &&
                conf->plugin->checkpoint (conf->ctx, seq, &texts[nckpts]) > 0) {
                ckpts[nckpts] = (agent_spool_ckpt_t){
                    conf->name, (const uint8_t *)texts[nckpts].data, texts[nckpts].len};
                nckpts++;
            }
        }
        if (self->nsealed == S_MAX_SEALED) { /* long unsafe: commit granularity coarsens */
            memmove (self->sealed, self->sealed + 1, (self->nsealed - 1) * sizeof *self->sealed);
            self->nsealed--;
        }
        VG_GROW (self->sealed, self->sealed_cap, self->nsealed + 1);
        self->sealed[self->nsealed++] = seq;
        agent_sender_send (self->sender, seq, self->batch->sent_ms, &data, len, ckpts, nckpts, now);
        for (size_t i = 0; i < nckpts; i++)
            vg_buf_free (&texts[i]);
        free (texts);
        free (ckpts);
    }
    free (data);
    vg_batch_clear (self->batch);
    s_commit (self);
}

/* Before inputs stop (reload, exit): what they read is sealed, synced and
 * committed as far as it is safe. */
static void
s_settle_inputs (agent_loop_t *self, int64_t now)
{
    s_flush (self, now);
    s_sync_spool (self, now, 1);
    s_commit (self);
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
    agent_settings_t *a = &fresh->agent;
    if (agent_sender_set_endpoints (self->sender, (const char *const *)a->collector.items,
                                    a->collector.n, err, sizeof err) != VG_OK)
        vg_error ("reload: %s; failover moves on along the new list", err);
    if (strcmp (old->agent.state_dir, a->state_dir) != 0 || strcmp (old->agent.id, a->id) != 0)
        vg_warn ("reload: agent.state_dir and agent.id take effect at the next start; still "
                 "using %s and id %s",
                 agent_state_dir (self->state), agent_state_id (self->state));

    int64_t now = vg_mono_ms ();
    /* What the old inputs collected goes out under the old configuration. */
    s_settle_inputs (self, now);
    s_stop_inputs (self);
    self->config = fresh;
    agent_config_destroy (&old);
    s_apply_log_level (self);
    agent_sender_opts_t so = s_sender_opts (a);
    agent_sender_configure (self->sender, &so);
    if (self->spool) {
        agent_spool_opts_t po = s_spool_opts (a);
        agent_spool_configure (self->spool, &po);
    }
    agent_queue_configure (self->queue, (uint64_t)a->memory_max_bytes, (size_t)a->max_pending);
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
             (long long)a->interval_ms, agent_sender_endpoint (self->sender));
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
            if (!conf->started || !conf->plugin->poll_fd ||
                !(conf->plugin->on_readable || conf->plugin->on_ready))
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
            s_input_t *in = &self->inputs[owner[k - 3]];
            agent_input_conf_t *conf = in->conf;
            int64_t wall = vg_now_ms ();
            if (conf->plugin->on_ready) {
                agent_sink_retarget (in->sink, self->batch, wall);
                conf->plugin->on_ready (conf->ctx, in->sink, wall);
                in->samples += agent_sink_take_count (in->sink);
            } else
                conf->plugin->on_readable (conf->ctx, wall);
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

/* Sends, syncs and commits what is due; the time of the next thing due. */
static int64_t
s_background (agent_loop_t *self, int64_t now)
{
    if (now >= agent_sender_next_due (self->sender))
        agent_sender_tick (self->sender, now);
    if (self->spool && now >= agent_spool_next_sync (self->spool))
        s_sync_spool (self, now, 0);
    s_commit (self);
    int64_t wake = agent_sender_next_due (self->sender);
    if (self->spool)
        wake = s_min (wake, agent_spool_next_sync (self->spool));
    return wake;
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
            agent_queue_enforce (self->queue, vg_now_ms ());
            int64_t interval = self->config->agent.interval_ms;
            self->next_flush += interval;
            if (self->next_flush <= now)
                self->next_flush = now + interval;
        }
        int64_t wake = s_min (self->next_flush, s_background (self, now));
        for (size_t i = 0; i < self->ninputs; i++)
            if (self->inputs[i].conf->started)
                wake = s_min (wake, self->inputs[i].next_due);
        s_poll (self, wake - vg_mono_ms (), 1);
    }

    /* Stop collecting, seal what is open, wait a while for the acks; what
     * is still unacknowledged stays in the spool for the next start. */
    int64_t now = vg_mono_ms ();
    s_settle_inputs (self, now);
    int64_t deadline = now + self->config->agent.shutdown_timeout_ms;
    while (!self->hurry && agent_sender_pending (self->sender) > 0 && now < deadline) {
        int64_t wake = s_background (self, now);
        s_poll (self, s_min (deadline, wake) - now, 0);
        now = vg_mono_ms ();
    }
    size_t pending = agent_sender_pending (self->sender);
    size_t lost = agent_queue_spool_memory (self->queue, now);
    s_sync_spool (self, now, 1);
    s_commit (self);
    vg_info ("stopped: last seq %" PRIu64 ", %zu batches unacknowledged (%zu kept in the spool "
             "for the next start, %zu lost)",
             agent_state_last_seq (self->state), pending, pending - lost, lost);
    return 0;
}
