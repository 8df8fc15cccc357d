/*  vigil-loadgen - simulated agents for the ingest benchmark.
 *
 *  Each simulated agent is a DEALER with its own agent id and hostname. It
 *  keeps --window batches in flight, sends the next one when an ack (STORED
 *  or DUPLICATE) arrives, and resends a batch whose ack is late. A batch is
 *  --samples-per-batch gauge samples over --series series; sample g of an
 *  agent is series g % S at tick g / S, so every (series, time) pair is sent
 *  once and the database can be checked for exactly-once afterwards. Each
 *  resend of a batch waits about twice as long as the one before (with
 *  jitter), up to ten times --timeout-ms, as an agent backs off.
 *
 *  One thread polls every socket. What a batch holds, and how it is encoded
 *  (strings and series shared, or --fresh-batches built whole as an agent
 *  does), is test_loadgen_batch.c's. --null-collector binds a ROUTER on the
 *  endpoint that acks every batch without storing it (test_null_collector.c),
 *  to measure the generator's own ceiling.
 *
 *  --curve-keys FILE_secret and --curve-server FILE (zcert files, as vigil
 *  keygen writes them) make every agent a CURVE client with that key pair.
 *  Ack latency (first send to its ack, for batches not sent again) is
 *  printed as percentiles.
 *
 *  After --duration seconds it stops sending, waits for the acks of what is
 *  still in flight, and prints the figures; the last lines are key=value for
 *  scripts (acked_samples is the number the database must hold; samples_per_s
 *  is the rate after --warmup, when new series have been registered).
 */
#include "test_loadgen_batch.h"
#include "test_null_collector.h"
#include "test_zcert.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_codec.h"
#include "vg_error.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zmq.h>

typedef struct {
    const char *endpoint;
    int agents;
    int series;
    int batch;
    int window;
    double duration_s;
    double warmup_s;
    int64_t timeout_ms;
    int64_t drain_ms;
    int64_t step_ms;
    const char *id_prefix;
    const char *latencies; /* file for every ack latency measured, or NULL */
    int null_collector;
    int quiet;
    double rate; /* samples/s for all agents together, paced; 0: as fast as acked */
    int two_labels;
    int fresh; /* build and encode every batch whole */
    int curve;
    char curve_public[41], curve_secret[41], curve_server[41];
} s_args_t;

typedef struct {
    uint64_t seq; /* 0: free */
    uint8_t *payload;
    size_t len;
    size_t samples;
    int64_t first_ns;  /* monotonic, when first sent: ack latency counts from there */
    int64_t sent_ms;   /* monotonic */
    int64_t wait_ms;   /* before resending it: doubles with each resend, as an agent's does */
    int64_t resend_at; /* monotonic; 0 unless an ack said RETRY */
    int resent;        /* sent more than once: no latency figure */
} s_slot_t;

typedef struct {
    void *sock;
    vg_batch_t *batch;
    uint64_t next_seq;
    uint64_t next_sample; /* index g of the next sample to generate */
    s_slot_t *slots;
    int inflight;
    int64_t next_send_ms; /* paced: when the next batch is due */
} s_agent_t;

typedef struct {
    uint64_t batches;
    uint64_t samples;
    uint64_t stored;
    uint64_t duplicate;
    uint64_t rejected;
    uint64_t retry;
    uint64_t resent;
    uint64_t late_acks; /* acks for a seq no longer in flight (after a resend) */
} s_counts_t;

/* Ack latencies (ms) of the batches acknowledged while measuring. */
static double *s_lat;
static size_t s_nlat, s_lat_cap;
static int s_measuring;

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
s_percentile (double q)
{
    if (s_nlat == 0)
        return 0;
    size_t k = (size_t)(q * (double)(s_nlat - 1) + 0.5);
    return s_lat[k];
}

static volatile sig_atomic_t s_interrupted;

static void
s_on_signal (int sig)
{
    (void)sig;
    s_interrupted = 1;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: vigil-loadgen --endpoint tcp://HOST:PORT [options]\n"
             "  --agents N             simulated agents (50)\n"
             "  --series S             series per agent (1000)\n"
             "  --samples-per-batch B  samples per batch (1000)\n"
             "  --window W             batches in flight per agent (4)\n"
             "  --duration SECONDS     sending time (60)\n"
             "  --warmup SECONDS       leave the first seconds out of the rate (0): new series\n"
             "                         are registered then, once\n"
             "  --timeout-ms MS        resend a batch not acknowledged after this (30000)\n"
             "  --drain-ms MS          after the sending time, wait this long for acks (120000)\n"
             "  --step-ms MS           time between a series' samples (1000)\n"
             "  --id-prefix TEXT       agent ids are TEXT-<n> (loadgen-<start time>)\n"
             "  --null-collector       bind a ROUTER on the endpoint that acks without storing\n"
             "  --rate R               paced: R samples/s for all agents together, each agent\n"
             "                         sending at even intervals (window still caps what is\n"
             "                         in flight); prints the ack latency p50/p99 after --warmup\n"
             "  --two-labels           name series by two labels of at most 1000 values\n"
             "                         each, so a batch can carry more series than strings\n"
             "  --fresh-batches        build and encode every batch whole, as an agent does\n"
             "                         (default: strings and series encoded once, shared)\n"
             "  --quiet                no progress lines\n"
             "  --latencies FILE       write every ack latency measured (ms, one a line,\n"
             "                         ascending) to FILE, to merge several simulators'\n"
             "  --curve-keys FILE      the agents' key pair (a zcert NAME_secret file)\n"
             "  --curve-server FILE    the collector's public key (a zcert file)\n");
}

/* The sorted latencies into path, one a line. */
static int
s_write_latencies (const char *path)
{
    FILE *f = fopen (path, "w");
    if (!f) {
        fprintf (stderr, "vigil-loadgen: cannot write %s: %s\n", path, strerror (errno));
        return -1;
    }
    for (size_t k = 0; k < s_nlat; k++)
        fprintf (f, "%.3f\n", s_lat[k]);
    if (fclose (f) != 0) {
        fprintf (stderr, "vigil-loadgen: cannot write %s: %s\n", path, strerror (errno));
        return -1;
    }
    return 0;
}

/* ---- the simulated agents ---- */

static test_loadgen_batches_t *s_batches; /* what the agents send */

static void
s_build (s_agent_t *a, const s_args_t *args, s_slot_t *slot)
{
    uint64_t g0 = a->next_sample;
    a->next_sample += (uint64_t)args->batch;
    slot->seq = a->next_seq++;
    slot->samples = (size_t)args->batch;
    slot->resend_at = 0;
    test_loadgen_batch_encode (s_batches, a->batch, slot->seq, g0, &slot->payload, &slot->len);
}

static void
s_send (s_agent_t *a, s_slot_t *slot)
{
    if (!slot->first_ns)
        slot->first_ns = vg_mono_ns ();
    zmq_send (a->sock, VG_WIRE_BATCH, strlen (VG_WIRE_BATCH), ZMQ_SNDMORE);
    zmq_send (a->sock, slot->payload, slot->len, 0);
    slot->sent_ms = vg_mono_ms ();
}

static void
s_fill (s_agent_t *a, const s_args_t *args)
{
    int64_t interval =
        args->rate > 0 ? (int64_t)((double)args->agents * args->batch * 1000.0 / args->rate) : 0;
    for (int i = 0; i < args->window && a->inflight < args->window; i++) {
        s_slot_t *slot = &a->slots[i];
        if (slot->seq)
            continue;
        if (interval > 0) {
            int64_t now = vg_mono_ms ();
            if (now < a->next_send_ms)
                return;
            /* Keep the pace, without bursting to catch up after a stall. */
            a->next_send_ms += interval;
            if (a->next_send_ms < now - interval)
                a->next_send_ms = now;
        }
        s_build (a, args, slot);
        s_send (a, slot);
        a->inflight++;
    }
}

static void
s_on_ack (s_agent_t *a, const s_args_t *args, const uint8_t *data, size_t len, s_counts_t *c)
{
    uint64_t seq;
    vg_ack_status_t status;
    char reason[256] = "";
    if (vg_codec_decode_ack (data, len, &seq, &status, reason, sizeof reason) != 0) {
        fprintf (stderr, "vigil-loadgen: undecodable ack\n");
        return;
    }
    s_slot_t *slot = NULL;
    for (int i = 0; i < args->window; i++)
        if (a->slots[i].seq == seq)
            slot = &a->slots[i];
    if (!slot) {
        c->late_acks++;
        return;
    }
    switch (status) {
    case VG_ACK_STORED:
    case VG_ACK_DUPLICATE:
        if (status == VG_ACK_STORED)
            c->stored++;
        else
            c->duplicate++;
        c->batches++;
        c->samples += slot->samples;
        if (s_measuring && !slot->resent) { /* a resent batch has no latency of its own */
            VG_GROW (s_lat, s_lat_cap, s_nlat + 1);
            s_lat[s_nlat++] = (double)(vg_mono_ns () - slot->first_ns) / 1e6;
        }
        break;
    case VG_ACK_REJECTED:
        /* The benchmark's batches are valid: a rejection is a bug worth seeing. */
        fprintf (stderr, "vigil-loadgen: batch %s seq %" PRIu64 " rejected: %s\n",
                 a->batch->agent_id, seq, reason);
        c->rejected++;
        break;
    case VG_ACK_RETRY:
    default:
        c->retry++;
        slot->resend_at = vg_mono_ms () + 200;
        return;
    }
    free (slot->payload);
    memset (slot, 0, sizeof *slot);
    a->inflight--;
}

static void
s_drain (s_agent_t *a, const s_args_t *args, s_counts_t *c)
{
    for (;;) {
        zmq_msg_t kind, body;
        zmq_msg_init (&kind);
        zmq_msg_init (&body);
        if (zmq_msg_recv (&kind, a->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&kind);
            zmq_msg_close (&body);
            return;
        }
        int more = zmq_msg_more (&kind);
        if (more && zmq_msg_recv (&body, a->sock, 0) >= 0 && !zmq_msg_more (&body) &&
            zmq_msg_size (&kind) == strlen (VG_WIRE_ACK) &&
            memcmp (zmq_msg_data (&kind), VG_WIRE_ACK, strlen (VG_WIRE_ACK)) == 0)
            s_on_ack (a, args, zmq_msg_data (&body), zmq_msg_size (&body), c);
        /* Discard the rest of an unexpected multi-frame message. */
        while (zmq_msg_more (more ? &body : &kind)) {
            zmq_msg_close (&body);
            zmq_msg_init (&body);
            if (zmq_msg_recv (&body, a->sock, 0) < 0)
                break;
            more = 1;
        }
        zmq_msg_close (&kind);
        zmq_msg_close (&body);
    }
}

static void
s_resend_due (s_agent_t *a, const s_args_t *args, int64_t now, s_counts_t *c)
{
    for (int i = 0; i < args->window; i++) {
        s_slot_t *slot = &a->slots[i];
        if (!slot->seq)
            continue;
        if (!slot->wait_ms)
            slot->wait_ms = args->timeout_ms;
        if ((slot->resend_at && now >= slot->resend_at) ||
            (!slot->resend_at && now - slot->sent_ms >= slot->wait_ms)) {
            slot->resend_at = 0;
            slot->resent = 1;
            s_send (a, slot);
            c->resent++;
            /* Back off, with jitter, up to ten times the timeout: a collector
             * that is behind is not buried under copies of what it holds. */
            int64_t next = slot->wait_ms * 2;
            if (next > args->timeout_ms * 10)
                next = args->timeout_ms * 10;
            slot->wait_ms = next - next / 5 + (int64_t)(rand () % (int)(next / 5 + 1));
        }
    }
}

static int
s_parse_args (int argc, char **argv, s_args_t *a)
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"agents", required_argument, NULL, 'a'},
        {"series", required_argument, NULL, 's'},
        {"samples-per-batch", required_argument, NULL, 'b'},
        {"window", required_argument, NULL, 'w'},
        {"duration", required_argument, NULL, 'd'},
        {"warmup", required_argument, NULL, 'W'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"drain-ms", required_argument, NULL, 'D'},
        {"step-ms", required_argument, NULL, 'S'},
        {"id-prefix", required_argument, NULL, 'i'},
        {"latencies", required_argument, NULL, 'l'},
        {"null-collector", no_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'},
        {"rate", required_argument, NULL, 'r'},
        {"two-labels", no_argument, NULL, 'L'},
        {"fresh-batches", no_argument, NULL, 'F'},
        {"curve-keys", required_argument, NULL, 'K'},
        {"curve-server", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (s_args_t){.agents = 50,
                    .series = 1000,
                    .batch = 1000,
                    .window = 4,
                    .duration_s = 60,
                    .timeout_ms = 30000,
                    .drain_ms = 120000,
                    .step_ms = 1000};
    int c;
    while ((c = getopt_long (argc, argv, "e:a:s:b:w:d:W:t:D:S:i:l:nqr:LFK:C:h", opts, NULL)) !=
           -1) {
        switch (c) {
        case 'e':
            a->endpoint = optarg;
            break;
        case 'a':
            a->agents = atoi (optarg);
            break;
        case 's':
            a->series = atoi (optarg);
            break;
        case 'b':
            a->batch = atoi (optarg);
            break;
        case 'w':
            a->window = atoi (optarg);
            break;
        case 'd':
            a->duration_s = atof (optarg);
            break;
        case 'W':
            a->warmup_s = atof (optarg);
            break;
        case 't':
            a->timeout_ms = strtoll (optarg, NULL, 10);
            break;
        case 'D':
            a->drain_ms = strtoll (optarg, NULL, 10);
            break;
        case 'S':
            a->step_ms = strtoll (optarg, NULL, 10);
            break;
        case 'i':
            a->id_prefix = optarg;
            break;
        case 'l':
            a->latencies = optarg;
            break;
        case 'n':
            a->null_collector = 1;
            break;
        case 'q':
            a->quiet = 1;
            break;
        case 'r':
            a->rate = atof (optarg);
            break;
        case 'L':
            a->two_labels = 1;
            break;
        case 'F':
            a->fresh = 1;
            break;
        case 'K':
            if (test_zcert_key (optarg, "public-key", a->curve_public) != 0 ||
                test_zcert_key (optarg, "secret-key", a->curve_secret) != 0) {
                fprintf (stderr, "vigil-loadgen: %s is not a zcert secret file\n", optarg);
                return -1;
            }
            a->curve |= 1;
            break;
        case 'C':
            if (test_zcert_key (optarg, "public-key", a->curve_server) != 0) {
                fprintf (stderr, "vigil-loadgen: %s is not a zcert file\n", optarg);
                return -1;
            }
            a->curve |= 2;
            break;
        case 'h':
            s_usage (stdout);
            exit (0);
        default:
            s_usage (stderr);
            return -1;
        }
    }
    if (!a->endpoint || a->agents < 1 || a->series < 1 || a->batch < 1 ||
        a->batch > VG_WIRE_MAX_SAMPLES || a->window < 1 || a->duration_s <= 0 || a->warmup_s < 0 ||
        a->warmup_s >= a->duration_s || a->timeout_ms < 1 || a->step_ms < 1 || a->rate < 0 ||
        (a->curve != 0 && a->curve != 3)) {
        s_usage (stderr);
        return -1;
    }
    return 0;
}

static double
s_cpu_seconds (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int
main (int argc, char **argv)
{
    s_args_t args;
    if (s_parse_args (argc, argv, &args) != 0)
        return 2;
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);
    setvbuf (stdout, NULL, _IOLBF, 0);

    void *ctx = zmq_ctx_new ();
    /* One socket per simulated agent, past libzmq's default of 1023. */
    zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, args.agents + 16);
    test_null_collector_t null = {.ctx = ctx, .endpoint = args.endpoint};
    pthread_t null_thread;
    if (args.null_collector) {
        pthread_create (&null_thread, NULL, test_null_collector_run, &null);
        while (__atomic_load_n (&null.bound, __ATOMIC_ACQUIRE) == 0)
            usleep (1000);
        if (null.bound < 0)
            return 1;
    }

    char *prefix = args.id_prefix ? vg_strdup (args.id_prefix)
                                  : vg_asprintf ("loadgen-%" PRId64, vg_now_ms () / 1000);
    /* Samples start a day back and advance step_ms per tick, so a run of
     * minutes stays in the past, inside any accepted time range. */
    s_batches = test_loadgen_batches_new (&(test_loadgen_shape_t){
        .series = args.series,
        .batch = args.batch,
        .base_ms = (vg_now_ms () / 1000 - 86400) * 1000,
        .step_ms = args.step_ms,
        .two_labels = args.two_labels,
        .fresh = args.fresh,
    });

    s_agent_t *agents = vg_calloc ((size_t)args.agents, sizeof *agents);
    zmq_pollitem_t *items = vg_calloc ((size_t)args.agents, sizeof *items);
    for (int i = 0; i < args.agents; i++) {
        s_agent_t *a = &agents[i];
        char *id = vg_asprintf ("%s-%d", prefix, i);
        char *host = vg_asprintf ("%s-host-%d", prefix, i);
        a->batch = vg_batch_new (id, host);
        free (id);
        free (host);
        a->next_seq = 1;
        a->slots = vg_calloc ((size_t)args.window, sizeof (s_slot_t));
        a->sock = zmq_socket (ctx, ZMQ_DEALER);
        int linger = 0;
        zmq_setsockopt (a->sock, ZMQ_LINGER, &linger, sizeof linger);
        if (args.curve) {
            zmq_setsockopt (a->sock, ZMQ_CURVE_SERVERKEY, args.curve_server, 40);
            zmq_setsockopt (a->sock, ZMQ_CURVE_PUBLICKEY, args.curve_public, 40);
            zmq_setsockopt (a->sock, ZMQ_CURVE_SECRETKEY, args.curve_secret, 40);
        }
        if (zmq_connect (a->sock, args.endpoint) != 0) {
            fprintf (stderr, "vigil-loadgen: cannot connect to %s: %s\n", args.endpoint,
                     zmq_strerror (zmq_errno ()));
            return 1;
        }
        items[i] = (zmq_pollitem_t){.socket = a->sock, .events = ZMQ_POLLIN};
    }

    s_counts_t c = {0}, at_end = {0}, at_warm = {0};
    int64_t start = vg_mono_ms ();
    int64_t stop_sending = start + (int64_t)(args.duration_s * 1000);
    int64_t next_report = start + 10000, last_check = start;
    int64_t end_sending = 0, deadline = 0;
    int64_t warm_until = start + (int64_t)(args.warmup_s * 1000), warm_at = 0;
    double cpu0 = s_cpu_seconds ();

    /* Paced agents start evenly spread over one interval. */
    int64_t interval =
        args.rate > 0 ? (int64_t)((double)args.agents * args.batch * 1000.0 / args.rate) : 0;
    for (int i = 0; i < args.agents; i++) {
        agents[i].next_send_ms = start + interval * i / args.agents;
        s_fill (&agents[i], &args);
    }

    for (;;) {
        int64_t now = vg_mono_ms ();
        if (!warm_at && now >= warm_until) {
            warm_at = now;
            at_warm = c;
            s_measuring = 1;
        }
        if (!end_sending && (now >= stop_sending || s_interrupted)) {
            end_sending = now;
            at_end = c;
            deadline = now + args.drain_ms;
        }
        int inflight = 0;
        for (int i = 0; i < args.agents; i++)
            inflight += agents[i].inflight;
        if (end_sending && (inflight == 0 || now >= deadline))
            break;
        if (end_sending)
            s_measuring = 0;

        long timeout = 50;
        if (interval > 0 && !end_sending) { /* until the next paced batch is due */
            int64_t due = INT64_MAX;
            for (int i = 0; i < args.agents; i++)
                if (agents[i].inflight < args.window && agents[i].next_send_ms < due)
                    due = agents[i].next_send_ms;
            timeout = due <= now ? 0 : due - now < 50 ? (long)(due - now) : 50;
        }
        zmq_poll (items, args.agents, timeout);
        for (int i = 0; i < args.agents; i++) {
            if (items[i].revents & ZMQ_POLLIN)
                s_drain (&agents[i], &args, &c);
            else if (interval == 0)
                continue;
            if (!end_sending)
                s_fill (&agents[i], &args);
        }
        now = vg_mono_ms ();
        if (now - last_check >= 100) {
            last_check = now;
            for (int i = 0; i < args.agents; i++)
                s_resend_due (&agents[i], &args, now, &c);
        }
        if (!args.quiet && now >= next_report) {
            fprintf (stderr, "vigil-loadgen: %.0f s: %" PRIu64 " samples acknowledged\n",
                     (double)(now - start) / 1000, c.samples);
            next_report += 10000;
        }
    }
    int64_t finished = vg_mono_ms ();
    double cpu = s_cpu_seconds () - cpu0;

    uint64_t unacked_batches = 0;
    for (int i = 0; i < args.agents; i++)
        for (int j = 0; j < args.window; j++)
            if (agents[i].slots[j].seq)
                unacked_batches++;

    double send_s = (double)(end_sending - start) / 1000;
    double rate = send_s > 0 ? (double)at_end.samples / send_s : 0;
    /* Steady state: after the warm-up (the whole sending phase without one). */
    double steady_s = warm_at ? (double)(end_sending - warm_at) / 1000 : send_s;
    uint64_t steady_n = at_end.samples - (warm_at ? at_warm.samples : 0);
    double steady = steady_s > 0 ? (double)steady_n / steady_s : 0;
    printf ("loadgen: %d agents x %d series, %d samples per batch, window %d, %.0f s%s\n",
            args.agents, args.series, args.batch, args.window, args.duration_s,
            args.null_collector ? ", null collector" : "");
    printf ("loadgen: sending phase %.2f s: %" PRIu64 " batches, %" PRIu64
            " samples acknowledged: %.0f samples/s\n",
            send_s, at_end.batches, at_end.samples, rate);
    if (args.warmup_s > 0)
        printf ("loadgen: after the %.0f s warm-up: %" PRIu64
                " samples acknowledged in %.2f s: %.0f samples/s\n",
                args.warmup_s, steady_n, steady_s, steady);
    printf ("loadgen: in all (after %.2f s of draining): %" PRIu64 " batches (%" PRIu64
            " stored, %" PRIu64 " duplicate), %" PRIu64 " samples acknowledged\n",
            (double)(finished - end_sending) / 1000, c.batches, c.stored, c.duplicate, c.samples);
    printf ("loadgen: resent %" PRIu64 ", retry acks %" PRIu64 ", rejected %" PRIu64
            ", late acks %" PRIu64 ", unacknowledged at exit %" PRIu64 "\n",
            c.resent, c.retry, c.rejected, c.late_acks, unacked_batches);
    printf ("loadgen: generator cpu %.2f s (%.0f%% of one core)\n", cpu,
            100.0 * cpu / ((double)(finished - start) / 1000));
    if (s_nlat > 1)
        qsort (s_lat, s_nlat, sizeof *s_lat, s_cmp_double);
    int written = args.latencies ? s_write_latencies (args.latencies) : 0;
    if (args.rate > 0)
        printf ("loadgen: paced at %.0f samples/s\n", args.rate);
    printf ("loadgen: ack latency after the warm-up, over %zu batches acknowledged at their first "
            "send: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
            s_nlat, s_percentile (0.5), s_percentile (0.99), s_percentile (1.0));
    printf ("ack_p50_ms=%.1f\nack_p99_ms=%.1f\nack_max_ms=%.1f\n", s_percentile (0.5),
            s_percentile (0.99), s_percentile (1.0));
    printf ("samples_per_s=%.0f\n", steady);
    printf ("samples_per_s_overall=%.0f\n", rate);
    printf ("acked_batches=%" PRIu64 "\n", c.batches);
    printf ("acked_samples=%" PRIu64 "\n", c.samples);
    printf ("unacked_batches=%" PRIu64 "\n", unacked_batches);

    for (int i = 0; i < args.agents; i++) {
        for (int j = 0; j < args.window; j++)
            free (agents[i].slots[j].payload);
        free (agents[i].slots);
        vg_batch_destroy (&agents[i].batch);
        zmq_close (agents[i].sock);
    }
    free (agents);
    free (items);
    test_loadgen_batches_destroy (&s_batches);
    free (prefix);
    free (s_lat);
    if (args.null_collector) {
        __atomic_store_n (&null.stop, 1, __ATOMIC_RELEASE);
        pthread_join (null_thread, NULL);
    }
    zmq_ctx_term (ctx);
    return unacked_batches || c.rejected || written ? 1 : 0;
}
