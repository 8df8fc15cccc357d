/*  report_send.c - the daily report into the notify outbox, once a day. */
#include "report_send.h"
#include "coll_migrate.h"
#include "coll_pg.h"
#include "notify_mode.h"
#include "notify_text.h"
#include "report_html.h"
#include "report_json.h"
#include "report_md.h"
#include "report_query.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_thread.h"
#include "vg_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* After a failure (the database down, a deadlock with the partitions made
 * at start), the next try: 5 s, doubling up to a minute. */
#define RETRY_MIN_MS 5000LL
#define RETRY_MAX_MS 60000LL

struct report_send_t {
    char *receiver, *selector, *schedule;
    notify_mode_t mode; /* daily HH:MM ZONE */
    const report_def_t *def;
    const notify_config_t *cfg;
    char *db_url; /* the thread's */
    vg_thread_t worker;
};

/* "a, b, c": the receivers of routes.yaml, for a message. */
static void
s_receivers (const notify_config_t *cfg, vg_buf_t *out)
{
    for (size_t i = 0; i < cfg->nreceivers; i++)
        vg_buf_printf (out, "%s%s", i ? ", " : "", cfg->receivers[i].name);
    vg_buf_append (out, "", 1);
}

report_send_t *
report_send_new (const report_send_config_t *config, char *err, size_t errlen)
{
    const char *name = config->receiver;
    if (!config->cfg) {
        snprintf (err, errlen,
                  "daily_report_receiver: \"%s\" is a receiver of routes.yaml, and collector.yaml "
                  "sets no routes_file",
                  name);
        return NULL;
    }
    if (!notify_config_receiver (config->cfg, name)) {
        vg_buf_t names = {0};
        s_receivers (config->cfg, &names);
        snprintf (err, errlen, "daily_report_receiver: %s has no receiver \"%s\" (it has: %s)",
                  config->cfg->path ? config->cfg->path : "routes.yaml", name, names.data);
        vg_buf_free (&names);
        return NULL;
    }
    if (!notify_text_receivable (config->cfg, name)) {
        snprintf (err, errlen,
                  "daily_report_receiver: receiver \"%s\" has only alertmanager_configs, which "
                  "take alerts, not reports: give it slack_configs, webhook_configs or "
                  "email_configs",
                  name);
        return NULL;
    }
    report_send_t *self = vg_calloc (1, sizeof *self);
    char *mode = vg_asprintf ("daily %s", config->at);
    char why[256];
    int rc = notify_mode_parse (&self->mode, mode, why, sizeof why);
    free (mode);
    if (rc != 0) {
        snprintf (err, errlen,
                  "daily_report_at: \"%s\": %s; write the time of day and a zone, like "
                  "\"09:00 Asia/Seoul\"",
                  config->at, why);
        free (self);
        return NULL;
    }
    self->receiver = vg_strdup (name);
    self->selector = vg_strdup (config->selector ? config->selector : "");
    self->schedule = vg_asprintf ("daily to %s", name);
    self->def = config->def;
    self->cfg = config->cfg;
    return self;
}

void
report_send_destroy (report_send_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    report_send_t *self = *self_p;
    vg_thread_stop (&self->worker);
    notify_mode_free (&self->mode);
    free (self->receiver);
    free (self->selector);
    free (self->schedule);
    free (self->db_url);
    free (self);
    *self_p = NULL;
}

int64_t
report_send_next (const report_send_t *self, int64_t now_ms)
{
    return notify_mode_next (&self->mode, now_ms);
}

/* The newest instant at or before now_ms (a day is 23 to 25 hours long). */
static int64_t
s_last (const report_send_t *self, int64_t now_ms)
{
    int64_t at = notify_mode_next (&self->mode, now_ms - 27 * 3600000LL);
    for (int64_t next; (next = notify_mode_next (&self->mode, at)) <= now_ms;)
        at = next;
    return at;
}

/* The local day before the instant at_ms: "2025-06-15". */
static void
s_day_before (const report_send_t *self, int64_t at_ms, char *out, size_t len)
{
    int64_t at_s = at_ms / 1000;
    int64_t local = at_s + notify_tz_offset (self->mode.tz, at_s);
    time_t day = (time_t)((local / 86400 - (local % 86400 < 0)) - 1) * 86400;
    struct tm tm;
    gmtime_r (&day, &tm);
    strftime (out, len, "%Y-%m-%d", &tm);
}

/* Whether the day's report is already in vigil.report_sends: 1, 0, or a
 * negative code. */
static int
s_sent (report_send_t *self, PGconn *conn, const char *day, char *err, size_t errlen)
{
    const char *p[] = {self->schedule, day};
    int rc;
    PGresult *res = coll_pg_exec (conn, "reading vigil.report_sends",
                                  "SELECT 1 FROM vigil.report_sends"
                                  " WHERE schedule = $1 AND day = $2::date",
                                  2, p, &rc, err, errlen);
    if (!res)
        return rc;
    int sent = PQntuples (res) > 0;
    PQclear (res);
    return sent;
}

/* In one transaction: the day in vigil.report_sends (unless another
 * collector got there first: 0), the notifications, a wake-up for the
 * sender. Returns 1, 0 or a negative code. */
static int
s_queue (report_send_t *self, PGconn *conn, const char *day, int64_t due_ms, int64_t now_ms,
         const notify_text_t *text, char *err, size_t errlen)
{
    char due[32], now[32];
    snprintf (due, sizeof due, "%" PRId64, due_ms);
    snprintf (now, sizeof now, "%" PRId64, now_ms);
    const char *p[] = {self->schedule,
                       day,
                       notify_tz_name (self->mode.tz),
                       self->receiver,
                       self->selector,
                       due,
                       now};
    int rc = coll_pg_command (conn, "queueing the daily report", "BEGIN", 0, NULL, err, errlen);
    if (rc)
        return rc;
    PGresult *res = coll_pg_exec (
        conn, "recording the daily report",
        "INSERT INTO vigil.report_sends (schedule, day, tz, receiver, selector, due_at, queued_at)"
        " VALUES ($1, $2::date, $3, $4, $5, to_timestamp ($6::bigint / 1000.0),"
        "         to_timestamp ($7::bigint / 1000.0))"
        " ON CONFLICT DO NOTHING RETURNING 1",
        7, p, &rc, err, errlen);
    int mine = res && PQntuples (res) == 1;
    PQclear (res);
    vg_buf_t ids = {0};
    int added = 0;
    if (mine) {
        added = notify_text_add (conn, self->cfg, text, &ids, err, errlen);
        rc = added < 0 ? added : 0;
    }
    if (mine && rc == 0) {
        vg_buf_append (&ids, "", 1);
        const char *u[] = {self->schedule, day, ids.data};
        rc = coll_pg_command (conn, "recording the daily report",
                              "UPDATE vigil.report_sends SET notification_ids = $3::bigint[]"
                              " WHERE schedule = $1 AND day = $2::date",
                              3, u, err, errlen);
    }
    if (mine && rc == 0)
        rc = coll_pg_command (conn, "waking the sender", "SELECT pg_notify ('vigil_notify', '')", 0,
                              NULL, err, errlen);
    vg_buf_free (&ids);
    if (mine && rc == 0)
        rc = coll_pg_command (conn, "queueing the daily report", "COMMIT", 0, NULL, err, errlen);
    else {
        char ignored[128];
        coll_pg_command (conn, "queueing the daily report", "ROLLBACK", 0, NULL, ignored,
                         sizeof ignored);
    }
    if (rc)
        return rc;
    if (mine)
        vg_info ("daily report of %s (%s) queued for %s: %d notification%s", day,
                 notify_tz_name (self->mode.tz), self->receiver, added, added == 1 ? "" : "s");
    return mine;
}

int
report_send_due (report_send_t *self, PGconn *conn, int64_t now_ms, char *err, size_t errlen)
{
    int64_t due_ms = s_last (self, now_ms);
    char day[16];
    s_day_before (self, due_ms, day, sizeof day);
    int rc = s_sent (self, conn, day, err, errlen);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    const char *tz = notify_tz_name (self->mode.tz);
    report_request_t req = {
        .kind = "daily", .day = day, .tz = tz, .selector = self->selector, .now_ms = now_ms};
    report_t *r = report_query_run (conn, self->def, &req, err, errlen);
    if (!r)
        return PQstatus (conn) == CONNECTION_OK ? VG_EDB : VG_ERETRY;
    vg_buf_t md = {0}, html = {0}, json = {0}, title = {0};
    report_md_render (r, &md);
    report_html_render (r, &html);
    report_json_render (r, &json);
    vg_buf_printf (&title, "Vigil daily report · %s (%s)", day, tz);
    if (*self->selector)
        vg_buf_printf (&title, " · %s", self->selector);
    char *group = vg_asprintf ("report:daily:%s", day);
    vg_buf_append (&md, "", 1);
    vg_buf_append (&html, "", 1);
    vg_buf_append (&json, "", 1);
    vg_buf_append (&title, "", 1);
    notify_text_t text = {.receiver = self->receiver,
                          .kind = "report",
                          .group_key = group,
                          .reason = "daily report",
                          .title = title.data,
                          .markdown = md.data,
                          .html = html.data,
                          .data = json.data,
                          .now_ms = now_ms};
    rc = s_queue (self, conn, day, due_ms, now_ms, &text, err, errlen);
    free (group);
    vg_buf_free (&md);
    vg_buf_free (&html);
    vg_buf_free (&json);
    vg_buf_free (&title);
    report_model_destroy (&r);
    return rc;
}

/* ---- the thread ---- */

static void *
s_thread (void *arg)
{
    report_send_t *self = arg;
    PGconn *conn = NULL;
    vg_complain_t failing = {0};
    int64_t retry = RETRY_MIN_MS;
    time_t first = (time_t)(report_send_next (self, vg_now_ms ()) / 1000);
    struct tm tm;
    char when[32];
    gmtime_r (&first, &tm);
    strftime (when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    vg_info ("daily report: to %s every day at %s (the next at %s)", self->receiver,
             self->mode.text + strlen ("daily "), when);
    int64_t next = vg_now_ms ();
    while (!vg_thread_sleep_until (&self->worker, next)) {
        char err[1024] = "";
        int rc = 0;
        if (conn && PQstatus (conn) != CONNECTION_OK) {
            PQfinish (conn);
            conn = NULL;
        }
        if (!conn) {
            conn = coll_pg_connect (self->db_url, "vigil-collector-report", &rc, err, sizeof err);
            /* The schema first: this thread may be the first to reach the database. */
            if (conn && (rc = coll_migrate_apply (conn, NULL, err, sizeof err)) != 0) {
                PQfinish (conn);
                conn = NULL;
            }
        }
        int64_t now = vg_now_ms ();
        if (conn)
            rc = report_send_due (self, conn, now, err, sizeof err);
        next = report_send_next (self, now);
        if (rc < 0) {
            vg_complain (&failing, 3600000, VG_LOG_WARN, "daily report: %s; trying again in %lld s",
                         err, (long long)(retry / 1000));
            if (now + retry < next)
                next = now + retry;
            retry = retry * 2 < RETRY_MAX_MS ? retry * 2 : RETRY_MAX_MS;
        } else {
            vg_complain_clear (&failing, "daily report: works again");
            retry = RETRY_MIN_MS;
        }
    }
    if (conn)
        PQfinish (conn);
    return NULL;
}

int
report_send_start (report_send_t *self, const char *db_url)
{
    self->db_url = vg_strdup (db_url);
    int rc = vg_thread_start (&self->worker, s_thread, self);
    if (rc != 0) {
        vg_error ("daily report: cannot start a thread: %s; no daily report will be sent",
                  strerror (rc));
        return VG_EIO;
    }
    return 0;
}
