/*  vigil-poison - sends the poison batch to a collector, again and again,
 *  and says what became of each: a valid batch of 720 series with 64 labels
 *  each, every label value 4,096 control characters (119 KB as encoded here),
 *  about 1.1 GB of JSON if a collector tried to register it as it is.
 *
 *    vigil-poison --endpoint tcp://127.0.0.1:5555 [--count 6] [--interval-ms 10000]
 *
 *  Each batch has a new seq. It waits up to the interval for each answer and
 *  prints one line per batch, then key=value lines for scripts:
 *  poison_sent, poison_refused (answered REJECTED in time), poison_max_ms.
 */
#include "test_poison.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_codec.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"count", required_argument, NULL, 'c'},
        {"interval-ms", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    const char *endpoint = NULL;
    int count = 6;
    int64_t interval = 10000;
    int c;
    while ((c = getopt_long (argc, argv, "e:c:i:", opts, NULL)) != -1) {
        if (c == 'e')
            endpoint = optarg;
        else if (c == 'c')
            count = atoi (optarg);
        else if (c == 'i')
            interval = strtoll (optarg, NULL, 10);
        else
            return 2;
    }
    if (!endpoint || count < 1 || interval < 100) {
        fprintf (stderr, "usage: vigil-poison --endpoint tcp://HOST:PORT [--count N] "
                         "[--interval-ms MS]\n");
        return 2;
    }
    void *ctx = zmq_ctx_new ();
    void *sock = zmq_socket (ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect (sock, endpoint) != 0) {
        fprintf (stderr, "vigil-poison: cannot connect to %s\n", endpoint);
        return 1;
    }
    int refused = 0;
    int64_t max_ms = 0;
    uint64_t base = (uint64_t)vg_now_ms (); /* seqs new on every run */
    for (int i = 0; i < count; i++) {
        int64_t start = vg_mono_ms ();
        vg_batch_t *b = test_poison_batch ("poison-agent", base + (uint64_t)i, vg_now_ms ());
        uint8_t *buf = NULL;
        size_t len = 0;
        vg_codec_encode_batch (b, &buf, &len);
        zmq_send (sock, VG_WIRE_BATCH, strlen (VG_WIRE_BATCH), ZMQ_SNDMORE);
        zmq_send (sock, buf, len, 0);
        free (buf);
        const char *what = "no answer";
        char reason[512] = "";
        for (;;) {
            int64_t left = start + interval - vg_mono_ms ();
            if (left <= 0)
                break;
            zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
            if (zmq_poll (&item, 1, (long)left) <= 0)
                continue;
            zmq_msg_t kind, body;
            zmq_msg_init (&kind);
            zmq_msg_init (&body);
            if (zmq_msg_recv (&kind, sock, 0) >= 0 && zmq_msg_more (&kind) &&
                zmq_msg_recv (&body, sock, 0) >= 0) {
                uint64_t seq;
                vg_ack_status_t status;
                if (vg_codec_decode_ack (zmq_msg_data (&body), zmq_msg_size (&body), &seq, &status,
                                         reason, sizeof reason) == 0 &&
                    seq == b->seq) {
                    int64_t took = vg_mono_ms () - start;
                    max_ms = took > max_ms ? took : max_ms;
                    what = status == VG_ACK_REJECTED ? "refused" : "accepted";
                    refused += status == VG_ACK_REJECTED;
                    zmq_msg_close (&kind);
                    zmq_msg_close (&body);
                    break;
                }
            }
            zmq_msg_close (&kind);
            zmq_msg_close (&body);
        }
        printf ("poison: batch %d (%zu bytes): %s after %lld ms%s%s\n", i + 1, len, what,
                (long long)(vg_mono_ms () - start), *reason ? ": " : "", reason);
        vg_batch_destroy (&b);
        int64_t rest = start + interval - vg_mono_ms ();
        if (rest > 0 && i + 1 < count) {
            zmq_pollitem_t none = {NULL, -1, 0, 0};
            zmq_poll (&none, 0, (long)rest);
        }
    }
    printf ("poison_sent=%d\npoison_refused=%d\npoison_max_ms=%lld\n", count, refused,
            (long long)max_ms);
    zmq_close (sock);
    zmq_ctx_term (ctx);
    return 0;
}
