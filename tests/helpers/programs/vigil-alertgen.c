/*  vigil-alertgen - simulated agents whose samples cross an alert rule's
 *  threshold, one alert at a time, for the alert-latency benchmark.
 *
 *  There are --alerts series alertgen_value{alert="aNNNNN"}, spread over
 *  --agents agents (hosts PREFIX-host-N), so each alert has its own label set.
 *  Every batch of an agent carries all its series, as an agent's does: first
 *  one batch each at 0 (the series are registered, nothing fires), then, at
 *  --rate alerts a second in all, one batch per alert in which that alert's
 *  series is 1 (the rule is "alertgen_value > 0.5") and those crossed before
 *  stay 1. The wall-clock time just before each such batch leaves its
 *  socket is written to --sent, one line per alert:
 *
 *      aNNNNN <Unix time, seconds with microseconds> <host> <seq> <ack's arrival, 0: none>
 *
 *  A batch not acknowledged within --timeout-ms is sent again (the collector's
 *  ledger makes that harmless); its time stays that of its first send. */
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_codec.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define METRIC "alertgen_value"

typedef struct {
    const char *endpoint, *sent_path, *prefix;
    int alerts, agents;
    double rate;
    int64_t timeout_ms, drain_ms;
} s_args_t;

/* A batch waiting for its ack. */
typedef struct {
    uint64_t seq;
    int alert; /* -1: the registration batch */
    uint8_t *payload;
    size_t len;
    int64_t sent_mono;
} s_flight_t;

typedef struct {
    void *sock;
    vg_batch_t *batch;
    uint64_t next_seq;
    int first, nseries; /* alerts first, first + agents, ... are this agent's */
    uint8_t *crossed;
    s_flight_t *flights;
    size_t nflights, capflights;
} s_agent_t;

typedef struct {
    double sent;  /* Unix seconds */
    double acked; /* when its ack arrived (after the commit); 0: none */
    uint64_t seq; /* its batch */
} s_alert_t;

static s_alert_t *s_alerts;
static int s_registered, s_rejected;
static uint64_t s_resent;

static double
s_wall (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: vigil-alertgen --endpoint tcp://HOST:PORT --sent FILE [options]\n"
                  "  --alerts N         alerts, each its own series and label set (1000)\n"
                  "  --agents N         simulated agents they are spread over (10)\n"
                  "  --rate R           alerts a second, evenly paced (20)\n"
                  "  --id-prefix TEXT   agent ids TEXT-N, hosts TEXT-host-N (alertgen)\n"
                  "  --timeout-ms MS    send a batch again when its ack is this late (10000)\n"
                  "  --drain-ms MS      at the end, wait this long for the last acks (60000)\n");
}

/* The next batch of agent a: all its series, those crossed at 1. */
static s_flight_t *
s_build (s_agent_t *a, int agents, int alert)
{
    vg_batch_t *b = a->batch;
    vg_batch_clear (b);
    b->seq = a->next_seq++;
    b->sent_ms = vg_now_ms ();
    b->interval_ms = 10000;
    char name[16];
    for (int k = 0; k < a->nseries; k++) {
        snprintf (name, sizeof name, "a%05d", a->first + k * agents);
        vg_label_t label = {"alert", name};
        uint32_t idx = vg_batch_series (b, METRIC, VG_KIND_GAUGE, &label, 1);
        vg_batch_add_sample (b, idx, b->sent_ms, a->crossed[k] ? 1 : 0);
    }
    VG_GROW (a->flights, a->capflights, a->nflights + 1);
    s_flight_t *f = &a->flights[a->nflights++];
    memset (f, 0, sizeof *f);
    f->seq = b->seq;
    f->alert = alert;
    if (vg_codec_encode_batch (b, &f->payload, &f->len) != 0) {
        fprintf (stderr, "vigil-alertgen: cannot encode a batch\n");
        exit (1);
    }
    return f;
}

static void
s_send (s_agent_t *a, s_flight_t *f)
{
    zmq_send (a->sock, VG_WIRE_BATCH, strlen (VG_WIRE_BATCH), ZMQ_SNDMORE);
    zmq_send (a->sock, f->payload, f->len, 0);
    f->sent_mono = vg_mono_ms ();
}

static void
s_on_ack (s_agent_t *a, const uint8_t *data, size_t len)
{
    uint64_t seq;
    vg_ack_status_t status;
    char reason[256] = "";
    if (vg_codec_decode_ack (data, len, &seq, &status, reason, sizeof reason) != 0) {
        fprintf (stderr, "vigil-alertgen: an undecodable ack\n");
        return;
    }
    for (size_t i = 0; i < a->nflights; i++) {
        s_flight_t *f = &a->flights[i];
        if (f->seq != seq)
            continue;
        if (status == VG_ACK_RETRY)
            return; /* sent again after the timeout */
        if (status == VG_ACK_REJECTED) {
            fprintf (stderr, "vigil-alertgen: batch %" PRIu64 " of %s rejected: %s\n", seq,
                     a->batch->agent_id, reason);
            s_rejected++;
        } else if (f->alert < 0)
            s_registered++;
        else
            s_alerts[f->alert].acked = s_wall ();
        free (f->payload);
        a->flights[i] = a->flights[--a->nflights];
        return;
    }
}

/* Takes the acks that arrived, waiting up to timeout_ms for the first. */
static void
s_poll (s_agent_t *agents, zmq_pollitem_t *items, int n, long timeout_ms)
{
    if (zmq_poll (items, n, timeout_ms) <= 0)
        return;
    for (int i = 0; i < n; i++) {
        if (!(items[i].revents & ZMQ_POLLIN))
            continue;
        for (;;) {
            zmq_msg_t kind, body;
            zmq_msg_init (&kind);
            if (zmq_msg_recv (&kind, agents[i].sock, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&kind);
                break;
            }
            zmq_msg_init (&body);
            if (zmq_msg_more (&kind) && zmq_msg_recv (&body, agents[i].sock, 0) >= 0 &&
                zmq_msg_size (&kind) == strlen (VG_WIRE_ACK) &&
                memcmp (zmq_msg_data (&kind), VG_WIRE_ACK, strlen (VG_WIRE_ACK)) == 0)
                s_on_ack (&agents[i], zmq_msg_data (&body), zmq_msg_size (&body));
            zmq_msg_close (&kind);
            zmq_msg_close (&body);
        }
    }
}

static void
s_resend_late (s_agent_t *agents, int n, int64_t timeout_ms)
{
    int64_t now = vg_mono_ms ();
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < agents[i].nflights; k++)
            if (now - agents[i].flights[k].sent_mono >= timeout_ms) {
                s_send (&agents[i], &agents[i].flights[k]);
                s_resent++;
            }
}

static size_t
s_waiting (const s_agent_t *agents, int n)
{
    size_t w = 0;
    for (int i = 0; i < n; i++)
        w += agents[i].nflights;
    return w;
}

/* Polls until nothing waits for an ack, or deadline (monotonic ms). */
static void
s_drain (s_agent_t *agents, zmq_pollitem_t *items, const s_args_t *args, int64_t deadline)
{
    while (s_waiting (agents, args->agents) > 0 && vg_mono_ms () < deadline) {
        s_poll (agents, items, args->agents, 100);
        s_resend_late (agents, args->agents, args->timeout_ms);
    }
}

static int
s_parse (int argc, char **argv, s_args_t *a)
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"sent", required_argument, NULL, 'o'},
        {"alerts", required_argument, NULL, 'n'},
        {"agents", required_argument, NULL, 'a'},
        {"rate", required_argument, NULL, 'r'},
        {"id-prefix", required_argument, NULL, 'i'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"drain-ms", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (s_args_t){.alerts = 1000,
                    .agents = 10,
                    .rate = 20,
                    .prefix = "alertgen",
                    .timeout_ms = 10000,
                    .drain_ms = 60000};
    int c;
    while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            a->endpoint = optarg;
            break;
        case 'o':
            a->sent_path = optarg;
            break;
        case 'n':
            a->alerts = atoi (optarg);
            break;
        case 'a':
            a->agents = atoi (optarg);
            break;
        case 'r':
            a->rate = atof (optarg);
            break;
        case 'i':
            a->prefix = optarg;
            break;
        case 't':
            a->timeout_ms = strtoll (optarg, NULL, 10);
            break;
        case 'D':
            a->drain_ms = strtoll (optarg, NULL, 10);
            break;
        case 'h':
            s_usage (stdout);
            exit (0);
        default:
            s_usage (stderr);
            return -1;
        }
    }
    if (optind < argc || !a->endpoint || !a->sent_path || a->alerts < 1 || a->alerts > 99999 ||
        a->agents < 1 || a->agents > a->alerts || a->rate <= 0 || a->timeout_ms < 1) {
        s_usage (stderr);
        return -1;
    }
    return 0;
}

int
main (int argc, char **argv)
{
    s_args_t args;
    if (s_parse (argc, argv, &args) != 0)
        return 2;
    setvbuf (stdout, NULL, _IOLBF, 0);
    FILE *out = fopen (args.sent_path, "w");
    if (!out) {
        perror (args.sent_path);
        return 1;
    }
    void *ctx = zmq_ctx_new ();
    s_alerts = vg_calloc ((size_t)args.alerts, sizeof *s_alerts);
    s_agent_t *agents = vg_calloc ((size_t)args.agents, sizeof *agents);
    zmq_pollitem_t *items = vg_calloc ((size_t)args.agents, sizeof *items);
    for (int i = 0; i < args.agents; i++) {
        s_agent_t *a = &agents[i];
        char *id = vg_asprintf ("%s-%d", args.prefix, i);
        char *host = vg_asprintf ("%s-host-%d", args.prefix, i);
        a->batch = vg_batch_new (id, host);
        free (id);
        free (host);
        a->next_seq = 1;
        a->first = i;
        a->nseries = (args.alerts - i + args.agents - 1) / args.agents;
        a->crossed = vg_calloc ((size_t)a->nseries, 1);
        a->sock = zmq_socket (ctx, ZMQ_DEALER);
        int linger = 0;
        zmq_setsockopt (a->sock, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_connect (a->sock, args.endpoint) != 0) {
            fprintf (stderr, "vigil-alertgen: cannot connect to %s: %s\n", args.endpoint,
                     zmq_strerror (zmq_errno ()));
            return 1;
        }
        items[i] = (zmq_pollitem_t){.socket = a->sock, .events = ZMQ_POLLIN};
    }

    /* The series, below the threshold. */
    for (int i = 0; i < args.agents; i++)
        s_send (&agents[i], s_build (&agents[i], args.agents, -1));
    s_drain (agents, items, &args, vg_mono_ms () + args.drain_ms);
    if (s_registered != args.agents) {
        fprintf (stderr, "vigil-alertgen: only %d of %d agents' first batches were acknowledged\n",
                 s_registered, args.agents);
        return 1;
    }
    printf ("alertgen: %d agents registered %d series %s{alert=...}\n", args.agents, args.alerts,
            METRIC);

    /* One alert at a time, paced. */
    int64_t start = vg_mono_ms ();
    for (int n = 0; n < args.alerts; n++) {
        int64_t due = start + (int64_t)((double)n * 1000.0 / args.rate);
        for (int64_t now = vg_mono_ms (); now < due; now = vg_mono_ms ()) {
            s_poll (agents, items, args.agents, (long)(due - now));
            s_resend_late (agents, args.agents, args.timeout_ms);
        }
        s_poll (agents, items, args.agents, 0);
        s_agent_t *a = &agents[n % args.agents];
        a->crossed[n / args.agents] = 1;
        s_flight_t *f = s_build (a, args.agents, n);
        s_alerts[n].seq = f->seq;
        s_alerts[n].sent = s_wall ();
        s_send (a, f);
    }
    double took = (double)(vg_mono_ms () - start) / 1000;
    s_drain (agents, items, &args, vg_mono_ms () + args.drain_ms);

    int acked = 0;
    for (int n = 0; n < args.alerts; n++) {
        acked += s_alerts[n].acked > 0;
        fprintf (out, "a%05d %.6f %s %" PRIu64 " %.6f\n", n, s_alerts[n].sent,
                 agents[n % args.agents].batch->hostname, s_alerts[n].seq, s_alerts[n].acked);
    }
    fclose (out);
    printf ("alertgen: %d alerts sent in %.1f s (%.1f a second), %d acknowledged, %" PRIu64
            " batches sent again, %d rejected\n",
            args.alerts, took, took > 0 ? args.alerts / took : 0.0, acked, s_resent, s_rejected);
    for (int i = 0; i < args.agents; i++) {
        for (size_t k = 0; k < agents[i].nflights; k++)
            free (agents[i].flights[k].payload);
        free (agents[i].flights);
        free (agents[i].crossed);
        vg_batch_destroy (&agents[i].batch);
        zmq_close (agents[i].sock);
    }
    free (agents);
    free (items);
    free (s_alerts);
    zmq_ctx_term (ctx);
    return acked == args.alerts && !s_rejected ? 0 : 1;
}
