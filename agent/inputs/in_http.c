/*  in_http.c - the http input: one instance is one health check (a URL, a
 *  method, headers, a body), reported as up, status, latency and its phases,
 *  body match and the days left on the TLS certificate.
 *
 *  Requests run on the agent's loop through libcurl's multi interface
 *  (input_curl.h): a collect starts the check's request and returns; when it
 *  finishes - answered, failed or timed out - its figures go into the batch
 *  being filled then. A target that hangs or trickles holds up nothing else;
 *  a check whose request still runs when it is due again is not started
 *  twice (its timeout, at most the interval, ends it first).
 *
 *  Each request opens a fresh connection and resolves the name again, so the
 *  DNS, connect and TLS phases and the certificate are measured every time.
 */
#include "agent_input.h"
#include "in_http.h"
#include "input_util.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define S_MAX_REDIRECTS   10
#define S_DOWNLOAD_BUFFER 4096 /* CURLOPT_BUFFERSIZE; libcurl takes 1 KiB to 10 MiB */

/* ---- one request ------------------------------------------------------ */

static size_t
s_on_body (char *data, size_t size, size_t nmemb, void *userp)
{
    http_ctx_t *self = userp;
    size_t n = size * nmemb;
    if (!self->re)
        return n; /* counted by libcurl, not kept */
    size_t room = (size_t)self->max_body - self->bodylen;
    size_t take = n < room ? n : room;
    if (take < n)
        self->result.body_truncated = 1;
    if (take == 0)
        return n;
    if (self->bodylen + take > self->bodycap) {
        /* grows to max_body at most, once; kept for the next requests */
        size_t cap = self->bodycap ? self->bodycap : 4096;
        while (cap < self->bodylen + take)
            cap *= 2;
        if (cap > (size_t)self->max_body)
            cap = (size_t)self->max_body;
        self->bodybuf = vg_realloc (self->bodybuf, cap);
        self->bodycap = cap;
    }
    memcpy (self->bodybuf + self->bodylen, data, take);
    self->bodylen += take;
    return n;
}

/* "Expire date" as OpenSSL prints it ("Jan  2 03:04:05 2030 GMT"), or as
 * other TLS backends do ("2030-01-02 03:04:05 GMT"). */
static int
s_parse_cert_date (const char *text, time_t *t)
{
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    const char *end = strptime (text, "%b %d %H:%M:%S %Y", &tm);
    if (!end) {
        memset (&tm, 0, sizeof tm);
        end = strptime (text, "%Y-%m-%d %H:%M:%S", &tm);
    }
    if (!end)
        return VG_EINVAL;
    *t = timegm (&tm);
    return *t == (time_t)-1 ? VG_EINVAL : VG_OK;
}

/* Days until the peer certificate (the first of the chain) expires. */
static void
s_read_cert (http_ctx_t *self, int64_t now_ms)
{
    struct curl_certinfo *ci = NULL;
    if (curl_easy_getinfo (self->easy, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci ||
        ci->num_of_certs < 1)
        return;
    static const char prefix[] = "Expire date:";
    for (struct curl_slist *l = ci->certinfo[0]; l; l = l->next) {
        if (strncmp (l->data, prefix, sizeof prefix - 1) != 0)
            continue;
        time_t t;
        if (s_parse_cert_date (l->data + sizeof prefix - 1, &t) != VG_OK) {
            vg_debug ("http[%s]: cannot read the certificate's %s", self->instance, l->data);
            return;
        }
        self->result.has_cert = 1;
        self->result.cert_days = ((double)t * 1000.0 - (double)now_ms) / 86400000.0;
        return;
    }
}

static void
s_reset_result (http_ctx_t *self)
{
    memset (&self->result, 0, sizeof self->result);
    self->bodylen = 0;
    self->errbuf[0] = '\0';
}

/* The request is over (done, failed or abandoned): read what it found. */
static void
s_finish (http_ctx_t *self, CURLcode code)
{
    self->in_flight = 0;
    http_result_t *r = &self->result;
    r->code = code;
    curl_easy_getinfo (self->easy, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo (self->easy, CURLINFO_TOTAL_TIME_T, &r->total_us);
    curl_easy_getinfo (self->easy, CURLINFO_NAMELOOKUP_TIME_T, &r->dns_us);
    curl_easy_getinfo (self->easy, CURLINFO_CONNECT_TIME_T, &r->connect_us);
    curl_easy_getinfo (self->easy, CURLINFO_APPCONNECT_TIME_T, &r->appconnect_us);
    curl_easy_getinfo (self->easy, CURLINFO_STARTTRANSFER_TIME_T, &r->first_byte_us);
    curl_easy_getinfo (self->easy, CURLINFO_SIZE_DOWNLOAD_T, &r->bytes);
    if (self->certinfo && r->appconnect_us > 0) /* a TLS handshake happened */
        s_read_cert (self, vg_now_ms ());
    if (r->body_truncated)
        self->truncated_total++;
    if (code != CURLE_OK) {
        self->errors_total++;
        vg_debug ("http[%s]: %s: %s", self->instance, self->url_label,
                  self->errbuf[0] ? self->errbuf : curl_easy_strerror (code));
    }
}

/* ---- the plugin ------------------------------------------------------- */

static double
s_seconds (curl_off_t us)
{
    return us > 0 ? (double)us / 1e6 : 0.0;
}

static void
s_emit (http_ctx_t *self, agent_sink_t *sink)
{
    const http_result_t *r = &self->result;
    vg_label_t labels[3] = {
        {.key = "check", .value = self->instance},
        {.key = "url", .value = self->url_label},
        {.key = "reason", .value = "max_body"},
    };
    int answered = r->code == CURLE_OK;
    int match = 0;
    if (answered && self->re)
        match = pcre2_match (self->re, (PCRE2_SPTR)(self->bodybuf ? self->bodybuf : ""),
                             self->bodylen, 0, 0, self->md, NULL) >= 0;
    int up = answered && in_http_options_status_ok (&self->expect_status, r->status) &&
             (!self->re || match);

    agent_sink_gauge (sink, "http_up", labels, 2, up);
    agent_sink_gauge (sink, "http_status_code", labels, 2, answered ? (double)r->status : 0.0);
    agent_sink_gauge (sink, "http_response_seconds", labels, 2, s_seconds (r->total_us));
    if (answered) {
        curl_off_t connect = r->connect_us - r->dns_us;
        curl_off_t tls = r->appconnect_us > 0 ? r->appconnect_us - r->connect_us : 0;
        agent_sink_gauge (sink, "http_dns_seconds", labels, 2, s_seconds (r->dns_us));
        agent_sink_gauge (sink, "http_connect_seconds", labels, 2, s_seconds (connect));
        agent_sink_gauge (sink, "http_tls_seconds", labels, 2, s_seconds (tls));
        agent_sink_gauge (sink, "http_first_byte_seconds", labels, 2, s_seconds (r->first_byte_us));
        agent_sink_gauge (sink, "http_response_bytes", labels, 2, (double)r->bytes);
    }
    if (self->re)
        agent_sink_gauge (sink, "http_body_match", labels, 2, match);
    if (r->has_cert)
        agent_sink_gauge (sink, "http_tls_cert_expiry_days", labels, 2, r->cert_days);
    agent_sink_counter (sink, "http_errors_total", labels, 2, (double)self->errors_total);
    if (self->re)
        agent_sink_counter (sink, "http_dropped_total", labels, 3, (double)self->truncated_total);
}

/* The URL as a label: without user:password. */
static char *
s_url_label (const char *url)
{
    CURLU *u = curl_url ();
    char *clean = NULL;
    if (curl_url_set (u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_set (u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
        curl_url_set (u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK)
        curl_url_get (u, CURLUPART_URL, &clean, 0);
    char *label = vg_strdup (clean ? clean : url);
    curl_free (clean);
    curl_url_cleanup (u);
    return label;
}

static void
s_release (http_ctx_t *self)
{
    if (self->driver && self->in_flight)
        input_curl_abort (self->driver, self->easy);
    self->in_flight = 0;
    input_curl_destroy (&self->driver);
    if (self->easy)
        curl_easy_cleanup (self->easy);
    curl_slist_free_all (self->header_list);
    pcre2_match_data_free (self->md);
    pcre2_code_free (self->re);
    free (self->bodybuf);
    free (self->instance);
    free (self->url_label);
    self->easy = NULL;
    self->header_list = NULL;
    self->md = NULL;
    self->re = NULL;
    self->bodybuf = NULL;
    self->instance = self->url_label = NULL;
    self->bodylen = self->bodycap = 0;
}

/* Sets the easy handle's options once; every request reuses them. */
static int
s_setup_easy (http_ctx_t *self, char *err, size_t errlen)
{
    CURL *e = self->easy;
    CURLcode c = CURLE_OK;
#define S_SET(opt, val)                                                                            \
    do {                                                                                           \
        if (c == CURLE_OK)                                                                         \
            c = curl_easy_setopt (e, opt, val);                                                    \
    } while (0)
    S_SET (CURLOPT_URL, self->url);
    S_SET (CURLOPT_PROTOCOLS_STR, "http,https");
    S_SET (CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    S_SET (CURLOPT_PRIVATE, (char *)self);
    S_SET (CURLOPT_ERRORBUFFER, self->errbuf);
    S_SET (CURLOPT_NOSIGNAL, 1L);
    S_SET (CURLOPT_TIMEOUT_MS, (long)self->timeout_ms);
    S_SET (CURLOPT_USERAGENT, "vigil-agent/" VIGIL_VERSION);
    S_SET (CURLOPT_WRITEFUNCTION, s_on_body);
    S_SET (CURLOPT_WRITEDATA, self);
    /* libcurl keeps a download buffer per handle for the handle's life (16 KiB
     * by default); a check's answer is small, and a larger one only takes
     * more reads. */
    S_SET (CURLOPT_BUFFERSIZE, (long)S_DOWNLOAD_BUFFER);
    /* measure every phase every time: no reused connection, no cached name */
    S_SET (CURLOPT_FRESH_CONNECT, 1L);
    S_SET (CURLOPT_FORBID_REUSE, 1L);
    S_SET (CURLOPT_DNS_CACHE_TIMEOUT, 0L);
    S_SET (CURLOPT_FOLLOWLOCATION, self->follow_redirects ? 1L : 0L);
    S_SET (CURLOPT_MAXREDIRS, (long)S_MAX_REDIRECTS);
    S_SET (CURLOPT_SSL_VERIFYPEER, self->tls_verify ? 1L : 0L);
    S_SET (CURLOPT_SSL_VERIFYHOST, self->tls_verify ? 2L : 0L);
    if (self->ca_file)
        S_SET (CURLOPT_CAINFO, self->ca_file);
    /* a redirect may lead from http to https */
    self->certinfo = self->https || self->follow_redirects;
    if (self->certinfo)
        S_SET (CURLOPT_CERTINFO, 1L);
    if (strcmp (self->method, "HEAD") == 0)
        S_SET (CURLOPT_NOBODY, 1L);
    else if (strcmp (self->method, "POST") == 0)
        S_SET (CURLOPT_POST, 1L);
    else if (strcmp (self->method, "GET") != 0 || self->body)
        S_SET (CURLOPT_CUSTOMREQUEST, self->method);
    if (self->body || strcmp (self->method, "POST") == 0) {
        S_SET (CURLOPT_POSTFIELDS, self->body ? self->body : "");
        S_SET (CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(self->body ? strlen (self->body) : 0));
    }
    S_SET (CURLOPT_HTTPHEADER, self->header_list);
#undef S_SET
    if (c != CURLE_OK) {
        snprintf (err, errlen, "libcurl: %s", curl_easy_strerror (c));
        return VG_EIO;
    }
    return VG_OK;
}

static int
s_init (void *ctx, const agent_input_env_t *env, char *err, size_t errlen)
{
    http_ctx_t *self = ctx;
    int rc = VG_EINVAL;
    self->instance = vg_strdup (env && env->instance ? env->instance : "http");
    self->interval_ms = env && env->interval_ms > 0 ? env->interval_ms : 10000;
    if (!self->url || !self->method) {
        snprintf (err, errlen, "url: required");
        goto fail;
    }
    if (self->timeout_ms > self->interval_ms) {
        /* a check is not started again while its request runs */
        snprintf (err, errlen, "timeout: %lld ms is longer than the interval (%lld ms)",
                  (long long)self->timeout_ms, (long long)self->interval_ms);
        goto fail;
    }
    self->https = strncasecmp (self->url, "https:", 6) == 0;
    self->url_label = s_url_label (self->url);

    int has_expect = 0;
    for (size_t i = 0; i < self->headers.n; i++) {
        char *line =
            vg_asprintf ("%s: %s", self->headers.items[i].key, self->headers.items[i].value);
        if (strcasecmp (self->headers.items[i].key, "Expect") == 0)
            has_expect = 1;
        self->header_list = curl_slist_append (self->header_list, line);
        free (line);
    }
    /* a body over 1 KiB would otherwise wait for "100 Continue" */
    if (!has_expect)
        self->header_list = curl_slist_append (self->header_list, "Expect:");

    if (self->body_regex && input_util_regex_compile ("body_regex", self->body_regex, &self->re,
                                                      &self->md, err, errlen) != VG_OK)
        goto fail;
    rc = VG_EIO; /* from here on, only libcurl can fail */
    self->driver = input_curl_new (err, errlen);
    if (!self->driver)
        goto fail;
    self->easy = curl_easy_init ();
    if (!self->easy) {
        snprintf (err, errlen, "libcurl: cannot make an easy handle");
        goto fail;
    }
    if (s_setup_easy (self, err, errlen) != VG_OK)
        goto fail;
    return VG_OK;
fail:
    s_release (self);
    return rc;
}

/* Starts the check's request; its figures come when it finishes. */
static int
s_collect (void *ctx, agent_sink_t *sink, int64_t now_ms, char *err, size_t errlen)
{
    (void)sink, (void)now_ms;
    http_ctx_t *self = ctx;
    if (self->in_flight)
        return VG_OK; /* still running: its timeout ends it */
    s_reset_result (self);
    if (input_curl_start (self->driver, self->easy, err, errlen) != VG_OK)
        return VG_EIO;
    self->in_flight = 1;
    self->req_mono = vg_mono_ms ();
    return VG_OK;
}

typedef struct {
    http_ctx_t *self;
    agent_sink_t *sink;
} s_done_t;

static void
s_on_done (void *arg, CURL *easy, CURLcode result)
{
    s_done_t *d = arg;
    if (easy != d->self->easy)
        return;
    s_finish (d->self, result);
    s_emit (d->self, d->sink);
}

static void
s_on_ready (void *ctx, agent_sink_t *sink, int64_t now_ms)
{
    (void)now_ms;
    http_ctx_t *self = ctx;
    s_done_t d = {self, sink};
    input_curl_run (self->driver, s_on_done, &d);
}

static int
s_poll_fd (void *ctx)
{
    http_ctx_t *self = ctx;
    return self->driver ? input_curl_fd (self->driver) : -1;
}

static int
s_busy (void *ctx)
{
    return ((http_ctx_t *)ctx)->in_flight;
}

static void
s_fini (void *ctx)
{
    s_release (ctx);
}

const agent_input_plugin_t in_http_plugin = {
    .name = "http",
    .description = "HTTP(S) checks: up, status, latency and its phases, body match, TLS expiry",
    .options = in_http_options_table,
    .ctx_size = sizeof (http_ctx_t),
    .init = s_init,
    .collect = s_collect,
    .fini = s_fini,
    .poll_fd = s_poll_fd,
    .on_ready = s_on_ready,
    .busy = s_busy,
};
