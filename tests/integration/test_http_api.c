/*  test_http_api.c - the collector's HTTP server on 127.0.0.1 against a real
 *  PostgreSQL: /health (200, and 503 with the reason when the database does
 *  not answer), /metrics, the JSON API, and its refusals: a missing or wrong
 *  token, a forged link and an expired link are refused and change nothing;
 *  a link's GET changes nothing either. Then the same server over TLS. */
#include "coll_migrate.h"
#include "http_api.h"
#include "http_ingest.h"
#include "http_server.h"
#include "notify_ack.h"
#include "test_assert.h"
#include "test_pg.h"
#include "test_proc.h"
#include "test_sink.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_time.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGconn *s_db;

static size_t
s_write (char *data, size_t size, size_t n, void *arg)
{
    vg_buf_append (arg, data, size * n);
    return size * n;
}

/* Makes a request; returns the status and fills body. */
static long
s_req (const char *method, const char *url, const char *token, const char *data, vg_buf_t *body,
       const char *cafile)
{
    CURL *c = curl_easy_init ();
    vg_buf_reset (body);
    struct curl_slist *h = NULL;
    char auth[256];
    if (token) {
        snprintf (auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append (h, auth);
    }
    curl_easy_setopt (c, CURLOPT_URL, url);
    curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, method);
    if (data)
        curl_easy_setopt (c, CURLOPT_POSTFIELDS, data);
    else if (strcmp (method, "POST") == 0)
        curl_easy_setopt (c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt (c, CURLOPT_TIMEOUT, 10L);
    if (cafile)
        curl_easy_setopt (c, CURLOPT_CAINFO, cafile);
    long status = 0;
    CURLcode rc = curl_easy_perform (c);
    if (rc != CURLE_OK)
        TEST_FAIL ("%s %s: %s", method, url, curl_easy_strerror (rc));
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
    vg_buf_append (body, "", 1);
    curl_slist_free_all (h);
    curl_easy_cleanup (c);
    return status;
}

static char *
s_url (int port, const char *path)
{
    return vg_asprintf ("http://127.0.0.1:%d%s", port, path);
}

static long long
s_acks (void)
{
    return test_pg_count (s_db, "SELECT count(*) FROM vigil.alert_acks");
}

int
main (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    char *db;
    s_db = test_pg_migrated ("vigil_test_http_api", &db);
    char err[1024];
    test_pg_exec (s_db, "INSERT INTO vigil.notify_alerts (alert_id, fingerprint, labels, state,"
                        " starts_at, updated_at) VALUES (5, '00000000000000ee',"
                        " '{\"alertname\": \"ApiDown\", \"severity\": \"critical\"}', 2, now(),"
                        " now())");
    test_pg_exec (s_db, "INSERT INTO vigil.notifications (receiver, kind, integration, group_key,"
                        " reason, alert_ids, body, created_at, next_attempt_at, give_up_at)"
                        " SELECT 'oncall', 'slack', 0, '{}:{}', 'first notification', '{5}', '{}',"
                        " now(), now() + interval '1 hour', now() + interval '1 day'"
                        " FROM generate_series(1, 3)");

    notify_ack_signer_t signer;
    notify_ack_signer_init (&signer, "link-secret", "http://vigil.test", 3600000);
    http_server_options_t opts = {.listen = "127.0.0.1:0", .token = "s3cret"};
    http_server_t *srv = http_server_new (&opts);
    http_ingest_t *ingest = http_ingest_new (db);
    http_ingest_register (ingest, srv);
    http_api_t *api = http_api_new (db, &signer, NULL);
    http_api_register (api, srv);
    ASSERT_EQ (http_server_start (srv, err, sizeof err), VG_OK);
    int port = http_server_port (srv);
    ASSERT_GT (port, 0);
    vg_buf_t body = {0};
    char *u;

    u = s_url (port, "/health");
    ASSERT_EQ (s_req ("GET", u, NULL, NULL, &body, NULL), 200);
    ASSERT_STR_EQ (body.data, "ok\n");
    free (u);
    u = s_url (port, "/metrics");
    ASSERT_EQ (s_req ("GET", u, NULL, NULL, &body, NULL), 200);
    ASSERT_STR_CONTAINS (body.data, "vigil_notify_outbox_depth{receiver=\"oncall\"} 3\n");
    ASSERT_STR_CONTAINS (body.data, "vigil_notify_alerts{state=\"firing\"} 1\n");
    ASSERT_STR_CONTAINS (body.data, "vigil_ingest_batches_stored_total 0\n");
    ASSERT_STR_CONTAINS (body.data, "# TYPE vigil_ingest_commit_latency_seconds histogram");
    free (u);
    u = s_url (port, "/api/v1/alerts?state=firing");
    ASSERT_EQ (s_req ("GET", u, NULL, NULL, &body, NULL), 200);
    ASSERT_STR_CONTAINS (body.data, "\"fingerprint\" : \"00000000000000ee\"");
    free (u);
    u = s_url (port, "/nowhere");
    ASSERT_EQ (s_req ("GET", u, NULL, NULL, &body, NULL), 404);
    free (u);

    /* Silences: no token, a wrong token: refused, nothing stored. */
    const char *silence = "{\"matchers\": \"service=\\\"api\\\"\", \"duration\": \"2h\","
                          " \"createdBy\": \"ann\", \"comment\": \"deploy\"}";
    u = s_url (port, "/api/v1/silences");
    ASSERT_EQ (s_req ("POST", u, NULL, silence, &body, NULL), 401);
    ASSERT_STR_CONTAINS (body.data, "bearer token");
    ASSERT_EQ (s_req ("POST", u, "wrong", silence, &body, NULL), 401);
    ASSERT_EQ (s_req ("POST", u, "s3cret!", silence, &body, NULL), 401);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.silences"), 0);
    ASSERT_EQ (s_req ("POST", u, "s3cret",
                      "{\"matchers\": \"a=~\\\"(\\\"\", \"duration\": "
                      "\"1h\"}",
                      &body, NULL),
               400);
    ASSERT_STR_CONTAINS (body.data, "bad regular expression");
    ASSERT_EQ (s_req ("POST", u, "s3cret", "not json", &body, NULL), 400);
    ASSERT_EQ (s_req ("POST", u, "s3cret", silence, &body, NULL), 201);
    ASSERT_STR_CONTAINS (body.data, "{\"silenceID\":\"");
    char id[40];
    snprintf (id, sizeof id, "%.36s", strstr (body.data, "\":\"") + 3);
    ASSERT_EQ (s_req ("GET", u, NULL, NULL, &body, NULL), 200);
    ASSERT_STR_CONTAINS (body.data, "\"createdBy\" : \"ann\"");
    free (u);
    char path[128];
    snprintf (path, sizeof path, "/api/v1/silences/%s", id);
    u = s_url (port, path);
    ASSERT_EQ (s_req ("DELETE", u, "nope", NULL, &body, NULL), 401);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.silences WHERE ends_at > now()"),
               1);
    ASSERT_EQ (s_req ("DELETE", u, "s3cret", NULL, &body, NULL), 200);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.silences WHERE ends_at > now()"),
               0);
    free (u);

    /* Acks through the API. */
    u = s_url (port, "/api/v1/ack/5");
    ASSERT_EQ (s_req ("POST", u, "wrong", "{}", &body, NULL), 401);
    ASSERT_EQ (s_acks (), 0);
    ASSERT_EQ (s_req ("POST", u, "s3cret", "{\"by\": \"bob\", \"expires\": \"2h\"}", &body, NULL),
               200);
    ASSERT_STR_CONTAINS (body.data, "\"alertID\":5");
    ASSERT_EQ (s_acks (), 1);
    free (u);
    u = s_url (port, "/api/v1/ack/6");
    ASSERT_EQ (s_req ("POST", u, "s3cret", "{}", &body, NULL), 404);
    free (u);

    /* Signed links: a GET shows a form and changes nothing; forged and
     * expired links are refused and change nothing; a good POST acks. */
    vg_buf_t link = {0};
    notify_ack_link (&signer, 5, vg_now_ms (), &link);
    vg_buf_append (&link, "", 1);
    const char *rel = strstr (link.data, "/ack/");
    u = s_url (port, rel);
    ASSERT_EQ (s_req ("GET", u, NULL, NULL, &body, NULL), 200);
    ASSERT_STR_CONTAINS (body.data, "<form method=\"post\"");
    ASSERT_EQ (s_acks (), 1);
    char *forged = vg_strdup (u);
    char *sig = strstr (forged, "sig=") + 4;
    sig[0] = sig[0] == 'a' ? 'b' : 'a';
    ASSERT_EQ (s_req ("POST", forged, NULL, NULL, &body, NULL), 403);
    ASSERT_STR_CONTAINS (body.data, "signature does not match");
    /* The same signature on another alert is refused too. */
    char *other = vg_strdup (u);
    strstr (other, "/ack/5")[5] = '6';
    ASSERT_EQ (s_req ("POST", other, NULL, NULL, &body, NULL), 403);
    vg_buf_t old = {0};
    notify_ack_link (&signer, 5, vg_now_ms () - 2 * 3600000, &old);
    vg_buf_append (&old, "", 1);
    char *expired = s_url (port, strstr (old.data, "/ack/"));
    ASSERT_EQ (s_req ("POST", expired, NULL, NULL, &body, NULL), 403);
    ASSERT_STR_CONTAINS (body.data, "expired");
    ASSERT_EQ (s_acks (), 1);
    ASSERT_EQ (s_req ("POST", u, NULL, NULL, &body, NULL), 200);
    ASSERT_STR_CONTAINS (body.data, "acknowledged");
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.alert_acks WHERE via = 'link'"
                                    " AND ended_at IS NULL"),
               1);
    free (u);
    free (forged);
    free (other);
    free (expired);
    vg_buf_free (&link);
    vg_buf_free (&old);
    http_server_destroy (&srv);
    http_api_destroy (&api);
    http_ingest_destroy (&ingest);

    /* A database that does not answer: /health says so. */
    int dead = test_free_port ();
    char *dead_url = vg_asprintf ("postgresql://postgres@127.0.0.1:%d/x", dead);
    http_server_t *down = http_server_new (&opts);
    http_ingest_t *ingest2 = http_ingest_new (dead_url);
    http_ingest_register (ingest2, down);
    ASSERT_EQ (http_server_start (down, err, sizeof err), VG_OK);
    u = s_url (http_server_port (down), "/health");
    ASSERT_EQ (s_req ("GET", u, NULL, NULL, &body, NULL), 503);
    ASSERT_STR_CONTAINS (body.data, "PostgreSQL is not answering");
    free (u);
    http_server_destroy (&down);
    http_ingest_destroy (&ingest2);
    free (dead_url);

    /* TLS with a certificate made here. */
    char *dir = test_tmpdir ("http_api");
    char *cert, *key;
    test_sink_make_cert (dir, &cert, &key);
    http_server_options_t topts = {.listen = "127.0.0.1:0", .tls_cert = cert, .tls_key = key};
    http_server_t *tls = http_server_new (&topts);
    http_ingest_t *ingest3 = http_ingest_new (db);
    http_ingest_register (ingest3, tls);
    ASSERT_EQ (http_server_start (tls, err, sizeof err), VG_OK);
    char *turl = vg_asprintf ("https://127.0.0.1:%d/health", http_server_port (tls));
    ASSERT_EQ (s_req ("GET", turl, NULL, NULL, &body, cert), 200);
    ASSERT_STR_EQ (body.data, "ok\n");
    http_server_destroy (&tls);
    http_ingest_destroy (&ingest3);
    /* A key without its certificate is refused with a reason. */
    http_server_options_t half = {.listen = "127.0.0.1:0", .tls_key = key};
    http_server_t *bad = http_server_new (&half);
    ASSERT_EQ (http_server_start (bad, err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "go together");
    http_server_destroy (&bad);

    free (turl);
    free (cert);
    free (key);
    free (dir);
    vg_buf_free (&body);
    notify_ack_signer_free (&signer);
    PQfinish (s_db);
    free (db);
    curl_global_cleanup ();
    printf ("test_http_api: ok\n");
    return 0;
}
