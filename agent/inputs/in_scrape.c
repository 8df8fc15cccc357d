/*  in_scrape.c - the scrape input: an application's metrics endpoint in the
 *  Prometheus text format 0.0.4 or the OpenMetrics text format 1.0.
 *
 *  Every collect fetches the URL with libcurl (http, https, file) and hands
 *  the body to scrape_expo, which picks the format, checks the exposition
 *  whole and refuses an invalid one (nothing stored, scrape_up 0, the reason
 *  counted and logged; collect answers AGENT_INPUT_REJECTED for --once). The
 *  samples of a valid one come to s_on_sample, which writes them into the
 *  sink, NaN and their own timestamps kept: counters as counters,
 *  gauges and untyped values as gauges, a summary's quantiles as gauges and
 *  its _sum/_count as counters, a histogram's cumulative _bucket{le} series
 *  and its _sum/_count as counters. A histogram also becomes a distribution
 *  sketch (<family>_dist) of what it observed since the previous scrape: each
 *  bucket's new count is spread evenly over the bucket's range, which is the
 *  same assumption as Prometheus's histogram_quantile, so a P95 from the
 *  sketch agrees with one from the buckets.
 *
 *  A target that does not answer is data (scrape_up 0), not an error. Every
 *  table has a cap: the body (max_body), the samples, the labels of a sample,
 *  and the histograms remembered between scrapes. An exposition over the
 *  first three is refused (with on_invalid: keep_valid_lines, what is over is
 *  dropped and counted in scrape_dropped_total{reason}); a histogram over
 *  the last gets no sketch.
 *
 *  The fetch runs on the agent's loop through libcurl's multi interface
 *  (input_curl.h): a collect starts it, and the body is parsed when it has
 *  come, so a target that hangs or trickles holds up nothing else.
 */
#include "agent_input.h"
#include "input_curl.h"
#include "scrape_expo.h"
#include "scrape_parse.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_hash.h"
#include "vg_log.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <curl/curl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_COMPLAIN_MS 60000
#define S_MAX_BUCKETS 256  /* buckets of one histogram turned into a sketch */
#define S_MAX_SPREAD  2048 /* sketch buckets one histogram bucket is spread over */

typedef struct {
    double le;
    double count; /* cumulative, as exposed */
} scrape_bucket_t;

/* One histogram series (family + labels without le) between scrapes. */
typedef struct {
    char *key; /* family NUL key NUL value NUL ...; owned */
    size_t key_len;
    uint64_t hash;
    uint32_t nlabels;
    scrape_bucket_t *cur, *prev; /* cap each */
    size_t ncur, nprev, cap;
    double cur_sum, prev_sum;
    int has_cur_sum, has_prev_sum, has_prev;
    int overflow; /* more than S_MAX_BUCKETS buckets this scrape */
    uint64_t seen;
} scrape_hist_t;

typedef struct {
    /* options, filled by the core from agent.yaml */
    char *url;
    int format;
    int64_t timeout_ms;
    vg_labels_t headers;
    int tls_verify;
    int64_t max_body;
    int64_t max_samples;
    int64_t max_label_count;
    int64_t max_label_length;
    int64_t max_histograms;
    int histogram_sketch;
    int keep_created;
    int instance_label;
    int on_invalid;

    /* state */
    char *instance;
    input_curl_t *driver; /* the fetch runs on the agent's loop */
    int fetching;         /* started, not finished */
    CURLcode fetch_rc;    /* how the last fetch ended */
    int64_t fetch_t0;     /* monotonic ns, when it started */
    int64_t scrape_ms;    /* the collect's time: samples without their own are stamped so */
    int outcome;          /* of the last finished fetch: 0 or AGENT_INPUT_REJECTED */
    char outcome_err[512];
    CURL *curl;
    struct curl_slist *http_headers;
    char curl_err[CURL_ERROR_SIZE];
    vg_buf_t body;
    int truncated;
    scrape_expo_t *expo; /* validates, counts, says what became of each exposition */
    agent_sink_t *sink;  /* during a collect */
    vg_label_t *labels;  /* a sample's labels + instance, and sorted copies */
    size_t labels_cap;
    vg_buf_t key;
    scrape_hist_t **hists;
    size_t nhists, hists_cap;
    uint32_t *slots; /* index + 1; 0 is empty */
    size_t nslots;
    vg_sketch_t *sketch;
    uint64_t gen;
    vg_complain_t fetch_complain;
} scrape_ctx_t;

#define S_OPT(field) offsetof (scrape_ctx_t, field)

static int
s_parse_format (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
                size_t errlen)
{
    static const char *const names[] = {"auto", "prometheus", "openmetrics"};
    size_t len;
    const char *text = vg_cnode_scalar (node, &len);
    for (int i = 0; text && i < 3; i++)
        if (len == strlen (names[i]) && strncasecmp (text, names[i], len) == 0) {
            *(int *)field = i;
            return VG_OK;
        }
    return vg_config_error (cfg, node, key, err, errlen,
                            "expected auto, prometheus or openmetrics");
}

/* A mapping of header name to value; each value may be env:NAME or file:PATH. */
static int
s_parse_headers (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
                 size_t errlen)
{
    static const vg_option_t as_labels = {.name = "headers", .type = VG_OPT_LABELS};
    static const vg_option_t as_secret = {.name = "headers", .type = VG_OPT_SECRET};
    vg_labels_t *headers = field;
    int rc = vg_config_parse_value (cfg, node, &as_labels, key, headers, err, errlen);
    if (rc != VG_OK)
        return rc;
    for (size_t i = 0; i < headers->n; i++) {
        vg_label_t *h = &headers->items[i];
        char sub[256];
        snprintf (sub, sizeof sub, "%s.%s", key, h->key);
        for (const char *c = h->key; *c; c++)
            if (*c <= ' ' || *c == ':' || *c == 0x7f)
                return vg_config_error (cfg, node, sub, err, errlen, "not a valid header name");
        char *value = NULL;
        rc = vg_config_parse_value (cfg, vg_cnode_get (node, h->key), &as_secret, sub, &value, err,
                                    errlen);
        if (rc != VG_OK)
            return rc;
        if (strpbrk (value, "\r\n")) {
            free (value);
            return vg_config_error (cfg, node, sub, err, errlen, "a header value is one line");
        }
        free ((char *)h->value);
        h->value = value;
    }
    return VG_OK;
}

static void
s_free_headers (void *field)
{
    vg_labels_free (field);
}

static const vg_option_t s_options[] = {
    {.name = "url",
     .type = VG_OPT_STRING, /* not a secret: "file:" would read a file */
     .required = 1,
     .offset = S_OPT (url),
     .help = "the metrics endpoint: http://, https:// or file://"},
    {.name = "format",
     .type = VG_OPT_CUSTOM,
     .def = "auto",
     .offset = S_OPT (format),
     .help = "string; auto (from the Content-Type), prometheus (0.0.4) or openmetrics",
     .parse = s_parse_format},
    {.name = "timeout",
     .type = VG_OPT_DURATION,
     .def = "5s",
     .min = 100,
     .max = 600000,
     .offset = S_OPT (timeout_ms),
     .help = "for the whole fetch; the agent's loop waits that long at most"},
    {.name = "headers",
     .type = VG_OPT_CUSTOM,
     .def = "{}",
     .offset = S_OPT (headers),
     .help = "map of request headers; a value may be env:NAME or file:PATH",
     .parse = s_parse_headers,
     .free = s_free_headers},
    {.name = "tls_verify",
     .type = VG_OPT_BOOL,
     .def = "true",
     .offset = S_OPT (tls_verify),
     .help = "check the server's certificate and name (https)"},
    {.name = "max_body",
     .type = VG_OPT_SIZE,
     .def = "10MiB",
     .min = 1024,
     .max = 1024.0 * 1024 * 1024,
     .offset = S_OPT (max_body),
     .help = "bytes read from a response; the rest is dropped (reason=body)"},
    {.name = "max_samples",
     .type = VG_OPT_INT,
     .def = "50000",
     .min = 1,
     .max = 10000000,
     .offset = S_OPT (max_samples),
     .help = "samples kept per scrape; more are dropped (reason=samples)"},
    {.name = "max_label_count",
     .type = VG_OPT_INT,
     .def = "64",
     .min = 1,
     .max = VG_WIRE_MAX_LABELS,
     .offset = S_OPT (max_label_count),
     .help = "labels on one sample; a sample with more is dropped (reason=labels)"},
    {.name = "max_label_length",
     .type = VG_OPT_INT,
     .def = "1024",
     .min = 1,
     .max = VG_WIRE_MAX_STRLEN,
     .offset = S_OPT (max_label_length),
     .help =
         "bytes of a label or metric name or a label value; more drops the sample (reason=labels)"},
    {.name = "max_histograms",
     .type = VG_OPT_INT,
     .def = "1000",
     .min = 0,
     .max = 1000000,
     .offset = S_OPT (max_histograms),
     .help = "histogram series remembered for sketches; more get none (reason=histograms)"},
    {.name = "histogram_sketch",
     .type = VG_OPT_BOOL,
     .def = "true",
     .offset = S_OPT (histogram_sketch),
     .help = "also turn each histogram into a distribution <family>_dist per interval"},
    {.name = "keep_created",
     .type = VG_OPT_BOOL,
     .def = "false",
     .offset = S_OPT (keep_created),
     .help = "keep the _created samples (start times of counters, histograms, summaries)"},
    {.name = "instance_label",
     .type = VG_OPT_BOOL,
     .def = "true",
     .offset = S_OPT (instance_label),
     .help = "add instance=<name> to every scraped series that has no instance label"},
    {.name = "on_invalid",
     .type = VG_OPT_CUSTOM,
     .def = "reject",
     .offset = S_OPT (on_invalid),
     .help = "string; reject (store nothing from an invalid exposition, scrape_up 0) or "
             "keep_valid_lines",
     .parse = scrape_expo_parse_on_invalid},
    {.name = NULL},
};

/* ---- histograms between scrapes --------------------------------------- */

static int
s_has_key (const vg_label_t *labels, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (labels[i].key, key) == 0)
            return 1;
    return 0;
}

static void
s_hist_slot (scrape_ctx_t *self, size_t idx)
{
    size_t mask = self->nslots - 1, i = (size_t)self->hists[idx]->hash & mask;
    while (self->slots[i])
        i = (i + 1) & mask;
    self->slots[i] = (uint32_t)(idx + 1);
}

static void
s_hist_rehash (scrape_ctx_t *self, size_t nslots)
{
    free (self->slots);
    self->slots = vg_calloc (nslots, sizeof *self->slots);
    self->nslots = nslots;
    for (size_t i = 0; i < self->nhists; i++)
        s_hist_slot (self, i);
}

static void
s_hist_free (scrape_hist_t *h)
{
    free (h->key);
    free (h->cur);
    free (h->prev);
    free (h);
}

/* The histogram series of a sample (its labels but le, sorted), made if new;
 * NULL when max_histograms are already remembered. */
static scrape_hist_t *
s_hist_get (scrape_ctx_t *self, const scrape_sample_t *s)
{
    VG_GROW (self->labels, self->labels_cap, s->nlabels + 1);
    size_t n = 0;
    for (size_t i = 0; i < s->nlabels; i++) {
        if (s->role == SCRAPE_ROLE_BUCKET && strcmp (s->labels[i].key, "le") == 0)
            continue;
        size_t j = n++;
        while (j > 0 && strcmp (self->labels[j - 1].key, s->labels[i].key) > 0) {
            self->labels[j] = self->labels[j - 1];
            j--;
        }
        self->labels[j] = s->labels[i];
    }
    vg_buf_reset (&self->key);
    vg_buf_append (&self->key, s->family, strlen (s->family) + 1);
    for (size_t i = 0; i < n; i++) {
        vg_buf_append (&self->key, self->labels[i].key, strlen (self->labels[i].key) + 1);
        vg_buf_append (&self->key, self->labels[i].value, strlen (self->labels[i].value) + 1);
    }
    uint64_t hash = vg_hash_bytes (self->key.data, self->key.len);
    if (self->nslots) {
        size_t mask = self->nslots - 1;
        for (size_t i = (size_t)hash & mask; self->slots[i]; i = (i + 1) & mask) {
            scrape_hist_t *h = self->hists[self->slots[i] - 1];
            if (h->hash == hash && h->key_len == self->key.len &&
                memcmp (h->key, self->key.data, h->key_len) == 0)
                return h;
        }
    }
    if (self->nhists >= (size_t)self->max_histograms)
        return NULL;
    scrape_hist_t *h = vg_calloc (1, sizeof *h);
    h->key = vg_malloc (self->key.len);
    memcpy (h->key, self->key.data, self->key.len);
    h->key_len = self->key.len;
    h->hash = hash;
    h->nlabels = (uint32_t)n;
    VG_GROW (self->hists, self->hists_cap, self->nhists + 1);
    self->hists[self->nhists++] = h;
    if (2 * self->nhists > self->nslots)
        s_hist_rehash (self, self->nslots ? 2 * self->nslots : 64);
    else
        s_hist_slot (self, self->nhists - 1);
    return h;
}

static void
s_hist_record (scrape_ctx_t *self, const scrape_sample_t *s)
{
    scrape_hist_t *h = s_hist_get (self, s);
    if (!h) {
        if (s->role == SCRAPE_ROLE_BUCKET && isinf (s->bound))
            scrape_expo_drop (self->expo, SCRAPE_DROP_HISTOGRAMS); /* once: one +Inf each */
        return;
    }
    if (h->seen != self->gen) { /* first sample of this series in this scrape */
        h->seen = self->gen;
        h->ncur = 0;
        h->has_cur_sum = 0;
        h->overflow = 0;
    }
    if (s->role == SCRAPE_ROLE_SUM) {
        h->cur_sum = s->value;
        h->has_cur_sum = 1;
        return;
    }
    if (h->ncur >= S_MAX_BUCKETS) {
        if (!h->overflow)
            scrape_expo_drop (self->expo, SCRAPE_DROP_HISTOGRAMS);
        h->overflow = 1;
        return;
    }
    if (h->ncur == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 16;
        h->cur = vg_realloc (h->cur, h->cap * sizeof *h->cur);
        h->prev = vg_realloc (h->prev, h->cap * sizeof *h->prev);
    }
    h->cur[h->ncur++] = (scrape_bucket_t){s->bound, s->value};
}

/* Adds n observations spread evenly over (lo, hi] (lo >= 0, hi > lo finite):
 * each sketch bucket the range covers gets its share of n, rounded so the
 * shares add up to n. The part below hi/1000 goes to the lowest bucket. */
static void
s_spread (vg_sketch_t *sk, double lo, double hi, uint64_t n)
{
    static double log_gamma = 0;
    if (log_gamma == 0)
        log_gamma = log ((1 + VG_SKETCH_ALPHA) / (1 - VG_SKETCH_ALPHA));
    int32_t i0 = vg_sketch_index (lo > hi * 1e-3 ? lo : hi * 1e-3);
    int32_t i1 = vg_sketch_index (hi);
    if (i1 - i0 > S_MAX_SPREAD || i1 <= i0) {
        vg_sketch_add_n (sk, lo + (hi - lo) / 2, n);
        return;
    }
    uint64_t done = 0;
    for (int32_t i = i0; i <= i1; i++) {
        double upper = i == i1 ? hi : exp ((double)i * log_gamma);
        if (upper > hi)
            upper = hi;
        double frac = (upper - lo) / (hi - lo);
        uint64_t target = i == i1 ? n : (uint64_t)llround ((double)n * frac);
        if (target > n)
            target = n;
        if (target > done) {
            vg_sketch_add_n (sk, vg_sketch_bucket_value (i), target - done);
            done = target;
        }
    }
}

static int
s_cmp_bucket (const void *a, const void *b)
{
    double x = ((const scrape_bucket_t *)a)->le, y = ((const scrape_bucket_t *)b)->le;
    return x < y ? -1 : x > y;
}

/* The sketch of what h observed since the previous scrape; 0 if it has one. */
static int
s_hist_sketch (scrape_ctx_t *self, scrape_hist_t *h)
{
    if (!h->has_prev || h->overflow || h->ncur == 0 || h->ncur != h->nprev)
        return -1;
    int reset = 0;
    for (size_t i = 0; i < h->ncur; i++) {
        if (h->cur[i].le != h->prev[i].le || !(h->cur[i].count >= 0))
            return -1; /* the buckets changed: start again from this scrape */
        if (i > 0 && h->cur[i].count < h->cur[i - 1].count)
            return -1; /* not cumulative */
        if (h->cur[i].count < h->prev[i].count)
            reset = 1; /* the application restarted: all it has is new */
    }
    vg_sketch_reset (self->sketch);
    double below = 0, lo = 0;
    for (size_t i = 0; i < h->ncur; i++) {
        double cum = h->cur[i].count - (reset ? 0 : h->prev[i].count);
        double d = cum - below;
        below = cum;
        double le = h->cur[i].le;
        if (d >= 0.5) {
            uint64_t n = (uint64_t)llround (d);
            if (isinf (le)) /* as histogram_quantile does: the highest finite bound */
                vg_sketch_add_n (self->sketch, i > 0 ? h->cur[i - 1].le : 0, n);
            else if (i == 0 && le <= 0)
                vg_sketch_add_n (self->sketch, le, n);
            else if (lo < 0 || le <= 0)
                vg_sketch_add_n (self->sketch, lo / 2 + le / 2, n);
            else
                s_spread (self->sketch, lo, le, n);
        }
        lo = le;
    }
    double sum = h->cur_sum - (reset ? 0 : h->prev_sum);
    if (h->has_cur_sum && (reset || h->has_prev_sum) && isfinite (sum))
        self->sketch->sum = sum;
    /* nothing new, or bounds near DBL_MAX times many observations */
    if (self->sketch->count == 0 || !isfinite (self->sketch->sum))
        return -1;
    return 0;
}

/* Emits the sketches of the histograms this scrape saw, keeps their buckets
 * for the next one and forgets the histograms it did not see. */
static void
s_hists_finish (scrape_ctx_t *self)
{
    size_t kept = 0;
    for (size_t i = 0; i < self->nhists; i++) {
        scrape_hist_t *h = self->hists[i];
        if (h->seen != self->gen) {
            s_hist_free (h);
            continue;
        }
        self->hists[kept++] = h;
        if (h->ncur > 1) /* a histogram seen only by its _sum has no buckets at all */
            qsort (h->cur, h->ncur, sizeof *h->cur, s_cmp_bucket);
        if (s_hist_sketch (self, h) == 0) {
            VG_GROW (self->labels, self->labels_cap, (size_t)h->nlabels + 1);
            const char *p = h->key + strlen (h->key) + 1;
            size_t n = 0;
            for (uint32_t k = 0; k < h->nlabels; k++) {
                self->labels[n].key = p;
                p += strlen (p) + 1;
                self->labels[n++].value = p;
                p += strlen (p) + 1;
            }
            if (self->instance_label && !s_has_key (self->labels, n, "instance"))
                self->labels[n++] = (vg_label_t){.key = "instance", .value = self->instance};
            vg_buf_reset (&self->key);
            vg_buf_printf (&self->key, "%s_dist", h->key);
            agent_sink_dist (self->sink, self->key.data, self->labels, n, self->sketch);
        }
        scrape_bucket_t *t = h->prev;
        h->prev = h->cur;
        h->cur = t;
        h->nprev = h->ncur;
        h->prev_sum = h->cur_sum;
        h->has_prev_sum = h->has_cur_sum;
        h->has_prev = !h->overflow;
    }
    if (kept != self->nhists) {
        self->nhists = kept;
        s_hist_rehash (self, self->nslots);
    }
}

/* ---- samples into the sink -------------------------------------------- */

static void
s_on_sample (void *arg, const scrape_sample_t *s)
{
    scrape_ctx_t *self = arg;
    int counter = 0;
    switch (s->role) {
    case SCRAPE_ROLE_CREATED:
        if (!self->keep_created)
            return;
        break;
    case SCRAPE_ROLE_VALUE:
        counter = s->type == SCRAPE_TYPE_COUNTER;
        break;
    case SCRAPE_ROLE_BUCKET:
    case SCRAPE_ROLE_SUM:
    case SCRAPE_ROLE_COUNT:
        /* a gauge histogram's buckets and gsum/gcount are current values */
        counter = s->type != SCRAPE_TYPE_GAUGEHISTOGRAM;
        if (s->type == SCRAPE_TYPE_HISTOGRAM && s->role != SCRAPE_ROLE_COUNT &&
            self->histogram_sketch)
            s_hist_record (self, s);
        break;
    case SCRAPE_ROLE_QUANTILE:
        break;
    }
    const vg_label_t *labels = s->labels;
    size_t n = s->nlabels;
    int add_instance = self->instance_label && !s_has_key (s->labels, s->nlabels, "instance");
    if (n + (size_t)add_instance > VG_WIRE_MAX_LABELS) {
        scrape_expo_drop (self->expo, SCRAPE_DROP_LABELS);
        return;
    }
    if (add_instance) {
        VG_GROW (self->labels, self->labels_cap, n + 1);
        memcpy (self->labels, s->labels, n * sizeof *labels);
        self->labels[n++] = (vg_label_t){.key = "instance", .value = self->instance};
        labels = self->labels;
    }
    /* NaN and infinities are values too; a timestamp is kept where the store can hold it */
    agent_sink_value (self->sink, s->name, counter ? VG_KIND_COUNTER : VG_KIND_GAUGE, labels, n,
                      s->value, scrape_expo_time (self->expo, s));
}

/* ---- fetching --------------------------------------------------------- */

/* Keeps at most max_body bytes; past that, stops the transfer. */
static size_t
s_write (char *data, size_t size, size_t nmemb, void *arg)
{
    scrape_ctx_t *self = arg;
    size_t n = size * nmemb, room = (size_t)self->max_body - self->body.len;
    if (n > room) {
        vg_buf_append (&self->body, data, room);
        self->truncated = 1;
        return 0; /* anything but n ends the transfer with CURLE_WRITE_ERROR */
    }
    vg_buf_append (&self->body, data, n);
    return n;
}

/* Fetches the URL into self->body. Returns 1 when the target answered, 0
 * when it is down, with why. */
static int
s_fetch (scrape_ctx_t *self, const char **content_type, char *why, size_t whylen)
{
    *content_type = NULL;
    CURLcode rc = self->fetch_rc;
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && self->truncated)) {
        snprintf (why, whylen, "%s", *self->curl_err ? self->curl_err : curl_easy_strerror (rc));
        return 0;
    }
    long status = 0;
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &status);
    char *scheme = NULL;
    curl_easy_getinfo (self->curl, CURLINFO_SCHEME, &scheme);
    if (scheme && strncasecmp (scheme, "http", 4) == 0 && (status < 200 || status > 299)) {
        snprintf (why, whylen, "HTTP status %ld", status);
        return 0;
    }
    char *ct = NULL;
    curl_easy_getinfo (self->curl, CURLINFO_CONTENT_TYPE, &ct);
    *content_type = ct;
    return 1;
}

static int
s_collect (void *ctx, agent_sink_t *sink, int64_t now_ms, char *err, size_t errlen)
{
    scrape_ctx_t *self = ctx;
    self->sink = sink;
    self->gen++;
    int64_t t0 = self->fetch_t0;
    const char *ctype;
    char why[CURL_ERROR_SIZE + 64];
    scrape_verdict_t v = {0};
    if (!s_fetch (self, &ctype, why, sizeof why)) {
        double seconds = (double)(vg_mono_ns () - t0) / 1e9;
        vg_complain (&self->fetch_complain, S_COMPLAIN_MS, VG_LOG_WARN, "scrape[%s]: down: %s",
                     self->instance, why);
        vg_buf_reset (&self->body);
        scrape_expo_emit (self->expo, sink, &v, seconds, 0);
        self->sink = NULL;
        return VG_OK;
    }
    vg_complain_clear (&self->fetch_complain, "scrape[%s]: up again", self->instance);

    int stored = scrape_expo_read (self->expo, self->body.data, self->body.len, ctype,
                                   strncasecmp (self->url, "file:", 5) == 0, self->truncated,
                                   now_ms, s_on_sample, self, &v);
    if (stored && self->histogram_sketch) /* a refused scrape leaves the histograms as they were */
        s_hists_finish (self);
    scrape_expo_emit (self->expo, sink, &v, (double)(vg_mono_ns () - t0) / 1e9, self->body.len);
    self->sink = NULL;
    if (!stored) { /* data all the same (scrape_up 0); --once reports it */
        snprintf (err, errlen, "%s", v.message);
        return AGENT_INPUT_REJECTED;
    }
    return VG_OK;
}

/* ---- the fetch on the loop ------------------------------------------- */

/* Starts the fetch; the body is parsed when it has come (s_on_ready). */
static int
s_start (void *ctx, agent_sink_t *sink, int64_t now_ms, char *err, size_t errlen)
{
    (void)sink;
    scrape_ctx_t *self = ctx;
    if (self->fetching)
        return VG_OK; /* still running: its timeout ends it */
    self->scrape_ms = now_ms;
    vg_buf_reset (&self->body);
    self->truncated = 0;
    self->curl_err[0] = '\0';
    self->fetch_t0 = vg_mono_ns ();
    if (input_curl_start (self->driver, self->curl, err, errlen) != VG_OK)
        return VG_EIO;
    self->fetching = 1;
    return VG_OK;
}

typedef struct {
    scrape_ctx_t *self;
    agent_sink_t *sink;
} s_done_t;

static void
s_on_done (void *arg, CURL *easy, CURLcode result)
{
    s_done_t *d = arg;
    if (easy != d->self->curl)
        return;
    d->self->fetching = 0;
    d->self->fetch_rc = result;
    scrape_ctx_t *self = d->self;
    char err[sizeof self->outcome_err] = "";
    int rc = s_collect (self, d->sink, self->scrape_ms, err, sizeof err);
    if (rc != VG_OK) {
        self->outcome = rc;
        snprintf (self->outcome_err, sizeof self->outcome_err, "%s", err);
    }
}

static void
s_on_ready (void *ctx, agent_sink_t *sink, int64_t now_ms)
{
    (void)now_ms;
    scrape_ctx_t *self = ctx;
    s_done_t d = {self, sink};
    input_curl_run (self->driver, s_on_done, &d);
}

static int
s_poll_fd (void *ctx)
{
    scrape_ctx_t *self = ctx;
    return self->driver ? input_curl_fd (self->driver) : -1;
}

static int
s_outcome (void *ctx, char *err, size_t errlen)
{
    scrape_ctx_t *self = ctx;
    int rc = self->outcome;
    if (rc != VG_OK)
        snprintf (err, errlen, "%s", self->outcome_err);
    self->outcome = VG_OK;
    self->outcome_err[0] = '\0';
    return rc;
}

static int
s_busy (void *ctx)
{
    return ((scrape_ctx_t *)ctx)->fetching;
}

/* ---- the plugin ------------------------------------------------------- */

static int
s_check_url (const char *url, char *err, size_t errlen)
{
    CURLU *u = curl_url ();
    char *scheme = NULL;
    CURLUcode uc = curl_url_set (u, CURLUPART_URL, url, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get (u, CURLUPART_SCHEME, &scheme, 0);
    int rc = VG_OK;
    if (uc != CURLUE_OK) {
        snprintf (err, errlen, "url: %s", curl_url_strerror (uc));
        rc = VG_EINVAL;
    } else if (strcasecmp (scheme, "http") != 0 && strcasecmp (scheme, "https") != 0 &&
               strcasecmp (scheme, "file") != 0) {
        snprintf (err, errlen, "url: the scheme must be http, https or file, not %.32s", scheme);
        rc = VG_EINVAL;
    }
    curl_free (scheme);
    curl_url_cleanup (u);
    return rc;
}

static int
s_init (void *ctx, const agent_input_env_t *env, char *err, size_t errlen)
{
    scrape_ctx_t *self = ctx;
    int rc = s_check_url (self->url ? self->url : "", err, errlen);
    if (rc != VG_OK)
        return rc;
    self->driver = input_curl_new (err, errlen);
    if (!self->driver)
        return VG_EIO;
    self->curl = curl_easy_init ();
    if (!self->curl) {
        input_curl_destroy (&self->driver);
        snprintf (err, errlen, "libcurl could not start");
        return VG_EIO;
    }
    self->instance = vg_strdup (env && env->instance ? env->instance : "scrape");
    scrape_expo_settings_t settings = {
        .format = self->format,
        .on_invalid = self->on_invalid,
        .max_samples = (size_t)self->max_samples,
        .max_label_count = (size_t)self->max_label_count,
        .max_label_length = (size_t)self->max_label_length,
        .max_body = self->max_body,
    };
    self->expo = scrape_expo_new (self->instance, &settings);
    self->sketch = vg_sketch_new ();

    static const char *const accept[] = {
        ("Accept: application/openmetrics-text;version=1.0.0;q=0.9,"
         "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
        "Accept: text/plain;version=0.0.4;q=0.9,*/*;q=0.1",
        "Accept: application/openmetrics-text;version=1.0.0;q=0.9,*/*;q=0.1",
    };
    self->http_headers = curl_slist_append (NULL, accept[self->format]);
    for (size_t i = 0; i < self->headers.n; i++) {
        char *line =
            vg_asprintf ("%s: %s", self->headers.items[i].key, self->headers.items[i].value);
        self->http_headers = curl_slist_append (self->http_headers, line);
        free (line);
    }
    CURL *c = self->curl;
    curl_easy_setopt (c, CURLOPT_URL, self->url);
    curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt (c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt (c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, (long)self->timeout_ms);
    curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT_MS, (long)self->timeout_ms);
    curl_easy_setopt (c, CURLOPT_ACCEPT_ENCODING, ""); /* max_body counts decoded bytes */
    curl_easy_setopt (c, CURLOPT_USERAGENT, "vigil-agent/" VIGIL_VERSION);
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, self->http_headers);
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, self);
    curl_easy_setopt (c, CURLOPT_ERRORBUFFER, self->curl_err);
    curl_easy_setopt (c, CURLOPT_SSL_VERIFYPEER, self->tls_verify ? 1L : 0L);
    curl_easy_setopt (c, CURLOPT_SSL_VERIFYHOST, self->tls_verify ? 2L : 0L);
    return VG_OK;
}

static void
s_fini (void *ctx)
{
    scrape_ctx_t *self = ctx;
    if (self->fetching)
        input_curl_abort (self->driver, self->curl);
    self->fetching = 0;
    if (self->curl)
        curl_easy_cleanup (self->curl);
    input_curl_destroy (&self->driver);
    curl_slist_free_all (self->http_headers);
    for (size_t i = 0; i < self->nhists; i++)
        s_hist_free (self->hists[i]);
    free (self->hists);
    free (self->slots);
    free (self->labels);
    free (self->instance);
    vg_buf_free (&self->body);
    vg_buf_free (&self->key);
    scrape_expo_destroy (&self->expo);
    vg_sketch_destroy (&self->sketch);
    self->curl = NULL;
    self->http_headers = NULL;
    self->hists = NULL;
    self->slots = NULL;
    self->labels = NULL;
    self->instance = NULL;
    self->nhists = self->hists_cap = self->nslots = self->labels_cap = 0;
}

const agent_input_plugin_t in_scrape_plugin = {
    .name = "scrape",
    .description = "an application's Prometheus or OpenMetrics endpoint (http, https, file)",
    .options = s_options,
    .ctx_size = sizeof (scrape_ctx_t),
    .init = s_init,
    .collect = s_start,
    .fini = s_fini,
    .poll_fd = s_poll_fd,
    .on_ready = s_on_ready,
    .busy = s_busy,
    .outcome = s_outcome,
};
