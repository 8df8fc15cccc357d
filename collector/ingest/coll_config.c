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
     .def = "200000",
     .min = 1,
     .max = 100000000,
     .offset = F (group_max_samples),
     .help = "samples written per transaction at most (a bigger batch goes alone)"},
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
    {.name = "max_queued_bytes",
     .type = VG_OPT_SIZE,
     .def = "128MiB",
     .min = 1024 * 1024,
     .max = 64.0 * 1024 * 1024 * 1024,
     .offset = F (max_queued_bytes),
     .help = "payload bytes of the batches waiting for the database before the collector stops "
             "reading from agents"},
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
