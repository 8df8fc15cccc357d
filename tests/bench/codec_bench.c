/*  codec_bench.c - how fast batches decode (the collector decodes every one)
 *  and how fast the agent finds a series. A program, not a test: it prints
 *  figures next to their reference, measured in the same run.
 *
 *  The reference for decoding is protobuf-c's bare unpack and free of the same
 *  bytes, with no validation and no copy into a vg_batch_t: the ceiling
 *  vg_codec_decode_batch can approach. Its descriptor is declared here by hand
 *  so that vg_codec.c stays the only user of the generated header. Decoding
 *  with the names of the batch before (vg_codec_decode_batch_named) is
 *  measured beside it, and "names" prints what a connection's kept names
 *  take in memory, read from the allocator.
 *
 *  Build (after building vigil_common in a Release tree):
 *    cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
 *    cmake --build build-rel --target vigil_common
 *    cc -O2 -std=c11 -D_GNU_SOURCE -Icommon tests/bench/codec_bench.c \
 *       build-rel/common/libvigil_common.a build-rel/proto/libvigil_proto.a \
 *       -lprotobuf-c -lczmq -lzmq -lfyaml -lm -o codec_bench
 */
#include "vg_batch.h"
#include "vg_codec.h"

#include <malloc.h>
#include <protobuf-c/protobuf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const ProtobufCMessageDescriptor vigil__batch__descriptor;

#define T0 1700000000000LL

/* n gauge samples spread over nseries series of two labels each. */
static vg_batch_t *
s_gauges (size_t n, size_t nseries)
{
    vg_batch_t *b = vg_batch_new ("agent-bench", "bench-host");
    b->seq = 1;
    char host[32], mode[32];
    for (size_t i = 0; i < n; i++) {
        size_t s = i % nseries;
        snprintf (host, sizeof host, "cpu%zu", s % 16);
        snprintf (mode, sizeof mode, "mode%zu", s / 16);
        vg_label_t l[] = {{"cpu", host}, {"mode", mode}};
        uint32_t id = vg_batch_series (b, "cpu_percent", VG_KIND_GAUGE, l, 2);
        vg_batch_add_sample (b, id, T0 + (int64_t)(i / nseries) * 10000, (double)i * 0.37);
    }
    return b;
}

/* This thread's CPU time: the figures hold on a busy machine too. */
static int64_t
s_cpu_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Runs fn over the frame for about a second of CPU; returns calls/s. */
static double
s_rate (int (*fn) (const uint8_t *, size_t), const uint8_t *data, size_t len)
{
    size_t iters = 64;
    for (;;) {
        int64_t t0 = s_cpu_ns ();
        for (size_t i = 0; i < iters; i++)
            if (fn (data, len) != 0) {
                fprintf (stderr, "codec_bench: decode failed\n");
                exit (1);
            }
        int64_t dt = s_cpu_ns () - t0;
        if (dt > 1000000000LL)
            return (double)iters * 1e9 / (double)dt;
        iters *= 2;
    }
}

static int
s_decode (const uint8_t *data, size_t len)
{
    vg_batch_t *b = NULL;
    char err[256];
    int rc = vg_codec_decode_batch (data, len, NULL, &b, err, sizeof err);
    vg_batch_destroy (&b);
    return rc;
}

/* The names of the batch before, as a collector keeps them per connection. */
static vg_batch_names_t *s_known;

static int
s_decode_named (const uint8_t *data, size_t len)
{
    vg_batch_t *b = NULL;
    char err[256];
    int rc = vg_codec_decode_batch_named (data, len, NULL, s_known, &b, err, sizeof err);
    if (rc == 0 && b->names != s_known) {
        vg_batch_names_unref (&s_known);
        s_known = vg_batch_names_ref (b->names);
    }
    vg_batch_destroy (&b);
    return rc;
}

static int
s_unpack (const uint8_t *data, size_t len)
{
    ProtobufCMessage *m = protobuf_c_message_unpack (&vigil__batch__descriptor, NULL, len, data);
    if (!m)
        return -1;
    protobuf_c_message_free_unpacked (m, NULL);
    return 0;
}

static const vg_batch_t *s_enc_batch;

static int
s_encode (const uint8_t *data, size_t len)
{
    (void)data;
    (void)len;
    uint8_t *out;
    size_t n;
    int rc = vg_codec_encode_batch (s_enc_batch, &out, &n);
    free (out);
    return rc;
}

static void
s_bench_decode (size_t n, size_t nseries)
{
    vg_batch_t *b = s_gauges (n, nseries);
    uint8_t *enc;
    size_t len;
    if (vg_codec_encode_batch (b, &enc, &len) != 0)
        exit (1);
    s_enc_batch = b;
    double dec = s_rate (s_decode, enc, len);
    double named = s_rate (s_decode_named, enc, len);
    double ref = s_rate (s_unpack, enc, len);
    double encr = s_rate (s_encode, enc, len);
    printf ("codec_bench: %4zu gauges in %4zu series (%5zu bytes): decode+validate %5.1f M "
            "samples/s (%6.0f batches/s)  with the names of the batch before %5.1f M "
            "samples/s  protobuf-c unpack alone %5.1f M samples/s  ratio %.2f  encode %5.1f M "
            "samples/s\n",
            n, nseries, len, dec * (double)n / 1e6, dec, named * (double)n / 1e6,
            ref * (double)n / 1e6, dec / ref, encr * (double)n / 1e6);
    vg_batch_names_unref (&s_known);
    free (enc);
    vg_batch_destroy (&b);
}

/* The log-tail shape: a million samples into 300 series of 4 labels. */
static void
s_bench_series (void)
{
    vg_batch_t *b = vg_batch_new ("agent-bench", "bench-host");
    const char *status[] = {"200", "201", "404", "500", "503"};
    char endpoint[60][32], persona[7][16];
    for (int e = 0; e < 60; e++)
        snprintf (endpoint[e], sizeof endpoint[e], "/api/v1/endpoint/%d", e);
    for (int p = 0; p < 7; p++)
        snprintf (persona[p], sizeof persona[p], "persona-%d", p);
    const size_t n = 1000000;
    int64_t t0 = s_cpu_ns ();
    for (size_t i = 0; i < n; i++) {
        size_t e = i % 60, s = (i / 60) % 5;
        vg_label_t l[] = {{"status", status[s]},
                          {"endpoint", endpoint[e]},
                          {"persona", persona[e % 7]},
                          {"model", "gpt-4o-mini"}};
        uint32_t id = vg_batch_series (b, "request_seconds", VG_KIND_GAUGE, l, 4);
        vg_batch_add_sample (b, id, T0, (double)i);
    }
    int64_t dt = s_cpu_ns () - t0;
    printf ("codec_bench: vg_batch_series + add_sample, 4 labels, %u series: %.1f M samples/s\n",
            b->nseries, (double)n * 1e9 / (double)dt / 1e6);
    vg_batch_destroy (&b);
}

/* What a connection's kept names take: the names of one batch of nseries
 * series, kept 10,000 times, read from the allocator (mallinfo2). */
static void
s_bench_names (size_t nseries)
{
    vg_batch_t *b = s_gauges (nseries, nseries);
    uint8_t *enc;
    size_t len;
    if (vg_codec_encode_batch (b, &enc, &len) != 0)
        exit (1);
    enum { N = 10000 };
    vg_batch_names_t **kept = calloc (N, sizeof *kept);
    size_t counted = 0;
    struct mallinfo2 m0 = mallinfo2 ();
    for (size_t i = 0; i < N; i++) {
        vg_batch_t *d = NULL;
        char err[256];
        if (vg_codec_decode_batch_named (enc, len, NULL, NULL, &d, err, sizeof err) != 0 ||
            !d->names)
            exit (1);
        kept[i] = vg_batch_names_ref (d->names);
        counted += d->names->bytes;
        vg_batch_destroy (&d);
    }
    struct mallinfo2 m1 = mallinfo2 ();
    printf ("codec_bench: names of %zu series kept: %zu bytes each in use, %zu counted against "
            "the caps\n",
            nseries, (size_t)(m1.uordblks - m0.uordblks) / N, counted / N);
    for (size_t i = 0; i < N; i++)
        vg_batch_names_unref (&kept[i]);
    free (kept);
    free (enc);
    vg_batch_destroy (&b);
}

/* No argument: everything; "decode", "names" or "series": that part only. */
int
main (int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : "";
    if (!*only || strcmp (only, "decode") == 0) {
        /* Few series: the columns dominate. One series per sample: what the
         * system input sends, where the series messages dominate. */
        s_bench_decode (100, 10);
        s_bench_decode (100, 100);
        s_bench_decode (1000, 10);
        s_bench_decode (1000, 1000);
    }
    if (!*only || strcmp (only, "names") == 0) {
        s_bench_names (100);
        s_bench_names (1000);
    }
    if (!*only || strcmp (only, "series") == 0)
        s_bench_series ();
    return 0;
}
