/*  vigil-fixture-day - a known day of a FastAPI-style LLM service, sent to a
 *  collector as two agents would send it, for the tests of the SQL
 *  interface, reports, verdicts and the status page.
 *
 *  The series are those deploy/examples/fastapi-agent.yaml produces:
 *  api_requests_total{endpoint,status_code}, api_request_duration_seconds
 *  {endpoint}, api_chat_duration_seconds{persona}, api_error_lines_total
 *  {error_type}, process_rss_bytes, process_cpu_percent, llm_tokens{model,
 *  kind}, llm_cost_usd{model}, app_concurrent_users and the system vitals,
 *  every one with service="chat-api". Day D (local, UTC offset given) runs
 *  from an hour before its midnight to its end, one sample per minute, on
 *  hosts api-1 and api-2; api-2's counters start again from 0 at 14:00 (a
 *  restart). Traffic follows the hour of the day. The 27 days before D carry
 *  only /chat latency on api-1, every 10 minutes, so that the P95 of the four
 *  weeks ending with D is 1.80, 1.85, 1.90 and 1.95 s. Everything comes from
 *  fixed sequences: the same arguments give the same data.
 *
 *  Tests compute the figures they expect from the raw samples stored; this
 *  program only prints what it sent:
 *      fixture: day D, batches B, samples S, distributions N
 */
#include "test_agent_peer.h"
#include "vg_batch.h"
#include "vg_time.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL

static const char *s_endpoints[] = {"/chat", "/health", "/history"};
static const char *s_statuses[] = {"200", "429", "500", "502"};
static const char *s_personas[] = {"tutor", "critic"};
static const char *s_error_types[] = {"RateLimitError", "TimeoutError", "ValidationError"};
static const char *s_models[] = {"claude-3-5-haiku", "claude-3-5-sonnet"};
static const char *s_kinds[] = {"prompt", "completion", "cache_read"};
static const vg_label_t s_service = {"service", "chat-api"};

static uint64_t s_rng = 88172645463325252ULL;

static double
s_uniform (void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (double)(s_rng >> 11) / 9007199254740992.0;
}

/* Requests per minute to an endpoint in local hour h: busy days, quiet
 * nights. */
static int
s_traffic (int endpoint, int hour)
{
    static const int base[] = {30, 6, 10};
    double shape = 0.25 + 0.75 * sin (M_PI * (hour >= 7 && hour <= 23 ? hour - 7 : 0) / 16.0);
    return (int)(base[endpoint] * shape) + 1;
}

/* A request's latency: 93.5 % between 0.2 and 1.9 s, 6 % at 1.95 s, 0.5 %
 * at 3.5 s; so P95 and P99 are 1.95 s. */
static double
s_latency (void)
{
    double u = s_uniform ();
    if (u < 0.005)
        return 3.5;
    if (u < 0.065)
        return 1.95;
    return 0.2 + 1.7 * s_uniform ();
}

typedef struct {
    test_agent_peer_t *peer;
    vg_batch_t *batch;
    uint64_t seq;
    /* running totals */
    double requests[3][4];
    double errors[3];
    double tokens[2][3];
    double cost[2];
} s_host_t;

static size_t s_batches, s_samples, s_dists;

static uint32_t
s_series (vg_batch_t *b, const char *name, vg_kind_t kind, const char *k1, const char *v1,
          const char *k2, const char *v2)
{
    vg_label_t l[3] = {s_service};
    size_t n = 1;
    if (k1)
        l[n++] = (vg_label_t){k1, v1};
    if (k2)
        l[n++] = (vg_label_t){k2, v2};
    return vg_batch_series (b, name, kind, l, n);
}

static void
s_flush (s_host_t *h)
{
    if (h->batch->nsamples + h->batch->ndists + h->batch->nevents == 0)
        return;
    h->batch->seq = h->seq++;
    h->batch->sent_ms = vg_now_ms ();
    test_agent_peer_send_batch (h->peer, h->batch);
    test_agent_peer_expect_ack (h->peer, h->batch->seq, VG_ACK_STORED);
    s_batches++;
    s_samples += h->batch->nsamples;
    s_dists += h->batch->ndists;
    vg_batch_clear (h->batch);
}

/* One minute of a host of day D: t is the minute's last millisecond. */
static void
s_minute (s_host_t *h, int host, int64_t t, int local_hour, int minute_of_day)
{
    vg_batch_t *b = h->batch;
    vg_sketch_t *persona[2] = {vg_sketch_new (), vg_sketch_new ()};
    for (int e = 0; e < 3; e++) {
        int n = s_traffic (e, local_hour) + host;
        vg_sketch_t *sk = vg_sketch_new ();
        for (int i = 0; i < n; i++) {
            double lat = e == 1 ? 0.01 + 0.02 * s_uniform () : s_latency ();
            vg_sketch_add (sk, lat);
            double u = s_uniform ();
            int status = u < 0.02 ? 2 : u < 0.03 ? 3 : u < 0.05 ? 1 : 0;
            h->requests[e][status] += 1;
            if (e == 0) {
                vg_sketch_add (persona[i % 2], lat);
                int m = i % 3 == 0 ? 1 : 0;
                h->tokens[m][0] += 1000 + (int)(1000 * s_uniform ());
                h->tokens[m][1] += 200 + (int)(400 * s_uniform ());
                h->tokens[m][2] += 800;
                h->cost[m] += m ? 0.012 : 0.002;
            }
            if (status >= 2)
                h->errors[s_uniform () < 0.7 ? 0 : 1] += 1;
            if (status == 1)
                h->errors[2] += 0; /* 429s log no ERROR line */
        }
        vg_batch_take_dist (b, s_series (b, "api_request_duration_seconds", VG_KIND_DISTRIBUTION,
                                         "endpoint", s_endpoints[e], NULL, NULL),
                            t, &sk);
        for (int s = 0; s < 4; s++)
            vg_batch_add_value (b, s_series (b, "api_requests_total", VG_KIND_COUNTER, "endpoint",
                                             s_endpoints[e], "status_code", s_statuses[s]),
                                t, h->requests[e][s]);
    }
    if (minute_of_day % 97 == 13)
        h->errors[2] += 1;
    for (int p = 0; p < 2; p++)
        vg_batch_take_dist (b, s_series (b, "api_chat_duration_seconds", VG_KIND_DISTRIBUTION,
                                         "persona", s_personas[p], NULL, NULL),
                            t, &persona[p]);
    for (int k = 0; k < 3; k++)
        vg_batch_add_value (b, s_series (b, "api_error_lines_total", VG_KIND_COUNTER, "error_type",
                                         s_error_types[k], NULL, NULL),
                            t, h->errors[k]);
    for (int m = 0; m < 2; m++) {
        for (int k = 0; k < 3; k++)
            vg_batch_add_value (b, s_series (b, "llm_tokens", VG_KIND_COUNTER, "model",
                                             s_models[m], "kind", s_kinds[k]),
                                t, h->tokens[m][k]);
        vg_batch_add_value (
            b, s_series (b, "llm_cost_usd", VG_KIND_COUNTER, "model", s_models[m], NULL, NULL), t,
            h->cost[m]);
    }
    /* Memory climbs through the day to a peak of 850 MB on api-1 at 20:00. */
    double rss = 300e6 + 20e6 * local_hour + 1e6 * host + 10000.0 * (minute_of_day % 60);
    if (host == 0 && minute_of_day == 20 * 60)
        rss = 850e6;
    vg_batch_add_value (b, s_series (b, "process_rss_bytes", VG_KIND_GAUGE, NULL, NULL, NULL, NULL),
                        t, rss);
    vg_batch_add_value (b, s_series (b, "process_cpu_percent", VG_KIND_GAUGE, NULL, NULL, NULL, NULL),
                        t, 10 + 2.5 * local_hour + 10 * s_uniform ());
    vg_batch_add_value (b, s_series (b, "app_concurrent_users", VG_KIND_GAUGE, NULL, NULL, NULL,
                                     NULL),
                        t, (double)(s_traffic (0, local_hour) / 2 + host));
    vg_batch_add_value (b, s_series (b, "system_cpu_percent", VG_KIND_GAUGE, NULL, NULL, NULL, NULL),
                        t, 20 + local_hour + 5 * s_uniform ());
    vg_batch_add_value (b, s_series (b, "system_memory_used_percent", VG_KIND_GAUGE, NULL, NULL,
                                     NULL, NULL),
                        t, 40 + local_hour);
    vg_batch_add_value (b, s_series (b, "system_load1", VG_KIND_GAUGE, NULL, NULL, NULL, NULL), t,
                        0.5 + 0.05 * local_hour);
    vg_batch_add_value (b, s_series (b, "system_disk_used_percent", VG_KIND_GAUGE, "mount", "/",
                                     NULL, NULL),
                        t, 61.5);
}

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: vigil-fixture-day --endpoint tcp://HOST:PORT --day YYYY-MM-DD "
                  "[--utc-offset-hours H]\n");
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"day", required_argument, NULL, 'd'},
        {"utc-offset-hours", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *endpoint = NULL, *day = NULL;
    int offset = 0, c;
    while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'e')
            endpoint = optarg;
        else if (c == 'd')
            day = optarg;
        else if (c == 'o')
            offset = atoi (optarg);
        else {
            s_usage (c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    struct tm tm = {0};
    if (!endpoint || !day || !strptime (day, "%Y-%m-%d", &tm)) {
        s_usage (stderr);
        return 2;
    }
    int64_t d0 = (int64_t)timegm (&tm) * 1000 - offset * HOUR_MS; /* local midnight of D */

    s_host_t hosts[2] = {0};
    for (int i = 0; i < 2; i++) {
        char agent[32], name[32];
        snprintf (agent, sizeof agent, "fixture-agent-%d", i + 1);
        snprintf (name, sizeof name, "api-%d", i + 1);
        hosts[i].peer = test_agent_peer_new (endpoint);
        hosts[i].batch = vg_batch_new (agent, name);
        hosts[i].seq = 1;
    }

    /* The 27 days before D: /chat latency on api-1 every 10 minutes; 94 %
     * at 0.4 s, 6 % at the week's P95. */
    for (int64_t t = d0 - 27 * DAY_MS; t < d0; t += 10 * MIN_MS) {
        int week = (int)((t - (d0 + DAY_MS - 28 * DAY_MS)) / (7 * DAY_MS));
        double p95 = 1.80 + 0.05 * week;
        vg_sketch_t *sk = vg_sketch_new ();
        vg_sketch_add_n (sk, 0.4, 94);
        vg_sketch_add_n (sk, p95, 6);
        vg_batch_t *b = hosts[0].batch;
        vg_batch_take_dist (b, s_series (b, "api_request_duration_seconds", VG_KIND_DISTRIBUTION,
                                         "endpoint", "/chat", NULL, NULL),
                            t + 1000, &sk);
        if (b->ndists >= 144)
            s_flush (&hosts[0]);
    }
    s_flush (&hosts[0]);

    /* D, from an hour before its midnight. */
    for (int64_t m = -60; m < 24 * 60; m++) {
        int64_t t = d0 + m * MIN_MS + MIN_MS - 1000;
        int local_hour = m < 0 ? 23 : (int)(m / 60);
        for (int i = 0; i < 2; i++) {
            if (i == 1 && m == 14 * 60)
                memset (hosts[1].requests, 0, sizeof hosts[1].requests),
                    memset (hosts[1].errors, 0, sizeof hosts[1].errors),
                    memset (hosts[1].tokens, 0, sizeof hosts[1].tokens),
                    memset (hosts[1].cost, 0, sizeof hosts[1].cost);
            s_minute (&hosts[i], i, t, local_hour, (int)(m < 0 ? m + 24 * 60 : m));
            if ((m + 60) % 10 == 9)
                s_flush (&hosts[i]);
        }
    }
    for (int i = 0; i < 2; i++) {
        s_flush (&hosts[i]);
        vg_batch_destroy (&hosts[i].batch);
        test_agent_peer_destroy (&hosts[i].peer);
    }
    printf ("fixture: day %s, batches %zu, samples %zu, distributions %zu\n", day, s_batches,
            s_samples, s_dists);
    return 0;
}
