/*  test_agent_peer.h - a scripted agent for tests: a ZeroMQ DEALER that
 *  sends whatever frames a test wants (good batches or hostile junk) to a
 *  collector and waits for its acks. Any failure of ZeroMQ fails the test. */
#ifndef TEST_AGENT_PEER_H
#define TEST_AGENT_PEER_H

#include "vg_batch.h"
#include "vg_codec.h"

#include <stddef.h>
#include <stdint.h>

typedef struct test_agent_peer_t test_agent_peer_t;

/* Connects a DEALER to endpoint ("tcp://127.0.0.1:5555"). */
test_agent_peer_t *test_agent_peer_new (const char *endpoint);
/* The same as a CURVE client: the keys in Z85 (40 characters). */
test_agent_peer_t *test_agent_peer_new_curve (const char *endpoint, const char *server_key,
                                              const char *public_key, const char *secret_key);
void test_agent_peer_destroy (test_agent_peer_t **self_p);

/* Sends one message of n frames, as given. */
void test_agent_peer_send_frames (test_agent_peer_t *self, const void *const *frames,
                                  const size_t *lens, size_t n);
/* Sends [VG_WIRE_BATCH][payload]. */
void test_agent_peer_send_payload (test_agent_peer_t *self, const void *payload, size_t len);
/* Encodes batch with vg_codec and sends it like an agent. */
void test_agent_peer_send_batch (test_agent_peer_t *self, const vg_batch_t *batch);

/* Waits up to timeout_ms for an ack. Returns 0 and fills seq, status and
 * reason (may be NULL), or -1 when none came. A message that is not a
 * well-formed ack fails the test. */
int test_agent_peer_wait_ack (test_agent_peer_t *self, int timeout_ms, uint64_t *seq,
                              vg_ack_status_t *status, char *reason, size_t reasonlen);
/* Waits (generously) for the next ack and fails the test unless it is
 * (seq, status). */
void test_agent_peer_expect_ack (test_agent_peer_t *self, uint64_t seq, vg_ack_status_t status);

#endif
