/*  test_agent_peer.c - a scripted DEALER for talking to a real collector. */
#include "test_agent_peer.h"
#include "test_assert.h"
#include "vg_alloc.h"
#include "vg_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Long enough for a collector under sanitizers on a busy machine. */
#define EXPECT_TIMEOUT_MS 60000

struct test_agent_peer_t {
    void *ctx;
    void *dealer;
};

test_agent_peer_t *
test_agent_peer_new (const char *endpoint)
{
    return test_agent_peer_new_curve (endpoint, NULL, NULL, NULL);
}

test_agent_peer_t *
test_agent_peer_new_curve (const char *endpoint, const char *server_key, const char *public_key,
                           const char *secret_key)
{
    test_agent_peer_t *self = vg_calloc (1, sizeof *self);
    self->ctx = zmq_ctx_new ();
    if (!self->ctx)
        TEST_FAIL ("zmq_ctx_new: %s", zmq_strerror (errno));
    self->dealer = zmq_socket (self->ctx, ZMQ_DEALER);
    if (!self->dealer)
        TEST_FAIL ("zmq_socket: %s", zmq_strerror (errno));
    int zero = 0;
    zmq_setsockopt (self->dealer, ZMQ_LINGER, &zero, sizeof zero);
    if (server_key && (zmq_setsockopt (self->dealer, ZMQ_CURVE_SERVERKEY, server_key, 40) != 0 ||
                       zmq_setsockopt (self->dealer, ZMQ_CURVE_PUBLICKEY, public_key, 40) != 0 ||
                       zmq_setsockopt (self->dealer, ZMQ_CURVE_SECRETKEY, secret_key, 40) != 0))
        TEST_FAIL ("cannot set CURVE keys: %s", zmq_strerror (errno));
    if (zmq_connect (self->dealer, endpoint) != 0)
        TEST_FAIL ("cannot connect to %s: %s", endpoint, zmq_strerror (errno));
    return self;
}

void
test_agent_peer_destroy (test_agent_peer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    test_agent_peer_t *self = *self_p;
    zmq_close (self->dealer);
    zmq_ctx_term (self->ctx);
    free (self);
    *self_p = NULL;
}

void
test_agent_peer_send_frames (test_agent_peer_t *self, const void *const *frames, const size_t *lens,
                             size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (zmq_send (self->dealer, frames[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0) < 0)
            TEST_FAIL ("zmq_send: %s", zmq_strerror (errno));
}

void
test_agent_peer_send_payload (test_agent_peer_t *self, const void *payload, size_t len)
{
    const void *frames[] = {VG_WIRE_BATCH, payload};
    size_t lens[] = {strlen (VG_WIRE_BATCH), len};
    test_agent_peer_send_frames (self, frames, lens, 2);
}

void
test_agent_peer_send_batch (test_agent_peer_t *self, const vg_batch_t *batch)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = vg_codec_encode_batch (batch, &buf, &len);
    if (rc != 0)
        TEST_FAIL ("vg_codec_encode_batch: %d", rc);
    test_agent_peer_send_payload (self, buf, len);
    free (buf);
}

int
test_agent_peer_wait_ack (test_agent_peer_t *self, int timeout_ms, uint64_t *seq,
                          vg_ack_status_t *status, char *reason, size_t reasonlen)
{
    zmq_pollitem_t item = {self->dealer, 0, ZMQ_POLLIN, 0};
    int rc;
    while ((rc = zmq_poll (&item, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    if (rc <= 0)
        return -1;
    zmq_msg_t parts[2];
    size_t n = 0;
    int more = 1;
    while (more) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, self->dealer, 0) < 0)
            TEST_FAIL ("zmq_msg_recv: %s", zmq_strerror (errno));
        more = zmq_msg_more (&msg);
        if (n < 2) {
            zmq_msg_init (&parts[n]);
            zmq_msg_move (&parts[n], &msg);
        }
        n++;
        zmq_msg_close (&msg);
    }
    if (n != 2)
        TEST_FAIL ("expected an ack of 2 frames, got %zu", n);
    size_t klen = zmq_msg_size (&parts[0]);
    if (klen != strlen (VG_WIRE_ACK) || memcmp (zmq_msg_data (&parts[0]), VG_WIRE_ACK, klen) != 0)
        TEST_FAIL ("expected an ack frame \"%s\", got %zu bytes of something else", VG_WIRE_ACK,
                   klen);
    char why[512] = "";
    if (vg_codec_decode_ack (zmq_msg_data (&parts[1]), zmq_msg_size (&parts[1]), seq, status, why,
                             sizeof why) != 0)
        TEST_FAIL ("the collector sent an ack that does not decode");
    if (reason && reasonlen)
        snprintf (reason, reasonlen, "%s", why);
    zmq_msg_close (&parts[0]);
    zmq_msg_close (&parts[1]);
    return 0;
}

void
test_agent_peer_expect_ack (test_agent_peer_t *self, uint64_t seq, vg_ack_status_t status)
{
    uint64_t got_seq = 0;
    vg_ack_status_t got_status = VG_ACK_STORED;
    char reason[512] = "";
    if (test_agent_peer_wait_ack (self, EXPECT_TIMEOUT_MS, &got_seq, &got_status, reason,
                                  sizeof reason) != 0)
        TEST_FAIL ("no ack for batch %llu within %d ms", (unsigned long long)seq,
                   EXPECT_TIMEOUT_MS);
    if (got_seq != seq || got_status != status)
        TEST_FAIL ("expected ack (seq %llu, status %d), got (seq %llu, status %d, reason \"%s\")",
                   (unsigned long long)seq, (int)status, (unsigned long long)got_seq,
                   (int)got_status, reason);
}
