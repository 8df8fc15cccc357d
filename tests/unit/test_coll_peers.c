/*  test_coll_peers.c - refusal counts per agent and open connections stay
 *  under their caps, evicting what was idle longest. */
#include "coll_peers.h"
#include "test_assert.h"

#include <stdio.h>

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
    ASSERT_EQ (coll_peers_take_hoarders (p, 1, 1, 1, fds2, 4), 0);
    ASSERT_EQ (coll_peers_stats (p).held_now, 0);
    coll_peers_destroy (&p);
}

int
main (void)
{
    test_refusals ();
    test_connections ();
    printf ("test_coll_peers: ok\n");
    return 0;
}
