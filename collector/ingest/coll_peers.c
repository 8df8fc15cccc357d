/*  coll_peers.c - agents' refusal counts and open connections, capped. */
#include "coll_peers.h"
#include "coll_sockstat.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_log.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t last_ms;
    uint64_t refused[COLL_REFUSED_COUNT];
} s_agent_t;

typedef struct {
    int open;
    char addr[64];
    int64_t last_ms;
    uint64_t delivered; /* payload bytes read as messages */
    uint64_t messages;
    uint64_t held;           /* at the last check */
    vg_batch_names_t *names; /* of its last batch, when kept */
} s_conn_t;

struct coll_peers_t {
    zhashx_t *agents; /* agent_id -> s_agent_t */
    size_t max_agents;
    s_conn_t *conns; /* by fd */
    size_t conns_cap;
    size_t cursor; /* where the next measuring round goes on */
    size_t max_conns;
    int64_t idle_ms;
    coll_peers_stats_t stats;
    vg_complain_t agents_cap;
    vg_complain_t conns_cap_log;
};

/* The connection on fd is closed: its names go. */
static void
s_conn_close (coll_peers_t *self, s_conn_t *c)
{
    if (c->names) {
        self->stats.names_bytes -= c->names->bytes;
        vg_batch_names_unref (&c->names);
    }
    if (c->open)
        self->stats.connections--;
    c->open = 0;
}

static const char *s_reason_names[COLL_REFUSED_COUNT] = {"size", "checksum", "limit", "invalid",
                                                         "host"};

const char *
coll_peers_reason_name (coll_refused_t reason)
{
    return (unsigned)reason < COLL_REFUSED_COUNT ? s_reason_names[reason] : "unknown";
}

static void
s_agent_free (void **item)
{
    free (*item);
    *item = NULL;
}

coll_peers_t *
coll_peers_new (size_t max_agents, size_t max_conns, int64_t idle_ms)
{
    coll_peers_t *self = vg_calloc (1, sizeof *self);
    self->agents = zhashx_new ();
    zhashx_set_destructor (self->agents, s_agent_free);
    self->max_agents = max_agents ? max_agents : 1;
    self->max_conns = max_conns ? max_conns : 1;
    self->idle_ms = idle_ms;
    return self;
}

void
coll_peers_destroy (coll_peers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_peers_t *self = *self_p;
    zhashx_destroy (&self->agents);
    for (size_t fd = 0; fd < self->conns_cap; fd++)
        s_conn_close (self, &self->conns[fd]);
    free (self->conns);
    free (self);
    *self_p = NULL;
}

static int
s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Makes room for one more agent: drops the eighth idle longest, so that a
 * stream of new ids costs a sort per max_agents / 8 of them. */
static void
s_evict_agents (coll_peers_t *self, size_t keep)
{
    size_t n = zhashx_size (self->agents);
    if (n < keep)
        return;
    int64_t *times = vg_malloc ((n + 1) * sizeof *times);
    size_t k = 0;
    for (s_agent_t *a = zhashx_first (self->agents); a && k < n; a = zhashx_next (self->agents))
        times[k++] = a->last_ms;
    qsort (times, k, sizeof *times, s_cmp_i64);
    size_t drop = n - keep + 1 + keep / 8;
    if (drop > k)
        drop = k;
    int64_t cut = times[drop - 1];
    free (times);
    zlistx_t *keys = zhashx_keys (self->agents);
    size_t dropped = 0;
    for (const char *key = zlistx_first (keys); key && dropped < drop; key = zlistx_next (keys)) {
        s_agent_t *a = zhashx_lookup (self->agents, key);
        if (a && a->last_ms <= cut) {
            zhashx_delete (self->agents, key);
            dropped++;
        }
    }
    zlistx_destroy (&keys);
    self->stats.agents_evicted += dropped;
    vg_complain (&self->agents_cap, 60000, VG_LOG_WARN,
                 "remembering refusals of %zu agents (the most it keeps): forgot the %zu seen "
                 "longest ago; %llu forgotten in all",
                 keep, dropped, (unsigned long long)self->stats.agents_evicted);
}

uint64_t
coll_peers_refused (coll_peers_t *self, const char *agent_id, coll_refused_t reason, int64_t now_ms)
{
    if ((unsigned)reason >= COLL_REFUSED_COUNT)
        return 0;
    self->stats.refused[reason]++;
    s_agent_t *a = zhashx_lookup (self->agents, agent_id);
    if (!a) {
        s_evict_agents (self, self->max_agents);
        a = vg_calloc (1, sizeof *a);
        zhashx_insert (self->agents, agent_id, a);
    }
    a->last_ms = now_ms;
    return ++a->refused[reason];
}

uint64_t
coll_peers_refusals (const coll_peers_t *self, const char *agent_id, coll_refused_t reason)
{
    s_agent_t *a = zhashx_lookup (self->agents, agent_id);
    return a && (unsigned)reason < COLL_REFUSED_COUNT ? a->refused[reason] : 0;
}

int
coll_peers_accepted (coll_peers_t *self, int fd, const char *addr, int64_t now_ms)
{
    if (fd < 0)
        return 0;
    if (self->stats.connections >= self->max_conns) {
        self->stats.conns_refused++;
        vg_complain (&self->conns_cap_log, 60000, VG_LOG_WARN,
                     "%llu connections are open (max_peers): closed the one from %s; %llu "
                     "closed so in all - raise max_peers if that many agents are real",
                     (unsigned long long)self->stats.connections, addr ? addr : "?",
                     (unsigned long long)self->stats.conns_refused);
        return -1;
    }
    size_t had = self->conns_cap;
    VG_GROW (self->conns, self->conns_cap, (size_t)fd + 1);
    memset (self->conns + had, 0, (self->conns_cap - had) * sizeof *self->conns);
    s_conn_t *c = &self->conns[fd];
    s_conn_close (self, c);
    self->stats.connections++;
    memset (c, 0, sizeof *c);
    c->open = 1;
    c->last_ms = now_ms;
    snprintf (c->addr, sizeof c->addr, "%s", addr ? addr : "");
    return 0;
}

void
coll_peers_closed (coll_peers_t *self, int fd)
{
    if (fd < 0 || (size_t)fd >= self->conns_cap || !self->conns[fd].open)
        return;
    s_conn_close (self, &self->conns[fd]);
}

void
coll_peers_seen (coll_peers_t *self, int fd, int64_t now_ms)
{
    if (fd >= 0 && (size_t)fd < self->conns_cap && self->conns[fd].open)
        self->conns[fd].last_ms = now_ms;
}

size_t
coll_peers_take_idle (coll_peers_t *self, int64_t now_ms, int *fds, size_t max)
{
    size_t n = 0;
    if (self->idle_ms <= 0)
        return 0;
    for (size_t fd = 0; fd < self->conns_cap && n < max; fd++) {
        s_conn_t *c = &self->conns[fd];
        if (c->open && now_ms - c->last_ms >= self->idle_ms) {
            fds[n++] = (int)fd;
            s_conn_close (self, c);
            self->stats.conns_idle++;
        }
    }
    return n;
}

void
coll_peers_delivered (coll_peers_t *self, int fd, size_t bytes)
{
    if (fd >= 0 && (size_t)fd < self->conns_cap && self->conns[fd].open) {
        self->conns[fd].delivered += bytes;
        self->conns[fd].messages++;
    }
}

/* Bytes libzmq read from fd and has not delivered; 0 if unknown. */
static uint64_t
s_held (const s_conn_t *c, int fd, size_t per_frame_slack)
{
    uint64_t taken;
    if (coll_sockstat_taken (fd, &taken) != 0)
        return 0;
    uint64_t known = c->delivered + (c->messages + 1) * per_frame_slack;
    return taken > known ? taken - known : 0;
}

/* What c holds that counts against the limit for all: while paused, what is
 * beyond the whole messages libzmq may queue for it, at its own average
 * size; otherwise (they are read at once) all of it. */
static uint64_t
s_excess (const s_conn_t *c, int paused)
{
    uint64_t queued =
        paused && c->messages ? COLL_PEERS_QUEUED_MESSAGES * (c->delivered / c->messages) : 0;
    return c->held > queued ? c->held - queued : 0;
}

/* Room for a ZMTP greeting and handshake, and each message's frame headers
 * (the routing id, kind and payload frames; CURVE boxes each). */
#define S_FRAME_SLACK 256
/* A connection holding more than this is hot: measured at every call. */
#define S_HOT_BYTES (256 * 1024)

size_t
coll_peers_take_hoarders (coll_peers_t *self, size_t per_conn, size_t total, size_t budget,
                          int paused, int *fds, size_t max)
{
    size_t n = 0;
    for (size_t fd = 0; fd < self->conns_cap; fd++) {
        s_conn_t *c = &self->conns[fd];
        if (c->open && c->held > S_HOT_BYTES)
            c->held = s_held (c, (int)fd, S_FRAME_SLACK);
    }
    /* The others in turn, budget of them a call: two system calls each. */
    size_t k = 0;
    for (size_t seen = 0; k < self->conns_cap && seen < budget; k++) {
        size_t fd = (self->cursor + k) % self->conns_cap;
        s_conn_t *c = &self->conns[fd];
        if (!c->open || c->held > S_HOT_BYTES)
            continue;
        c->held = s_held (c, (int)fd, S_FRAME_SLACK);
        seen++;
    }
    if (self->conns_cap)
        self->cursor = (self->cursor + k) % self->conns_cap;
    uint64_t sum = 0;
    for (size_t fd = 0; fd < self->conns_cap; fd++)
        if (self->conns[fd].open)
            sum += self->conns[fd].held;
    if (sum > self->stats.held_peak)
        self->stats.held_peak = sum;
    self->stats.held_now = sum;
    for (size_t fd = 0; fd < self->conns_cap && n < max; fd++) {
        s_conn_t *c = &self->conns[fd];
        if (c->open && c->held > per_conn) {
            vg_debug ("the connection from %s (fd %zu) holds %llu bytes of unfinished input "
                      "(%llu delivered in %llu messages)",
                      c->addr, fd, (unsigned long long)c->held, (unsigned long long)c->delivered,
                      (unsigned long long)c->messages);
            fds[n++] = (int)fd;
            s_conn_close (self, c);
        }
    }
    uint64_t excess = 0;
    for (size_t fd = 0; fd < self->conns_cap; fd++)
        if (self->conns[fd].open)
            excess += s_excess (&self->conns[fd], paused);
    while (excess > total && n < max) {
        s_conn_t *top = NULL;
        size_t topfd = 0;
        uint64_t most = 0;
        for (size_t fd = 0; fd < self->conns_cap; fd++) {
            uint64_t e = self->conns[fd].open ? s_excess (&self->conns[fd], paused) : 0;
            if (e > most)
                top = &self->conns[fd], topfd = fd, most = e;
        }
        if (!top)
            break;
        vg_debug ("all connections hold %llu bytes of unfinished input beyond their queued "
                  "messages; the one from %s (fd %zu) holds most, %llu (%llu delivered in %llu "
                  "messages)",
                  (unsigned long long)excess, top->addr, topfd, (unsigned long long)top->held,
                  (unsigned long long)top->delivered, (unsigned long long)top->messages);
        fds[n++] = (int)topfd;
        excess -= most;
        s_conn_close (self, top);
    }
    self->stats.conns_hoarding += n;
    return n;
}

int
coll_peers_take_largest (coll_peers_t *self, uint64_t min_held)
{
    int best = -1;
    uint64_t most = min_held;
    for (size_t fd = 0; fd < self->conns_cap; fd++)
        if (self->conns[fd].open && self->conns[fd].held > most) {
            most = self->conns[fd].held;
            best = (int)fd;
        }
    if (best >= 0) {
        s_conn_close (self, &self->conns[best]);
        self->stats.conns_hoarding++;
    }
    return best;
}

vg_batch_names_t *
coll_peers_names (const coll_peers_t *self, int fd)
{
    if (fd < 0 || (size_t)fd >= self->conns_cap || !self->conns[fd].open)
        return NULL;
    return self->conns[fd].names;
}

void
coll_peers_keep_names (coll_peers_t *self, int fd, vg_batch_names_t *names)
{
    if (fd < 0 || (size_t)fd >= self->conns_cap || !self->conns[fd].open)
        return;
    s_conn_t *c = &self->conns[fd];
    if (c->names == names)
        return;
    if (c->names) {
        self->stats.names_bytes -= c->names->bytes;
        vg_batch_names_unref (&c->names);
    }
    if (!names || names->bytes > COLL_PEERS_NAMES_PER_CONN ||
        names->bytes > COLL_PEERS_NAMES_TOTAL - self->stats.names_bytes) {
        self->stats.names_not_kept++;
        return;
    }
    c->names = vg_batch_names_ref (names);
    self->stats.names_bytes += names->bytes;
    if (self->stats.names_bytes > self->stats.names_peak)
        self->stats.names_peak = self->stats.names_bytes;
}

const char *
coll_peers_addr (const coll_peers_t *self, int fd)
{
    if (fd < 0 || (size_t)fd >= self->conns_cap || !self->conns[fd].addr[0])
        return NULL;
    return self->conns[fd].addr;
}

void
coll_peers_configure (coll_peers_t *self, size_t max_agents, size_t max_conns, int64_t idle_ms,
                      int64_t now_ms)
{
    (void)now_ms;
    self->max_agents = max_agents ? max_agents : 1;
    self->max_conns = max_conns ? max_conns : 1;
    self->idle_ms = idle_ms;
    if (zhashx_size (self->agents) > self->max_agents)
        s_evict_agents (self, self->max_agents);
}

coll_peers_stats_t
coll_peers_stats (const coll_peers_t *self)
{
    coll_peers_stats_t s = self->stats;
    s.agents = zhashx_size (self->agents);
    return s;
}
