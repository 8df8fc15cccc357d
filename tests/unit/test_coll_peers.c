/*  test_coll_peers.c - refusal counts per agent and open connections stay
 *  under their caps, evicting what was idle longest; what connections hold
 *  is measured on real loopback TCP connections, and the guard allows for
 *  queued messages while the collector pauses and for 10 s after. */
#include "coll_guard.h"
#include "coll_peers.h"
#include "test_assert.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
test_refusals (void)
{
    coll_peers_t *p = coll_peers_new (16, 4, 0);
    ASSERT_EQ (coll_peers_refused (p, "a", COLL_REFUSED_CHECKSUM, 1), 1);
    ASSERT_EQ (coll_peers_refused (p, "a", COLL_REFUSED_CHECKSUM, 2), 2);
    ASSERT_EQ (coll_peers_refused (p, "a", COLL_REFUSED_LIMIT, 3), 1);
    ASSERT_EQ (coll_peers_refused (p, "b", COLL_REFUSED_CHECKSUM, 4), 1);
    ASSERT_EQ (coll_peers_refusals (p, "a", COLL_REFUSED_CHECKSUM), 2);
    ASSERT_EQ (coll_peers_refusals (p, "zz", COLL_REFUSED_CHECKSUM), 0);
    coll_peers_stats_t s = coll_peers_stats (p);
    ASSERT_EQ (s.refused[COLL_REFUSED_CHECKSUM], 3);
    ASSERT_EQ (s.refused[COLL_REFUSED_LIMIT], 1);
    ASSERT_STR_EQ (coll_peers_reason_name (COLL_REFUSED_HOST), "host");

    /* 10,000 fresh agent ids: never more than 16 kept; "a", refused again
     * and again, is the one seen last and survives. */
    char id[32];
    for (int i = 0; i < 10000; i++) {
        snprintf (id, sizeof id, "fresh-%d", i);
        coll_peers_refused (p, id, COLL_REFUSED_INVALID, 10 + 2 * i);
        coll_peers_refused (p, "a", COLL_REFUSED_INVALID, 11 + 2 * i);
        s = coll_peers_stats (p);
        ASSERT_LE (s.agents, 16);
    }
    ASSERT_EQ (coll_peers_refusals (p, "a", COLL_REFUSED_INVALID), 10000);
    s = coll_peers_stats (p);
    ASSERT_GE (s.agents_evicted, 10000 - 16);
    coll_peers_configure (p, 4, 4, 0, 0);
    ASSERT_LE (coll_peers_stats (p).agents, 4);
    coll_peers_destroy (&p);
    coll_peers_destroy (&p);
}

static void
test_connections (void)
{
    coll_peers_t *p = coll_peers_new (16, 3, 1000);
    ASSERT_EQ (coll_peers_accepted (p, 7, "127.0.0.1:1", 0), 0);
    ASSERT_EQ (coll_peers_accepted (p, 8, "127.0.0.1:2", 0), 0);
    ASSERT_EQ (coll_peers_accepted (p, 9, "127.0.0.1:3", 0), 0);
    /* The fourth is over max_conns. */
    ASSERT_EQ (coll_peers_accepted (p, 10, "127.0.0.1:4", 0), -1);
    ASSERT_EQ (coll_peers_stats (p).conns_refused, 1);
    ASSERT_STR_EQ (coll_peers_addr (p, 8), "127.0.0.1:2");
    ASSERT (coll_peers_addr (p, 10) == NULL);
    coll_peers_closed (p, 9);
    coll_peers_closed (p, 9);
    ASSERT_EQ (coll_peers_stats (p).connections, 2);
    /* 7 speaks; 8 stays silent past idle_ms and is taken. */
    coll_peers_seen (p, 7, 900);
    int fds[8];
    ASSERT_EQ (coll_peers_take_idle (p, 999, fds, 8), 0);
    ASSERT_EQ (coll_peers_take_idle (p, 1000, fds, 8), 1);
    ASSERT_EQ (fds[0], 8);
    ASSERT_EQ (coll_peers_take_idle (p, 1899, fds, 8), 0);
    ASSERT_EQ (coll_peers_take_idle (p, 1900, fds, 8), 1);
    ASSERT_EQ (fds[0], 7);
    coll_peers_stats_t s = coll_peers_stats (p);
    ASSERT_EQ (s.connections, 0);
    ASSERT_EQ (s.conns_idle, 2);
    /* Nothing measured holds anything: no largest to take. */
    ASSERT_EQ (coll_peers_accepted (p, 11, "127.0.0.1:5", 2000), 0);
    ASSERT_EQ (coll_peers_take_largest (p, 0), -1);
    /* An fd that is no socket measures as holding nothing. */
    int fds2[4];
    ASSERT_EQ (coll_peers_take_hoarders (p, 1, 1, 16, 0, fds2, 4), 0);
    ASSERT_EQ (coll_peers_stats (p).held_now, 0);
    coll_peers_destroy (&p);
}

/* A loopback TCP connection: *server is the accepted end, *client the other. */
static void
s_tcp_pair (int *server, int *client)
{
    int lis = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ASSERT_EQ (bind (lis, (struct sockaddr *)&a, sizeof a), 0);
    ASSERT_EQ (listen (lis, 1), 0);
    ASSERT_EQ (getsockname (lis, (struct sockaddr *)&a, &len), 0);
    *client = socket (AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ (connect (*client, (struct sockaddr *)&a, sizeof a), 0);
    *server = accept (lis, NULL, NULL);
    ASSERT (*server >= 0);
    close (lis);
}

/* The server end takes (reads, as libzmq would) n bytes the client sends. */
static void
s_take (int server, int client, size_t n)
{
    static char buf[16384];
    memset (buf, 'x', sizeof buf);
    for (size_t left = n; left > 0;) {
        size_t k = left < sizeof buf ? left : sizeof buf;
        ASSERT_EQ (write (client, buf, k), (ssize_t)k);
        for (size_t got = 0; got < k;) {
            ssize_t r = read (server, buf, k - got);
            ASSERT (r > 0);
            got += (size_t)r;
        }
        left -= k;
    }
}

/* "127.0.0.1:PORT": the client end of a connection, as the guard notes it. */
static void
s_remote (int fd, char *buf, size_t len)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    ASSERT_EQ (getpeername (fd, (struct sockaddr *)&a, &alen), 0);
    snprintf (buf, len, "127.0.0.1:%u", ntohs (a.sin_port));
}

/* n loopback connections, each noted by p as accepted under its remote name. */
static void
s_open_noted (coll_peers_t *p, int *server, int *client, int n)
{
    for (int i = 0; i < n; i++) {
        s_tcp_pair (&server[i], &client[i]);
        char name[64];
        s_remote (server[i], name, sizeof name);
        ASSERT_EQ (coll_peers_accepted (p, server[i], name, 0), 0);
    }
}

static void
s_close_all (const int *server, const int *client, int n)
{
    for (int i = 0; i < n; i++) {
        close (server[i]);
        close (client[i]);
    }
}

/* While the collector does not read, every connection holds the whole
 * messages libzmq queued for it: ten thousand healthy agents doing so are
 * not closed for the limit on all connections, a peer holding input that no
 * message it ever finished explains is, and once the collector reads again
 * all that is held counts. */
static void
test_held (void)
{
    enum { MSG = 10000, CONNS = 3 };
    coll_peers_t *p = coll_peers_new (16, 16, 0);
    int server[CONNS], client[CONNS];
    s_open_noted (p, server, client, CONNS);
    /* Two agents delivered four messages each, and have as many queued. */
    for (int i = 0; i < 2; i++) {
        s_take (server[i], client[i], 8 * MSG);
        for (int m = 0; m < 4; m++)
            coll_peers_delivered (p, server[i], MSG);
    }
    int fds[4];
    ASSERT_EQ (coll_peers_take_hoarders (p, 1 << 20, 16 * 1024, 16, 1, fds, 4), 0);
    ASSERT_GE (coll_peers_stats (p).held_now, 2 * (4 * MSG - 5 * 256));
    /* A third holds as much without ever having finished a message. Measured
     * one connection a call, it is found within a round of calls. */
    s_take (server[2], client[2], 4 * MSG);
    size_t calls = 0, found = 0;
    while (!found && calls < CONNS)
        calls++, found = coll_peers_take_hoarders (p, 1 << 20, 16 * 1024, 1, 1, fds, 4);
    ASSERT_EQ (found, 1);
    ASSERT_EQ (fds[0], server[2]);
    /* One of the agents holds three messages' worth more: over the limit
     * for all, it is the one closed. */
    s_take (server[0], client[0], 3 * MSG);
    ASSERT_EQ (coll_peers_take_hoarders (p, 1 << 20, 16 * 1024, 16, 1, fds, 4), 1);
    ASSERT_EQ (fds[0], server[0]);
    /* Reading again, the collector takes whole messages at once: what the
     * other agent holds now all counts, and it is over the limit. */
    ASSERT_EQ (coll_peers_take_hoarders (p, 1 << 20, 16 * 1024, 16, 0, fds, 4), 1);
    ASSERT_EQ (fds[0], server[1]);
    ASSERT_EQ (coll_peers_stats (p).conns_hoarding, 3);
    s_close_all (server, client, CONNS);
    coll_peers_destroy (&p);
}

/* Whether the collector's end was shut down: the client reads the end. */
static int
s_was_cut (int client)
{
    struct pollfd pfd = {.fd = client, .events = POLLIN};
    if (poll (&pfd, 1, 0) != 1)
        return 0;
    char c;
    return recv (client, &c, 1, MSG_DONTWAIT) == 0;
}

static size_t
s_cuts (const int *client, size_t n)
{
    size_t cut = 0;
    for (size_t i = 0; i < n; i++)
        cut += (size_t)s_was_cut (client[i]);
    return cut;
}

/* Nine agents hold four queued messages of 2 MiB each: 72 MiB together, over
 * the 64 MiB for all connections. While the collector pauses, and until 10 s
 * after the last pause, those messages are allowed for and nobody is closed;
 * past that, what they hold counts and the guard closes some. */
static void
test_drain_window (void)
{
    enum { CONNS = 9, MSG = 2 * 1024 * 1024 };
    coll_guard_t *g = coll_guard_new (64, 0, 16 * 1024 * 1024);
    coll_peers_t *p = coll_guard_peers (g);
    int server[CONNS], client[CONNS];
    s_open_noted (p, server, client, CONNS);
    for (int i = 0; i < CONNS; i++) {
        s_take (server[i], client[i], 8 * (size_t)MSG);
        for (int m = 0; m < 4; m++)
            coll_peers_delivered (p, server[i], MSG);
    }
    int64_t paused_at = 1000;
    coll_guard_tick (g, paused_at, 1);
    ASSERT_EQ (s_cuts (client, CONNS), 0);
    ASSERT_GT (coll_peers_stats (p).held_now, (uint64_t)COLL_GUARD_TOTAL_HELD);
    coll_guard_tick (g, paused_at + 9999, 0);
    ASSERT_EQ (s_cuts (client, CONNS), 0);
    coll_guard_tick (g, paused_at + 10001, 0);
    ASSERT_GE (s_cuts (client, CONNS), 1);
    ASSERT_GE (coll_peers_stats (p).conns_hoarding, 1);
    s_close_all (server, client, CONNS);
    coll_guard_destroy (&g);
}

/* Each connection is measured every 100 ms (ten ticks) up to 2,560 of them;
 * past that 256 a tick, so 10,000 are each measured every 400 ms. */
static void
test_budget (void)
{
    ASSERT_EQ (coll_guard_budget (0), 64);
    ASSERT_EQ (coll_guard_budget (640), 64);
    ASSERT_EQ (coll_guard_budget (641), 65);
    ASSERT_EQ (coll_guard_budget (2560), 256);
    ASSERT_EQ (coll_guard_budget (2561), 256);
    ASSERT_EQ (coll_guard_budget (10000), 256);
}

/* Names of about bytes bytes, made as the decoder makes them. */
static vg_batch_names_t *
s_names (size_t bytes)
{
    vg_batch_t *b = vg_batch_new ("a", "h");
    char *s = calloc (1, bytes + 1);
    memset (s, 'x', bytes);
    vg_batch_push_string (b, s, bytes);
    vg_batch_names_t *names = vg_batch_names_ref (vg_batch_share_names (b, "k", 1));
    vg_batch_destroy (&b);
    free (s);
    return names;
}

/* A connection's names are kept within the caps, in place of the ones
 * before, and go with it. */
static void
test_names (void)
{
    coll_peers_t *p = coll_peers_new (16, 200, 0);
    vg_batch_names_t *small = s_names (100), *other = s_names (200);
    vg_batch_names_t *big = s_names (COLL_PEERS_NAMES_PER_CONN);
    ASSERT_EQ (coll_peers_accepted (p, 5, "127.0.0.1:1", 0), 0);
    ASSERT (coll_peers_names (p, 5) == NULL);
    coll_peers_keep_names (p, 5, small);
    ASSERT (coll_peers_names (p, 5) == small);
    ASSERT_EQ (coll_peers_stats (p).names_bytes, small->bytes);
    coll_peers_keep_names (p, 5, other);
    ASSERT (coll_peers_names (p, 5) == other);
    ASSERT_EQ (coll_peers_stats (p).names_bytes, other->bytes);
    coll_peers_keep_names (p, 5, big); /* over the cap of one connection */
    ASSERT (coll_peers_names (p, 5) == NULL);
    ASSERT_EQ (coll_peers_stats (p).names_bytes, 0);
    ASSERT_EQ (coll_peers_stats (p).names_not_kept, 1);
    coll_peers_keep_names (p, 6, small); /* no such connection */
    ASSERT (coll_peers_names (p, 6) == NULL);
    coll_peers_keep_names (p, 5, small);
    coll_peers_closed (p, 5);
    ASSERT (coll_peers_names (p, 5) == NULL);
    ASSERT_EQ (coll_peers_stats (p).names_bytes, 0);

    /* All connections together: up to COLL_PEERS_NAMES_TOTAL. */
    vg_batch_names_t *mib = s_names (1000000);
    uint64_t fit = COLL_PEERS_NAMES_TOTAL / mib->bytes;
    ASSERT (fit > 50 && fit < 100);
    for (int fd = 10; fd < 110; fd++) {
        ASSERT_EQ (coll_peers_accepted (p, fd, "127.0.0.1:2", 0), 0);
        coll_peers_keep_names (p, fd, mib);
    }
    coll_peers_stats_t st = coll_peers_stats (p);
    ASSERT_EQ (st.names_bytes, fit * mib->bytes);
    ASSERT_EQ (st.names_peak, fit * mib->bytes);
    ASSERT_EQ (st.names_not_kept, 1 + (100 - fit));
    ASSERT (coll_peers_names (p, 10) == mib);
    ASSERT (coll_peers_names (p, 109) == NULL);
    coll_peers_closed (p, 10);
    coll_peers_keep_names (p, 109, mib); /* room again */
    ASSERT (coll_peers_names (p, 109) == mib);
    coll_peers_destroy (&p); /* drops the references it held */
    vg_batch_names_unref (&small);
    vg_batch_names_unref (&other);
    vg_batch_names_unref (&big);
    vg_batch_names_unref (&mib);
}

int
main (void)
{
    test_refusals ();
    test_connections ();
    test_held ();
    test_drain_window ();
    test_budget ();
    test_names ();
    printf ("test_coll_peers: ok\n");
    return 0;
}
