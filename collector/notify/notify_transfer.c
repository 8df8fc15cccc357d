/*  notify_transfer.c - libcurl easy handles for each kind of receiver. */
#include "notify_transfer.h"
#include "vg_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Enough of an answer to tell Slack's "ok" from its errors. */
#define RESPONSE_KEEP 2048

static size_t
s_on_body (char *data, size_t size, size_t nmemb, void *arg)
{
    notify_transfer_t *self = arg;
    size_t n = size * nmemb;
    if (self->response.len < RESPONSE_KEEP)
        vg_buf_append (&self->response, data,
                       n < RESPONSE_KEEP - self->response.len ? n
                                                              : RESPONSE_KEEP - self->response.len);
    return n;
}

int64_t
notify_transfer_retry_after (const char *value, int64_t now_ms)
{
    while (*value == ' ')
        value++;
    char *end;
    long long s = strtoll (value, &end, 10);
    if (end != value && (*end == '\0' || *end == '\r' || *end == '\n' || *end == ' ') && s >= 0)
        return s * 1000;
    time_t t = curl_getdate (value, NULL);
    if (t < 0)
        return -1;
    int64_t ms = (int64_t)t * 1000 - now_ms;
    return ms > 0 ? ms : 0;
}

static size_t
s_on_header (char *data, size_t size, size_t nmemb, void *arg)
{
    notify_transfer_t *self = arg;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && strncasecmp (data, name, sizeof name - 1) == 0) {
        char value[128];
        size_t len = n - (sizeof name - 1);
        if (len >= sizeof value)
            len = sizeof value - 1;
        memcpy (value, data + sizeof name - 1, len);
        value[len] = '\0';
        value[strcspn (value, "\r\n")] = '\0';
        self->retry_after_ms = notify_transfer_retry_after (value, self->started_ms);
    }
    return n;
}

static size_t
s_on_read (char *buf, size_t size, size_t nmemb, void *arg)
{
    notify_transfer_t *self = arg;
    size_t left = strlen (self->item.body) - self->read_pos, n = size * nmemb;
    if (n > left)
        n = left;
    memcpy (buf, self->item.body + self->read_pos, n);
    self->read_pos += n;
    return n;
}

notify_transfer_t *
notify_transfer_new (notify_outbox_item_t *item, const notify_integration_t *it, int64_t now_ms)
{
    notify_transfer_t *self = vg_calloc (1, sizeof *self);
    self->item = *item;
    memset (item, 0, sizeof *item);
    self->it = it;
    self->retry_after_ms = -1;
    self->started_ms = now_ms;
    CURL *e = self->easy = curl_easy_init ();
    if (!e)
        abort (); /* out of memory */
    curl_easy_setopt (e, CURLOPT_PRIVATE, self);
    curl_easy_setopt (e, CURLOPT_ERRORBUFFER, self->errbuf);
    curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (e, CURLOPT_TIMEOUT_MS, (long)it->timeout_ms);
    curl_easy_setopt (e, CURLOPT_CONNECTTIMEOUT_MS,
                      (long)(it->timeout_ms < 10000 ? it->timeout_ms : 10000));
    if (it->kind == NOTIFY_KIND_EMAIL) {
        char *url = vg_asprintf ("smtp://%s/%s", it->smarthost, it->hello ? it->hello : "");
        curl_easy_setopt (e, CURLOPT_URL, url);
        free (url);
        curl_easy_setopt (e, CURLOPT_MAIL_FROM, it->from);
        for (size_t i = 0; i < it->to.n; i++)
            self->rcpt = curl_slist_append (self->rcpt, it->to.items[i]);
        curl_easy_setopt (e, CURLOPT_MAIL_RCPT, self->rcpt);
        curl_easy_setopt (e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt (e, CURLOPT_READFUNCTION, s_on_read);
        curl_easy_setopt (e, CURLOPT_READDATA, self);
        curl_easy_setopt (e, CURLOPT_USE_SSL,
                          (long)(it->require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
        if (it->ca_file)
            curl_easy_setopt (e, CURLOPT_CAINFO, it->ca_file);
        if (it->auth_username)
            curl_easy_setopt (e, CURLOPT_USERNAME, it->auth_username);
        if (it->auth_password)
            curl_easy_setopt (e, CURLOPT_PASSWORD, it->auth_password);
        return self;
    }
    char *url = it->kind == NOTIFY_KIND_ALERTMANAGER
                    ? vg_asprintf ("%s%sapi/v2/alerts", it->url,
                                   it->url[strlen (it->url) - 1] == '/' ? "" : "/")
                    : vg_strdup (it->url);
    curl_easy_setopt (e, CURLOPT_URL, url);
    free (url);
    curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (e, CURLOPT_POSTFIELDS, self->item.body);
    curl_easy_setopt (e, CURLOPT_POSTFIELDSIZE, (long)strlen (self->item.body));
    self->headers = curl_slist_append (self->headers, "Content-Type: application/json");
    self->headers = curl_slist_append (self->headers, "User-Agent: Vigil/" VIGIL_VERSION);
    self->headers = curl_slist_append (self->headers, "Expect:");
    char key[80];
    snprintf (key, sizeof key, "Idempotency-Key: %s", self->item.key);
    self->headers = curl_slist_append (self->headers, key);
    curl_easy_setopt (e, CURLOPT_HTTPHEADER, self->headers);
    curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (e, CURLOPT_WRITEDATA, self);
    curl_easy_setopt (e, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (e, CURLOPT_HEADERDATA, self);
    return self;
}

void
notify_transfer_destroy (notify_transfer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    notify_transfer_t *self = *self_p;
    if (self->easy)
        curl_easy_cleanup (self->easy);
    curl_slist_free_all (self->headers);
    curl_slist_free_all (self->rcpt);
    vg_buf_free (&self->response);
    notify_outbox_item_free (&self->item);
    free (self);
    *self_p = NULL;
}

/* The start of the answer's body, printable, for the attempt's error. */
static void
s_snippet (const notify_transfer_t *self, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < self->response.len && n + 1 < outlen && n < 200; i++) {
        unsigned char c = (unsigned char)self->response.data[i];
        out[n++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
    }
    out[n] = '\0';
}

void
notify_transfer_outcome (notify_transfer_t *self, CURLcode code, int64_t now_ms,
                         notify_attempt_t *out)
{
    memset (out, 0, sizeof *out);
    out->started_ms = self->started_ms;
    out->duration_ms = now_ms - self->started_ms;
    out->retry_after_ms = self->retry_after_ms;
    long status = 0;
    curl_easy_getinfo (self->easy, CURLINFO_RESPONSE_CODE, &status);
    out->status = (int)status;
    char body[256];
    s_snippet (self, body, sizeof body);
    if (self->it->kind == NOTIFY_KIND_EMAIL) {
        if (code == CURLE_OK) {
            out->outcome = NOTIFY_OUTCOME_DELIVERED;
            return;
        }
        /* SMTP: 4xx is a temporary refusal, 5xx a permanent one. */
        out->outcome = status >= 500 && status < 600 ? NOTIFY_OUTCOME_FAILED : NOTIFY_OUTCOME_RETRY;
        snprintf (out->error, sizeof out->error, "SMTP %s: %s", self->it->smarthost,
                  self->errbuf[0] ? self->errbuf : curl_easy_strerror (code));
        return;
    }
    if (code != CURLE_OK) {
        out->outcome = NOTIFY_OUTCOME_RETRY;
        snprintf (out->error, sizeof out->error, "%s",
                  self->errbuf[0] ? self->errbuf : curl_easy_strerror (code));
        return;
    }
    if (status >= 200 && status < 300) {
        /* Slack answers "ok"; anything else is an error it explains. */
        if (self->it->kind == NOTIFY_KIND_SLACK && self->response.len > 0 &&
            !(self->response.len >= 2 && memcmp (self->response.data, "ok", 2) == 0) &&
            !strstr (body, "\"ok\":true")) {
            out->outcome = NOTIFY_OUTCOME_FAILED;
            snprintf (out->error, sizeof out->error, "Slack answered %ld: %s", status, body);
            return;
        }
        out->outcome = NOTIFY_OUTCOME_DELIVERED;
        return;
    }
    int retry = status == 429 || status == 408 || status >= 500;
    out->outcome = retry ? NOTIFY_OUTCOME_RETRY : NOTIFY_OUTCOME_FAILED;
    snprintf (out->error, sizeof out->error, "HTTP %ld%s%s%s", status, body[0] ? ": " : "", body,
              retry ? "" : " (not retried: the receiver refused the request)");
}
