/*  http_api.c - alerts, silences and acks over HTTP; JSON built and parsed
 *  by PostgreSQL itself (json_agg, ->>), so no JSON code of ours reads what
 *  a client sent. */
#include "http_api.h"
#include "coll_pg.h"
#include "notify_silence.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http_api_t {
    char *db_url;
    PGconn *conn;
    const notify_ack_signer_t *signer;
    notify_sender_t *sender;
    vg_complain_t down;
};

http_api_t *
http_api_new (const char *db_url, const notify_ack_signer_t *signer, notify_sender_t *sender)
{
    http_api_t *self = vg_calloc (1, sizeof *self);
    self->db_url = vg_strdup (db_url);
    self->signer = signer;
    self->sender = sender;
    return self;
}

void
http_api_destroy (http_api_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    http_api_t *self = *self_p;
    if (self->conn)
        PQfinish (self->conn);
    free (self->db_url);
    free (self);
    *self_p = NULL;
}

static PGconn *
s_conn (http_api_t *self, http_response_t *resp)
{
    PGconn *conn = coll_pg_keep (&self->conn, self->db_url, "vigil-http", "http", &self->down);
    if (!conn && resp)
        http_response_error (resp, 503, "the database is unreachable; try again later");
    return conn;
}

/* Runs a query whose single cell is the JSON answer. */
static void
s_json_query (http_api_t *self, http_response_t *resp, const char *what, const char *sql, int n,
              const char *const *params)
{
    PGconn *conn = s_conn (self, resp);
    if (!conn)
        return;
    char err[1024];
    int rc;
    PGresult *res = coll_pg_exec (conn, what, sql, n, params, &rc, err, sizeof err);
    if (!res) {
        http_response_error (resp, rc == VG_ERETRY ? 503 : 400, err);
        return;
    }
    if (PQntuples (res) == 0 || PQgetisnull (res, 0, 0))
        http_response_error (resp, 404, "no such thing");
    else {
        vg_buf_puts (&resp->body, PQgetvalue (res, 0, 0));
        vg_buf_puts (&resp->body, "\n");
    }
    PQclear (res);
}

static const char *s_alert_json =
    "json_build_object ('id', a.alert_id, 'fingerprint', a.fingerprint,"
    "  'status', CASE a.state WHEN 2 THEN 'firing' WHEN 3 THEN 'resolved' ELSE 'pending' END,"
    "  'labels', a.labels, 'annotations', a.annotations, 'startsAt', a.starts_at,"
    "  'endsAt', a.ends_at, 'value', a.value,"
    "  'ack', (SELECT json_build_object ('by', k.acked_by, 'at', k.acked_at, 'expires',"
    "            k.expires_at, 'comment', k.comment, 'via', k.via)"
    "          FROM vigil.alert_acks k WHERE k.alert_id = a.alert_id AND k.ended_at IS NULL"
    "          ORDER BY k.ack_id DESC LIMIT 1),"
    "  'escalations', (SELECT json_agg (json_build_object ('policy', e.policy, 'level', e.level,"
    "            'state', e.state, 'nextAt', e.next_at)) FROM vigil.escalations e"
    "          WHERE e.alert_id = a.alert_id))";

static void
s_alerts (const http_request_t *req, http_response_t *resp, void *arg)
{
    http_api_t *self = arg;
    if (*req->rest) {
        char *end;
        strtoll (req->rest, &end, 10);
        if (*end || end == req->rest) {
            http_response_error (resp, 404, "an alert is /api/v1/alerts/ID, ID a number");
            return;
        }
        vg_buf_t sql = {0};
        vg_buf_printf (&sql, "SELECT %s FROM vigil.notify_alerts a WHERE a.alert_id = $1::bigint",
                       s_alert_json);
        const char *params[] = {req->rest};
        s_json_query (self, resp, "reading the alert", sql.data, 1, params);
        vg_buf_free (&sql);
        return;
    }
    const char *state = http_request_query (req, "state");
    const char *code = !state                            ? NULL
                       : strcmp (state, "firing") == 0   ? "2"
                       : strcmp (state, "resolved") == 0 ? "3"
                                                         : "x";
    if (code && *code == 'x') {
        http_response_error (resp, 400, "state is firing or resolved");
        return;
    }
    vg_buf_t sql = {0};
    vg_buf_printf (&sql,
                   "SELECT json_build_object ('alerts', coalesce (json_agg (%s ORDER BY"
                   " a.alert_id), '[]'))"
                   "  FROM vigil.notify_alerts a WHERE ($1::smallint IS NULL OR a.state = $1)"
                   "   AND a.state IN (2, 3)",
                   s_alert_json);
    const char *params[] = {code};
    s_json_query (self, resp, "listing alerts", sql.data, 1, params);
    vg_buf_free (&sql);
}

static void
s_silences (const http_request_t *req, http_response_t *resp, void *arg)
{
    http_api_t *self = arg;
    const char *all = http_request_query (req, "all");
    const char *params[] = {all && strcmp (all, "1") == 0 ? "t" : "f"};
    s_json_query (self, resp, "listing silences",
                  "SELECT json_build_object ('silences', coalesce (json_agg (json_build_object ("
                  "  'id', silence_id, 'matchers', matchers, 'startsAt', starts_at,"
                  "  'endsAt', ends_at, 'createdBy', created_by, 'comment', comment,"
                  "  'status', CASE WHEN ends_at <= now () THEN 'expired'"
                  "                 WHEN starts_at > now () THEN 'pending' ELSE 'active' END)"
                  "  ORDER BY ends_at DESC), '[]'))"
                  "  FROM vigil.silences WHERE $1::boolean OR ends_at > now ()",
                  1, params);
}

/* Reads string fields of the JSON body (PostgreSQL parses it). Returns 0,
 * or fills resp with a 400 and returns -1. */
static int
s_body_fields (http_api_t *self, const http_request_t *req, http_response_t *resp,
               const char *const *names, int n, char **out)
{
    PGconn *conn = s_conn (self, resp);
    if (!conn)
        return -1;
    vg_buf_t sql = {0};
    vg_buf_puts (&sql, "SELECT ");
    for (int i = 0; i < n; i++)
        vg_buf_printf (&sql,
                       "%s(CASE WHEN jsonb_typeof ($1::jsonb) = 'object' THEN $1::jsonb->>$%d"
                       " END)",
                       i ? ", " : "", i + 2);
    const char *params[8];
    params[0] = req->body_len ? req->body : "{}";
    for (int i = 0; i < n; i++)
        params[i + 1] = names[i];
    char err[1024];
    int rc;
    PGresult *res =
        coll_pg_exec (conn, "reading the request", sql.data, n + 1, params, &rc, err, sizeof err);
    vg_buf_free (&sql);
    if (!res) {
        http_response_error (resp, rc == VG_ERETRY ? 503 : 400,
                             rc == VG_ERETRY ? "the database is unreachable; try again later"
                                             : "the body is not a JSON object");
        return -1;
    }
    for (int i = 0; i < n; i++)
        out[i] = PQgetisnull (res, 0, i) ? NULL : vg_strdup (PQgetvalue (res, 0, i));
    PQclear (res);
    return 0;
}

static void
s_silence_add (const http_request_t *req, http_response_t *resp, void *arg)
{
    http_api_t *self = arg;
    if (*req->rest) {
        http_response_error (resp, 404, "POST silences to /api/v1/silences");
        return;
    }
    static const char *names[] = {"matchers", "duration", "createdBy", "comment"};
    char *f[4] = {NULL};
    if (s_body_fields (self, req, resp, names, 4, f) != 0)
        return;
    int64_t dur = 0;
    char err[1024], id[64];
    if (!f[0] || !f[1] || vg_parse_duration_ms (f[1], &dur) != VG_OK || dur <= 0)
        http_response_error (resp, 400,
                             "give \"matchers\" (like service=\\\"api\\\") and "
                             "\"duration\" (like 2h)");
    else {
        int64_t now = vg_now_ms ();
        int rc = notify_silence_add (self->conn, f[0], now, now + dur, f[2] ? f[2] : "api",
                                     f[3] ? f[3] : "", id, sizeof id, err, sizeof err);
        if (rc == VG_OK) {
            resp->status = 201;
            vg_buf_printf (&resp->body, "{\"silenceID\":\"%s\"}\n", id);
        } else
            http_response_error (resp, rc == VG_EINVAL ? 400 : 503, err);
    }
    for (int i = 0; i < 4; i++)
        free (f[i]);
}

static void
s_silence_expire (const http_request_t *req, http_response_t *resp, void *arg)
{
    http_api_t *self = arg;
    if (!s_conn (self, resp))
        return;
    char err[1024], id[64];
    int rc =
        notify_silence_expire (self->conn, req->rest, vg_now_ms (), id, sizeof id, err, sizeof err);
    if (rc == VG_OK)
        vg_buf_printf (&resp->body, "{\"silenceID\":\"%s\",\"status\":\"expired\"}\n", id);
    else
        http_response_error (resp, rc == VG_EINVAL ? 400 : rc == VG_ENOTFOUND ? 404 : 503, err);
}

/* Acks alert id; via is api or link. Fills resp with the outcome. */
static void
s_ack (http_api_t *self, http_response_t *resp, const char *id, const char *by, const char *comment,
       int64_t expires_ms, const char *via)
{
    if (!s_conn (self, resp))
        return;
    char exp[32];
    snprintf (exp, sizeof exp, "%" PRId64, expires_ms);
    const char *params[] = {id, exp, by, comment ? comment : "", via};
    char err[1024];
    int rc;
    PGresult *res = coll_pg_exec (
        self->conn, "acknowledging",
        "SELECT a.state, CASE WHEN a.state = 2 THEN vigil.ack_alert (a.alert_id, now (),"
        "  CASE WHEN $2::bigint > 0 THEN now () + make_interval (secs => $2::bigint / 1000.0) END,"
        "  $3, $4, $5) END"
        "  FROM vigil.notify_alerts a WHERE a.alert_id = $1::bigint",
        5, params, &rc, err, sizeof err);
    if (!res) {
        http_response_error (resp, rc == VG_ERETRY ? 503 : 400, err);
        return;
    }
    if (PQntuples (res) == 0)
        http_response_error (resp, 404, "no such alert");
    else if (strcmp (PQgetvalue (res, 0, 0), "2") != 0)
        http_response_error (resp, 409, "the alert is not firing: nothing to acknowledge");
    else
        vg_buf_printf (&resp->body, "{\"alertID\":%s,\"ackID\":%s}\n", id, PQgetvalue (res, 0, 1));
    PQclear (res);
}

static int
s_is_id (const char *s)
{
    size_t n = strlen (s);
    return n > 0 && n < 19 && strspn (s, "0123456789") == n;
}

static void
s_api_ack (const http_request_t *req, http_response_t *resp, void *arg)
{
    http_api_t *self = arg;
    if (!s_is_id (req->rest)) {
        http_response_error (resp, 404, "acknowledge at /api/v1/ack/ID, ID the alert's number");
        return;
    }
    static const char *names[] = {"by", "comment", "expires"};
    char *f[3] = {NULL};
    if (s_body_fields (self, req, resp, names, 3, f) != 0)
        return;
    int64_t exp = 0;
    if (f[2] && (vg_parse_duration_ms (f[2], &exp) != VG_OK || exp <= 0))
        http_response_error (resp, 400, "expires is a duration like 30m or 2h");
    else
        s_ack (self, resp, req->rest, f[0] ? f[0] : "api", f[1], exp, "api");
    for (int i = 0; i < 3; i++)
        free (f[i]);
}

static void
s_html (http_response_t *resp, int status, const char *title, const char *text)
{
    resp->status = status;
    resp->content_type = "text/html; charset=utf-8";
    vg_buf_reset (&resp->body);
    vg_buf_printf (&resp->body,
                   "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Vigil: %s</title>"
                   "</head><body><h1>%s</h1>%s</body></html>\n",
                   title, title, text);
}

/* /ack/ID?exp=&sig=: GET shows a button (so a link preview acks nothing),
 * POST acknowledges. */
static void
s_link (const http_request_t *req, http_response_t *resp, void *arg)
{
    http_api_t *self = arg;
    const char *exp = http_request_query (req, "exp"), *sig = http_request_query (req, "sig");
    char err[512];
    char *end = NULL;
    long long exp_s = exp ? strtoll (exp, &end, 10) : 0;
    if (!s_is_id (req->rest) || !exp || !end || *end || !sig) {
        s_html (resp, 400, "Not an ack link", "<p>This link is incomplete.</p>");
        return;
    }
    if (!self->signer || notify_ack_verify (self->signer, strtoll (req->rest, NULL, 10), exp_s, sig,
                                            vg_now_ms (), err, sizeof err) != VG_OK) {
        vg_buf_t p = {0};
        vg_buf_printf (&p, "<p>%s.</p>", self->signer ? err : "ack links are off");
        vg_buf_append (&p, "", 1);
        s_html (resp, 403, "This link cannot acknowledge", p.data);
        vg_buf_free (&p);
        return;
    }
    if (strcmp (req->method, "GET") != 0 && strcmp (req->method, "POST") != 0) {
        s_html (resp, 405, "Not allowed", "<p>Open the link, then confirm.</p>");
        return;
    }
    if (strcmp (req->method, "GET") == 0) {
        vg_buf_t p = {0};
        vg_buf_printf (&p,
                       "<form method=\"post\" action=\"/ack/%s?exp=%lld&amp;sig=%s\">"
                       "<p>Acknowledge alert %s? Its escalation stops climbing.</p>"
                       "<button type=\"submit\">Acknowledge</button></form>",
                       req->rest, exp_s, sig, req->rest);
        vg_buf_append (&p, "", 1);
        s_html (resp, 200, "Acknowledge", p.data);
        vg_buf_free (&p);
        return;
    }
    http_response_t r = {.status = 200};
    s_ack (self, &r, req->rest, "ack link", "", 0, "link");
    if (r.status == 200)
        s_html (resp, 200, "Acknowledged", "<p>The alert is acknowledged.</p>");
    else
        s_html (resp, r.status, "Not acknowledged",
                r.status == 409 ? "<p>The alert is no longer firing.</p>"
                                : "<p>The alert could not be acknowledged; try vigil ack.</p>");
    vg_buf_free (&r.body);
}

/* ---- /metrics -------------------------------------------------------------- */

/* A label value in the text format: \\, \" and \n escaped. */
static void
s_label (vg_buf_t *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            vg_buf_append (out, "\\", 1);
        if (*v == '\n')
            vg_buf_puts (out, "\\n");
        else
            vg_buf_append (out, v, 1);
    }
}

static void
s_metrics (vg_buf_t *out, void *arg)
{
    http_api_t *self = arg;
    if (self->sender) {
        notify_sender_stats_t s = notify_sender_stats (self->sender);
        vg_buf_printf (out,
                       "# HELP vigil_notify_attempts_total Delivery attempts since start, by "
                       "outcome.\n# TYPE vigil_notify_attempts_total counter\n"
                       "vigil_notify_attempts_total{outcome=\"delivered\"} %llu\n"
                       "vigil_notify_attempts_total{outcome=\"retry\"} %llu\n"
                       "vigil_notify_attempts_total{outcome=\"failed\"} %llu\n",
                       (unsigned long long)s.delivered, (unsigned long long)s.retried,
                       (unsigned long long)s.failed);
    }
    PGconn *conn = s_conn (self, NULL);
    if (!conn)
        return;
    /* One query: every figure as (metric, label name, label value, value). */
    PGresult *res = PQexec (
        conn, "SELECT 'outbox', receiver, count (*) FROM vigil.notifications"
              "  WHERE status = 'pending' GROUP BY receiver"
              " UNION ALL SELECT 'notifications:' || status, receiver, count (*)"
              "  FROM vigil.notifications GROUP BY status, receiver"
              " UNION ALL SELECT 'alerts', CASE state WHEN 2 THEN 'firing' WHEN 3 THEN"
              "  'resolved' ELSE 'pending' END, count (*) FROM vigil.notify_alerts GROUP BY state"
              " UNION ALL SELECT 'escalations', state, count (*) FROM vigil.escalations"
              "  GROUP BY state"
              " UNION ALL SELECT 'silences', 'active', count (*) FROM vigil.silences"
              "  WHERE starts_at <= now () AND ends_at > now ()"
              " ORDER BY 1, 2");
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        return;
    }
    vg_buf_puts (out, "# HELP vigil_notify_outbox_depth Notifications waiting to be delivered, "
                      "by receiver.\n# TYPE vigil_notify_outbox_depth gauge\n");
    for (int r = 0; r < PQntuples (res); r++)
        if (strcmp (PQgetvalue (res, r, 0), "outbox") == 0) {
            vg_buf_puts (out, "vigil_notify_outbox_depth{receiver=\"");
            s_label (out, PQgetvalue (res, r, 1));
            vg_buf_printf (out, "\"} %s\n", PQgetvalue (res, r, 2));
        }
    vg_buf_puts (out, "# HELP vigil_notify_notifications Notifications in the outbox, by status "
                      "and receiver.\n# TYPE vigil_notify_notifications gauge\n");
    for (int r = 0; r < PQntuples (res); r++)
        if (strncmp (PQgetvalue (res, r, 0), "notifications:", 14) == 0) {
            vg_buf_printf (out, "vigil_notify_notifications{status=\"%s\",receiver=\"",
                           PQgetvalue (res, r, 0) + 14);
            s_label (out, PQgetvalue (res, r, 1));
            vg_buf_printf (out, "\"} %s\n", PQgetvalue (res, r, 2));
        }
    static const char *kinds[][2] = {
        {"alerts", "vigil_notify_alerts Alerts notify knows of, by state."},
        {"escalations", "vigil_notify_escalations Escalations, by state."},
        {"silences", "vigil_notify_silences Silences in force."}};
    for (int k = 0; k < 3; k++) {
        const char *name = kinds[k][1];
        size_t nlen = strcspn (name, " ");
        vg_buf_printf (out, "# HELP %s\n# TYPE %.*s gauge\n", name, (int)nlen, name);
        for (int r = 0; r < PQntuples (res); r++)
            if (strcmp (PQgetvalue (res, r, 0), kinds[k][0]) == 0)
                vg_buf_printf (out, "%.*s{state=\"%s\"} %s\n", (int)nlen, name,
                               PQgetvalue (res, r, 1), PQgetvalue (res, r, 2));
    }
    PQclear (res);
}

void
http_api_register (http_api_t *self, http_server_t *server)
{
    http_server_route (server, "GET", "/api/v1/alerts", 0, s_alerts, self);
    http_server_route (server, "GET", "/api/v1/silences", 0, s_silences, self);
    http_server_route (server, "POST", "/api/v1/silences", 1, s_silence_add, self);
    http_server_route (server, "DELETE", "/api/v1/silences", 1, s_silence_expire, self);
    http_server_route (server, "POST", "/api/v1/ack", 1, s_api_ack, self);
    http_server_route (server, NULL, "/ack", 0, s_link, self);
    http_server_metrics (server, s_metrics, self);
}
