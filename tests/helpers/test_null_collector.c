/*  test_null_collector.c - acks every batch, stores nothing. */
#include "test_null_collector.h"
#include "vg_codec.h"
#include "vg_wire.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

void *
test_null_collector_run (void *arg)
{
    test_null_collector_t *self = arg;
    void *router = zmq_socket (self->ctx, ZMQ_ROUTER);
    int linger = 0, hwm = 100000, tmo = 100;
    zmq_setsockopt (router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (router, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (router, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    if (zmq_bind (router, self->endpoint) != 0) {
        fprintf (stderr, "vigil-loadgen: cannot bind %s: %s\n", self->endpoint,
                 zmq_strerror (zmq_errno ()));
        zmq_close (router);
        __atomic_store_n (&self->bound, -1, __ATOMIC_RELEASE);
        return NULL;
    }
    __atomic_store_n (&self->bound, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n (&self->stop, __ATOMIC_ACQUIRE)) {
        zmq_msg_t id, kind, body;
        zmq_msg_init (&id);
        zmq_msg_init (&kind);
        zmq_msg_init (&body);
        if (zmq_msg_recv (&id, router, 0) >= 0 && zmq_msg_more (&id) &&
            zmq_msg_recv (&kind, router, 0) >= 0 && zmq_msg_more (&kind) &&
            zmq_msg_recv (&body, router, 0) >= 0) {
            /* seq 0 when the body is malformed: the generator's own bug. */
            uint64_t seq;
            vg_codec_peek_batch (zmq_msg_data (&body), zmq_msg_size (&body), &seq, NULL, 0);
            uint8_t *ack = NULL;
            size_t acklen = 0;
            if (vg_codec_encode_ack (seq, VG_ACK_STORED, NULL, &ack, &acklen) == 0) {
                zmq_send (router, zmq_msg_data (&id), zmq_msg_size (&id), ZMQ_SNDMORE);
                zmq_send (router, VG_WIRE_ACK, strlen (VG_WIRE_ACK), ZMQ_SNDMORE);
                zmq_send (router, ack, acklen, 0);
                free (ack);
            }
        }
        zmq_msg_close (&id);
        zmq_msg_close (&kind);
        zmq_msg_close (&body);
    }
    zmq_close (router);
    return NULL;
}
