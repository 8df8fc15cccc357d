/*  coll_config.c - collector.yaml through the shared option-table parser. */
#include "coll_config.h"
#include "coll_auth.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(name) offsetof (coll_config_t, name)

static const vg_option_t s_options[] = {
    {.name = "listen",
     .type = VG_OPT_STRING,
     .def = "tcp://127.0.0.1:5555",
     .offset = F (listen),
     .help = "ZeroMQ endpoint agents connect to (no authentication yet: keep it on 127.0.0.1 "
             "or a trusted network)"},
    {.name = "database_url",
     .type = VG_OPT_SECRET,
     .def = "postgresql:///vigil",
     .offset = F (database_url),
     .help = "PostgreSQL URL; env:NAME or file:PATH; VIGIL_DATABASE_URL overrides it"},
    {.name = "max_frame",
     .type = VG_OPT_SIZE,
     .def = "16MiB",
     .min = 1024,
     .max = 1024.0 * 1024 * 1024,
     .offset = F (max_frame),
     .help = "largest batch payload accepted; larger ones are dropped and logged"},
    {.name = "max_samples_per_batch",
     .type = VG_OPT_INT,
     .def = "1000000",
     .min = 1,
     .max = 100000000,
     .offset = F (max_samples_per_batch),
     .help = "samples plus distributions one batch may carry"},
    {.name = "group_max_samples",
     .type = VG_OPT_INT,
     .def = "50000",
     .min = 1,
     .max = 100000000,
     .offset = F (group_max_samples),
     .help = "samples written per transaction at most (a bigger batch goes alone); a writer "
             "takes what is queued up to this, so groups are small when agents are few and "
             "grow under load"},
    {.name = "max_queued_batches",
     .type = VG_OPT_INT,
     .def = "2000",
     .min = 1,
     .max = 10000000,
     .offset = F (max_queued_batches),
     .help = "batches waiting for the database before the collector stops reading from agents"},
    {.name = "latest_flush_interval",
     .type = VG_OPT_DURATION,
     .def = "10s",
     .min = 100,
     .max = 3600000,
     .offset = F (latest_flush_interval_ms),
     .help = "how often each series' latest value is written to vigil.series"},
    {.name = "writers",
     .type = VG_OPT_INT,
     .def = "2",
     .min = 1,
     .max = 64,
     .offset = F (writers),
     .help = "writer threads, each with its own database connection and its own groups; while "
             "one retries or narrows down a failing group, the others go on"},
    {.name = "max_statement_bytes",
     .type = VG_OPT_SIZE,
     .def = "16MiB",
     .min = 64 * 1024,
     .max = 256.0 * 1024 * 1024,
     .offset = F (max_statement_bytes),
     .help = "bytes one SQL statement may carry (series, hosts, batch keys, COPY data); larger "
             "work is cut into pieces, well under PostgreSQL's 1 GiB message limit"},
    {.name = "max_series_bytes",
     .type = VG_OPT_SIZE,
     .def = "64KiB",
     .min = 1024,
     .max = 16.0 * 1024 * 1024,
     .offset = F (max_series_bytes),
     .help = "bytes of one series' metric name, label names and label values; a batch with a "
             "larger series is answered REJECTED"},
    {.name = "max_queued_bytes",
     .type = VG_OPT_SIZE,
     .def = "128MiB",
     .min = 1024 * 1024,
     .max = 64.0 * 1024 * 1024 * 1024,
     .offset = F (max_queued_bytes),
     .help = "bytes of decoded batches waiting for the database before the collector stops "
             "reading from agents (with max_queued_batches, whichever comes first)"},
    {.name = "max_series_per_agent",
     .type = VG_OPT_INT,
     .def = "100000",
     .min = 0,
     .max = 1e12,
     .offset = F (max_series_per_agent),
     .help = "series one agent may have in all (0: no limit); a batch that would pass it is "
             "answered REJECTED with the reason"},
    {.name = "max_new_series_per_minute",
     .type = VG_OPT_INT,
     .def = "50000",
     .min = 0,
     .max = 1e12,
     .offset = F (max_new_series_per_minute),
     .help = "new series one agent may register per minute, in bursts up to that many (0: no "
             "limit); a batch that would pass it is answered REJECTED with the reason"},
    {.name = "ledger_retention",
     .type = VG_OPT_DURATION,
     .def = "10d",
     .min = 2 * 86400000.0,
     .max = 3650 * 86400000.0,
     .offset = F (ledger_retention_ms),
     .help = "how long a batch's key is kept to tell a replay from a new batch: at least as long "
             "as agents keep unacknowledged batches (7 days by default) plus a margin; older "
             "keys go by dropping whole day partitions"},
    {.name = "rule_files",
     .type = VG_OPT_STRING_LIST,
     .def = "[]",
     .offset = F (rule_files),
     .help = "Prometheus rule files evaluated on what is stored (globs; relative to this file); "
             "reloaded on SIGHUP"},
    {.name = "rules_evaluation_interval",
     .type = VG_OPT_DURATION,
     .def = "1m",
     .min = 1000,
     .max = 86400000,
     .offset = F (rules_interval_ms),
     .help = "how often a rule group is evaluated when it sets no interval of its own"},
    {.name = "rules_min_interval",
     .type = VG_OPT_DURATION,
     .def = "0s",
     .min = 0,
     .max = 3600000,
     .offset = F (rules_min_interval_ms),
     .help = "a rule whose series get data is evaluated at once, but at most this often "
             "(such evaluations take at most a tenth of a core in all)"},
    {.name = "max_batch_label_bytes",
     .type = VG_OPT_SIZE,
     .def = "8MiB",
     .min = 1024,
     .max = 1024.0 * 1024 * 1024,
     .offset = F (max_batch_label_bytes),
     .help = "label keys and values one batch may expand to, as its series and events name "
             "them; a batch over it is refused"},
    {.name = "max_batch_event_bytes",
     .type = VG_OPT_SIZE,
     .def = "1MiB",
     .min = 1024,
     .max = 1024.0 * 1024 * 1024,
     .offset = F (max_batch_event_bytes),
     .help = "names, labels and texts of the events one batch may carry; a batch over it is "
             "refused"},
    {.name = "max_peers",
     .type = VG_OPT_INT,
     .def = "10000",
     .min = 1,
     .max = 1000000,
     .offset = F (max_peers),
     .help = "connections open at once; one more is closed at once and counted"},
    {.name = "peer_idle_timeout",
     .type = VG_OPT_DURATION,
     .def = "10m",
     .min = 0,
     .max = 7 * 86400000.0,
     .offset = F (peer_idle_timeout_ms),
     .help = "a connection that sends no batch for this long is closed (its agent connects "
             "again when it has one); 0: never"},
    {.name = "transport",
     .type = VG_OPT_STRING,
     .def = "curve",
     .offset = F (transport),
     .help = "curve: agents must hold a key in curve_allow_dir (without keys, allowed on a "
             "loopback listen only, with a warning); plain: anyone who can connect may send"},
    {.name = "curve_secret_key",
     .type = VG_OPT_STRING,
     .def = "",
     .offset = F (curve_secret_key),
     .help = "the collector's secret key file (vigil keygen collector writes collector_secret)"},
    {.name = "curve_allow_dir",
     .type = VG_OPT_STRING,
     .def = "",
     .offset = F (curve_allow_dir),
     .help = "directory of agents' public key files, each naming the hosts it may write for; "
             "read again when it changes"},
    {.name = "log_level",
     .type = VG_OPT_STRING,
     .def = "info",
     .offset = F (log_level),
     .help = "debug, info, warn or error"},
    {.name = "routes_file",
     .type = VG_OPT_STRING,
     .offset = F (routes_file),
     .help = "routes.yaml: where alerts are sent (docs/alerting.md); without it, none are"},
    {.name = "external_url",
     .type = VG_OPT_STRING,
     .def = "http://127.0.0.1:9467",
     .offset = F (external_url),
     .help = "the URL people reach http_listen at, for links in notifications"},
    {.name = "ack_key",
     .type = VG_OPT_SECRET,
     .offset = F (ack_key),
     .help = "secret that signs the ack link of every notification; env:NAME or file:PATH"},
    {.name = "ack_link_ttl",
     .type = VG_OPT_DURATION,
     .def = "24h",
     .min = 60000,
     .max = 30.0 * 86400000,
     .offset = F (ack_link_ttl_ms),
     .help = "how long an ack link works"},
    {.name = "http_listen",
     .type = VG_OPT_STRING,
     .def = "127.0.0.1:9467",
     .offset = F (http_listen),
     .help = "HOST:PORT of /health, /metrics and the API; off: no HTTP server"},
    {.name = "http_token",
     .type = VG_OPT_SECRET,
     .offset = F (http_token),
     .help = "bearer token the API requires for changes; env:NAME or file:PATH"},
    {.name = "http_tls_cert",
     .type = VG_OPT_STRING,
     .offset = F (http_tls_cert),
     .help = "PEM certificate: serve HTTPS (with http_tls_key)"},
    {.name = "http_tls_key",
     .type = VG_OPT_STRING,
     .offset = F (http_tls_key),
     .help = "PEM private key of http_tls_cert"},
    {.name = "rollups",
     .type = VG_OPT_BOOL,
     .def = "true",
     .offset = F (rollups),
     .help = "keep per-minute and per-hour rollups, which reports and vigil.* functions read"},
    {.name = "rollup_flush_interval",
     .type = VG_OPT_DURATION,
     .def = "10s",
     .min = 1000,
     .max = 600000,
     .offset = F (rollup_flush_interval_ms),
     .help = "how often the rollups of finished minutes are written"},
    {.name = "retention_raw",
     .type = VG_OPT_DURATION,
     .def = "14d",
     .min = 0,
     .max = 36500.0 * 86400000,
     .offset = F (retention_raw_ms),
     .help = "how long samples and distributions are kept (whole days dropped); 0 keeps them"},
    {.name = "retention_minute",
     .type = VG_OPT_DURATION,
     .def = "90d",
     .min = 0,
     .max = 36500.0 * 86400000,
     .offset = F (retention_minute_ms),
     .help = "how long per-minute rollups are kept (whole days dropped); 0 keeps them"},
    {.name = "retention_hour",
     .type = VG_OPT_DURATION,
     .def = "730d",
     .min = 0,
     .max = 36500.0 * 86400000,
     .offset = F (retention_hour_ms),
     .help = "how long per-hour rollups are kept (whole months dropped); 0 keeps them"},
    {.name = "report_definition",
     .type = VG_OPT_STRING,
     .offset = F (report_definition),
     .help = "report.yaml the status page and the daily report read (docs/reports.md); relative "
             "to this file; default: the series of deploy/examples/fastapi-agent.yaml"},
    {.name = "daily_report_receiver",
     .type = VG_OPT_STRING,
     .offset = F (daily_report_receiver),
     .help = "a receiver of routes.yaml the daily report is sent to every day (Slack and webhooks "
             "get markdown, e-mail HTML); without it, none is sent"},
    {.name = "daily_report_at",
     .type = VG_OPT_STRING,
     .def = "09:00 UTC",
     .offset = F (daily_report_at),
     .help = "when the daily report is sent, HH:MM and a time zone (\"09:00 Asia/Seoul\"); it "
             "covers the day before in that zone"},
    {.name = "daily_report_where",
     .type = VG_OPT_STRING,
     .def = "",
     .offset = F (daily_report_where),
     .help = "the series the daily report covers, as vigil report --where: 'service=\"chat-api\"'"},
    {.name = NULL},
};

const vg_option_t *
coll_config_options (void)
{
    return s_options;
}

/* Checks what the option table cannot express. */
static int
s_validate (coll_config_t *self, vg_config_t *doc, vg_cnode_t *root, char *err, size_t errlen)
{
    if (vg_log_parse_level (self->log_level, &self->level) != VG_OK) {
        if (doc)
            return vg_config_error (doc, vg_cnode_get (root, "log_level"), "log_level", err, errlen,
                                    "expected debug, info, warn or error, not \"%s\"",
                                    self->log_level);
        snprintf (err, errlen, "log_level: expected debug, info, warn or error");
        return VG_EINVAL;
    }
    if (!strstr (self->listen, "://")) {
        if (doc)
            return vg_config_error (doc, vg_cnode_get (root, "listen"), "listen", err, errlen,
                                    "expected an endpoint like tcp://127.0.0.1:5555, not \"%s\"",
                                    self->listen);
        snprintf (err, errlen, "listen: expected an endpoint like tcp://127.0.0.1:5555");
        return VG_EINVAL;
    }
    char why[512];
    if (coll_auth_mode (self, why, sizeof why) < 0) {
        if (doc) {
            const char *key = vg_cnode_get (root, "transport") ? "transport" : "listen";
            return vg_config_error (doc, vg_cnode_get (root, key), key, err, errlen, "%s", why);
        }
        snprintf (err, errlen, "%s", why);
        return VG_EINVAL;
    }
    const char *env = getenv ("VIGIL_DATABASE_URL");
    if (env && *env) {
        free (self->database_url);
        self->database_url = vg_strdup (env);
    }
    if (!self->database_url || !*self->database_url) {
        if (doc)
            return vg_config_error (doc, vg_cnode_get (root, "database_url"), "database_url", err,
                                    errlen,
                                    "is empty: give a PostgreSQL URL or set VIGIL_DATABASE_URL");
        snprintf (err, errlen, "database_url is empty: set VIGIL_DATABASE_URL");
        return VG_EINVAL;
    }
    return VG_OK;
}

coll_config_t *
coll_config_load (const char *path, char *err, size_t errlen)
{
    coll_config_t *self = vg_calloc (1, sizeof *self);
    vg_config_t *doc = NULL;
    vg_cnode_t *root = NULL;
    int rc;
    if (path) {
        doc = vg_config_load_file (path, err, errlen);
        if (!doc)
            goto fail;
        root = vg_config_root (doc);
    }
    if (root && !vg_cnode_is_map (root)) {
        rc = vg_config_error (doc, root, "(top level)", err, errlen,
                              "expected a mapping of options (listen: ..., database_url: ...)");
        goto fail;
    }
    if (root)
        rc = vg_config_apply (doc, root, s_options, NULL, self, NULL, err, errlen);
    else
        rc = vg_config_defaults (s_options, self, err, errlen);
    if (rc != VG_OK || s_validate (self, doc, root, err, errlen) != VG_OK)
        goto fail;
    self->path = vg_strdup (path);
    vg_config_destroy (&doc);
    return self;
fail:
    vg_config_destroy (&doc);
    coll_config_destroy (&self);
    return NULL;
}

void
coll_config_destroy (coll_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_config_t *self = *self_p;
    vg_config_free_fields (s_options, self);
    free (self->path);
    free (self);
    *self_p = NULL;
}

char *
coll_config_relative (const coll_config_t *self, const char *file)
{
    if (!file)
        return NULL;
    const char *slash = self->path ? strrchr (self->path, '/') : NULL;
    if (file[0] == '/' || !slash)
        return vg_strdup (file);
    return vg_asprintf ("%.*s/%s", (int)(slash - self->path), self->path, file);
}

void
coll_config_describe_db (const char *url, char *buf, size_t len)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse (url, &msg);
    if (!opts) {
        /* Do not echo the URL: it may hold a password. */
        snprintf (buf, len, "(unparsable database URL: %s)", msg ? msg : "out of memory");
        PQfreemem (msg);
        return;
    }
    const char *host = NULL, *hostaddr = NULL, *port = NULL, *db = NULL, *user = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (strcmp (o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp (o->keyword, "hostaddr") == 0)
            hostaddr = o->val;
        else if (strcmp (o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp (o->keyword, "dbname") == 0)
            db = o->val;
        else if (strcmp (o->keyword, "user") == 0)
            user = o->val;
    }
    if (!host)
        host = hostaddr;
    snprintf (buf, len, "host %s port %s database %s user %s", host ? host : "(local socket)",
              port ? port : "(default)", db ? db : "(default)", user ? user : "(default)");
    PQconninfoFree (opts);
}
