/*  rules_engine.c - the live rule engine: its thread, its rounds, alerts
 *  stored and put back, reloads. */
#include "rules_engine.h"
#include "coll_migrate.h"
#include "coll_pg.h"
#include "rules_budget.h"
#include "rules_db.h"
#include "rules_exec.h"
#include "rules_file.h"
#include "rules_index.h"
#include "rules_mem.h"
#include "rules_queue.h"
#include "rules_refill.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COMPLAIN_MS 60000
#define S_RETRY_MS    5000 /* between attempts at the database */
#define S_TRIM_MS     1000
#define S_MAX_WAIT_MS 1000
/* What data-driven evaluations may spend at once before the budget's share
 * of the time holds them back. */
#define S_DATA_BURST_NS 100000000LL

/* What belongs to one loaded rule set; replaced whole on reload. */
typedef struct {
    rules_set_t *set;
    rules_mem_t *mem;
    rules_exec_t *exec;
    size_t nrules;
    unsigned char *dirty;
    int64_t *last_eval;
    vg_complain_t *complain;
    int64_t *next_due; /* per group */
} s_rules_t;

struct rules_engine_t {
    rules_engine_config_t config;
    char **files;
    size_t nfiles;
    s_rules_t r;
    rules_index_t *index;
    rules_queue_t *queue;
    PGconn *conn;
    int ready;       /* opened: alerts put back, windows read back */
    int need_refill; /* windows must be read back before evaluating */
    int64_t last_db_try;
    int64_t last_trim;
    rules_transitions_t backlog;
    rules_budget_t budget; /* for evaluations on data */
    vg_complain_t db_complain;
    uint64_t evaluations, eval_errors, transitions, batches, backlog_dropped;
    uint64_t eval_buckets[RULES_ENGINE_EVAL_BUCKETS + 1];
    double eval_seconds;

    pthread_mutex_t lock; /* guards pending, stats */
    rules_set_t *pending; /* a reloaded set waiting to be swapped in */
    rules_engine_stats_t stats;
    volatile sig_atomic_t reload_requested;
    volatile int running;
    pthread_t thread;
    int started;
    int64_t started_mono; /* for the summary at the end */
    rules_mem_stats_t mem_stats;
    size_t pending_alerts, firing_alerts;
};

const double rules_engine_eval_bounds[RULES_ENGINE_EVAL_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};

static int64_t
s_now (rules_engine_t *self)
{
    return self->config.clock ? self->config.clock (self->config.clock_arg) : vg_now_ms ();
}

static int64_t
s_interval (rules_engine_t *self, const rules_group_t *g)
{
    return g->interval_ms > 0 ? g->interval_ms : self->config.default_interval_ms;
}

/*  --------------------------------------------------------------------------
 *  Rule sets
 */

static void
s_rules_free (s_rules_t *r)
{
    rules_exec_destroy (&r->exec);
    rules_mem_destroy (&r->mem);
    rules_set_destroy (&r->set);
    free (r->dirty);
    free (r->last_eval);
    free (r->complain);
    free (r->next_due);
    memset (r, 0, sizeof *r);
}

static void
s_rules_init (rules_engine_t *self, s_rules_t *r, rules_set_t *set)
{
    memset (r, 0, sizeof *r);
    r->set = set;
    r->mem = rules_mem_new (self->config.max_samples_per_series);
    r->exec = rules_exec_new (set, r->mem, NULL, NULL);
    rules_exec_keep_unwatched (r->exec, 0);
    rules_exec_watch (r->exec);
    r->nrules = rules_exec_count (r->exec);
    r->dirty = vg_calloc (r->nrules + 1, 1);
    r->last_eval = vg_calloc (r->nrules + 1, sizeof *r->last_eval);
    r->complain = vg_calloc (r->nrules + 1, sizeof *r->complain);
    r->next_due = vg_calloc (set->ngroups + 1, sizeof *r->next_due);
    for (size_t i = 0; i < r->nrules; i++)
        r->last_eval[i] = INT64_MIN;
    for (size_t g = 0; g < set->ngroups; g++)
        r->next_due[g] = INT64_MIN; /* due at the first round */
}

static rules_set_t *
s_load (char *const *patterns, size_t npatterns, const char *dir, char *err, size_t errlen)
{
    char **files;
    size_t nfiles;
    if (rules_file_expand (patterns, npatterns, dir, &files, &nfiles, err, errlen) != 0)
        return NULL;
    vg_buf_t errors = {0};
    rules_set_t *set = rules_file_load (files, nfiles, &errors);
    if (!set) {
        snprintf (err, errlen, "%s", errors.data ? errors.data : "cannot load the rule files");
        size_t n = strlen (err);
        if (n && err[n - 1] == '\n')
            err[n - 1] = '\0';
    }
    vg_buf_free (&errors);
    rules_file_paths_free (files, nfiles);
    return set;
}

/* The observer copies only the samples some rule reads. */
static int
s_filter (void *arg, int64_t host_id, const int64_t *series_ids, uint32_t n, uint8_t *keep)
{
    return rules_index_filter (arg, host_id, series_ids, n, keep);
}

static void
s_mark (void *arg, int reader)
{
    rules_engine_t *self = arg;
    if (reader >= 0 && (size_t)reader < self->r.nrules)
        self->r.dirty[reader] = 1;
}

/* An alert no loaded rule owns: it resolves (or, pending, is dropped). */
static void
s_orphan (rules_engine_t *self, const char *rule_key, const rules_active_t *alert, int64_t now)
{
    rules_state_t tmp = {0};
    rules_state_restore (&tmp, alert);
    const char *slash = strrchr (rule_key, '/');
    char *group = vg_strndup (rule_key, slash ? (size_t)(slash - rule_key) : strlen (rule_key));
    rules_state_rule_t info = {.group = group, .rule_key = rule_key, .expr = ""};
    rules_state_clear (&tmp, &info, now, &self->backlog, self->backlog.n);
    rules_state_free (&tmp);
    free (group);
}

typedef struct {
    rules_engine_t *self;
    int64_t now;
    size_t pending, firing, orphans;
} s_restore_t;

static void
s_restore_one (void *arg, const char *rule_key, const rules_active_t *alert)
{
    s_restore_t *rs = arg;
    size_t g, k;
    if (!rules_exec_find_rule (rs->self->r.exec, rule_key, alert->labels, &g, &k)) {
        s_orphan (rs->self, rule_key, alert, rs->now);
        rs->orphans++;
        return;
    }
    rules_state_restore (rules_exec_state (rs->self->r.exec, g, k), alert);
    if (alert->state == RULES_ALERT_FIRING)
        rs->firing++;
    else
        rs->pending++;
}

/*  --------------------------------------------------------------------------
 *  The database
 */

static int
s_connect (rules_engine_t *self, char *err, size_t errlen)
{
    if (self->conn && PQstatus (self->conn) == CONNECTION_OK)
        return 0;
    if (self->conn) {
        PQfinish (self->conn);
        self->conn = NULL;
    }
    if (!self->config.database_url) {
        snprintf (err, errlen, "no database configured");
        return VG_EINVAL;
    }
    int rc;
    self->conn =
        coll_pg_connect (self->config.database_url, "vigil-collector rules", &rc, err, errlen);
    if (!self->conn)
        return rc;
    int applied = 0;
    rc = coll_migrate_apply (self->conn, &applied, err, errlen);
    if (rc != 0) {
        PQfinish (self->conn);
        self->conn = NULL;
    }
    return rc;
}

static int
s_refill (rules_engine_t *self, int64_t now, char *err, size_t errlen)
{
    int64_t t0 = vg_mono_ms ();
    rules_refill_stats_t st;
    int rc = rules_refill (self->conn, self->index, self->r.mem, now, &st, err, errlen);
    if (rc == 0)
        vg_info ("rules: read back %zu hosts, %zu series some rule reads, %zu samples and %zu "
                 "distributions in %lld ms",
                 st.hosts, st.series, st.samples, st.sketches, (long long)(vg_mono_ms () - t0));
    return rc;
}

int
rules_engine_open (rules_engine_t *self, int64_t now, char *err, size_t errlen)
{
    int rc = s_connect (self, err, errlen);
    if (rc != 0)
        return rc;
    s_restore_t rs = {.self = self, .now = now};
    rc = rules_db_load_open (self->conn, s_restore_one, &rs, err, errlen);
    if (rc != 0)
        return rc;
    rc = s_refill (self, now, err, errlen);
    if (rc != 0)
        return rc;
    vg_info ("rules: put back %zu pending and %zu firing alerts%s", rs.pending, rs.firing,
             rs.orphans ? "; alerts of rules no longer loaded resolve" : "");
    self->ready = 1;
    self->need_refill = 0;
    return 0;
}

/* Sets the ids the database gave to new alerts on the alerts in memory. */
static void
s_adopt_ids (rules_engine_t *self)
{
    for (size_t i = 0; i < self->backlog.n; i++) {
        const rules_transition_t *t = &self->backlog.items[i];
        size_t g, k;
        if (!rules_exec_find_rule (self->r.exec, t->rule_key, t->labels, &g, &k))
            continue;
        rules_state_t *st = rules_exec_state (self->r.exec, g, k);
        rules_active_t *a = rules_state_find (st, t->alert.fingerprint, t->labels);
        if (a && a->active_ms == t->alert.active_ms)
            a->id = t->alert.id;
    }
}

static void
s_log_transitions (const rules_transitions_t *tr)
{
    vg_buf_t b = {0};
    for (size_t i = 0; i < tr->n; i++) {
        const rules_transition_t *t = &tr->items[i];
        vg_buf_reset (&b);
        rules_labels_format (t->labels, &b);
        vg_info ("alert %s: %s -> %s, value %g", b.data, rules_state_name (t->from),
                 rules_state_name (t->alert.state), t->alert.value);
    }
    vg_buf_free (&b);
}

static void
s_persist (rules_engine_t *self, int64_t now)
{
    if (self->backlog.n == 0)
        return;
    if (self->backlog.n > self->config.max_backlog) {
        size_t drop = self->backlog.n - self->config.max_backlog;
        self->backlog_dropped += drop;
        vg_error ("rules: %zu alert transitions could not be stored and are dropped (the database "
                  "has been unreachable too long)",
                  drop);
        rules_transitions_drop (&self->backlog, drop);
    }
    char err[1024];
    if (!self->conn || PQstatus (self->conn) != CONNECTION_OK) {
        if (now - self->last_db_try < S_RETRY_MS && now >= self->last_db_try)
            return;
        self->last_db_try = now;
        if (s_connect (self, err, sizeof err) != 0) {
            vg_complain (&self->db_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                         "rules: %zu alert transitions wait for the database: %s", self->backlog.n,
                         err);
            return;
        }
    }
    int rc = rules_db_store (self->conn, &self->backlog, self->config.hook, self->config.hook_arg,
                             err, sizeof err);
    if (rc != 0) {
        vg_complain (&self->db_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                     "rules: storing %zu alert transitions failed, tried again at the next "
                     "evaluation: %s",
                     self->backlog.n, err);
        if (PQstatus (self->conn) != CONNECTION_OK) {
            PQfinish (self->conn);
            self->conn = NULL;
        }
        self->last_db_try = now;
        return;
    }
    vg_complain_clear (&self->db_complain, "rules: alert transitions are stored again");
    s_adopt_ids (self);
    s_log_transitions (&self->backlog);
    self->transitions += self->backlog.n;
    rules_transitions_clear (&self->backlog);
}

/* Writes the current value of the open alerts of a group's rules. */
static void
s_refresh (rules_engine_t *self, size_t g, int64_t now)
{
    if (!self->conn || self->backlog.n)
        return;
    rules_db_refresh_t *items = NULL;
    size_t n = 0, cap = 0;
    for (size_t r = 0; r < self->r.set->groups[g].nrules; r++) {
        rules_state_t *st = rules_exec_state (self->r.exec, g, r);
        for (size_t i = 0; st && i < st->n; i++) {
            const rules_active_t *a = &st->items[i];
            if (!a->id || (a->state != RULES_ALERT_PENDING && a->state != RULES_ALERT_FIRING))
                continue;
            VG_GROW (items, cap, n + 1);
            items[n++] = (rules_db_refresh_t){a->id, a->value, a->annotations, a->nannotations,
                                              a->keep_since_ms};
        }
    }
    char err[512];
    if (n && rules_db_refresh (self->conn, items, n, now, err, sizeof err) != 0)
        vg_complain (&self->db_complain, S_COMPLAIN_MS, VG_LOG_WARN, "rules: %s", err);
    free (items);
}

/*  --------------------------------------------------------------------------
 *  Rounds
 */

/* Puts a reloaded set in place of the running one. */
static void
s_swap (rules_engine_t *self, rules_set_t *set, int64_t now)
{
    s_rules_t old = self->r;
    s_rules_init (self, &self->r, set);
    size_t kept = 0, gone = 0;
    for (size_t g = 0; g < old.set->ngroups; g++)
        for (size_t k = 0; k < old.set->groups[g].nrules; k++) {
            rules_state_t *st = rules_exec_state (old.exec, g, k);
            rules_state_rule_t info = rules_exec_rule_info (old.exec, g, k);
            for (size_t i = 0; st && i < st->n; i++) {
                const rules_active_t *a = &st->items[i];
                if (a->state != RULES_ALERT_PENDING && a->state != RULES_ALERT_FIRING)
                    continue;
                size_t ng, nk;
                if (rules_exec_find_rule (self->r.exec, info.rule_key, a->labels, &ng, &nk)) {
                    rules_state_restore (rules_exec_state (self->r.exec, ng, nk), a);
                    kept++;
                } else {
                    s_orphan (self, info.rule_key, a, now);
                    gone++;
                }
            }
        }
    s_rules_free (&old);
    rules_index_reset (self->index);
    self->need_refill = 1;
    size_t alerts, records;
    rules_set_count (set, &alerts, &records);
    vg_info ("rules: reloaded: %zu group%s, %zu alerting and %zu recording rules; %zu open "
             "alerts kept, %zu of rules no longer loaded resolve",
             set->ngroups, set->ngroups == 1 ? "" : "s", alerts, records, kept, gone);
}

static int
s_group_due (rules_engine_t *self, size_t g, int64_t now)
{
    int64_t *due = &self->r.next_due[g];
    if (*due != INT64_MIN && now < *due)
        return 0;
    /* On a fixed grid from the first evaluation, as Prometheus schedules a
     * group: the next point after now. A clock that went back restarts it. */
    int64_t interval = s_interval (self, &self->r.set->groups[g]);
    if (*due == INT64_MIN || now < *due - interval)
        *due = now + interval;
    else
        *due += ((now - *due) / interval + 1) * interval;
    return 1;
}

static void
s_count_open (rules_engine_t *self)
{
    size_t pending = 0, firing = 0;
    for (size_t g = 0; g < self->r.set->ngroups; g++)
        for (size_t k = 0; k < self->r.set->groups[g].nrules; k++) {
            rules_state_t *st = rules_exec_state (self->r.exec, g, k);
            for (size_t i = 0; st && i < st->n; i++) {
                pending += st->items[i].state == RULES_ALERT_PENDING;
                firing += st->items[i].state == RULES_ALERT_FIRING;
            }
        }
    self->pending_alerts = pending;
    self->firing_alerts = firing;
}

/* Counts one evaluation's duration (it is measured, not scheduled: the
 * monotonic clock, not the injected one). */
static void
s_count_duration (rules_engine_t *self, int64_t ns)
{
    double s = (double)ns / 1e9;
    size_t b = 0;
    while (b < RULES_ENGINE_EVAL_BUCKETS && s > rules_engine_eval_bounds[b])
        b++;
    self->eval_buckets[b]++;
    self->eval_seconds += s;
}

size_t
rules_engine_step (rules_engine_t *self, int64_t now)
{
    pthread_mutex_lock (&self->lock);
    rules_set_t *pending = self->pending;
    self->pending = NULL;
    pthread_mutex_unlock (&self->lock);
    if (pending)
        s_swap (self, pending, now);

    size_t n;
    int overflowed;
    rules_queue_batch_t **batches = rules_queue_drain (self->queue, &n, &overflowed);
    for (size_t i = 0; i < n; i++) {
        rules_index_apply (self->index, self->r.mem, batches[i], s_mark, self);
        rules_queue_batch_free (&batches[i]);
    }
    free (batches);
    self->batches += n;
    if (overflowed) {
        vg_warn ("rules: batches arrived faster than the rules took them; reading the windows "
                 "back from the database");
        self->need_refill = 1;
    }
    if (self->need_refill && self->ready && self->conn &&
        (now - self->last_db_try >= S_RETRY_MS || now < self->last_db_try)) {
        char err[1024];
        self->last_db_try = now;
        if (s_refill (self, now, err, sizeof err) == 0) {
            /* What was read back is new data for every rule. */
            self->need_refill = 0;
            memset (self->r.dirty, 1, self->r.nrules);
        } else
            vg_complain (&self->db_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                         "rules: evaluation waits for the windows to be read back: %s", err);
    }
    size_t evals = 0;
    rules_budget_fill (&self->budget, now);
    if (self->ready && !self->need_refill) {
        rules_index_up (self->index, self->r.mem, now, s_mark, self);
        rules_exec_t *exec = self->r.exec;
        for (size_t g = 0; g < self->r.set->ngroups; g++) {
            int due = s_group_due (self, g, now);
            for (size_t k = 0; k < self->r.set->groups[g].nrules; k++) {
                size_t idx = rules_exec_index (exec, g, k);
                int on_data = self->r.dirty[idx] && rules_budget_allows (&self->budget) &&
                              (self->r.last_eval[idx] == INT64_MIN ||
                               now - self->r.last_eval[idx] >= self->config.min_eval_interval_ms ||
                               now < self->r.last_eval[idx]);
                if (!due && !on_data)
                    continue;
                self->r.dirty[idx] = 0;
                self->r.last_eval[idx] = now;
                char err[512];
                evals++;
                int64_t t0 = vg_mono_ns ();
                int rc = rules_exec_rule (exec, g, k, now, &self->backlog, err, sizeof err);
                int64_t took = vg_mono_ns () - t0;
                s_count_duration (self, took);
                if (!due)
                    rules_budget_spend (&self->budget, took);
                if (rc != 0) {
                    self->eval_errors++;
                    vg_complain (&self->r.complain[idx], S_COMPLAIN_MS, VG_LOG_WARN,
                                 "rules: group \"%s\", rule %s: %s", self->r.set->groups[g].name,
                                 self->r.set->groups[g].rules[k].name, err);
                } else
                    self->r.complain[idx].failing = 0;
            }
            if (due)
                s_refresh (self, g, now);
        }
        s_persist (self, now);
    }
    self->evaluations += evals;
    /* Trimming and the figures walk every series: once a second. */
    int tick = now - self->last_trim >= S_TRIM_MS || now < self->last_trim;
    if (tick) {
        rules_mem_trim (self->r.mem, now);
        self->last_trim = now;
        self->mem_stats = rules_mem_stats (self->r.mem);
        s_count_open (self);
    }
    rules_mem_stats_t ms = self->mem_stats;
    rules_queue_stats_t qs = rules_queue_stats (self->queue);
    pthread_mutex_lock (&self->lock);
    self->stats = (rules_engine_stats_t){.evaluations = self->evaluations,
                                         .eval_errors = self->eval_errors,
                                         .eval_seconds = self->eval_seconds,
                                         .transitions = self->transitions,
                                         .backlog = self->backlog.n,
                                         .backlog_dropped = self->backlog_dropped,
                                         .batches = self->batches,
                                         .batches_lost = qs.dropped,
                                         .series = ms.series,
                                         .samples = ms.samples,
                                         .bytes = ms.bytes,
                                         .rules = self->r.nrules,
                                         .open_alerts = self->pending_alerts + self->firing_alerts,
                                         .pending = self->pending_alerts,
                                         .firing = self->firing_alerts,
                                         .ready = self->ready && !self->need_refill};
    memcpy (self->stats.eval_buckets, self->eval_buckets, sizeof self->eval_buckets);
    pthread_mutex_unlock (&self->lock);
    return evals;
}

/* How long the thread may sleep: until a group is due or a waiting dirty
 * rule may run, at most S_MAX_WAIT_MS. */
static int64_t
s_sleep_ms (rules_engine_t *self, int64_t now)
{
    int64_t wait = S_MAX_WAIT_MS;
    for (size_t g = 0; g < self->r.set->ngroups; g++)
        if (self->r.next_due[g] != INT64_MIN && self->r.next_due[g] - now < wait)
            wait = self->r.next_due[g] - now;
    int64_t budget = self->budget.at_ms + rules_budget_wait_ms (&self->budget) - now;
    for (size_t i = 0; self->ready && !self->need_refill && i < self->r.nrules; i++)
        if (self->r.dirty[i]) {
            int64_t w = self->r.last_eval[i] == INT64_MIN
                            ? 0
                            : self->r.last_eval[i] + self->config.min_eval_interval_ms - now;
            if (w < budget)
                w = budget;
            if (w < wait)
                wait = w;
        }
    return wait < 0 ? 0 : wait;
}

static void *
s_run (void *arg)
{
    rules_engine_t *self = arg;
    int64_t next_open = 0;
    while (self->running) {
        int64_t now = s_now (self);
        if (self->reload_requested) {
            self->reload_requested = 0;
            char err[4096];
            if (rules_engine_reload (self, NULL, 0, err, sizeof err) != 0)
                vg_error ("rules: reload refused, the rules running stay in force:\n%s", err);
        }
        if (!self->ready && vg_mono_ms () >= next_open) {
            char err[1024];
            if (rules_engine_open (self, now, err, sizeof err) != 0) {
                vg_complain (&self->db_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                             "rules: waiting for the database to read alerts and windows back "
                             "(no rule is evaluated until then): %s",
                             err);
                next_open = vg_mono_ms () + S_RETRY_MS;
            } else
                vg_complain_clear (&self->db_complain, "rules: connected to the database");
        }
        rules_engine_step (self, now);
        rules_queue_wait (self->queue, vg_mono_ms () + s_sleep_ms (self, s_now (self)));
    }
    return NULL;
}

/*  --------------------------------------------------------------------------
 *  Lifecycle
 */

rules_engine_t *
rules_engine_new (const rules_engine_config_t *config, char *err, size_t errlen)
{
    rules_set_t *set =
        s_load (config->rule_files, config->nrule_files, config->rule_dir, err, errlen);
    if (!set)
        return NULL;
    rules_engine_t *self = vg_calloc (1, sizeof *self);
    self->config = *config;
    if (self->config.default_interval_ms <= 0)
        self->config.default_interval_ms = 60000;
    if (self->config.min_eval_interval_ms < 0)
        self->config.min_eval_interval_ms = 0;
    if (!(self->config.data_share > 0 && self->config.data_share <= 1))
        self->config.data_share = 0.1;
    rules_budget_init (&self->budget, self->config.data_share, S_DATA_BURST_NS);
    if (!self->config.max_samples_per_series)
        self->config.max_samples_per_series = 100000;
    if (!self->config.max_queue_bytes)
        self->config.max_queue_bytes = 256u << 20;
    if (!self->config.max_backlog)
        self->config.max_backlog = 100000;
    self->files = vg_calloc (config->nrule_files + 1, sizeof *self->files);
    for (size_t i = 0; i < config->nrule_files; i++)
        self->files[i] = vg_strdup (config->rule_files[i]);
    self->nfiles = config->nrule_files;
    self->config.rule_files = self->files;
    self->config.database_url = config->database_url ? vg_strdup (config->database_url) : NULL;
    self->config.rule_dir = config->rule_dir ? vg_strdup (config->rule_dir) : NULL;
    s_rules_init (self, &self->r, set);
    self->index = rules_index_new (0);
    self->queue = rules_queue_new (self->config.max_queue_bytes, s_filter, self->index);
    self->last_trim = 0;
    self->last_db_try = INT64_MIN / 2;
    pthread_mutex_init (&self->lock, NULL);
    size_t alerts, records;
    rules_set_count (set, &alerts, &records);
    vg_info ("rules: %zu group%s, %zu alerting and %zu recording rules from %zu file pattern%s",
             set->ngroups, set->ngroups == 1 ? "" : "s", alerts, records, self->nfiles,
             self->nfiles == 1 ? "" : "s");
    return self;
}

int
rules_engine_start (rules_engine_t *self)
{
    self->running = 1;
    self->started_mono = vg_mono_ms ();
    if (pthread_create (&self->thread, NULL, s_run, self) != 0) {
        self->running = 0;
        return VG_EIO;
    }
    self->started = 1;
    return 0;
}

void
rules_engine_destroy (rules_engine_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rules_engine_t *self = *self_p;
    if (self->started) {
        self->running = 0;
        rules_queue_wake (self->queue);
        pthread_join (self->thread, NULL);
    }
    if (self->started) {
        double secs = (double)(vg_mono_ms () - self->started_mono) / 1000;
        vg_info ("rules: stopped: %llu rule evaluations in %.1f s (%.0f/s), %llu evaluation "
                 "errors, %llu transitions stored, %llu batches applied",
                 (unsigned long long)self->evaluations, secs,
                 secs > 0 ? (double)self->evaluations / secs : 0.0,
                 (unsigned long long)self->eval_errors, (unsigned long long)self->transitions,
                 (unsigned long long)self->batches);
    }
    /* What could not be stored is lost with the process; say so. */
    if (self->backlog.n)
        vg_warn ("rules: %zu alert transitions were not stored (the database was unreachable); "
                 "they are evaluated again at the next start",
                 self->backlog.n);
    rules_transitions_free (&self->backlog);
    s_rules_free (&self->r);
    rules_set_destroy (&self->pending);
    rules_index_destroy (&self->index);
    rules_queue_destroy (&self->queue);
    if (self->conn)
        PQfinish (self->conn);
    for (size_t i = 0; i < self->nfiles; i++)
        free (self->files[i]);
    free (self->files);
    free ((char *)self->config.database_url);
    free ((char *)self->config.rule_dir);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

void
rules_engine_observe (const coll_committed_t *batches, size_t n, void *arg)
{
    rules_engine_t *self = arg;
    rules_queue_push (self->queue, batches, n);
}

int
rules_engine_reload (rules_engine_t *self, char *const *files, size_t nfiles, char *err,
                     size_t errlen)
{
    pthread_mutex_lock (&self->lock);
    char **patterns = vg_calloc ((files ? nfiles : self->nfiles) + 1, sizeof *patterns);
    size_t n = files ? nfiles : self->nfiles;
    for (size_t i = 0; i < n; i++)
        patterns[i] = vg_strdup (files ? files[i] : self->files[i]);
    pthread_mutex_unlock (&self->lock);
    rules_set_t *set = s_load (patterns, n, self->config.rule_dir, err, errlen);
    if (!set) {
        rules_file_paths_free (patterns, n);
        return VG_EINVAL;
    }
    pthread_mutex_lock (&self->lock);
    if (files) {
        rules_file_paths_free (self->files, self->nfiles);
        self->files = patterns;
        self->nfiles = n;
        self->config.rule_files = self->files;
        self->config.nrule_files = n;
    } else
        rules_file_paths_free (patterns, n);
    rules_set_destroy (&self->pending);
    self->pending = set;
    pthread_mutex_unlock (&self->lock);
    rules_queue_wake (self->queue);
    return 0;
}

void
rules_engine_request_reload (rules_engine_t *self)
{
    self->reload_requested = 1;
}

rules_engine_stats_t
rules_engine_stats (rules_engine_t *self)
{
    pthread_mutex_lock (&self->lock);
    rules_engine_stats_t st = self->stats;
    pthread_mutex_unlock (&self->lock);
    rules_queue_stats_t qs = rules_queue_stats (self->queue);
    st.queued = qs.queued;
    st.queued_bytes = qs.bytes;
    return st;
}
