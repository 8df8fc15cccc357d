/*  coll_config.h - collector.yaml: what the collector listens on, where it
 *  stores, and the limits it applies to what agents send.
 *
 *      listen: tcp://127.0.0.1:5555
 *      database_url: env:VIGIL_DB          # or postgresql://user@host/db
 *      max_frame: 16MiB
 *
 *  VIGIL_DATABASE_URL, when set and not empty, overrides database_url.
 */
#ifndef COLL_CONFIG_H
#define COLL_CONFIG_H

#include "vg_config.h"
#include "vg_log.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *listen;                     /* ZeroMQ ROUTER endpoint */
    char *database_url;               /* libpq URL or key=value string */
    int64_t max_frame;                /* bytes: larger payloads are dropped */
    int64_t max_samples_per_batch;    /* samples + distributions per batch */
    int64_t group_max_samples;        /* samples per transaction, at most */
    int64_t max_queued_batches;       /* past this, stop reading from agents */
    int64_t latest_flush_interval_ms; /* how often series.last_value is written */
    int64_t max_batch_label_bytes;    /* decoded label bytes per batch */
    int64_t max_batch_event_bytes;    /* decoded event bytes per batch */
    int64_t max_peers;                /* connections open at once */
    int64_t peer_idle_timeout_ms;     /* a connection silent so long is closed */
    int64_t max_queued_bytes;         /* decoded batches waiting, in bytes */
    char *transport;                  /* "curve" or "plain" */
    char *curve_secret_key;           /* the collector's zcert secret file */
    char *curve_allow_dir;            /* agents' public zcert files */
    char *log_level;                  /* as written */
    vg_log_level_t level;             /* log_level, parsed */
    char *path;                       /* the file it came from; NULL for defaults */
} coll_config_t;

/* The option table (for --help and the docs). */
const vg_option_t *coll_config_options (void);

/* Loads path, or only the defaults when path is NULL, then applies
 * VIGIL_DATABASE_URL. On error returns NULL and fills err with
 * "file:line: key: reason". Caller owns the result. */
coll_config_t *coll_config_load (const char *path, char *err, size_t errlen);
void coll_config_destroy (coll_config_t **self_p);

/* Describes where a database URL points ("host 10.0.0.5 port 5432 database
 * vigil user vigil") without its password, for log lines. */
void coll_config_describe_db (const char *url, char *buf, size_t len);

#endif
