/*  coll_retention.c - partitions ahead and retention per tier, hourly. */
#include "coll_retention.h"
#include "coll_migrate.h"
#include "coll_pg.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
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
    char now[32], ahead[16], raw[32], minute[32], hour[32];
    snprintf (now, sizeof now, "%lld.%03lld", (long long)(now_ms / 1000),
              (long long)(now_ms % 1000));
    snprintf (ahead, sizeof ahead, "%d", COLL_RETENTION_DAYS_AHEAD);
    const char *made[] = {now, ahead};
    int rc = coll_pg_command (conn, "making partitions ahead",
                              "SELECT vigil.ensure_partitions_ahead (to_timestamp ($1::float8),"
                              " $2::integer)",
                              2, made, err, errlen);
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

/* ---- the thread ---- */

struct coll_retention_t {
    const coll_config_t *config;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
    pthread_t thread;
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

static void *
s_thread (void *arg)
{
    coll_retention_t *self = arg;
    PGconn *conn = NULL;
    vg_complain_t failing = {0};
    pthread_mutex_lock (&self->lock);
    while (!self->stop) {
        pthread_mutex_unlock (&self->lock);
        char err[512] = "";
        int rc = 0;
        if (!conn || PQstatus (conn) != CONNECTION_OK) {
            if (conn)
                PQfinish (conn);
            conn = s_connect (self, err, sizeof err, &rc);
        }
        coll_retention_result_t res;
        if (conn)
            rc = coll_retention_run (conn, self->config, vg_now_ms (), &res, err, sizeof err);
        int64_t wait = COLL_RETENTION_INTERVAL_MS;
        if (rc) {
            vg_complain (&failing, COLL_RETENTION_INTERVAL_MS, VG_LOG_WARN,
                         "retention: %s; trying again in a minute (partitions ahead are not "
                         "made meanwhile, and nothing is dropped)",
                         err);
            wait = COLL_RETENTION_RETRY_MS;
        } else
            vg_complain_clear (&failing, "retention: runs again");
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(wait / 1000);
        pthread_mutex_lock (&self->lock);
        while (!self->stop && pthread_cond_timedwait (&self->wake, &self->lock, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock (&self->lock);
    if (conn)
        PQfinish (conn);
    return NULL;
}

coll_retention_t *
coll_retention_new (const coll_config_t *config)
{
    coll_retention_t *self = vg_calloc (1, sizeof *self);
    self->config = config;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    /* The thread takes no signals: they are the main loop's. */
    sigset_t all, old;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, &old);
    int rc = pthread_create (&self->thread, NULL, s_thread, self);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        vg_error ("retention: cannot start a thread: %s; partitions ahead and retention will "
                  "not run",
                  strerror (rc));
        pthread_cond_destroy (&self->wake);
        pthread_mutex_destroy (&self->lock);
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
    pthread_mutex_lock (&self->lock);
    self->stop = 1;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->thread, NULL);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}
