/*  rules_engine.h - the collector's rule engine: Prometheus rule files
 *  evaluated in memory, on the batches ingest has committed.
 *
 *  Wiring: register rules_engine_observe (with the engine as arg) as a
 *  commit observer (coll_commit.h), then rules_engine_start. The observer
 *  copies each stored batch into a bounded queue and returns; the engine's
 *  thread applies it to the windows it keeps (only the series some rule
 *  reads, only as far back as their rules read) and evaluates:
 *
 *    - a rule when a series it reads gets data (at most once per
 *      min_eval_interval, and while such evaluations have taken less than
 *      data_share of the time), so a crossing is seen as the batch lands;
 *    - every rule of a group on the group's interval, for 'for', absent(),
 *      up and resolution.
 *
 *  Transitions are stored in vigil.alerts / vigil.alert_transitions in one
 *  transaction with the notify hook; a failure keeps them and tries again.
 *  At start (and after a reload, or a queue overflow) the engine reads its
 *  windows back from PostgreSQL and puts back the pending and firing alerts,
 *  and evaluates nothing until it has: a restart neither forgets a firing
 *  alert nor fires it again, and a pending alert keeps its start.
 *
 *  Time comes from config.clock, and rules_engine_step runs one round at a
 *  given time, so every behaviour is tested without sleeping.
 */
#ifndef RULES_ENGINE_H
#define RULES_ENGINE_H

#include "coll_commit.h"
#include "rules_alert.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *const *rule_files; /* paths or globs, expanded at every load */
    size_t nrule_files;
    const char *rule_dir;         /* where relative ones are; NULL: the working directory */
    const char *database_url;     /* NULL: no database (evaluation only) */
    int64_t default_interval_ms;  /* a group's interval when it sets none (60000) */
    int64_t min_eval_interval_ms; /* data-driven evaluations, at most this often per rule (0) */
    double data_share;            /* of one core, at most, for data-driven evaluations (0: 0.1); see
                                     rules_budget.h */
    size_t max_samples_per_series; /* 0: 100000 */
    size_t max_queue_bytes;        /* 0: 256 MiB */
    size_t max_backlog;            /* transitions kept while they cannot be stored; 0: 100000 */
    rules_transition_fn *hook;     /* notify's; may be NULL */
    void *hook_arg;
    int64_t (*clock) (void *arg); /* wall clock in ms; NULL: vg_now_ms */
    void *clock_arg;
} rules_engine_config_t;

typedef struct rules_engine_t rules_engine_t;

/* Loads and checks the rule files. On error returns NULL with every error
 * ("file:line:column: what", one per line) in err. */
rules_engine_t *rules_engine_new (const rules_engine_config_t *config, char *err, size_t errlen);
/* Stops the thread (if started) and frees everything. */
void rules_engine_destroy (rules_engine_t **self_p);

/* The commit observer (coll_commit_fn); arg is the engine. */
void rules_engine_observe (const coll_committed_t *batches, size_t n, void *arg);

/* Starts the engine's thread. Returns 0 or VG_EIO. */
int rules_engine_start (rules_engine_t *self);

/* Loads the rule files again (files NULL: the same patterns). A file with an
 * error is reported in err and nothing changes: the rules running stay in
 * force. On success the new rules replace the old at the engine's next
 * round; alerts of rules that stay keep their state, those of rules that
 * are gone resolve. */
int rules_engine_reload (rules_engine_t *self, char *const *files, size_t nfiles, char *err,
                         size_t errlen);
/* Asks for a reload of the same files at the next round; safe in a signal
 * handler. Errors are logged. */
void rules_engine_request_reload (rules_engine_t *self);

/* Without the thread (tests): connects, applies the migrations, puts back
 * open alerts and reads the windows back, as of now. Returns 0 or a code. */
int rules_engine_open (rules_engine_t *self, int64_t now, char *err, size_t errlen);
/* One round at now: queued batches applied, up updated, due rules
 * evaluated, transitions stored. Returns the number of rule evaluations. */
size_t rules_engine_step (rules_engine_t *self, int64_t now);

/* Upper bounds (seconds) of the histogram of one rule's evaluation time. */
#define RULES_ENGINE_EVAL_BUCKETS 12
extern const double rules_engine_eval_bounds[RULES_ENGINE_EVAL_BUCKETS];

typedef struct {
    uint64_t evaluations;
    uint64_t eval_errors;
    /* evaluations by duration: eval_buckets[i] counts those within
     * rules_engine_eval_bounds[i] and above the bound before; the last one
     * the rest. Not cumulative. */
    uint64_t eval_buckets[RULES_ENGINE_EVAL_BUCKETS + 1];
    double eval_seconds;      /* their sum */
    uint64_t transitions;     /* stored */
    size_t backlog;           /* transitions waiting for the database */
    uint64_t backlog_dropped; /* the oldest, dropped past max_backlog */
    uint64_t batches;         /* applied */
    uint64_t batches_lost;    /* did not fit in the queue (read back instead) */
    size_t series;            /* in memory */
    size_t samples;
    size_t bytes;
    size_t rules;
    size_t open_alerts; /* pending or firing */
    size_t pending, firing;
    size_t queued;       /* batches waiting for the engine, now */
    size_t queued_bytes; /* what they hold */
    int ready;           /* windows read back: evaluating */
} rules_engine_stats_t;

/* The figures as of the engine's last round (alerts by state: as of its last
 * second); the queue's, as of now. */
rules_engine_stats_t rules_engine_stats (rules_engine_t *self);

#endif
