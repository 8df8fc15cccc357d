/*  vigil-hostile - peers that misbehave toward a collector, for the fault
 *  suite: what an attacker or a broken agent could send.
 *
 *    vigil-hostile --endpoint tcp://127.0.0.1:PORT --mode MODE [options]
 *
 *  Modes:
 *    multipart   one connection sends --frame-bytes frames, all flagged
 *                "more", without end: a message that never finishes
 *    halfsent    --conns connections each send --hold-bytes of a message
 *                that never finishes, then wait
 *    identities  --count fresh connections (new routing ids), each sending
 *                one valid batch of a fresh agent id, then closing
 *    garbage     random payloads, at --rate messages per second
 *    oversized   payloads of --frame-bytes (above the collector's max_frame)
 *    truncated   valid batches cut short at random, at --rate per second
 *    badvalues   batches with out-of-range numbers, NUL in text and
 *                amplifying events, at --rate per second
 *    mixed       garbage, oversized, truncated and badvalues in turn
 *
 *  Every mode runs until --duration seconds pass (or, for identities, until
 *  --count is done), then prints one line "hostile: MODE sent=N ..." and exits
 *  0. The loops are bounded in count and time and talk only to --endpoint.
 *  --curve-server-key Z85 and --curve-keys DIR/NAME make every connection a
 *  CURVE client with the key pair in the zcert files NAME and NAME_secret.
 */
#include "test_rng.h"
#include "test_zcert.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_codec.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

typedef struct {
    const char *endpoint;
    const char *mode;
    double duration_s;
    size_t frame_bytes;
    size_t hold_bytes;
    int conns;
    int count;
    int rate;
    const char *server_key; /* Z85 */
    char public_key[41];
    char secret_key[41];
    int curve;
} s_args_t;

static uint64_t s_rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
s_next (void)
{
    return test_rng_next (&s_rng);
}

/* linger: how long a closed socket still tries to deliver, in ms. */
static void *
s_connect (void *ctx, const s_args_t *a, int linger)
{
    void *sock = zmq_socket (ctx, ZMQ_DEALER);
    int hwm = 100000;
    zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (a->curve) {
        zmq_setsockopt (sock, ZMQ_CURVE_SERVERKEY, a->server_key, 40);
        zmq_setsockopt (sock, ZMQ_CURVE_PUBLICKEY, a->public_key, 40);
        zmq_setsockopt (sock, ZMQ_CURVE_SECRETKEY, a->secret_key, 40);
    }
    if (zmq_connect (sock, a->endpoint) != 0) {
        fprintf (stderr, "vigil-hostile: cannot connect to %s: %s\n", a->endpoint,
                 zmq_strerror (zmq_errno ()));
        exit (1);
    }
    return sock;
}

static int
s_send2 (void *sock, const void *payload, size_t len)
{
    if (zmq_send (sock, VG_WIRE_BATCH, strlen (VG_WIRE_BATCH), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    zmq_send (sock, payload, len, ZMQ_DONTWAIT);
    return 0;
}

static uint8_t *
s_valid_batch (const char *agent, uint64_t seq, size_t *len)
{
    vg_batch_t *b = vg_batch_new (agent, agent);
    b->seq = seq;
    b->sent_ms = vg_now_ms ();
    uint32_t s = vg_batch_series (b, "hostile_value", VG_KIND_GAUGE, NULL, 0);
    for (int i = 0; i < 10; i++)
        vg_batch_add_sample (b, s, vg_now_ms () - i, i);
    uint8_t *out = NULL;
    vg_codec_encode_batch (b, &out, len);
    vg_batch_destroy (&b);
    return out;
}

/* ---- raw ZMTP 3.0 over TCP, NULL mechanism -------------------------------
 * libzmq itself never puts the frames of an unfinished message on the wire
 * (its pipes hold them until the last), so a peer that sends endless frames
 * has to speak the protocol by hand. */

static int
s_write_all (int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int
s_read_all (int fd, void *data, size_t len)
{
    uint8_t *p = data;
    while (len > 0) {
        ssize_t n = recv (fd, p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One frame's header: flags (more, long) and size. */
static int
s_raw_frame (int fd, const void *data, size_t len, int more)
{
    uint8_t h[9];
    size_t hl;
    if (len < 256) {
        h[0] = (uint8_t)(more ? 0x01 : 0x00);
        h[1] = (uint8_t)len;
        hl = 2;
    } else {
        h[0] = (uint8_t)(0x02 | (more ? 0x01 : 0x00));
        for (int k = 0; k < 8; k++)
            h[1 + k] = (uint8_t)((uint64_t)len >> (56 - 8 * k));
        hl = 9;
    }
    if (s_write_all (fd, h, hl) != 0)
        return -1;
    return len ? s_write_all (fd, data, len) : 0;
}

/* A TCP connection to tcp://HOST:PORT that has done the ZMTP handshake as a
 * DEALER; -1 if it could not. */
static int
s_raw_connect (const char *endpoint)
{
    char host[64];
    int port;
    if (sscanf (endpoint, "tcp://%63[^:]:%d", host, &port) != 2)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons ((uint16_t)port)};
    if (inet_pton (AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    uint8_t greeting[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0, 'N', 'U', 'L', 'L'};
    uint8_t theirs[64];
    static const char ready[] = "\x05READY\x0bSocket-Type\x00\x00\x00\x06"
                                "DEALER";
    uint8_t cmd[2] = {0x04, (uint8_t)(sizeof ready - 1)};
    if (connect (fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        s_write_all (fd, greeting, sizeof greeting) != 0 ||
        s_read_all (fd, theirs, sizeof theirs) != 0 || s_write_all (fd, cmd, 2) != 0 ||
        s_write_all (fd, ready, sizeof ready - 1) != 0) {
        close (fd);
        return -1;
    }
    return fd;
}

/* A batch the schema cannot hold, or one that expands too much: kind % 4. */
static uint8_t *
s_bad_batch (unsigned kind, uint64_t seq, size_t *len)
{
    vg_batch_t *b = vg_batch_new ("hostile-values", "hostile-values");
    b->seq = kind % 4 == 0 ? UINT64_MAX : seq;
    b->sent_ms = vg_now_ms ();
    uint32_t s = vg_batch_series (b, "hostile_value", VG_KIND_GAUGE, NULL, 0);
    if (kind % 4 == 1)
        vg_batch_add_sample (b, s, VG_WIRE_END_TS_MS + 1000, 1);
    else
        vg_batch_add_sample (b, s, vg_now_ms (), 1);
    if (kind % 4 == 2)
        vg_batch_add_event (b, vg_now_ms (), "deploy", NULL, 0, "text");
    if (kind % 4 == 3) {
        static char big[4001];
        memset (big, 'x', 4000);
        vg_label_t labels[64];
        char keys[64][8];
        for (int k = 0; k < 64; k++) {
            snprintf (keys[k], sizeof keys[k], "k%02d", k);
            labels[k] = (vg_label_t){keys[k], big};
        }
        for (int i = 0; i < 50; i++)
            vg_batch_add_event (b, vg_now_ms (), "deploy", labels, 64, "amplified");
    }
    uint8_t *out = NULL;
    vg_codec_encode_batch (b, &out, len);
    vg_batch_destroy (&b);
    if (kind % 4 == 2) {
        /* A NUL inside the event's text: "text" -> "t\0xt", the checksum
         * made anew so that only the NUL is wrong. */
        uint8_t *p = memmem (out, *len, "text", 4);
        if (p) {
            p[1] = 0;
            *len -= VG_WIRE_CRC_TRAILER;
            vg_codec_seal_batch (&out, len);
        }
    }
    return out;
}

static int
s_parse (int argc, char **argv, s_args_t *a)
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"mode", required_argument, NULL, 'm'},
        {"duration", required_argument, NULL, 'd'},
        {"frame-bytes", required_argument, NULL, 'f'},
        {"hold-bytes", required_argument, NULL, 'H'},
        {"conns", required_argument, NULL, 'c'},
        {"count", required_argument, NULL, 'n'},
        {"rate", required_argument, NULL, 'r'},
        {"curve-server-key", required_argument, NULL, 'S'},
        {"curve-keys", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (s_args_t){.duration_s = 10,
                    .frame_bytes = 1 << 20,
                    .hold_bytes = 30 << 20,
                    .conns = 50,
                    .count = 10000,
                    .rate = 10000};
    const char *keys = NULL;
    int c;
    while ((c = getopt_long (argc, argv, "e:m:d:f:H:c:n:r:S:K:h", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            a->endpoint = optarg;
            break;
        case 'm':
            a->mode = optarg;
            break;
        case 'd':
            a->duration_s = atof (optarg);
            break;
        case 'f':
            a->frame_bytes = (size_t)strtoull (optarg, NULL, 10);
            break;
        case 'H':
            a->hold_bytes = (size_t)strtoull (optarg, NULL, 10);
            break;
        case 'c':
            a->conns = atoi (optarg);
            break;
        case 'n':
            a->count = atoi (optarg);
            break;
        case 'r':
            a->rate = atoi (optarg);
            break;
        case 'S':
            a->server_key = optarg;
            break;
        case 'K':
            keys = optarg;
            break;
        case 'h':
            printf ("see the comment at the top of tests/helpers/programs/vigil-hostile.c\n");
            exit (0);
        default:
            return -1;
        }
    }
    if (keys) {
        char *secret = vg_asprintf ("%s_secret", keys);
        if (test_zcert_key (keys, "public-key", a->public_key) != 0 ||
            test_zcert_key (secret, "secret-key", a->secret_key) != 0) {
            fprintf (stderr, "vigil-hostile: cannot read the key pair %s, %s\n", keys, secret);
            exit (1);
        }
        free (secret);
        a->curve = 1;
    }
    if (a->curve && (!a->server_key || strlen (a->server_key) != 40))
        return -1;
    return a->endpoint && a->mode && a->duration_s > 0 && a->conns > 0 && a->count > 0 &&
                   a->rate > 0
               ? 0
               : -1;
}

/* Sends messages of one kind at a rate until the time is up. */
static uint64_t
s_flood (void *ctx, const s_args_t *a, int64_t end)
{
    void *sock = s_connect (ctx, a, 0);
    uint64_t sent = 0, seq = 1;
    uint8_t *junk = vg_malloc (a->frame_bytes + 1);
    int64_t start = vg_mono_ms ();
    int mixed = strcmp (a->mode, "mixed") == 0;
    while (vg_mono_ms () < end) {
        /* Paced: sent / elapsed stays at the rate asked. */
        int64_t due = start + (int64_t)(sent * 1000 / (uint64_t)a->rate);
        int64_t now = vg_mono_ms ();
        if (due > now) {
            usleep ((useconds_t)((due - now) * 1000));
            continue;
        }
        const char *mode = a->mode;
        if (mixed) {
            static const char *modes[] = {"garbage", "oversized", "truncated", "badvalues"};
            mode = modes[sent % 4];
        }
        size_t len = 0;
        uint8_t *p = NULL;
        if (strcmp (mode, "garbage") == 0) {
            len = 1 + s_next () % 512;
            for (size_t i = 0; i < len; i++)
                junk[i] = (uint8_t)s_next ();
            s_send2 (sock, junk, len);
        } else if (strcmp (mode, "oversized") == 0) {
            memset (junk, 0x55, a->frame_bytes);
            s_send2 (sock, junk, a->frame_bytes);
        } else if (strcmp (mode, "truncated") == 0) {
            p = s_valid_batch ("hostile-truncated", seq++, &len);
            s_send2 (sock, p, 1 + s_next () % (len - 1));
        } else {
            p = s_bad_batch ((unsigned)sent, seq++, &len);
            s_send2 (sock, p, len);
        }
        free (p);
        sent++;
        /* Acks and anything else the collector sends are read and dropped. */
        zmq_msg_t m;
        zmq_msg_init (&m);
        while (zmq_msg_recv (&m, sock, ZMQ_DONTWAIT) >= 0)
            ;
        zmq_msg_close (&m);
    }
    free (junk);
    zmq_close (sock);
    return sent;
}

int
main (int argc, char **argv)
{
    s_args_t a;
    if (s_parse (argc, argv, &a) != 0) {
        fprintf (stderr, "usage: vigil-hostile --endpoint EP --mode "
                         "multipart|halfsent|identities|garbage|oversized|truncated|badvalues|"
                         "mixed [--duration S] [--frame-bytes N] [--hold-bytes N] [--conns N] "
                         "[--count N] [--rate N] [--curve-server-key Z85 --curve-keys FILE]\n");
        return 2;
    }
    setvbuf (stdout, NULL, _IOLBF, 0);
    signal (SIGPIPE, SIG_IGN);
    void *ctx = zmq_ctx_new ();
    int64_t end = vg_mono_ms () + (int64_t)(a.duration_s * 1000);
    uint64_t sent = 0, failed = 0;

    if (strcmp (a.mode, "multipart") == 0) {
        /* Frames flagged "more" until the time is up, connecting again each
         * time the collector hangs up (counted as refused_by_socket). */
        uint8_t *frame = vg_calloc (1, a.frame_bytes + 1);
        while (vg_mono_ms () < end) {
            int fd = s_raw_connect (a.endpoint);
            if (fd < 0) {
                failed++;
                usleep (10000);
                continue;
            }
            while (vg_mono_ms () < end && s_raw_frame (fd, frame, a.frame_bytes, 1) == 0)
                sent++;
            failed++;
            close (fd);
        }
        free (frame);
    } else if (strcmp (a.mode, "halfsent") == 0) {
        /* Many connections, each holding an unfinished message. */
        int *fds = vg_calloc ((size_t)a.conns, sizeof *fds);
        uint8_t *frame = vg_calloc (1, 1 << 20);
        for (int i = 0; i < a.conns; i++) {
            fds[i] = s_raw_connect (a.endpoint);
            if (fds[i] >= 0)
                s_raw_frame (fds[i], VG_WIRE_BATCH, strlen (VG_WIRE_BATCH), 1);
        }
        for (size_t held = 0; held < a.hold_bytes && vg_mono_ms () < end; held += 1 << 20)
            for (int i = 0; i < a.conns; i++) {
                if (fds[i] < 0)
                    continue;
                if (s_raw_frame (fds[i], frame, 1 << 20, 1) == 0) {
                    sent++;
                } else {
                    failed++;
                    close (fds[i]);
                    fds[i] = -1;
                }
            }
        while (vg_mono_ms () < end)
            usleep (10000);
        for (int i = 0; i < a.conns; i++)
            if (fds[i] >= 0)
                close (fds[i]);
        free (fds);
        free (frame);
    } else if (strcmp (a.mode, "identities") == 0) {
        /* In waves of 250 sockets, each wave in a context of its own whose
         * end waits until every batch of the wave is out. */
        char agent[64];
        for (int i = 0; i < a.count && vg_mono_ms () < end;) {
            void *wave = zmq_ctx_new ();
            for (int k = 0; k < 250 && i < a.count; k++, i++) {
                void *sock = s_connect (wave, &a, 2000);
                snprintf (agent, sizeof agent, "hostile-id-%d-%d", (int)getpid (), i);
                size_t len;
                uint8_t *p = s_valid_batch (agent, 1, &len);
                if (s_send2 (sock, p, len) == 0)
                    sent++;
                else
                    failed++;
                free (p);
                zmq_close (sock);
            }
            zmq_ctx_term (wave);
        }
    } else {
        sent = s_flood (ctx, &a, end);
    }
    zmq_ctx_term (ctx);
    printf ("hostile: %s sent=%" PRIu64 " refused_by_socket=%" PRIu64 "\n", a.mode, sent, failed);
    return 0;
}
