/*  notify_config.c - routes.yaml through the shared option-table parser. */
#include "notify_config.h"
#include "notify_receiver.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_kind_names[] = {"webhook", "slack", "alertmanager", "email"};

const char *
notify_config_kind_name (notify_kind_t kind)
{
    return kind < NOTIFY_KIND_COUNT ? s_kind_names[kind] : "unknown";
}

int
notify_config_kind_parse (const char *name, notify_kind_t *kind)
{
    for (int k = 0; k < NOTIFY_KIND_COUNT; k++)
        if (strcmp (name, s_kind_names[k]) == 0) {
            *kind = (notify_kind_t)k;
            return VG_OK;
        }
    return VG_EINVAL;
}

/* ---- option tables -------------------------------------------------------- */

typedef struct {
    int64_t give_up_after_ms, retry_min_ms, retry_max_ms;
} s_global_t;

#define G(name) offsetof (s_global_t, name)
static const vg_option_t s_global_opts[] = {
    {.name = "give_up_after",
     .type = VG_OPT_DURATION,
     .def = "24h",
     .min = 1000,
     .max = 30.0 * 86400000,
     .offset = G (give_up_after_ms),
     .help = "a notification not delivered this long after it was made is marked failed"},
    {.name = "retry_min",
     .type = VG_OPT_DURATION,
     .def = "1s",
     .min = 10,
     .max = 3600000,
     .offset = G (retry_min_ms),
     .help = "the first retry's delay; each next one doubles, with jitter"},
    {.name = "retry_max",
     .type = VG_OPT_DURATION,
     .def = "5m",
     .min = 10,
     .max = 86400000,
     .offset = G (retry_max_ms),
     .help = "the longest delay between two attempts (a longer Retry-After is honoured)"},
    {.name = NULL},
};

/* A route as written: presence of a key decides inheritance. */
typedef struct {
    char *receiver;
    vg_strlist_t group_by;
    int64_t group_wait_ms, group_interval_ms, repeat_interval_ms;
    int cont;
    char *mode;
    char *escalation;
    vg_strlist_t matchers;
} s_route_t;

#define R(name) offsetof (s_route_t, name)
static const vg_option_t s_route_opts[] = {
    {.name = "receiver",
     .type = VG_OPT_STRING,
     .offset = R (receiver),
     .help = "the receiver of the alerts this route takes"},
    {.name = "group_by",
     .type = VG_OPT_STRING_LIST,
     .offset = R (group_by),
     .help = "labels that split alerts into groups; ['...'] groups by every label"},
    {.name = "group_wait",
     .type = VG_OPT_DURATION,
     .min = 0,
     .max = 86400000,
     .offset = R (group_wait_ms),
     .help = "wait before a new group's first notification (30s)"},
    {.name = "group_interval",
     .type = VG_OPT_DURATION,
     .min = 1000,
     .max = 86400000,
     .offset = R (group_interval_ms),
     .help = "wait before notifying what changed in a group already notified (5m)"},
    {.name = "repeat_interval",
     .type = VG_OPT_DURATION,
     .min = 1000,
     .max = 30.0 * 86400000,
     .offset = R (repeat_interval_ms),
     .help = "wait before sending an unchanged, still firing group again (4h)"},
    {.name = "continue",
     .type = VG_OPT_BOOL,
     .def = "false",
     .offset = R (cont),
     .help = "after this route matches, go on matching its later siblings"},
    {.name = "mode",
     .type = VG_OPT_STRING,
     .offset = R (mode),
     .help = "immediate, digest PERIOD [ZONE] or daily HH:MM [ZONE]"},
    {.name = "escalation",
     .type = VG_OPT_STRING,
     .offset = R (escalation),
     .help = "the escalation policy alerts of this route climb"},
    {.name = "matchers",
     .type = VG_OPT_STRING_LIST,
     .offset = R (matchers),
     .help = "label matchers, all of which an alert must match"},
    {.name = NULL},
};

typedef struct {
    char *name;
} s_named_t;

static const vg_option_t s_receiver_opts[] = {
    {.name = "name",
     .type = VG_OPT_STRING,
     .required = 1,
     .offset = offsetof (s_named_t, name),
     .help = "the receiver's name, which routes and policies use"},
    {.name = NULL},
};

typedef struct {
    vg_strlist_t source, target, equal;
} s_inhibit_t;

static const vg_option_t s_inhibit_opts[] = {
    {.name = "source_matchers",
     .type = VG_OPT_STRING_LIST,
     .required = 1,
     .offset = offsetof (s_inhibit_t, source),
     .help = "what a muting alert matches"},
    {.name = "target_matchers",
     .type = VG_OPT_STRING_LIST,
     .required = 1,
     .offset = offsetof (s_inhibit_t, target),
     .help = "what a muted alert matches"},
    {.name = "equal",
     .type = VG_OPT_STRING_LIST,
     .offset = offsetof (s_inhibit_t, equal),
     .help = "labels both must have with the same value"},
    {.name = NULL},
};

static const vg_option_t s_level_opts[] = {
    {.name = "delay",
     .type = VG_OPT_DURATION,
     .def = "0s",
     .min = 0,
     .max = 30.0 * 86400000,
     .offset = offsetof (notify_level_t, delay_ms),
     .help = "after the alert starts firing, when this level is notified"},
    {.name = "receivers",
     .type = VG_OPT_STRING_LIST,
     .required = 1,
     .offset = offsetof (notify_level_t, receivers),
     .help = "who this level notifies"},
    {.name = NULL},
};

/* ---- parsing -------------------------------------------------------------- */

typedef struct {
    vg_config_t *doc;
    notify_config_t *cfg;
    char *err;
    size_t errlen;
} s_ctx_t;

static int
s_seq (s_ctx_t *c, vg_cnode_t *node, const char *key)
{
    if (node && !vg_cnode_is_seq (node))
        return vg_config_error (c->doc, node, key, c->err, c->errlen, "expected a list");
    return VG_OK;
}

/* Matchers, each entry one matcher or a braced list. */
static int
s_matchers (s_ctx_t *c, vg_cnode_t *node, const char *key, const vg_strlist_t *list,
            notify_matchers_t *out)
{
    for (size_t i = 0; i < list->n; i++) {
        char why[512];
        if (notify_matchers_parse (out, list->items[i], why, sizeof why) != VG_OK)
            return vg_config_error (c->doc, node, key, c->err, c->errlen, "%s", why);
    }
    return VG_OK;
}

static int
s_matcher_less (const notify_matcher_t *a, const notify_matcher_t *b)
{
    int d = strcmp (a->name, b->name);
    if (d)
        return d < 0;
    d = strcmp (a->value, b->value);
    if (d)
        return d < 0;
    return a->op < b->op;
}

/* Alertmanager sorts a route's matchers (name, value, type) before keying it. */
static void
s_sort_matchers (notify_matchers_t *m)
{
    for (size_t i = 1; i < m->n; i++)
        for (size_t j = i; j > 0 && s_matcher_less (&m->items[j], &m->items[j - 1]); j--) {
            notify_matcher_t t = m->items[j];
            m->items[j] = m->items[j - 1];
            m->items[j - 1] = t;
        }
}

static void
s_strlist_copy (vg_strlist_t *dst, const vg_strlist_t *src)
{
    dst->n = src->n;
    dst->items = src->n ? vg_calloc (src->n, sizeof *dst->items) : NULL;
    for (size_t i = 0; i < src->n; i++)
        dst->items[i] = vg_strdup (src->items[i]);
}

static void s_route_free (notify_route_t *r);

static int
s_route (s_ctx_t *c, vg_cnode_t *node, const char *key, const notify_route_t *parent,
         notify_route_t **out)
{
    static const char *skip[] = {"routes", NULL};
    s_route_t w;
    memset (&w, 0, sizeof w);
    notify_route_t *r = vg_calloc (1, sizeof *r);
    int rc = vg_config_apply (c->doc, node, s_route_opts, skip, &w, key, c->err, c->errlen);
    char sub[512];
    if (rc != VG_OK)
        goto out;
    snprintf (sub, sizeof sub, "%s.matchers", key);
    if ((rc = s_matchers (c, vg_cnode_get (node, "matchers"), sub, &w.matchers, &r->matchers)) !=
        VG_OK)
        goto out;
    if (!parent && r->matchers.n > 0) {
        rc = vg_config_error (c->doc, vg_cnode_get (node, "matchers"), sub, c->err, c->errlen,
                              "the root route matches every alert: it takes no matchers");
        goto out;
    }
    s_sort_matchers (&r->matchers);
    r->cont = w.cont;
    /* Inherited unless set here. */
    r->receiver = vg_strdup (vg_cnode_get (node, "receiver") ? w.receiver
                             : parent                        ? parent->receiver
                                                             : NULL);
    if (vg_cnode_get (node, "group_by")) {
        s_strlist_copy (&r->group_by, &w.group_by);
        for (size_t i = 0; i < r->group_by.n; i++)
            if (strcmp (r->group_by.items[i], "...") == 0)
                r->group_by_all = 1;
    } else if (parent) {
        s_strlist_copy (&r->group_by, &parent->group_by);
        r->group_by_all = parent->group_by_all;
    }
    r->group_wait_ms = vg_cnode_get (node, "group_wait") ? w.group_wait_ms
                       : parent                          ? parent->group_wait_ms
                                                         : 30000;
    r->group_interval_ms = vg_cnode_get (node, "group_interval") ? w.group_interval_ms
                           : parent                              ? parent->group_interval_ms
                                                                 : 300000;
    r->repeat_interval_ms = vg_cnode_get (node, "repeat_interval") ? w.repeat_interval_ms
                            : parent                               ? parent->repeat_interval_ms
                                                                   : 4 * 3600000;
    if (vg_cnode_get (node, "mode")) {
        char why[512];
        snprintf (sub, sizeof sub, "%s.mode", key);
        if (notify_mode_parse (&r->mode, w.mode, why, sizeof why) != VG_OK) {
            rc = vg_config_error (c->doc, vg_cnode_get (node, "mode"), sub, c->err, c->errlen, "%s",
                                  why);
            goto out;
        }
    } else if (parent)
        notify_mode_copy (&r->mode, &parent->mode);
    else
        notify_mode_parse (&r->mode, "immediate", sub, sizeof sub);
    r->escalation = vg_strdup (vg_cnode_get (node, "escalation") ? w.escalation
                               : parent                          ? parent->escalation
                                                                 : NULL);
    if (!r->receiver) {
        rc = vg_config_error (c->doc, node, key, c->err, c->errlen,
                              "the root route needs a receiver");
        goto out;
    }
    /* The key: the parent's, '/', then this route's matchers. */
    vg_buf_t k = {0};
    if (parent) {
        vg_buf_puts (&k, parent->key);
        vg_buf_puts (&k, "/");
    }
    notify_matchers_string (&r->matchers, &k);
    r->key = k.data;

    vg_cnode_t *kids = vg_cnode_get (node, "routes");
    snprintf (sub, sizeof sub, "%s.routes", key);
    if ((rc = s_seq (c, kids, sub)) != VG_OK)
        goto out;
    size_t n = kids ? vg_cnode_seq_len (kids) : 0;
    r->children = n ? vg_calloc (n, sizeof *r->children) : NULL;
    for (size_t i = 0; i < n; i++) {
        snprintf (sub, sizeof sub, "%s.routes[%zu]", key, i);
        if ((rc = s_route (c, vg_cnode_seq_at (kids, i), sub, r, &r->children[i])) != VG_OK)
            goto out;
        r->nchildren++;
    }
out:
    vg_config_free_fields (s_route_opts, &w);
    if (rc != VG_OK) {
        s_route_free (r);
        r = NULL;
    }
    *out = r;
    return rc;
}

static void
s_route_free (notify_route_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nchildren; i++)
        s_route_free (r->children[i]);
    free (r->children);
    notify_matchers_free (&r->matchers);
    free (r->receiver);
    vg_strlist_free (&r->group_by);
    notify_mode_free (&r->mode);
    free (r->escalation);
    free (r->key);
    free (r);
}

static int
s_inhibits (s_ctx_t *c, vg_cnode_t *list)
{
    int rc;
    if ((rc = s_seq (c, list, "inhibit_rules")) != VG_OK)
        return rc;
    size_t n = list ? vg_cnode_seq_len (list) : 0;
    c->cfg->inhibits = n ? vg_calloc (n, sizeof *c->cfg->inhibits) : NULL;
    for (size_t i = 0; i < n; i++) {
        vg_cnode_t *node = vg_cnode_seq_at (list, i);
        char key[128], sub[160];
        snprintf (key, sizeof key, "inhibit_rules[%zu]", i);
        s_inhibit_t w;
        memset (&w, 0, sizeof w);
        notify_inhibit_t *in = &c->cfg->inhibits[c->cfg->ninhibits++];
        rc = vg_config_apply (c->doc, node, s_inhibit_opts, NULL, &w, key, c->err, c->errlen);
        if (rc == VG_OK) {
            snprintf (sub, sizeof sub, "%s.source_matchers", key);
            rc =
                s_matchers (c, vg_cnode_get (node, "source_matchers"), sub, &w.source, &in->source);
        }
        if (rc == VG_OK) {
            snprintf (sub, sizeof sub, "%s.target_matchers", key);
            rc =
                s_matchers (c, vg_cnode_get (node, "target_matchers"), sub, &w.target, &in->target);
        }
        in->equal = w.equal;
        w.equal.items = NULL;
        w.equal.n = 0;
        vg_config_free_fields (s_inhibit_opts, &w);
        if (rc != VG_OK)
            return rc;
    }
    return VG_OK;
}

static int
s_policies (s_ctx_t *c, vg_cnode_t *list)
{
    int rc;
    if ((rc = s_seq (c, list, "escalation_policies")) != VG_OK)
        return rc;
    size_t n = list ? vg_cnode_seq_len (list) : 0;
    c->cfg->policies = n ? vg_calloc (n, sizeof *c->cfg->policies) : NULL;
    static const char *skip[] = {"levels", NULL};
    for (size_t i = 0; i < n; i++) {
        vg_cnode_t *node = vg_cnode_seq_at (list, i);
        char key[128], sub[192];
        snprintf (key, sizeof key, "escalation_policies[%zu]", i);
        s_named_t named = {0};
        if ((rc = vg_config_apply (c->doc, node, s_receiver_opts, skip, &named, key, c->err,
                                   c->errlen)) != VG_OK) {
            vg_config_free_fields (s_receiver_opts, &named);
            return rc;
        }
        notify_policy_t *p = &c->cfg->policies[c->cfg->npolicies++];
        p->name = named.name;
        if (notify_config_policy (c->cfg, p->name) != p)
            return vg_config_error (c->doc, node, key, c->err, c->errlen,
                                    "a policy named \"%s\" is defined twice", p->name);
        vg_cnode_t *levels = vg_cnode_get (node, "levels");
        snprintf (sub, sizeof sub, "%s.levels", key);
        if ((rc = s_seq (c, levels, sub)) != VG_OK)
            return rc;
        size_t m = levels ? vg_cnode_seq_len (levels) : 0;
        if (m == 0)
            return vg_config_error (c->doc, node, sub, c->err, c->errlen,
                                    "a policy needs at least one level");
        p->levels = vg_calloc (m, sizeof *p->levels);
        for (size_t j = 0; j < m; j++) {
            snprintf (sub, sizeof sub, "%s.levels[%zu]", key, j);
            notify_level_t *l = &p->levels[p->n++];
            if ((rc = vg_config_apply (c->doc, vg_cnode_seq_at (levels, j), s_level_opts, NULL, l,
                                       sub, c->err, c->errlen)) != VG_OK)
                return rc;
            if (j > 0 && l->delay_ms < p->levels[j - 1].delay_ms)
                return vg_config_error (c->doc, vg_cnode_seq_at (levels, j), sub, c->err, c->errlen,
                                        "delays count from when the alert fired: each level's "
                                        "must be at least the one before's");
            for (size_t r = 0; r < l->receivers.n; r++)
                if (!notify_config_receiver (c->cfg, l->receivers.items[r]))
                    return vg_config_error (c->doc, vg_cnode_seq_at (levels, j), sub, c->err,
                                            c->errlen, "no receiver named \"%s\"",
                                            l->receivers.items[r]);
        }
    }
    return VG_OK;
}

/* Every receiver and policy a route names exists. */
static int
s_check_route (s_ctx_t *c, vg_cnode_t *node, const char *key, const notify_route_t *r)
{
    if (!notify_config_receiver (c->cfg, r->receiver))
        return vg_config_error (c->doc, node, key, c->err, c->errlen, "no receiver named \"%s\"",
                                r->receiver);
    if (r->escalation && !notify_config_policy (c->cfg, r->escalation))
        return vg_config_error (c->doc, node, key, c->err, c->errlen,
                                "no escalation policy named \"%s\"", r->escalation);
    vg_cnode_t *kids = vg_cnode_get (node, "routes");
    for (size_t i = 0; i < r->nchildren; i++) {
        char sub[512];
        snprintf (sub, sizeof sub, "%s.routes[%zu]", key, i);
        int rc = s_check_route (c, vg_cnode_seq_at (kids, i), sub, r->children[i]);
        if (rc != VG_OK)
            return rc;
    }
    return VG_OK;
}

static notify_config_t *
s_load (vg_config_t *doc, char *err, size_t errlen)
{
    notify_config_t *cfg = vg_calloc (1, sizeof *cfg);
    s_ctx_t c = {.doc = doc, .cfg = cfg, .err = err, .errlen = errlen};
    vg_cnode_t *root = vg_config_root (doc);
    static const char *top[] = {
        "global", "route", "receivers", "inhibit_rules", "escalation_policies", NULL};
    static const vg_option_t none[] = {{.name = NULL}};
    s_global_t g;
    memset (&g, 0, sizeof g);
    int rc;
    if (!root || !vg_cnode_is_map (root)) {
        rc = vg_config_error (doc, root, "(top level)", err, errlen,
                              "expected a mapping with route: and receivers:");
        goto out;
    }
    if ((rc = vg_config_apply (doc, root, none, top, NULL, NULL, err, errlen)) != VG_OK)
        goto out;
    if ((rc = vg_config_apply (doc, vg_cnode_get (root, "global"), s_global_opts, NULL, &g,
                               "global", err, errlen)) != VG_OK)
        goto out;
    cfg->give_up_after_ms = g.give_up_after_ms;
    cfg->retry_min_ms = g.retry_min_ms;
    cfg->retry_max_ms = g.retry_max_ms;
    if ((rc = notify_receiver_parse (doc, vg_cnode_get (root, "receivers"), cfg, err, errlen)) !=
        VG_OK)
        goto out;
    if ((rc = s_inhibits (&c, vg_cnode_get (root, "inhibit_rules"))) != VG_OK)
        goto out;
    if ((rc = s_policies (&c, vg_cnode_get (root, "escalation_policies"))) != VG_OK)
        goto out;
    vg_cnode_t *rnode = vg_cnode_get (root, "route");
    if (!rnode) {
        rc = vg_config_error (doc, root, "route", err, errlen,
                              "required: the root route, with at least a receiver");
        goto out;
    }
    if ((rc = s_route (&c, rnode, "route", NULL, &cfg->root)) != VG_OK)
        goto out;
    rc = s_check_route (&c, rnode, "route", cfg->root);
out:
    if (rc != VG_OK)
        notify_config_destroy (&cfg);
    return cfg;
}

notify_config_t *
notify_config_load (const char *path, char *err, size_t errlen)
{
    vg_config_t *doc = vg_config_load_file (path, err, errlen);
    if (!doc)
        return NULL;
    notify_config_t *cfg = s_load (doc, err, errlen);
    if (cfg)
        cfg->path = vg_strdup (path);
    vg_config_destroy (&doc);
    return cfg;
}

notify_config_t *
notify_config_parse (const char *name, const char *yaml, char *err, size_t errlen)
{
    vg_config_t *doc = vg_config_load_string (name, yaml, err, errlen);
    if (!doc)
        return NULL;
    notify_config_t *cfg = s_load (doc, err, errlen);
    if (cfg)
        cfg->path = vg_strdup (name);
    vg_config_destroy (&doc);
    return cfg;
}

void
notify_config_destroy (notify_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    notify_config_t *self = *self_p;
    s_route_free (self->root);
    for (size_t i = 0; i < self->nreceivers; i++) {
        notify_receiver_t *r = &self->receivers[i];
        notify_receiver_free (r);
    }
    free (self->receivers);
    for (size_t i = 0; i < self->ninhibits; i++) {
        notify_matchers_free (&self->inhibits[i].source);
        notify_matchers_free (&self->inhibits[i].target);
        vg_strlist_free (&self->inhibits[i].equal);
    }
    free (self->inhibits);
    for (size_t i = 0; i < self->npolicies; i++) {
        for (size_t j = 0; j < self->policies[i].n; j++)
            vg_strlist_free (&self->policies[i].levels[j].receivers);
        free (self->policies[i].levels);
        free (self->policies[i].name);
    }
    free (self->policies);
    free (self->path);
    free (self);
    *self_p = NULL;
}

const notify_receiver_t *
notify_config_receiver (const notify_config_t *self, const char *name)
{
    for (size_t i = 0; name && i < self->nreceivers; i++)
        if (strcmp (self->receivers[i].name, name) == 0)
            return &self->receivers[i];
    return NULL;
}

const notify_policy_t *
notify_config_policy (const notify_config_t *self, const char *name)
{
    for (size_t i = 0; name && i < self->npolicies; i++)
        if (strcmp (self->policies[i].name, name) == 0)
            return &self->policies[i];
    return NULL;
}

const notify_integration_t *
notify_config_integration (const notify_config_t *self, const char *receiver, notify_kind_t kind,
                           int index)
{
    const notify_receiver_t *r = notify_config_receiver (self, receiver);
    for (size_t i = 0; r && i < r->n; i++)
        if (r->items[i].kind == kind && r->items[i].index == index)
            return &r->items[i];
    return NULL;
}
