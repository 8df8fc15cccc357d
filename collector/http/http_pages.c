/*  http_pages.c - the status page and deploy events over HTTP. A request's
 *  JSON is read by PostgreSQL (->>, jsonb_typeof), as the rest of the API
 *  reads it, so no JSON parser of ours reads what a client sent. */
#include "http_pages.h"
#include "coll_pg.h"
#include "report_db.h"
#include "report_event.h"
#include "report_status.h"
#include "report_svg.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_json.h"
#include "vg_log.h"
#include "vg_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct http_pages_t {
    char *db_url;
    const report_def_t *def;
    PGconn *conn;
    vg_complain_t down;
};

http_pages_t *
http_pages_new (const char *db_url, const report_def_t *def)
{
    http_pages_t *self = vg_calloc (1, sizeof *self);
    self->db_url = vg_strdup (db_url);
    self->def = def;
    return self;
}

void
http_pages_destroy (http_pages_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    http_pages_t *self = *self_p;
    if (self->conn)
        PQfinish (self->conn);
    free (self->db_url);
    free (self);
    *self_p = NULL;
}

int
http_pages_loopback (const char *listen)
{
    const char *colon = strrchr (listen, ':');
    size_t n = colon ? (size_t)(colon - listen) : strlen (listen);
    return (n >= 4 && strncmp (listen, "127.", 4) == 0) ||
           (n == 5 && strncmp (listen, "[::1]", 5) == 0) ||
           (n == 9 && strncmp (listen, "localhost", 9) == 0);
}

static PGconn *
s_conn (http_pages_t *self)
{
    return coll_pg_keep (&self->conn, self->db_url, "vigil-http-pages", "http pages", &self->down);
}

/* ---- the status page --------------------------------------------------------- */

static void
s_html_error (http_response_t *resp, int status, const char *title, const char *reason)
{
    resp->status = status;
    resp->content_type = "text/html; charset=utf-8";
    vg_buf_reset (&resp->body);
    vg_buf_puts (&resp->body, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                              "<title>Vigil status</title></head><body><h1>");
    report_svg_escape (&resp->body, title);
    vg_buf_puts (&resp->body, "</h1><p>");
    report_svg_escape (&resp->body, reason);
    vg_buf_puts (&resp->body, "</p></body></html>\n");
}

static void
s_status (const http_request_t *req, http_response_t *resp, void *arg)
{
    http_pages_t *self = arg;
    if (*req->rest) {
        http_response_error (resp, 404, "no such page");
        return;
    }
    PGconn *conn = s_conn (self);
    if (!conn) {
        s_html_error (resp, 503, "The database does not answer",
                      "The collector cannot reach PostgreSQL; the page comes back when it can. "
                      "/health says why.");
        return;
    }
    const char *where = http_request_query (req, "where");
    char err[1024];
    if (where && *where) {
        const char *p[] = {where};
        PGresult *chk =
            report_db_exec (conn, "the selector", "SELECT count (*) FROM vigil.selector_parse ($1)",
                            1, p, err, sizeof err);
        if (!chk) {
            int lost = PQstatus (conn) != CONNECTION_OK;
            s_html_error (resp, lost ? 503 : 400,
                          lost ? "The database does not answer" : "This ?where= cannot be read",
                          err);
            return;
        }
        PQclear (chk);
    }
    vg_buf_t page = {0};
    if (report_status_render (conn, self->def, where, vg_now_ms (), &page, err, sizeof err) != 0) {
        vg_warn ("http: the status page: %s", err);
        s_html_error (resp, PQstatus (conn) == CONNECTION_OK ? 500 : 503,
                      "The status page could not be made", err);
        vg_buf_free (&page);
        return;
    }
    resp->content_type = "text/html; charset=utf-8";
    vg_buf_free (&resp->body);
    resp->body = page;
}

/* ---- deploy events ------------------------------------------------------------ */

enum {
    F_OBJECT,
    F_UNKNOWN,
    F_SERVICE,
    F_SERVICE_T,
    F_VERSION,
    F_VERSION_T,
    F_AT,
    F_AT_T,
    F_NOTE,
    F_NOTE_T,
    F_LABELS,
    F_LABELS_T,
    F_COUNT
};

/* Reads the body's fields, or says in resp what is wrong with it. */
static PGresult *
s_deploy_fields (PGconn *conn, const http_request_t *req, http_response_t *resp)
{
    const char *p[] = {req->body_len ? req->body : ""};
    char err[1024];
    int rc;
    PGresult *res = coll_pg_exec (
        conn, "reading the deploy",
        "SELECT jsonb_typeof (j) = 'object',"
        "       (SELECT string_agg (k, ', ' ORDER BY k) FROM jsonb_object_keys (j) k"
        "         WHERE jsonb_typeof (j) = 'object'"
        "           AND k NOT IN ('service', 'version', 'at', 'note', 'labels')),"
        "       j->>'service', jsonb_typeof (j->'service'), j->>'version',"
        "       jsonb_typeof (j->'version'), j->>'at', jsonb_typeof (j->'at'), j->>'note',"
        "       jsonb_typeof (j->'note'), j->'labels', jsonb_typeof (j->'labels')"
        "  FROM (SELECT $1::jsonb AS j) x",
        1, p, &rc, err, sizeof err);
    if (!res) {
        if (rc == VG_ERETRY)
            http_response_error (resp, 503, "the database is unreachable; try again later");
        else
            http_response_error (resp, 400,
                                 "the body is not JSON: send {\"service\": \"api\", \"version\": "
                                 "\"1.4.2\"} with optional \"at\", \"note\" and \"labels\"");
        return NULL;
    }
    const char *why = NULL;
    vg_buf_t msg = {0};
    if (strcmp (PQgetvalue (res, 0, F_OBJECT), "t") != 0)
        why = "the body is a JSON object: {\"service\": \"api\", \"version\": \"1.4.2\"}";
    else if (!PQgetisnull (res, 0, F_UNKNOWN)) {
        vg_buf_printf (&msg, "unknown field %s: a deploy has service, version, at, note and labels",
                       PQgetvalue (res, 0, F_UNKNOWN));
        vg_buf_append (&msg, "", 1);
        why = msg.data;
    } else if (strcmp (PQgetvalue (res, 0, F_SERVICE_T), "string") != 0 ||
               strcmp (PQgetvalue (res, 0, F_VERSION_T), "string") != 0)
        why = "service and version are required, as strings: {\"service\": \"api\", "
              "\"version\": \"1.4.2\"}";
    else if (!PQgetisnull (res, 0, F_AT_T) && strcmp (PQgetvalue (res, 0, F_AT_T), "string") != 0 &&
             strcmp (PQgetvalue (res, 0, F_AT_T), "number") != 0)
        why = "at is a time (\"2025-06-15T10:30:00+09:00\", \"-2h\") or seconds since the epoch";
    else if (!PQgetisnull (res, 0, F_NOTE_T) &&
             strcmp (PQgetvalue (res, 0, F_NOTE_T), "string") != 0)
        why = "note is a string";
    else if (!PQgetisnull (res, 0, F_LABELS_T) &&
             strcmp (PQgetvalue (res, 0, F_LABELS_T), "object") != 0)
        why = "labels is an object of strings: {\"env\": \"prod\"}";
    if (why) {
        http_response_error (resp, 400, why);
        vg_buf_free (&msg);
        PQclear (res);
        return NULL;
    }
    return res;
}

/* When the deploy happened: now, a time as text, or seconds since the epoch. */
static int
s_deploy_at (PGconn *conn, const PGresult *f, int64_t now_ms, int64_t *at_ms, char *err,
             size_t errlen)
{
    *at_ms = now_ms;
    if (PQgetisnull (f, 0, F_AT))
        return 0;
    const char *at = PQgetvalue (f, 0, F_AT);
    if (strcmp (PQgetvalue (f, 0, F_AT_T), "number") == 0) {
        char *end;
        double s = strtod (at, &end);
        if (*end || s < 0 || s > 1e11) {
            snprintf (err, errlen, "at: %s is not seconds since the epoch", at);
            return VG_EINVAL;
        }
        *at_ms = (int64_t)(s * 1000);
        return 0;
    }
    return report_db_time (conn, at, now_ms, at_ms, err, errlen);
}

static void
s_deploy (const http_request_t *req, http_response_t *resp, void *arg)
{
    http_pages_t *self = arg;
    if (*req->rest) {
        http_response_error (resp, 404, "POST deploys to /api/v1/events/deploy");
        return;
    }
    PGconn *conn = s_conn (self);
    if (!conn) {
        http_response_error (resp, 503, "the database is unreachable; try again later");
        return;
    }
    PGresult *f = s_deploy_fields (conn, req, resp);
    if (!f)
        return;
    char err[1024];
    int64_t at_ms;
    /* A time without a zone is UTC, whatever the server's TimeZone. */
    int rc = coll_pg_command (conn, "reading the deploy", "SET TimeZone = 'UTC'", 0, NULL, err,
                              sizeof err);
    if (rc == 0)
        rc = s_deploy_at (conn, f, vg_now_ms (), &at_ms, err, sizeof err);
    if (rc != 0) {
        http_response_error (resp, PQstatus (conn) == CONNECTION_OK ? 400 : 503, err);
        PQclear (f);
        return;
    }
    report_deploy_t d = {.service = PQgetvalue (f, 0, F_SERVICE),
                         .version = PQgetvalue (f, 0, F_VERSION),
                         .at_ms = at_ms,
                         .labels =
                             PQgetisnull (f, 0, F_LABELS) ? NULL : PQgetvalue (f, 0, F_LABELS),
                         .note = PQgetisnull (f, 0, F_NOTE) ? NULL : PQgetvalue (f, 0, F_NOTE),
                         .source = "api"};
    int64_t id = 0;
    rc = report_event_add_deploy (conn, &d, &id, err, sizeof err);
    if (rc == VG_EINVAL)
        http_response_error (resp, 400, err);
    else if (rc != 0)
        http_response_error (resp, PQstatus (conn) == CONNECTION_OK ? 500 : 503, err);
    else {
        char when[32];
        time_t t = (time_t)(at_ms / 1000);
        struct tm tm;
        gmtime_r (&t, &tm);
        strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        resp->status = 201;
        vg_buf_printf (&resp->body, "{\"deployID\":%" PRId64 ",\"service\":", id);
        vg_json_string (&resp->body, d.service, strlen (d.service));
        vg_buf_puts (&resp->body, ",\"version\":");
        vg_json_string (&resp->body, d.version, strlen (d.version));
        vg_buf_printf (&resp->body, ",\"at\":\"%s\"}\n", when);
        vg_info ("http: recorded deploy %" PRId64 ": %s %s at %s", id, d.service, d.version, when);
    }
    PQclear (f);
}

void
http_pages_register (http_pages_t *self, http_server_t *server, const http_server_options_t *opts)
{
    int open = http_pages_loopback (opts->listen);
    http_server_route (server, "GET", "/", !open, s_status, self);
    http_server_route (server, "POST", "/api/v1/events/deploy", 1, s_deploy, self);
    if (!open && !(opts->token && *opts->token))
        vg_warn ("http: the status page at / needs the bearer token, since %s is not a loopback "
                 "address, and http_token is not set: it is refused to everyone; set "
                 "http_token, or listen on 127.0.0.1",
                 opts->listen);
    else if (!open)
        vg_info ("http: the status page at / needs the bearer token: %s is not a loopback "
                 "address",
                 opts->listen);
}
