/*  agent_queue.c - the batches not acknowledged yet: spooled, or in memory. */
#include "agent_queue.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COMPLAIN_MS 60000

static const char *const s_reason[AGENT_QUEUE_DROP_REASONS] = {
    "the spool is over agent.spool_max_bytes",
    "older than agent.spool_max_age",
    "the batches kept in memory (the spool cannot take them) are over agent.memory_max_bytes",
    "more than agent.max_pending batches wait",
    "its spool record is damaged",
};

/* Entries by ascending seq in [start, end); removal leaves a tombstone and
 * the ends are trimmed, since acks mostly come in order. */
struct agent_queue_t {
    agent_spool_t *spool;
    uint64_t max_memory;
    size_t max_batches;
    agent_queue_entry_t *items;
    size_t start, end, cap;
    size_t live;
    size_t memory_batches;
    uint64_t memory_bytes;
    uint64_t dropped[AGENT_QUEUE_DROP_REASONS];
    uint64_t spool_failures;
    agent_queue_drop_fn *on_drop;
    void *on_drop_arg;
    vg_complain_t spool_complain;
    vg_complain_t drop_complain[AGENT_QUEUE_DROP_REASONS];
};

agent_queue_t *
agent_queue_new (agent_spool_t *spool, uint64_t max_memory, size_t max_batches)
{
    agent_queue_t *self = vg_calloc (1, sizeof *self);
    self->spool = spool;
    agent_queue_configure (self, max_memory, max_batches);
    return self;
}

void
agent_queue_destroy (agent_queue_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agent_queue_t *self = *self_p;
    for (size_t i = self->start; i < self->end; i++)
        free (self->items[i].data);
    free (self->items);
    free (self);
    *self_p = NULL;
}

void
agent_queue_on_drop (agent_queue_t *self, agent_queue_drop_fn *fn, void *arg)
{
    self->on_drop = fn;
    self->on_drop_arg = arg;
}

static void
s_trim (agent_queue_t *self)
{
    while (self->start < self->end && !self->items[self->start].live)
        self->start++;
    while (self->end > self->start && !self->items[self->end - 1].live)
        self->end--;
    if (self->start == self->end)
        self->start = self->end = 0;
    else if (self->start > 64 && self->start >= self->end / 2) {
        memmove (self->items, self->items + self->start,
                 (self->end - self->start) * sizeof *self->items);
        self->end -= self->start;
        self->start = 0;
    }
}

static size_t
s_lower (const agent_queue_t *self, uint64_t seq)
{
    size_t lo = self->start, hi = self->end;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->items[mid].loc.seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

agent_queue_entry_t *
agent_queue_find (agent_queue_t *self, uint64_t seq)
{
    size_t at = s_lower (self, seq);
    if (at < self->end && self->items[at].loc.seq == seq && self->items[at].live)
        return &self->items[at];
    return NULL;
}

agent_queue_entry_t *
agent_queue_from (agent_queue_t *self, uint64_t seq)
{
    for (size_t i = s_lower (self, seq); i < self->end; i++)
        if (self->items[i].live)
            return &self->items[i];
    return NULL;
}

agent_queue_entry_t *
agent_queue_next (agent_queue_t *self, agent_queue_entry_t *e)
{
    size_t i = e ? (size_t)(e - self->items) + 1 : self->start;
    for (; i < self->end; i++)
        if (self->items[i].live)
            return &self->items[i];
    return NULL;
}

/* Forgets an entry without telling the spool (the caller does, or drops the
 * whole segment). */
static void
s_forget (agent_queue_t *self, agent_queue_entry_t *e)
{
    if (e->data && !e->loc.seg) {
        self->memory_batches--;
        self->memory_bytes -= e->loc.len;
    }
    free (e->data);
    e->data = NULL;
    e->live = 0;
    self->live--;
}

void
agent_queue_remove (agent_queue_t *self, agent_queue_entry_t *e, int64_t now_ms)
{
    if (e->loc.seg && self->spool)
        agent_spool_done (self->spool, &e->loc, now_ms);
    s_forget (self, e);
    s_trim (self);
}

/* Drops entries matching (seg != 0: in that segment; seg == 0: the oldest
 * held in memory, count of them) and logs what went. */
static void
s_drop (agent_queue_t *self, agent_queue_drop_t why, uint32_t seg, size_t count)
{
    uint64_t first = 0, last = 0, n = 0;
    for (size_t i = self->start; i < self->end && (seg || n < count); i++) {
        agent_queue_entry_t *e = &self->items[i];
        if (!e->live || (seg ? e->loc.seg != seg : e->loc.seg != 0))
            continue;
        if (self->on_drop)
            self->on_drop (self->on_drop_arg, e);
        if (!n)
            first = e->loc.seq;
        last = e->loc.seq;
        n++;
        s_forget (self, e);
    }
    s_trim (self);
    if (!n)
        return;
    self->dropped[why] += n;
    vg_complain (&self->drop_complain[why], S_COMPLAIN_MS, VG_LOG_WARN,
                 "dropped %" PRIu64 " batch%s not yet acknowledged, seq %" PRIu64 "..%" PRIu64
                 ": %s; %" PRIu64 " dropped for this reason since the start",
                 n, n == 1 ? "" : "es", first, last, s_reason[why], self->dropped[why]);
}

/* Drops the single oldest entry, wherever it is (the count bound). */
static void
s_drop_oldest (agent_queue_t *self)
{
    agent_queue_entry_t *e = agent_queue_next (self, NULL);
    if (!e)
        return;
    if (self->on_drop)
        self->on_drop (self->on_drop_arg, e);
    uint64_t seq = e->loc.seq;
    if (e->loc.seg && self->spool)
        agent_spool_done (self->spool, &e->loc, vg_now_ms ());
    s_forget (self, e);
    s_trim (self);
    self->dropped[AGENT_QUEUE_DROP_COUNT]++;
    vg_complain (&self->drop_complain[AGENT_QUEUE_DROP_COUNT], S_COMPLAIN_MS, VG_LOG_WARN,
                 "dropped batch seq %" PRIu64 ", not yet acknowledged: %s; %" PRIu64
                 " dropped for this reason since the start",
                 seq, s_reason[AGENT_QUEUE_DROP_COUNT], self->dropped[AGENT_QUEUE_DROP_COUNT]);
}

void
agent_queue_enforce (agent_queue_t *self, int64_t now_ms)
{
    uint32_t seg;
    int over;
    while (self->spool && (over = agent_spool_over_bound (self->spool, now_ms, &seg))) {
        s_drop (self,
                over == AGENT_SPOOL_OVER_AGE ? AGENT_QUEUE_DROP_SPOOL_AGE
                                             : AGENT_QUEUE_DROP_SPOOL_BYTES,
                seg, 0);
        agent_spool_drop (self->spool, seg);
    }
    while (self->memory_bytes > self->max_memory && self->memory_batches > 1)
        s_drop (self, AGENT_QUEUE_DROP_MEMORY, 0, 1);
    while (self->max_batches && self->live > self->max_batches)
        s_drop_oldest (self);
}

void
agent_queue_configure (agent_queue_t *self, uint64_t max_memory, size_t max_batches)
{
    self->max_memory = max_memory ? max_memory : 1;
    self->max_batches = max_batches;
    agent_queue_enforce (self, vg_now_ms ());
}

static agent_queue_entry_t *
s_put (agent_queue_t *self, const agent_spool_loc_t *loc, uint8_t *data)
{
    VG_GROW (self->items, self->cap, self->end + 1);
    size_t at = s_lower (self, loc->seq);
    if (at < self->end && self->items[at].loc.seq == loc->seq) {
        /* Not expected: a seq is never sealed twice. The newer stands. */
        if (self->items[at].live)
            s_forget (self, &self->items[at]);
    } else {
        if (at < self->end)
            memmove (self->items + at + 1, self->items + at,
                     (self->end - at) * sizeof *self->items);
        self->end++;
    }
    self->items[at] = (agent_queue_entry_t){.loc = *loc, .data = data, .sent_mono = -1, .live = 1};
    self->live++;
    if (data && !loc->seg) {
        self->memory_batches++;
        self->memory_bytes += loc->len;
    }
    return &self->items[at];
}

agent_queue_entry_t *
agent_queue_add (agent_queue_t *self, uint64_t seq, int64_t made_ms, uint8_t **data_p, size_t len,
                 const agent_spool_ckpt_t *ckpts, size_t nckpts, int64_t now_mono_ms)
{
    uint8_t *data = *data_p;
    *data_p = NULL;
    agent_spool_loc_t loc = {.seq = seq, .made_ms = made_ms, .len = (uint32_t)len};
    if (self->spool) {
        char err[512];
        if (agent_spool_append (self->spool, seq, made_ms, data, len, ckpts, nckpts, now_mono_ms,
                                &loc, err, sizeof err) != VG_OK) {
            self->spool_failures++;
            vg_complain (&self->spool_complain, S_COMPLAIN_MS, VG_LOG_ERROR,
                         "spool: %s; keeping batches in memory (at most agent.memory_max_bytes) "
                         "until it can be written again",
                         err);
        } else
            vg_complain_clear (&self->spool_complain, "spool: batches are written to %s again",
                               agent_spool_dir (self->spool));
    }
    agent_queue_entry_t *e = s_put (self, &loc, data);
    uint64_t seq_added = e->loc.seq;
    agent_queue_enforce (self, made_ms);
    return agent_queue_find (self, seq_added);
}

void
agent_queue_add_spooled (agent_queue_t *self, const agent_spool_loc_t *loc)
{
    s_put (self, loc, NULL);
}

int
agent_queue_payload (agent_queue_t *self, agent_queue_entry_t *e, uint8_t **data, size_t *len)
{
    if (e->data) {
        *data = vg_malloc (e->loc.len ? e->loc.len : 1);
        memcpy (*data, e->data, e->loc.len);
        *len = e->loc.len;
        return VG_OK;
    }
    char err[512];
    int rc =
        self->spool ? agent_spool_read (self->spool, &e->loc, data, len, err, sizeof err) : VG_EIO;
    if (rc == VG_EPROTO) {
        vg_complain (&self->drop_complain[AGENT_QUEUE_DROP_CORRUPT], S_COMPLAIN_MS, VG_LOG_WARN,
                     "spool: %s; dropped the batch (%" PRIu64 " dropped so since the start)", err,
                     self->dropped[AGENT_QUEUE_DROP_CORRUPT] + 1);
        if (self->on_drop)
            self->on_drop (self->on_drop_arg, e);
        self->dropped[AGENT_QUEUE_DROP_CORRUPT]++;
        agent_queue_remove (self, e, vg_now_ms ());
    } else if (rc != VG_OK && self->spool)
        vg_complain (&self->spool_complain, S_COMPLAIN_MS, VG_LOG_ERROR,
                     "spool: %s; trying again later", err);
    return rc;
}

void
agent_queue_release_copy (agent_queue_t *self, agent_queue_entry_t *e)
{
    (void)self;
    if (e->loc.seg && e->data) {
        free (e->data);
        e->data = NULL;
    }
}

size_t
agent_queue_spool_memory (agent_queue_t *self, int64_t now_mono_ms)
{
    if (!self->spool)
        return self->memory_batches;
    for (size_t i = self->start; i < self->end && self->memory_batches; i++) {
        agent_queue_entry_t *e = &self->items[i];
        if (!e->live || e->loc.seg || !e->data)
            continue;
        agent_spool_loc_t loc;
        char err[512];
        /* Out of seq order in the file; the reader sorts what it finds. */
        if (agent_spool_append (self->spool, e->loc.seq, e->loc.made_ms, e->data, e->loc.len, NULL,
                                0, now_mono_ms, &loc, err, sizeof err) != VG_OK) {
            vg_warn ("spool: %s; %zu batches kept only in memory are lost at exit", err,
                     self->memory_batches);
            break;
        }
        self->memory_batches--;
        self->memory_bytes -= e->loc.len;
        e->loc = loc;
    }
    return self->memory_batches;
}

size_t
agent_queue_len (const agent_queue_t *self)
{
    return self->live;
}

void
agent_queue_stats (const agent_queue_t *self, agent_queue_stats_t *out)
{
    memset (out, 0, sizeof *out);
    out->batches = self->live;
    out->memory_batches = self->memory_batches;
    out->memory_bytes = self->memory_bytes;
    memcpy (out->dropped, self->dropped, sizeof out->dropped);
    out->spool_failures = self->spool_failures;
    for (size_t i = self->start; i < self->end; i++)
        if (self->items[i].live) {
            out->oldest_ms = self->items[i].loc.made_ms;
            break;
        }
}
