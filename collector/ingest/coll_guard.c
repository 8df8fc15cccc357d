/*  coll_guard.c - connections noted, measured and closed. */
#include "coll_guard.h"
#include "vg_alloc.h"
#include "vg_log.h"
#include "vg_time.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

/* Connections measured a tick (two system calls each): every one each 10
 * ticks (100 ms), at least 64 and at most 256 a tick, so 10,000 connections
 * are each measured every 400 ms. Hot ones (holding input) at every tick. */
#define S_MEASURED_MIN 64
#define S_MEASURED_MAX 256
/* How long after a pause whole messages queued in libzmq are allowed for. */
#define S_QUEUED_DRAIN_MS 10000
/* Agent ids whose refusals are counted, at most. */
#define S_MAX_AGENTS 65536

struct coll_guard_t {
    coll_peers_t *peers;
    int64_t frame_cap;
    int64_t trim_until_ms;   /* give freed memory back to the system until then */
    int64_t next_trim_ms;    /* every 100 ms meanwhile */
    int64_t queued_until_ms; /* libzmq may hold queued whole messages until then */
    vg_complain_t log;
};

coll_guard_t *
coll_guard_new (size_t max_conns, int64_t idle_ms, int64_t frame_cap)
{
    coll_guard_t *self = vg_calloc (1, sizeof *self);
    self->peers = coll_peers_new (S_MAX_AGENTS, max_conns, idle_ms);
    self->frame_cap = frame_cap;
    return self;
}

void
coll_guard_destroy (coll_guard_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_peers_destroy (&(*self_p)->peers);
    free (*self_p);
    *self_p = NULL;
}

void
coll_guard_configure (coll_guard_t *self, size_t max_conns, int64_t idle_ms, int64_t frame_cap)
{
    coll_peers_configure (self->peers, S_MAX_AGENTS, max_conns, idle_ms, vg_mono_ms ());
    self->frame_cap = frame_cap;
}

coll_peers_t *
coll_guard_peers (coll_guard_t *self)
{
    return self->peers;
}

/* "127.0.0.1:40312": the remote end of a connection, "" if unknown. */
static void
s_peer_name (int fd, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "";
    buf[0] = '\0';
    if (getpeername (fd, (struct sockaddr *)&ss, &sl) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        inet_ntop (AF_INET, &in->sin_addr, host, sizeof host);
        snprintf (buf, len, "%s:%u", host, ntohs (in->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        inet_ntop (AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf (buf, len, "[%s]:%u", host, ntohs (in6->sin6_port));
    } else
        snprintf (buf, len, "local");
}

/* Shutdown, not close: libzmq sees the connection end and frees all it
 * holds for it. The remote address and port must still be those noted. */
void
coll_guard_cut (coll_guard_t *self, int fd, const char *why)
{
    const char *noted = coll_peers_addr (self->peers, fd);
    char now[96];
    s_peer_name (fd, now, sizeof now);
    if (!noted || !*now || strcmp (now, noted) != 0)
        return;
    shutdown (fd, SHUT_RDWR);
    vg_complain (&self->log, 10000, VG_LOG_WARN, "closed the connection from %s: %s", now, why);
}

void
coll_guard_on_monitor (coll_guard_t *self, void *monitor)
{
    for (;;) {
        zmq_msg_t head, addr;
        zmq_msg_init (&head);
        if (zmq_msg_recv (&head, monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&head);
            return;
        }
        uint16_t event = 0;
        int32_t value = -1;
        if (zmq_msg_size (&head) >= 6) {
            memcpy (&event, zmq_msg_data (&head), 2);
            memcpy (&value, (uint8_t *)zmq_msg_data (&head) + 2, 4);
        }
        int more = zmq_msg_more (&head);
        zmq_msg_close (&head);
        if (more) {
            zmq_msg_init (&addr);
            zmq_msg_recv (&addr, monitor, 0);
            zmq_msg_close (&addr);
        }
        if (event == ZMQ_EVENT_ACCEPTED) {
            char name[96];
            s_peer_name (value, name, sizeof name);
            if (coll_peers_accepted (self->peers, value, name, vg_mono_ms ()) != 0)
                coll_guard_cut (self, value, "max_peers connections are open");
        } else if (event == ZMQ_EVENT_DISCONNECTED || event == ZMQ_EVENT_CLOSED) {
            coll_peers_closed (self->peers, value);
        }
    }
}

/* The process's resident memory, in bytes; 0 if unknown. */
static uint64_t
s_rss_bytes (void)
{
    FILE *f = fopen ("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf (f, "%llu %llu", &size, &resident) != 2)
        resident = 0;
    fclose (f);
    return (uint64_t)resident * (uint64_t)sysconf (_SC_PAGESIZE);
}

size_t
coll_guard_budget (size_t connections)
{
    size_t budget = (connections + 9) / 10;
    return budget < S_MEASURED_MIN   ? S_MEASURED_MIN
           : budget > S_MEASURED_MAX ? S_MEASURED_MAX
                                     : budget;
}

void
coll_guard_tick (coll_guard_t *self, int64_t now, int paused)
{
    int fds[64];
    size_t per_conn = (size_t)self->frame_cap + 64 * 1024;
    /* Once reading again the collector drains what was queued for every
     * connection, a batch queue's worth at a time: that takes a while. */
    if (paused)
        self->queued_until_ms = now + S_QUEUED_DRAIN_MS;
    uint64_t before = coll_peers_stats (self->peers).held_now;
    size_t budget = coll_guard_budget ((size_t)coll_peers_stats (self->peers).connections);
    size_t n = coll_peers_take_hoarders (self->peers, per_conn, COLL_GUARD_TOTAL_HELD, budget,
                                         now < self->queued_until_ms, fds, 64);
    uint64_t after = coll_peers_stats (self->peers).held_now;
    if (n > 0 || before > after + 4 * 1024 * 1024)
        self->trim_until_ms = now + 1000;
    /* libzmq frees what a closed connection held a little later, on its own
     * thread; hand what glibc keeps of it back for a second after. */
    if (now < self->trim_until_ms && now >= self->next_trim_ms) {
        self->next_trim_ms = now + 100;
        malloc_trim (0);
    }
    for (size_t i = 0; i < n; i++) {
        char why[160];
        snprintf (why, sizeof why,
                  "it held more unfinished input than the collector allows (%zu bytes for one, "
                  "%d for all)",
                  per_conn, COLL_GUARD_TOTAL_HELD);
        coll_guard_cut (self, fds[i], why);
    }
    uint64_t rss = s_rss_bytes ();
    if (rss > COLL_GUARD_RSS_VALVE) {
        int fd = coll_peers_take_largest (self->peers, 64 * 1024);
        if (fd >= 0) {
            char why[160];
            snprintf (why, sizeof why,
                      "the collector's memory passed %llu MB and this connection held the most "
                      "unfinished input",
                      (unsigned long long)(COLL_GUARD_RSS_VALVE >> 20));
            coll_guard_cut (self, fd, why);
            self->trim_until_ms = now + 1000;
        }
    }
    n = coll_peers_take_idle (self->peers, now, fds, 64);
    for (size_t i = 0; i < n; i++)
        coll_guard_cut (self, fds[i], "no batch within peer_idle_timeout");
}
