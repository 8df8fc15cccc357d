/*  vigil-dayload - one day of a fleet of FastAPI-style hosts, sent to a
 *  collector as fast as it acknowledges, for tests/bench/report.sh.
 *
 *  Each of --hosts agents has 50 series, a sample of each every --step-s
 *  seconds over the UTC day --day: 12 request counters (endpoint x status),
 *  5 latency distributions (3 endpoints, 2 personas; --values-per values
 *  each), 3 error-line counters, 8 token and cost counters, and 22 gauges
 *  (process, users, system vitals). An agent packs --ticks-per-batch ticks
 *  into a batch, keeps --window batches in flight, and resends what is not
 *  acknowledged within 60 s. The last line is "dayload: samples N batches B
 *  seconds S" (N counts distributions as samples, as the store does).
 */
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_codec.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define NSERIES 50

typedef struct {
    void *sock;
    vg_batch_t *batch;
    int host;
    uint64_t seq;
    int64_t next_tick; /* the first tick not yet put in a batch */
    struct {
        uint64_t seq;
        uint8_t *payload;
        size_t len, samples;
        int64_t sent_ms;
    } slots[8];
    int inflight;
    double counters[32];
} s_agent_t;

static const char *s_endpoints[] = {"/chat", "/health", "/history"};
static const char *s_statuses[] = {"200", "429", "500", "502"};
static const char *s_errors[] = {"RateLimitError", "TimeoutError", "ValidationError"};
static const char *s_models[] = {"claude-3-5-haiku", "claude-3-5-sonnet"};
static const char *s_kinds[] = {"prompt", "completion", "cache_read"};
static const char *s_modes[] = {"user", "system", "iowait", "idle", "steal"};
static const char *s_gauges[] = {"process_rss_bytes",    "process_cpu_percent",
                                 "app_concurrent_users", "system_cpu_percent",
                                 "system_memory_used_percent", "system_load1",
                                 "system_load5",         "system_load15",
                                 "process_threads",      "process_open_fds",
                                 "http_up",              "http_response_seconds"};

static uint64_t s_rng = 0x9e3779b97f4a7c15ULL;
static double
s_uniform (void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (double)(s_rng >> 11) / 9007199254740992.0;
}

static uint32_t
s_series (vg_batch_t *b, const char *name, vg_kind_t kind, const char *k1, const char *v1,
          const char *k2, const char *v2)
{
    vg_label_t l[3] = {{"service", "chat-api"}};
    size_t n = 1;
    if (k1)
        l[n++] = (vg_label_t){k1, v1};
    if (k2)
        l[n++] = (vg_label_t){k2, v2};
    return vg_batch_series (b, name, kind, l, n);
}

/* One tick of one host: its 50 series. */
static void
s_tick (s_agent_t *a, int64_t ts, int values_per)
{
    vg_batch_t *b = a->batch;
    int c = 0;
    for (int e = 0; e < 3; e++)
        for (int s = 0; s < 4; s++) {
            a->counters[c] += s == 0 ? 10 + (int)(20 * s_uniform ()) : s_uniform () < 0.3;
            vg_batch_add_value (b, s_series (b, "api_requests_total", VG_KIND_COUNTER, "endpoint",
                                             s_endpoints[e], "status_code", s_statuses[s]),
                                ts, a->counters[c++]);
        }
    for (int k = 0; k < 3; k++) {
        a->counters[c] += s_uniform () < 0.2;
        vg_batch_add_value (b, s_series (b, "api_error_lines_total", VG_KIND_COUNTER, "error_type",
                                         s_errors[k], NULL, NULL),
                            ts, a->counters[c++]);
    }
    for (int m = 0; m < 2; m++) {
        for (int k = 0; k < 3; k++) {
            a->counters[c] += 500 + (int)(2000 * s_uniform ());
            vg_batch_add_value (b, s_series (b, "llm_tokens", VG_KIND_COUNTER, "model",
                                             s_models[m], "kind", s_kinds[k]),
                                ts, a->counters[c++]);
        }
        a->counters[c] += 0.01 * s_uniform ();
        vg_batch_add_value (
            b, s_series (b, "llm_cost_usd", VG_KIND_COUNTER, "model", s_models[m], NULL, NULL), ts,
            a->counters[c++]);
    }
    for (size_t g = 0; g < sizeof s_gauges / sizeof *s_gauges; g++)
        vg_batch_add_value (b, s_series (b, s_gauges[g], VG_KIND_GAUGE, NULL, NULL, NULL, NULL), ts,
                            100 * s_uniform ());
    for (int m = 0; m < 5; m++)
        vg_batch_add_value (b, s_series (b, "system_cpu_mode_percent", VG_KIND_GAUGE, "mode",
                                         s_modes[m], NULL, NULL),
                            ts, 20 * s_uniform ());
    vg_batch_add_value (b, s_series (b, "system_disk_used_percent", VG_KIND_GAUGE, "mount", "/",
                                     NULL, NULL),
                        ts, 61.5);
    vg_batch_add_value (b, s_series (b, "system_net_rx_bytes_per_second", VG_KIND_GAUGE,
                                     "interface", "eth0", NULL, NULL),
                        ts, 1e5 * s_uniform ());
    vg_batch_add_value (b, s_series (b, "system_net_tx_bytes_per_second", VG_KIND_GAUGE,
                                     "interface", "eth0", NULL, NULL),
                        ts, 1e5 * s_uniform ());
    vg_batch_add_value (b, s_series (b, "system_diskio_read_bytes_per_second", VG_KIND_GAUGE,
                                     "device", "vda", NULL, NULL),
                        ts, 1e5 * s_uniform ());
    vg_batch_add_value (b, s_series (b, "system_diskio_write_bytes_per_second", VG_KIND_GAUGE,
                                     "device", "vda", NULL, NULL),
                        ts, 1e5 * s_uniform ());
    for (int d = 0; d < 5; d++) {
        vg_sketch_t *sk = vg_sketch_new ();
        for (int i = 0; i < values_per; i++)
            vg_sketch_add (sk, 0.05 + 2.5 * s_uniform () * s_uniform ());
        uint32_t idx = d < 3 ? s_series (b, "api_request_duration_seconds", VG_KIND_DISTRIBUTION,
                                         "endpoint", s_endpoints[d], NULL, NULL)
                             : s_series (b, "api_chat_duration_seconds", VG_KIND_DISTRIBUTION,
                                         "persona", d == 3 ? "tutor" : "critic", NULL, NULL);
        vg_batch_take_dist (b, idx, ts, &sk);
    }
}

static void
s_send (s_agent_t *a, int slot)
{
    zmq_send (a->sock, VG_WIRE_BATCH, strlen (VG_WIRE_BATCH), ZMQ_SNDMORE);
    zmq_send (a->sock, a->slots[slot].payload, a->slots[slot].len, 0);
    a->slots[slot].sent_ms = vg_mono_ms ();
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'}, {"day", required_argument, NULL, 'd'},
        {"hosts", required_argument, NULL, 'H'},    {"step-s", required_argument, NULL, 's'},
        {"ticks-per-batch", required_argument, NULL, 't'},
        {"window", required_argument, NULL, 'w'},   {"values-per", required_argument, NULL, 'v'},
        {NULL, 0, NULL, 0}};
    const char *endpoint = NULL, *day = NULL;
    int hosts = 100, step_s = 10, per_batch = 60, window = 2, values_per = 20, c;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'e': endpoint = optarg; break;
        case 'd': day = optarg; break;
        case 'H': hosts = atoi (optarg); break;
        case 's': step_s = atoi (optarg); break;
        case 't': per_batch = atoi (optarg); break;
        case 'w': window = atoi (optarg); break;
        case 'v': values_per = atoi (optarg); break;
        default: return 2;
        }
    }
    struct tm tm = {0};
    if (!endpoint || !day || !strptime (day, "%Y-%m-%d", &tm) || hosts < 1 || step_s < 1 ||
        per_batch < 1 || window < 1 || window > 8) {
        fprintf (stderr, "usage: vigil-dayload --endpoint tcp://HOST:PORT --day YYYY-MM-DD "
                         "[--hosts 100] [--step-s 10] [--ticks-per-batch 60] [--window 2] "
                         "[--values-per 20]\n");
        return 2;
    }
    int64_t d0 = (int64_t)timegm (&tm) * 1000;
    int64_t ticks = 86400 / step_s;
    void *ctx = zmq_ctx_new ();
    s_agent_t *agents = vg_calloc ((size_t)hosts, sizeof *agents);
    zmq_pollitem_t *items = vg_calloc ((size_t)hosts, sizeof *items);
    for (int i = 0; i < hosts; i++) {
        char id[32], name[32];
        snprintf (id, sizeof id, "dayload-%d", i);
        snprintf (name, sizeof name, "api-%03d", i);
        agents[i].host = i;
        agents[i].seq = 1;
        agents[i].batch = vg_batch_new (id, name);
        agents[i].sock = zmq_socket (ctx, ZMQ_DEALER);
        int linger = 0;
        zmq_setsockopt (agents[i].sock, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_connect (agents[i].sock, endpoint) != 0) {
            fprintf (stderr, "vigil-dayload: cannot connect to %s\n", endpoint);
            return 1;
        }
        items[i] = (zmq_pollitem_t){agents[i].sock, 0, ZMQ_POLLIN, 0};
    }
    uint64_t samples = 0, batches = 0;
    int64_t start = vg_mono_ms (), last_note = start;
    int done = 0;
    while (done < hosts) {
        done = 0;
        for (int i = 0; i < hosts; i++) {
            s_agent_t *a = &agents[i];
            for (int k = 0; k < window && a->next_tick < ticks; k++) {
                if (a->slots[k].seq)
                    continue;
                vg_batch_clear (a->batch);
                a->batch->seq = a->seq++;
                a->batch->sent_ms = vg_now_ms ();
                for (int t = 0; t < per_batch && a->next_tick < ticks; t++, a->next_tick++)
                    s_tick (a, d0 + a->next_tick * step_s * 1000LL + 500, values_per);
                a->slots[k].seq = a->batch->seq;
                a->slots[k].samples = vg_batch_count (a->batch);
                if (vg_codec_encode_batch (a->batch, &a->slots[k].payload, &a->slots[k].len)) {
                    fprintf (stderr, "vigil-dayload: cannot encode a batch\n");
                    return 1;
                }
                s_send (a, k);
                a->inflight++;
            }
            if (a->next_tick >= ticks && a->inflight == 0)
                done++;
            for (int k = 0; k < window; k++)
                if (a->slots[k].seq && vg_mono_ms () - a->slots[k].sent_ms > 60000)
                    s_send (a, k);
        }
        if (zmq_poll (items, hosts, 100) <= 0)
            continue;
        for (int i = 0; i < hosts; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            s_agent_t *a = &agents[i];
            for (;;) {
                zmq_msg_t kind, body;
                zmq_msg_init (&kind);
                zmq_msg_init (&body);
                if (zmq_msg_recv (&kind, a->sock, ZMQ_DONTWAIT) < 0) {
                    zmq_msg_close (&kind);
                    zmq_msg_close (&body);
                    break;
                }
                uint64_t seq;
                vg_ack_status_t st;
                char reason[256];
                if (zmq_msg_more (&kind) && zmq_msg_recv (&body, a->sock, 0) >= 0 &&
                    vg_codec_decode_ack (zmq_msg_data (&body), zmq_msg_size (&body), &seq, &st,
                                         reason, sizeof reason) == 0)
                    for (int k = 0; k < window; k++)
                        if (a->slots[k].seq == seq &&
                            (st == VG_ACK_STORED || st == VG_ACK_DUPLICATE)) {
                            samples += a->slots[k].samples;
                            batches++;
                            free (a->slots[k].payload);
                            memset (&a->slots[k], 0, sizeof a->slots[k]);
                            a->inflight--;
                        }
                zmq_msg_close (&kind);
                zmq_msg_close (&body);
            }
        }
        if (vg_mono_ms () - last_note > 10000) {
            last_note = vg_mono_ms ();
            fprintf (stderr, "vigil-dayload: %llu samples acknowledged after %.0f s\n",
                     (unsigned long long)samples, (double)(last_note - start) / 1000);
        }
    }
    printf ("dayload: samples %llu batches %llu seconds %.1f\n", (unsigned long long)samples,
            (unsigned long long)batches, (double)(vg_mono_ms () - start) / 1000);
    for (int i = 0; i < hosts; i++) {
        zmq_close (agents[i].sock);
        vg_batch_destroy (&agents[i].batch);
    }
    free (agents);
    free (items);
    zmq_ctx_term (ctx);
    return 0;
}
