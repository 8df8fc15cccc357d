/*  notify_receiver.c - receivers in routes.yaml: a name and lists of
 *  integrations (webhook_configs, slack_configs, alertmanager_configs,
 *  email_configs), each parsed with its option table. */
#include "notify_receiver.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_kind_keys[] = {"webhook_configs", "slack_configs", "alertmanager_configs",
                                    "email_configs"};

#define I(name) offsetof (notify_integration_t, name)
static const vg_option_t s_webhook_opts[] = {
    {.name = "url",
     .type = VG_OPT_SECRET,
     .required = 1,
     .offset = I (url),
     .help = "where to POST the payload; env:NAME or file:PATH"},
    {.name = "send_resolved",
     .type = VG_OPT_BOOL,
     .def = "true",
     .offset = I (send_resolved),
     .help = "notify resolved alerts too"},
    {.name = "max_alerts",
     .type = VG_OPT_INT,
     .def = "0",
     .min = 0,
     .max = 1e6,
     .offset = I (max_alerts),
     .help = "alerts per message at most; 0: all"},
    {.name = "timeout",
     .type = VG_OPT_DURATION,
     .def = "10s",
     .min = 100,
     .max = 600000,
     .offset = I (timeout_ms),
     .help = "one request's limit"},
    {.name = "min_interval",
     .type = VG_OPT_DURATION,
     .def = "0s",
     .min = 0,
     .max = 3600000,
     .offset = I (min_interval_ms),
     .help = "least time between two requests"},
    {.name = NULL},
};

static const vg_option_t s_slack_opts[] = {
    {.name = "api_url",
     .type = VG_OPT_SECRET,
     .required = 1,
     .offset = I (url),
     .help = "the incoming webhook's URL; env:NAME or file:PATH"},
    {.name = "send_resolved",
     .type = VG_OPT_BOOL,
     .def = "false",
     .offset = I (send_resolved),
     .help = "notify resolved alerts too"},
    {.name = "channel",
     .type = VG_OPT_STRING,
     .offset = I (channel),
     .help = "channel override (legacy webhooks only)"},
    {.name = "username",
     .type = VG_OPT_STRING,
     .def = "Vigil",
     .offset = I (username),
     .help = "the sender's name shown (legacy webhooks only)"},
    {.name = "icon_emoji",
     .type = VG_OPT_STRING,
     .offset = I (icon_emoji),
     .help = "the sender's icon (legacy webhooks only)"},
    {.name = "timeout",
     .type = VG_OPT_DURATION,
     .def = "10s",
     .min = 100,
     .max = 600000,
     .offset = I (timeout_ms),
     .help = "one request's limit"},
    {.name = "min_interval",
     .type = VG_OPT_DURATION,
     .def = "1s",
     .min = 0,
     .max = 3600000,
     .offset = I (min_interval_ms),
     .help = "least time between two messages (Slack allows one per second)"},
    {.name = NULL},
};

static const vg_option_t s_alertmanager_opts[] = {
    {.name = "url",
     .type = VG_OPT_SECRET,
     .required = 1,
     .offset = I (url),
     .help = "the Alertmanager's base URL (alerts go to URL/api/v2/alerts)"},
    {.name = "send_resolved",
     .type = VG_OPT_BOOL,
     .def = "true",
     .offset = I (send_resolved),
     .help = "tell it of resolved alerts too"},
    {.name = "timeout",
     .type = VG_OPT_DURATION,
     .def = "10s",
     .min = 100,
     .max = 600000,
     .offset = I (timeout_ms),
     .help = "one request's limit"},
    {.name = "min_interval",
     .type = VG_OPT_DURATION,
     .def = "0s",
     .min = 0,
     .max = 3600000,
     .offset = I (min_interval_ms),
     .help = "least time between two requests"},
    {.name = NULL},
};

static const vg_option_t s_email_opts[] = {
    {.name = "to",
     .type = VG_OPT_STRING_LIST,
     .required = 1,
     .offset = I (to),
     .help = "recipients"},
    {.name = "from",
     .type = VG_OPT_STRING,
     .required = 1,
     .offset = I (from),
     .help = "the sender address"},
    {.name = "smarthost",
     .type = VG_OPT_STRING,
     .required = 1,
     .offset = I (smarthost),
     .help = "the SMTP server, host:port"},
    {.name = "auth_username",
     .type = VG_OPT_STRING,
     .offset = I (auth_username),
     .help = "SMTP AUTH user"},
    {.name = "auth_password",
     .type = VG_OPT_SECRET,
     .offset = I (auth_password),
     .help = "SMTP AUTH password; env:NAME or file:PATH"},
    {.name = "hello",
     .type = VG_OPT_STRING,
     .offset = I (hello),
     .help = "the name sent in EHLO (default: this host's)"},
    {.name = "require_tls",
     .type = VG_OPT_BOOL,
     .def = "true",
     .offset = I (require_tls),
     .help = "refuse to send without STARTTLS; false: use it when offered"},
    {.name = "ca_file",
     .type = VG_OPT_STRING,
     .offset = I (ca_file),
     .help = "CA certificates to verify the server with (default: the system's)"},
    {.name = "send_resolved",
     .type = VG_OPT_BOOL,
     .def = "false",
     .offset = I (send_resolved),
     .help = "mail resolved alerts too"},
    {.name = "timeout",
     .type = VG_OPT_DURATION,
     .def = "30s",
     .min = 100,
     .max = 600000,
     .offset = I (timeout_ms),
     .help = "one delivery's limit"},
    {.name = "min_interval",
     .type = VG_OPT_DURATION,
     .def = "0s",
     .min = 0,
     .max = 3600000,
     .offset = I (min_interval_ms),
     .help = "least time between two messages"},
    {.name = NULL},
};

static const vg_option_t *s_kind_opts[] = {s_webhook_opts, s_slack_opts, s_alertmanager_opts,
                                           s_email_opts};

typedef struct {
    char *name;
} s_named_t;

static const vg_option_t s_name_opts[] = {
    {.name = "name",
     .type = VG_OPT_STRING,
     .required = 1,
     .offset = offsetof (s_named_t, name),
     .help = "the receiver's name, which routes and policies use"},
    {.name = NULL},
};

int
notify_receiver_parse (vg_config_t *doc, vg_cnode_t *list, notify_config_t *cfg, char *err,
                       size_t errlen)
{
    int rc;
    if (list && !vg_cnode_is_seq (list))
        return vg_config_error (doc, list, "receivers", err, errlen, "expected a list");
    size_t n = list ? vg_cnode_seq_len (list) : 0;
    cfg->receivers = n ? vg_calloc (n, sizeof *cfg->receivers) : NULL;
    static const char *skip[] = {"webhook_configs", "slack_configs", "alertmanager_configs",
                                 "email_configs", NULL};
    for (size_t i = 0; i < n; i++) {
        vg_cnode_t *node = vg_cnode_seq_at (list, i);
        char key[128];
        snprintf (key, sizeof key, "receivers[%zu]", i);
        s_named_t named = {0};
        if ((rc = vg_config_apply (doc, node, s_name_opts, skip, &named, key, err, errlen)) !=
            VG_OK) {
            vg_config_free_fields (s_name_opts, &named);
            return rc;
        }
        notify_receiver_t *recv = &cfg->receivers[cfg->nreceivers++];
        recv->name = named.name;
        if (notify_config_receiver (cfg, recv->name) != recv)
            return vg_config_error (doc, node, key, err, errlen,
                                    "a receiver named \"%s\" is defined twice", recv->name);
        for (int k = 0; k < NOTIFY_KIND_COUNT; k++) {
            vg_cnode_t *configs = vg_cnode_get (node, s_kind_keys[k]);
            char sub[256];
            snprintf (sub, sizeof sub, "%s.%s", key, s_kind_keys[k]);
            if (configs && !vg_cnode_is_seq (configs))
                return vg_config_error (doc, configs, sub, err, errlen, "expected a list");
            size_t m = configs ? vg_cnode_seq_len (configs) : 0;
            if (m)
                recv->items = vg_realloc (recv->items, (recv->n + m) * sizeof *recv->items);
            for (size_t j = 0; j < m; j++) {
                notify_integration_t *it = &recv->items[recv->n];
                memset (it, 0, sizeof *it);
                snprintf (sub, sizeof sub, "%s.%s[%zu]", key, s_kind_keys[k], j);
                rc = vg_config_apply (doc, vg_cnode_seq_at (configs, j), s_kind_opts[k], NULL, it,
                                      sub, err, errlen);
                it->kind = (notify_kind_t)k;
                it->index = (int)j;
                recv->n++;
                if (rc != VG_OK)
                    return rc;
                if (it->kind != NOTIFY_KIND_EMAIL && strncmp (it->url, "http://", 7) != 0 &&
                    strncmp (it->url, "https://", 8) != 0)
                    return vg_config_error (doc, vg_cnode_seq_at (configs, j), sub, err, errlen,
                                            "the URL must start with http:// or https://");
            }
        }
    }
    return VG_OK;
}

void
notify_receiver_free (notify_receiver_t *r)
{
    for (size_t j = 0; j < r->n; j++)
        vg_config_free_fields (s_kind_opts[r->items[j].kind], &r->items[j]);
    free (r->items);
    free (r->name);
    memset (r, 0, sizeof *r);
}
