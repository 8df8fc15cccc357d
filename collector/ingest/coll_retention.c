/*  coll_retention.c - partitions ahead and retention per tier, hourly. */
#include "coll_retention.h"
#include "coll_migrate.h"
#include "coll_pg.h"
#include "coll_store.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_thread.h"
#include "vg_time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A retention as the SQL functions take it: seconds, or NULL to keep. */
static const char *
s_keep (int64_t ms, char *buf, size_t len)
{
    if (ms <= 0)
        return NULL;
    snprintf (buf, len, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
    return buf;
}

int
coll_retention_run (PGconn *conn, const coll_config_t *config, int64_t now_ms,
                    coll_retention_result_t *out, char *err, size_t errlen)
{
    memset (out, 0, sizeof *out);
    char now[32], ahead[16], parts[16], raw[32], minute[32], hour[32];
    snprintf (now, sizeof now, "%lld.%03lld", (long long)(now_ms / 1000),
              (long long)(now_ms % 1000));
    snprintf (ahead, sizeof ahead, "%d", COLL_RETENTION_DAYS_AHEAD);
    /* The samples of a day in as many parts as the writers (coll_store.h). */
    int writers = config->writers < 1 ? 1 : config->writers;
    snprintf (parts, sizeof parts, "%d",
              writers > COLL_STORE_MAX_PARTS ? COLL_STORE_MAX_PARTS : writers);
    const char *made[] = {now, ahead, parts};
    int rc = coll_pg_command (conn, "making partitions ahead",
                              "SELECT vigil.ensure_partitions_ahead (to_timestamp ($1::float8),"
                              " $2::integer, $3::integer)",
                              3, made, err, errlen);
    if (rc)
        return rc;
    out->days_ahead = COLL_RETENTION_DAYS_AHEAD;

    const char *params[] = {now, s_keep (config->retention_raw_ms, raw, sizeof raw),
                            s_keep (config->retention_minute_ms, minute, sizeof minute),
                            s_keep (config->retention_hour_ms, hour, sizeof hour)};
    PGresult *res = coll_pg_exec (
        conn, "finding expired partitions",
        "SELECT tier, partition, to_char (hi AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
        "  FROM vigil.expired_partitions (to_timestamp ($1::float8),"
        "        make_interval (secs => $2::float8), make_interval (secs => $3::float8),"
        "        make_interval (secs => $4::float8))",
        4, params, &rc, err, errlen);
    if (!res)
        return rc;
    for (int i = 0; i < PQntuples (res); i++) {
        const char *tier = PQgetvalue (res, i, 0), *part = PQgetvalue (res, i, 1);
        char why[512] = "";
        const char *p[] = {part};
        int drc = coll_pg_command (conn, "dropping a partition",
                                   "SELECT vigil.drop_partition ($1::text)", 1, p, why, sizeof why);
        if (drc == 0) {
            out->dropped++;
            vg_info ("retention: dropped vigil.%s (%s tier, data up to %s UTC is past its "
                     "retention)",
                     part, tier, PQgetvalue (res, i, 2));
            continue;
        }
        out->failed++;
        vg_warn ("retention: could not drop vigil.%s: %s; trying again at the next pass", part,
                 why);
        if (drc == VG_ERETRY && PQstatus (conn) != CONNECTION_OK)
            break;
    }
    PQclear (res);
    return 0;
}

int
coll_retention_measure (PGconn *conn, coll_retention_tier_t *out, char *err, size_t errlen)
{
    int rc;
    PGresult *res = coll_pg_exec (conn, "measuring the storage tiers",
                                  "SELECT tier, partitions, bytes, rows_estimate,"
                                  " coalesce (extract (epoch FROM oldest)::bigint, 0)"
                                  "  FROM vigil.storage_tiers ()",
                                  0, NULL, &rc, err, errlen);
    if (!res)
        return rc;
    memset (out, 0, COLL_RETENTION_TIERS * sizeof *out);
    for (int i = 0; i < PQntuples (res) && i < COLL_RETENTION_TIERS; i++) {
        snprintf (out[i].tier, sizeof out[i].tier, "%s", PQgetvalue (res, i, 0));
        out[i].partitions = strtoll (PQgetvalue (res, i, 1), NULL, 10);
        out[i].bytes = strtoll (PQgetvalue (res, i, 2), NULL, 10);
        out[i].rows_estimate = strtoll (PQgetvalue (res, i, 3), NULL, 10);
        out[i].oldest_s = strtoll (PQgetvalue (res, i, 4), NULL, 10);
    }
    PQclear (res);
    return 0;
}

/* ---- the thread ---- */

struct coll_retention_t {
    const coll_config_t *config;
    vg_thread_t worker;
    /* The last measurement of the tiers, under worker.lock; measured_ms 0: none yet. */
    coll_retention_tier_t tiers[COLL_RETENTION_TIERS];
    int64_t measured_ms;
};

static PGconn *
s_connect (coll_retention_t *self, char *err, size_t errlen, int *rc)
{
    PGconn *conn =
        coll_pg_connect (self->config->database_url, "vigil-collector-retention", rc, err, errlen);
    if (!conn)
        return NULL;
    *rc = coll_migrate_apply (conn, NULL, err, errlen);
    if (*rc == 0)
        *rc = coll_pg_command (conn, "retention", "SET lock_timeout = '5s'", 0, NULL, err, errlen);
    if (*rc) {
        PQfinish (conn);
        return NULL;
    }
    return conn;
}

/* Measures the tiers and keeps the figures for /metrics. */
static void
s_measure (coll_retention_t *self, PGconn *conn, vg_complain_t *failing)
{
    coll_retention_tier_t tiers[COLL_RETENTION_TIERS];
    char err[512];
    if (coll_retention_measure (conn, tiers, err, sizeof err) != 0) {
        vg_complain (failing, COLL_RETENTION_INTERVAL_MS, VG_LOG_WARN,
                     "retention: %s; /metrics keeps the last figures", err);
        return;
    }
    vg_complain_clear (failing, "retention: the storage tiers are measured again");
    pthread_mutex_lock (&self->worker.lock);
    memcpy (self->tiers, tiers, sizeof tiers);
    self->measured_ms = vg_now_ms ();
    pthread_mutex_unlock (&self->worker.lock);
}

static void *
s_thread (void *arg)
{
    coll_retention_t *self = arg;
    PGconn *conn = NULL;
    vg_complain_t failing = {0}, measuring = {0};
    int64_t next_pass = 0, wake = 0;
    while (!vg_thread_sleep_until (&self->worker, wake)) {
        char err[512] = "";
        int rc = 0;
        int64_t now = vg_now_ms ();
        if (!conn || PQstatus (conn) != CONNECTION_OK) {
            if (conn)
                PQfinish (conn);
            conn = s_connect (self, err, sizeof err, &rc);
        }
        if (now >= next_pass || !conn) {
            coll_retention_result_t res;
            if (conn)
                rc = coll_retention_run (conn, self->config, now, &res, err, sizeof err);
            next_pass = now + COLL_RETENTION_INTERVAL_MS;
            if (rc) {
                vg_complain (&failing, COLL_RETENTION_INTERVAL_MS, VG_LOG_WARN,
                             "retention: %s; trying again in a minute (partitions ahead are not "
                             "made meanwhile, and nothing is dropped)",
                             err);
                next_pass = now + COLL_RETENTION_RETRY_MS;
            } else
                vg_complain_clear (&failing, "retention: runs again");
        }
        if (conn && PQstatus (conn) == CONNECTION_OK)
            s_measure (self, conn, &measuring);
        wake = now + COLL_RETENTION_TIERS_INTERVAL_MS;
        if (next_pass < wake)
            wake = next_pass;
    }
    if (conn)
        PQfinish (conn);
    return NULL;
}

coll_retention_t *
coll_retention_new (const coll_config_t *config)
{
    coll_retention_t *self = vg_calloc (1, sizeof *self);
    self->config = config;
    int rc = vg_thread_start (&self->worker, s_thread, self);
    if (rc != 0) {
        vg_error ("retention: cannot start a thread: %s; partitions ahead and retention will "
                  "not run",
                  strerror (rc));
        free (self);
        return NULL;
    }
    return self;
}

void
coll_retention_destroy (coll_retention_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_retention_t *self = *self_p;
    vg_thread_stop (&self->worker);
    free (self);
    *self_p = NULL;
}

void
coll_retention_metrics (vg_buf_t *out, void *arg)
{
    coll_retention_t *self = arg;
    if (!self)
        return;
    coll_retention_tier_t tiers[COLL_RETENTION_TIERS];
    pthread_mutex_lock (&self->worker.lock);
    memcpy (tiers, self->tiers, sizeof tiers);
    int64_t measured_ms = self->measured_ms;
    pthread_mutex_unlock (&self->worker.lock);
    if (measured_ms == 0)
        return;
    static const char *figures[][2] = {
        {"vigil_storage_tier_bytes",
         "Bytes on disk of each storage tier (raw samples and distributions, per-minute and "
         "per-hour rollups), indexes included."},
        {"vigil_storage_tier_partitions", "Partitions of each storage tier."},
        {"vigil_storage_tier_rows_estimate",
         "Rows of each storage tier, as PostgreSQL's statistics estimate them."},
        {"vigil_storage_tier_oldest_timestamp_seconds",
         "Start of the oldest partition of each storage tier: how far back it holds data."},
    };
    for (int f = 0; f < 4; f++) {
        vg_buf_printf (out, "# HELP %s %s\n# TYPE %s gauge\n", figures[f][0], figures[f][1],
                       figures[f][0]);
        for (int i = 0; i < COLL_RETENTION_TIERS; i++) {
            const coll_retention_tier_t *t = &tiers[i];
            int64_t v = f == 0   ? t->bytes
                        : f == 1 ? t->partitions
                        : f == 2 ? t->rows_estimate
                                 : t->oldest_s;
            if (t->tier[0] && (f < 3 || v != 0))
                vg_buf_printf (out, "%s{tier=\"%s\"} %lld\n", figures[f][0], t->tier, (long long)v);
        }
    }
    const coll_config_t *c = self->config;
    vg_buf_printf (out,
                   "# HELP vigil_storage_tier_retention_seconds How long each storage tier is "
                   "kept (collector.yaml); 0 keeps it for good.\n"
                   "# TYPE vigil_storage_tier_retention_seconds gauge\n"
                   "vigil_storage_tier_retention_seconds{tier=\"raw\"} %lld\n"
                   "vigil_storage_tier_retention_seconds{tier=\"minute\"} %lld\n"
                   "vigil_storage_tier_retention_seconds{tier=\"hour\"} %lld\n"
                   "# HELP vigil_storage_tiers_measured_timestamp_seconds When the storage tiers "
                   "were last measured (every minute).\n"
                   "# TYPE vigil_storage_tiers_measured_timestamp_seconds gauge\n"
                   "vigil_storage_tiers_measured_timestamp_seconds %lld.%03lld\n",
                   (long long)(c->retention_raw_ms / 1000),
                   (long long)(c->retention_minute_ms / 1000),
                   (long long)(c->retention_hour_ms / 1000), (long long)(measured_ms / 1000),
                   (long long)(measured_ms % 1000));
}
