/*  coll_config.h - collector.yaml: what the collector listens on, where it
 *  stores, and the limits it applies to what agents send.
 *
 *      listen: tcp://127.0.0.1:5555
 *      database_url: env:VIGIL_DB          # or postgresql://user@host/db
 *      max_frame: 16MiB
 *      rule_files: [alerts.yml]            # Prometheus rule files (docs/rules.md)
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
    char *listen;                      /* ZeroMQ ROUTER endpoint */
    char *database_url;                /* libpq URL or key=value string */
    int64_t max_frame;                 /* bytes: larger payloads are dropped */
    int64_t max_samples_per_batch;     /* samples + distributions per batch */
    int64_t group_max_samples;         /* samples per transaction, at most */
    int64_t max_queued_batches;        /* past this, stop reading from agents */
    int64_t latest_flush_interval_ms;  /* how often series.last_value is written */
    int64_t writers;                   /* writer threads, each with its own connection */
    int64_t max_statement_bytes;       /* bytes one statement may carry; more goes in pieces */
    int64_t max_series_bytes;          /* bytes of one series' name and labels */
    int64_t max_queued_bytes;          /* bytes of batches held for the database */
    int64_t max_series_per_agent;      /* series one agent may have; 0: no limit */
    int64_t max_new_series_per_minute; /* new series one agent may register; 0: no limit */
    int64_t ledger_retention_ms;       /* how long the batch ledger keeps a batch's key */
    char *log_level;                   /* as written */
    vg_log_level_t level;              /* log_level, parsed */
    char *path;                        /* the file it came from; NULL for defaults */
    /* Peers and authentication (coll_server, coll_auth, coll_peers). */
    int64_t max_batch_label_bytes; /* decoded label bytes per batch */
    int64_t max_batch_event_bytes; /* decoded event bytes per batch */
    int64_t max_peers;             /* connections open at once */
    int64_t peer_idle_timeout_ms;  /* a connection silent so long is closed */
    char *transport;               /* "curve" or "plain" */
    char *curve_secret_key;        /* the collector's zcert secret file */
    char *curve_allow_dir;         /* agents' public zcert files */
    /* Rules (collector/rules). */
    vg_strlist_t rule_files;       /* rule files or globs, relative to this file */
    int64_t rules_interval_ms;     /* a rule group's interval when it sets none */
    int64_t rules_min_interval_ms; /* data-driven evaluations of a rule, at most this often */
    /* Notify and HTTP (collector/notify, collector/http). */
    char *routes_file;       /* routes.yaml; NULL: no notifications */
    char *external_url;      /* how people reach http_listen, for links */
    char *ack_key;           /* signs ack links; NULL: no links */
    int64_t ack_link_ttl_ms; /* how long an ack link works */
    char *http_listen;       /* HOST:PORT, or "off" */
    char *http_token;        /* bearer token for the API's changes */
    char *http_tls_cert;     /* PEM; with http_tls_key, HTTPS */
    char *http_tls_key;
    /* Rollups and retention (coll_rollup, coll_retention). */
    int rollups;                      /* keep per-minute and per-hour rollups (coll_rollup) */
    int64_t rollup_flush_interval_ms; /* how often finished minutes are written */
    int64_t retention_raw_ms;         /* samples and distributions; 0 keeps them for good */
    int64_t retention_minute_ms;      /* per-minute rollups; 0 keeps them for good */
    int64_t retention_hour_ms;        /* per-hour rollups; 0 keeps them for good */
    /* Reports (collector/report): the status page and the daily report. */
    char *report_definition;     /* report.yaml, relative to this file; NULL: the defaults */
    char *daily_report_receiver; /* a receiver of routes.yaml; NULL: no daily report */
    char *daily_report_at;       /* "HH:MM [ZONE]" */
    char *daily_report_where;    /* the report's selector */
} coll_config_t;

/* The option table (for --help and the docs). */
const vg_option_t *coll_config_options (void);

/* Loads path, or only the defaults when path is NULL, then applies
 * VIGIL_DATABASE_URL. On error returns NULL and fills err with
 * "file:line: key: reason". Caller owns the result. */
coll_config_t *coll_config_load (const char *path, char *err, size_t errlen);
void coll_config_destroy (coll_config_t **self_p);

/* file, taken from the configuration file's directory when relative (as
 * rule_files are); NULL for NULL. Caller owns the result. */
char *coll_config_relative (const coll_config_t *self, const char *file);

/* Describes where a database URL points ("host 10.0.0.5 port 5432 database
 * vigil user vigil") without its password, for log lines. */
void coll_config_describe_db (const char *url, char *buf, size_t len);

#endif
