/*  test_agent_sender.c - the sender against real ROUTER sockets on
 *  127.0.0.1: frames, acks, resend after the ack timeout, resend after a
 *  reconnect, REJECTED (kept aside), RETRY, the max_pending bound, the
 *  window, failover to a second collector and back, and a restart that
 *  sends again from the spool under the same seqs.
 *
 *  Waits poll with generous deadlines and never assert on elapsed time. */
#include "agent_aside.h"
#include "agent_sender.h"
#include "test_assert.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_codec.h"
#include "vg_error.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define S_DEADLINE_MS 15000
#define S_MAX_SEEN    4096

/* The collector's side: a ROUTER that records what arrives. */
typedef struct {
    void *ctx;
    void *router;
    char endpoint[128];
    uint8_t id[256]; /* routing id of the last sender seen */
    size_t idlen;
    uint64_t seen[S_MAX_SEEN]; /* seqs in arrival order */
    size_t nseen;
    int autoack; /* answer STORED to every batch as it comes */
} s_peer_t;

static void s_peer_ack (s_peer_t *p, uint64_t seq, vg_ack_status_t status, const char *reason);

static void
s_peer_bind (s_peer_t *p, const char *endpoint)
{
    p->router = zmq_socket (p->ctx, ZMQ_ROUTER);
    ASSERT (p->router);
    int zero = 0;
    zmq_setsockopt (p->router, ZMQ_LINGER, &zero, sizeof zero);
    /* The old listener closes asynchronously: the port may be busy a moment. */
    int64_t until = vg_mono_ms () + S_DEADLINE_MS;
    while (zmq_bind (p->router, endpoint) != 0) {
        if (errno != EADDRINUSE || vg_mono_ms () > until)
            TEST_FAIL ("bind %s: %s", endpoint, zmq_strerror (errno));
        struct timespec ts = {0, 20 * 1000000};
        nanosleep (&ts, NULL);
    }
    size_t len = sizeof p->endpoint;
    ASSERT_EQ (zmq_getsockopt (p->router, ZMQ_LAST_ENDPOINT, p->endpoint, &len), 0);
}

static void
s_peer_close (s_peer_t *p)
{
    zmq_close (p->router);
    p->router = NULL;
}

static size_t
s_count (const s_peer_t *p, uint64_t seq)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nseen; i++)
        n += p->seen[i] == seq;
    return n;
}

/* Reads one message [id][kind][payload] and checks its frames. */
static void
s_peer_recv (s_peer_t *p)
{
    zmq_msg_t frames[3];
    int n = 0, more = 1;
    while (more) {
        ASSERT (n < 3);
        zmq_msg_init (&frames[n]);
        ASSERT (zmq_msg_recv (&frames[n], p->router, 0) >= 0);
        more = zmq_msg_more (&frames[n]);
        n++;
    }
    ASSERT_EQ (n, 3);
    ASSERT (zmq_msg_size (&frames[0]) <= sizeof p->id);
    p->idlen = zmq_msg_size (&frames[0]);
    memcpy (p->id, zmq_msg_data (&frames[0]), p->idlen);
    ASSERT_EQ (zmq_msg_size (&frames[1]), strlen (VG_WIRE_BATCH));
    ASSERT (memcmp (zmq_msg_data (&frames[1]), VG_WIRE_BATCH, strlen (VG_WIRE_BATCH)) == 0);

    vg_codec_limits_t limits = vg_codec_default_limits ();
    vg_batch_t *batch = NULL;
    char err[512] = "";
    int rc = vg_codec_decode_batch (zmq_msg_data (&frames[2]), zmq_msg_size (&frames[2]), &limits,
                                    &batch, err, sizeof err);
    if (rc != VG_OK)
        TEST_FAIL ("batch does not decode: %s", err);
    ASSERT_STR_EQ (batch->agent_id, "test-agent");
    ASSERT_STR_EQ (batch->hostname, "test-host");
    ASSERT_EQ (batch->nsamples, 1);
    ASSERT_NEAR (batch->sample_value[0], (double)batch->seq * 1.5, 0);
    ASSERT (p->nseen < S_MAX_SEEN);
    p->seen[p->nseen++] = batch->seq;
    if (p->autoack)
        s_peer_ack (p, batch->seq, VG_ACK_STORED, NULL);
    vg_batch_destroy (&batch);
    for (int i = 0; i < n; i++)
        zmq_msg_close (&frames[i]);
}

static void
s_peer_ack (s_peer_t *p, uint64_t seq, vg_ack_status_t status, const char *reason)
{
    uint8_t *data = NULL;
    size_t len = 0;
    ASSERT_EQ (vg_codec_encode_ack (seq, status, reason, &data, &len), VG_OK);
    ASSERT (zmq_send (p->router, p->id, p->idlen, ZMQ_SNDMORE) >= 0);
    ASSERT (zmq_send (p->router, VG_WIRE_ACK, strlen (VG_WIRE_ACK), ZMQ_SNDMORE) >= 0);
    ASSERT (zmq_send (p->router, data, len, 0) >= 0);
    free (data);
}

/* One round of the agent's loop: poll the sender's sockets (and the peer's),
 * dispatch, and run the resend timer. */
static void
s_pump_once (agent_sender_t *s, s_peer_t *p, int64_t max_wait_ms)
{
    zmq_pollitem_t items[3] = {
        {agent_sender_socket (s), 0, agent_sender_events (s), 0},
        {agent_sender_monitor (s), 0, ZMQ_POLLIN, 0},
        {p->router, 0, ZMQ_POLLIN, 0},
    };
    int64_t now = vg_mono_ms ();
    int64_t wait = agent_sender_next_due (s) - now;
    if (wait > max_wait_ms)
        wait = max_wait_ms;
    if (wait < 0)
        wait = 0;
    int rc = zmq_poll (items, p->router ? 3 : 2, (long)wait);
    ASSERT (rc >= 0 || errno == EINTR);
    now = vg_mono_ms ();
    if (items[1].revents)
        agent_sender_on_monitor (s, now);
    if (items[0].revents)
        agent_sender_on_readable (s, now);
    if (p->router && items[2].revents)
        while (1) {
            zmq_pollitem_t one = {p->router, 0, ZMQ_POLLIN, 0};
            if (zmq_poll (&one, 1, 0) <= 0)
                break;
            s_peer_recv (p);
        }
    if (vg_mono_ms () >= agent_sender_next_due (s))
        agent_sender_tick (s, vg_mono_ms ());
}

/* Pumps until cond holds, failing the test after a generous deadline. */
#define PUMP_UNTIL(s, p, cond)                                                                     \
    do {                                                                                           \
        int64_t until_ = vg_mono_ms () + S_DEADLINE_MS;                                            \
        while (!(cond)) {                                                                          \
            if (vg_mono_ms () > until_)                                                            \
                TEST_FAIL ("timed out waiting for %s", #cond);                                     \
            s_pump_once ((s), (p), 50);                                                            \
        }                                                                                          \
    } while (0)

/* Pumps for a while, for checks that something does NOT happen. */
static void
s_pump_for (agent_sender_t *s, s_peer_t *p, int64_t ms)
{
    int64_t until = vg_mono_ms () + ms;
    while (vg_mono_ms () < until)
        s_pump_once (s, p, 20);
}

static void
s_send (agent_sender_t *s, uint64_t seq)
{
    vg_batch_t *b = vg_batch_new ("test-agent", "test-host");
    uint32_t ser = vg_batch_series (b, "test_value", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, ser, vg_now_ms (), (double)seq * 1.5);
    b->seq = seq;
    b->sent_ms = vg_now_ms ();
    uint8_t *data = NULL;
    size_t len = 0;
    ASSERT_EQ (vg_codec_encode_batch (b, &data, &len), VG_OK);
    vg_batch_destroy (&b);
    agent_sender_send (s, seq, vg_now_ms (), &data, len, NULL, 0, vg_mono_ms ());
    ASSERT (data == NULL);
}

/* The queue of the sender made last (each test has one sender at a time). */
static agent_queue_t *s_queue;

static agent_sender_t *
s_sender_opts (const char *const *endpoints, size_t n, const agent_sender_opts_t *o,
               size_t max_pending, agent_spool_t *spool)
{
    char err[512] = "";
    s_queue = agent_queue_new (spool, 64 * 1024 * 1024, max_pending);
    agent_sender_t *s = agent_sender_new (endpoints, n, "test-agent", o, s_queue, err, sizeof err);
    if (!s)
        TEST_FAIL ("agent_sender_new: %s", err);
    return s;
}

static agent_sender_t *
s_sender (const char *endpoint, int64_t ack_timeout_ms, size_t max_pending)
{
    agent_sender_opts_t o = {.ack_timeout_ms = ack_timeout_ms};
    return s_sender_opts (&endpoint, 1, &o, max_pending, NULL);
}

static void
s_destroy (agent_sender_t **s)
{
    agent_sender_destroy (s);
    agent_queue_destroy (&s_queue);
}

static uint64_t
s_dropped (void)
{
    agent_queue_stats_t qs;
    agent_queue_stats (s_queue, &qs);
    return qs.dropped[AGENT_QUEUE_DROP_COUNT];
}

static agent_sender_stats_t
s_stats (agent_sender_t *s)
{
    agent_sender_stats_t st;
    agent_sender_stats (s, &st);
    return st;
}

static void
test_acks (s_peer_t *p)
{
    /* A long ack timeout: in this test nothing may be sent twice. */
    agent_sender_t *s = s_sender (p->endpoint, 3600 * 1000, 100);
    ASSERT_EQ (s_stats (s).last_ack_latency_ms, -1);
    /* Connected first: a batch sent just before the connection event is
     * read would rightly go out again when it is. */
    PUMP_UNTIL (s, p, s_stats (s).connected);
    for (uint64_t seq = 1; seq <= 3; seq++)
        s_send (s, seq);
    ASSERT_EQ (agent_sender_pending (s), 3);
    PUMP_UNTIL (s, p, s_count (p, 1) && s_count (p, 2) && s_count (p, 3));
    /* In order, once each. */
    ASSERT_EQ (p->nseen, 3);
    ASSERT_EQ (p->seen[0], 1);
    ASSERT_EQ (p->seen[1], 2);
    ASSERT_EQ (p->seen[2], 3);

    s_peer_ack (p, 1, VG_ACK_STORED, NULL);
    s_peer_ack (p, 3, VG_ACK_DUPLICATE, NULL); /* out of order, and a duplicate: both done */
    PUMP_UNTIL (s, p, agent_sender_pending (s) == 1);
    agent_sender_stats_t st = s_stats (s);
    ASSERT_EQ (st.sent, 3);
    ASSERT_EQ (st.resent, 0);
    ASSERT_EQ (st.acked, 2);
    ASSERT_GE (st.last_ack_latency_ms, 0);
    s_peer_ack (p, 2, VG_ACK_STORED, "");
    PUMP_UNTIL (s, p, agent_sender_pending (s) == 0);
    ASSERT_EQ (s_stats (s).acked, 3);
    ASSERT_EQ (agent_sender_next_due (s), INT64_MAX);

    /* An ack for something no longer pending changes nothing. */
    s_peer_ack (p, 2, VG_ACK_STORED, NULL);
    s_pump_for (s, p, 100);
    ASSERT_EQ (s_stats (s).acked, 3);
    ASSERT_EQ (p->nseen, 3);
    s_destroy (&s);
    ASSERT (s == NULL);
    p->nseen = 0;
}

static void
test_ack_timeout (s_peer_t *p)
{
    agent_sender_t *s = s_sender (p->endpoint, 200, 100);
    PUMP_UNTIL (s, p, s_stats (s).connected);
    s_send (s, 5);
    s_send (s, 6);
    PUMP_UNTIL (s, p, s_count (p, 5) && s_count (p, 6));
    /* Seq 5 is never acknowledged: it comes again after the ack timeout. */
    s_peer_ack (p, 6, VG_ACK_STORED, NULL);
    PUMP_UNTIL (s, p, s_count (p, 5) >= 2);
    ASSERT_GE (s_stats (s).resent, 1);
    ASSERT_EQ (s_stats (s).sent, 2);
    s_peer_ack (p, 5, VG_ACK_STORED, NULL);
    PUMP_UNTIL (s, p, agent_sender_pending (s) == 0);
    /* Once acknowledged, neither comes again. */
    size_t seen = p->nseen;
    s_pump_for (s, p, 500);
    ASSERT_EQ (p->nseen, seen);
    s_destroy (&s);
    p->nseen = 0;
}

static void
test_reject_and_retry (s_peer_t *p)
{
    agent_sender_t *s = s_sender (p->endpoint, 3600 * 1000, 100);
    PUMP_UNTIL (s, p, s_stats (s).connected);
    s_send (s, 10);
    PUMP_UNTIL (s, p, s_count (p, 10));
    s_peer_ack (p, 10, VG_ACK_REJECTED, "out-of-range string index");
    PUMP_UNTIL (s, p, s_stats (s).rejected == 1);
    ASSERT_EQ (agent_sender_pending (s), 0); /* dropped: resending would not help */
    s_destroy (&s);

    s = s_sender (p->endpoint, 200, 100);
    s_send (s, 11);
    PUMP_UNTIL (s, p, s_count (p, 11));
    s_peer_ack (p, 11, VG_ACK_RETRY, "database unavailable");
    PUMP_UNTIL (s, p, s_stats (s).retried == 1);
    ASSERT_EQ (agent_sender_pending (s), 1); /* kept */
    /* RETRY: sent again later. */
    size_t before = s_count (p, 11);
    PUMP_UNTIL (s, p, s_count (p, 11) > before);
    s_peer_ack (p, 11, VG_ACK_STORED, NULL);
    PUMP_UNTIL (s, p, agent_sender_pending (s) == 0);
    ASSERT_EQ (s_count (p, 10), 1); /* the rejected one never came again */

    /* Garbage from the peer is ignored; the sender carries on. */
    ASSERT (zmq_send (p->router, p->id, p->idlen, ZMQ_SNDMORE) >= 0);
    ASSERT (zmq_send (p->router, "junk", 4, 0) >= 0);
    ASSERT (zmq_send (p->router, p->id, p->idlen, ZMQ_SNDMORE) >= 0);
    ASSERT (zmq_send (p->router, VG_WIRE_ACK, strlen (VG_WIRE_ACK), ZMQ_SNDMORE) >= 0);
    ASSERT (zmq_send (p->router, "\xff\xff\xff", 3, 0) >= 0);
    s_send (s, 12);
    PUMP_UNTIL (s, p, s_count (p, 12) >= 1);
    s_peer_ack (p, 12, VG_ACK_STORED, NULL);
    PUMP_UNTIL (s, p, agent_sender_pending (s) == 0);
    s_destroy (&s);
    p->nseen = 0;
}

static void
test_reconnect (s_peer_t *p)
{
    /* A long ack timeout: whatever arrives again below comes from the reconnect. */
    agent_sender_t *s = s_sender (p->endpoint, 3600 * 1000, 100);
    PUMP_UNTIL (s, p, s_stats (s).connected);
    s_send (s, 20);
    s_send (s, 21);
    PUMP_UNTIL (s, p, s_count (p, 20) && s_count (p, 21));

    char endpoint[128];
    snprintf (endpoint, sizeof endpoint, "%s", p->endpoint);
    s_peer_close (p);
    PUMP_UNTIL (s, p, !s_stats (s).connected);
    s_send (s, 22); /* made while the collector is away */
    s_pump_for (s, p, 300);
    ASSERT_EQ (agent_sender_pending (s), 3);

    p->nseen = 0;
    s_peer_bind (p, endpoint);
    PUMP_UNTIL (s, p, s_count (p, 20) && s_count (p, 21) && s_count (p, 22));
    for (uint64_t seq = 20; seq <= 22; seq++)
        s_peer_ack (p, seq, VG_ACK_STORED, NULL);
    PUMP_UNTIL (s, p, agent_sender_pending (s) == 0);
    agent_sender_stats_t st = s_stats (s);
    ASSERT_EQ (st.acked, 3);
    ASSERT_EQ (st.sent, 3);
    ASSERT_GE (st.resent, 2);
    s_destroy (&s);
    p->nseen = 0;
}

static void
test_max_pending (s_peer_t *p)
{
    agent_sender_t *s = s_sender (p->endpoint, 3600 * 1000, 3);
    for (uint64_t seq = 31; seq <= 35; seq++)
        s_send (s, seq);
    ASSERT_EQ (agent_sender_pending (s), 3);
    ASSERT_EQ (s_dropped (), 2);
    /* The oldest went: 31 and 32 are not pending, 33..35 are. */
    PUMP_UNTIL (s, p, s_count (p, 33) && s_count (p, 34) && s_count (p, 35));
    s_peer_ack (p, 31, VG_ACK_STORED, NULL);
    s_peer_ack (p, 32, VG_ACK_STORED, NULL);
    s_pump_for (s, p, 200);
    ASSERT_EQ (agent_sender_pending (s), 3);
    ASSERT_EQ (s_stats (s).acked, 0);
    for (uint64_t seq = 33; seq <= 35; seq++)
        s_peer_ack (p, seq, VG_ACK_STORED, NULL);
    PUMP_UNTIL (s, p, agent_sender_pending (s) == 0);
    ASSERT_EQ (s_stats (s).acked, 3);

    /* Lowering the bound drops the oldest too. */
    for (uint64_t seq = 36; seq <= 38; seq++)
        s_send (s, seq);
    agent_queue_configure (s_queue, 64 * 1024 * 1024, 1);
    ASSERT_EQ (agent_sender_pending (s), 1);
    ASSERT_EQ (s_dropped (), 4);
    PUMP_UNTIL (s, p, s_count (p, 38) >= 1);
    s_peer_ack (p, 38, VG_ACK_STORED, NULL);
    PUMP_UNTIL (s, p, agent_sender_pending (s) == 0);
    s_destroy (&s);
    p->nseen = 0;
}

/* Many batches with no collector at all: bounded, and nothing is lost below
 * the bound when it comes. */
static void
test_backlog (void)
{
    s_peer_t q;
    memset (&q, 0, sizeof q);
    q.ctx = zmq_ctx_new ();
    char endpoint[128];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", test_free_port ());

    agent_sender_t *s = s_sender (endpoint, 3600 * 1000, 500);
    for (uint64_t seq = 1; seq <= 600; seq++)
        s_send (s, seq);
    ASSERT_EQ (agent_sender_pending (s), 500);
    ASSERT_EQ (s_dropped (), 100);
    s_pump_for (s, &q, 200);
    ASSERT_EQ (s_stats (s).sent, 0); /* nothing queued on a dead pipe */

    /* The backlog goes out at the pace it is acknowledged: never more than
     * the window awaits an answer. */
    s_peer_bind (&q, endpoint);
    PUMP_UNTIL (s, &q, q.nseen >= 64);
    s_pump_for (s, &q, 200);
    ASSERT_EQ (q.nseen, 64);
    ASSERT_EQ (s_stats (s).in_flight, 64);
    q.autoack = 1;
    for (size_t i = 0; i < q.nseen; i++)
        s_peer_ack (&q, q.seen[i], VG_ACK_STORED, NULL);
    PUMP_UNTIL (s, &q, agent_sender_pending (s) == 0);
    for (uint64_t seq = 101; seq <= 600; seq++)
        ASSERT_EQ (s_count (&q, seq), 1);
    /* Oldest first. */
    for (size_t i = 1; i < q.nseen; i++)
        ASSERT (q.seen[i] > q.seen[i - 1]);
    s_destroy (&s);
    s_peer_close (&q);
    zmq_ctx_term (q.ctx);
}

static void
test_bad_endpoint (void)
{
    char err[512] = "";
    const char *ep = "nonsense";
    agent_sender_opts_t o = {.ack_timeout_ms = 1000};
    agent_queue_t *q = agent_queue_new (NULL, 1024 * 1024, 0);
    ASSERT (agent_sender_new (&ep, 1, "a", &o, q, err, sizeof err) == NULL);
    ASSERT_STR_CONTAINS (err, "nonsense");
    ASSERT_STR_CONTAINS (err, "agent.collector");
    agent_queue_destroy (&q);
}

/* A collector that takes batches but never answers: after failover_timeout
 * the sender moves to the next one, which gets everything; after
 * failback_after it tries its own again. */
static void
test_failover (void)
{
    s_peer_t a, b;
    memset (&a, 0, sizeof a);
    memset (&b, 0, sizeof b);
    a.ctx = b.ctx = zmq_ctx_new ();
    s_peer_bind (&a, "tcp://127.0.0.1:*");
    s_peer_bind (&b, "tcp://127.0.0.1:*");
    /* Which one is first depends on the id's hash: order them so. */
    const char *eps[2] = {a.endpoint, b.endpoint};
    agent_sender_opts_t o = {
        .ack_timeout_ms = 3600 * 1000, .failover_ms = 500, .failback_ms = 3000};
    agent_sender_t *s = s_sender_opts (eps, 2, &o, 0, NULL);
    s_peer_t *first = strcmp (agent_sender_endpoint (s), a.endpoint) == 0 ? &a : &b;
    s_peer_t *second = first == &a ? &b : &a;
    second->autoack = 1;
    PUMP_UNTIL (s, first, s_stats (s).connected);
    s_send (s, 1);
    s_send (s, 2);
    PUMP_UNTIL (s, first, first->nseen >= 2);
    /* The first never answers. */
    PUMP_UNTIL (s, second, agent_sender_pending (s) == 0);
    ASSERT_EQ (s_stats (s).failovers, 1);
    ASSERT_STR_EQ (agent_sender_endpoint (s), second->endpoint);
    ASSERT_EQ (s_count (second, 1), 1);
    ASSERT_EQ (s_count (second, 2), 1);
    /* Later, back to its own, which now answers. */
    first->autoack = 1;
    PUMP_UNTIL (s, first, s_stats (s).failovers == 2);
    ASSERT_STR_EQ (agent_sender_endpoint (s), first->endpoint);
    PUMP_UNTIL (s, first, s_stats (s).connected);
    s_send (s, 3);
    PUMP_UNTIL (s, first, agent_sender_pending (s) == 0);
    ASSERT_EQ (s_count (first, 3), 1);
    s_destroy (&s);
    s_peer_close (&a);
    s_peer_close (&b);
    zmq_ctx_term (a.ctx);
}

/* Batches in the spool when the agent stops are sent after a restart under
 * their own seqs; a REJECTED one is kept aside, not sent again. */
static void
test_spool_restart (void)
{
    char *dir = test_tmpdir ("sender-spool");
    char *spool_dir = vg_asprintf ("%s/spool", dir);
    char *aside = vg_asprintf ("%s/rejected", dir);
    char err[512];
    agent_spool_opts_t so = {.fsync_ms = AGENT_SPOOL_FSYNC_ALWAYS};
    agent_spool_t *spool = agent_spool_open (spool_dir, &so, err, sizeof err);
    if (!spool)
        TEST_FAIL ("%s", err);
    s_peer_t q;
    memset (&q, 0, sizeof q);
    q.ctx = zmq_ctx_new ();
    char endpoint[128];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", test_free_port ());
    const char *ep = endpoint;
    agent_sender_opts_t o = {.ack_timeout_ms = 3600 * 1000};
    agent_sender_t *s = s_sender_opts (&ep, 1, &o, 0, spool);
    agent_sender_set_aside_dir (s, aside);
    for (uint64_t seq = 1; seq <= 5; seq++)
        s_send (s, seq);
    s_destroy (&s); /* no collector came: all five stay in the spool */
    agent_spool_close (&spool);

    spool = agent_spool_open (spool_dir, &so, err, sizeof err);
    ASSERT (spool != NULL);
    const agent_spool_loc_t *locs;
    ASSERT_EQ (agent_spool_recovered (spool, &locs), 5);
    s = s_sender_opts (&ep, 1, &o, 0, spool);
    agent_sender_set_aside_dir (s, aside);
    for (size_t i = 0; i < 5; i++)
        agent_queue_add_spooled (s_queue, &locs[i]);
    agent_spool_forget_recovered (spool);
    s_peer_bind (&q, endpoint);
    PUMP_UNTIL (s, &q, q.nseen >= 5);
    for (uint64_t seq = 1; seq <= 5; seq++)
        ASSERT_EQ (q.seen[seq - 1], seq);
    s_peer_ack (&q, 3, VG_ACK_REJECTED, "over a limit");
    for (uint64_t seq = 1; seq <= 5; seq++)
        if (seq != 3)
            s_peer_ack (&q, seq, VG_ACK_STORED, NULL);
    PUMP_UNTIL (s, &q, agent_sender_pending (s) == 0);
    ASSERT_EQ (s_stats (s).rejected, 1);
    ASSERT_EQ (agent_aside_count (aside), 1);
    char *reason_path = vg_asprintf ("%s/3.reason", aside);
    char *reason = test_read_file (reason_path);
    ASSERT_STR_CONTAINS (reason, "over a limit");
    free (reason);
    free (reason_path);
    s_destroy (&s);
    agent_spool_close (&spool);
    /* All done: nothing is sent again at the next start. */
    spool = agent_spool_open (spool_dir, &so, err, sizeof err);
    ASSERT_EQ (agent_spool_recovered (spool, &locs), 0);
    agent_spool_close (&spool);
    s_peer_close (&q);
    zmq_ctx_term (q.ctx);
    free (aside);
    free (spool_dir);
    free (dir);
}

int
main (void)
{
    s_peer_t peer;
    memset (&peer, 0, sizeof peer);
    peer.ctx = zmq_ctx_new ();
    s_peer_bind (&peer, "tcp://127.0.0.1:*");
    test_acks (&peer);
    test_ack_timeout (&peer);
    test_reject_and_retry (&peer);
    test_reconnect (&peer);
    test_max_pending (&peer);
    s_peer_close (&peer);
    zmq_ctx_term (peer.ctx);
    test_backlog ();
    test_bad_endpoint ();
    test_failover ();
    test_spool_restart ();
    printf ("test_agent_sender: OK\n");
    return 0;
}
