/*  test_batch.c - the in-memory batch: interning, series identity, samples,
 *  distributions, events, clearing for reuse. */
#include "test_assert.h"
#include "vg_batch.h"
#include "vg_wire.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
s_str (const vg_batch_t *b, uint32_t index)
{
    ASSERT_LT (index, b->nstrings);
    return b->strings[index];
}

static void
test_identity (void)
{
    char id[] = "agent-1", host[] = "web-1";
    vg_batch_t *b = vg_batch_new (id, host);
    id[0] = 'X';
    host[0] = 'X';
    ASSERT_STR_EQ (b->agent_id, "agent-1");
    ASSERT_STR_EQ (b->hostname, "web-1");
    ASSERT_EQ (b->nstrings, 0);
    ASSERT_EQ (vg_batch_count (b), 0);
    vg_batch_destroy (&b);
    ASSERT (b == NULL);
    vg_batch_destroy (&b);
    vg_batch_destroy (NULL);
}

static void
test_intern (void)
{
    vg_batch_t *b = vg_batch_new ("a", "h");
    char buf[32];
    strcpy (buf, "cpu");
    uint32_t cpu = vg_batch_intern (b, buf);
    strcpy (buf, "mem");
    uint32_t mem = vg_batch_intern (b, buf);
    ASSERT_NE (cpu, mem);
    ASSERT_STR_EQ (s_str (b, cpu), "cpu"); /* not a pointer to the caller's buffer */
    ASSERT_EQ (vg_batch_intern (b, "cpu"), cpu);
    ASSERT_EQ (vg_batch_intern (b, "mem"), mem);
    ASSERT_EQ (vg_batch_intern (b, ""), vg_batch_intern (b, ""));
    ASSERT_EQ (b->nstrings, 3);

    /* Enough strings to grow the table several times; all stay distinct. */
    for (int i = 0; i < 20000; i++) {
        snprintf (buf, sizeof buf, "s%d", i);
        uint32_t k = vg_batch_intern (b, buf);
        ASSERT_STR_EQ (s_str (b, k), buf);
    }
    ASSERT_EQ (b->nstrings, 20003);
    for (int i = 0; i < 20000; i += 7) {
        snprintf (buf, sizeof buf, "s%d", i);
        ASSERT_EQ (vg_batch_intern (b, buf), (uint32_t)(3 + i));
    }
    vg_batch_destroy (&b);
}

/* What the builder stores is what the decoder accepts. */
static void
test_sanitize (void)
{
    vg_batch_t *b = vg_batch_new ("a", "h");
    ASSERT_STR_EQ (s_str (b, vg_batch_intern (b, "caf\xc3\xa9")), "caf\xc3\xa9");
    ASSERT_STR_EQ (s_str (b, vg_batch_intern (b, "bad\xff\xfe.")), "bad??.");
    ASSERT_STR_EQ (s_str (b, vg_batch_intern (b, "\xc0\xaf")), "??");           /* overlong */
    ASSERT_STR_EQ (s_str (b, vg_batch_intern (b, "\xed\xa0\x80")), "???");      /* surrogate */
    ASSERT_STR_EQ (s_str (b, vg_batch_intern (b, "\xf4\x90\x80\x80")), "????"); /* > U+10FFFF */
    ASSERT_STR_EQ (s_str (b, vg_batch_intern (b, "cut\xe2\x82")), "cut??");

    /* Over the wire limit: cut at a character boundary. */
    size_t n = VG_WIRE_MAX_STRLEN + 100;
    char *big = malloc (n + 1);
    memset (big, 'x', n);
    big[n] = '\0';
    big[VG_WIRE_MAX_STRLEN - 1] = '\xc3'; /* a two-byte character across the limit */
    big[VG_WIRE_MAX_STRLEN] = '\xa9';
    const char *s = s_str (b, vg_batch_intern (b, big));
    ASSERT_EQ (strlen (s), VG_WIRE_MAX_STRLEN - 1);
    /* The same long string interns to the same index. */
    ASSERT_STR_EQ (s_str (b, vg_batch_intern (b, big)), s);
    uint32_t before = b->nstrings;
    vg_batch_intern (b, big);
    ASSERT_EQ (b->nstrings, before);
    free (big);
    vg_batch_destroy (&b);
}

static void
test_series (void)
{
    vg_batch_t *b = vg_batch_new ("a", "h");
    char k1[16] = "path", v1[16] = "/chat", k2[16] = "method", v2[16] = "POST";
    vg_label_t l[] = {{k1, v1}, {k2, v2}};
    uint32_t s = vg_batch_series (b, "http_requests", VG_KIND_COUNTER, l, 2);
    strcpy (v1, "/gone"); /* the batch keeps no pointer to the caller's strings */
    ASSERT_EQ (b->nseries, 1);
    const vg_series_t *ser = &b->series[s];
    ASSERT_STR_EQ (s_str (b, ser->name), "http_requests");
    ASSERT_EQ (ser->kind, VG_KIND_COUNTER);
    ASSERT_EQ (ser->nlabels, 2);
    ASSERT_STR_EQ (s_str (b, ser->labels[0]), "method"); /* sorted by key */
    ASSERT_STR_EQ (s_str (b, ser->labels[1]), "POST");
    ASSERT_STR_EQ (s_str (b, ser->labels[2]), "path");
    ASSERT_STR_EQ (s_str (b, ser->labels[3]), "/chat");

    /* Same name and labels in any order: the same series. */
    vg_label_t same[] = {{"method", "POST"}, {"path", "/chat"}};
    ASSERT_EQ (vg_batch_series (b, "http_requests", VG_KIND_COUNTER, same, 2), s);
    vg_label_t rev[] = {{"path", "/chat"}, {"method", "POST"}};
    ASSERT_EQ (vg_batch_series (b, "http_requests", VG_KIND_COUNTER, rev, 2), s);
    /* Another kind, value, label set or name: another series. */
    uint32_t g = vg_batch_series (b, "http_requests", VG_KIND_GAUGE, same, 2);
    ASSERT_NE (g, s);
    ASSERT_NE (vg_batch_series (b, "http_requests", VG_KIND_COUNTER, same, 1), s);
    vg_label_t other[] = {{"method", "GET"}, {"path", "/chat"}};
    ASSERT_NE (vg_batch_series (b, "http_requests", VG_KIND_COUNTER, other, 2), s);
    ASSERT_NE (vg_batch_series (b, "http_errors", VG_KIND_COUNTER, same, 2), s);
    /* A label key and value swapped is not the same series. */
    vg_label_t swapped[] = {{"POST", "method"}, {"path", "/chat"}};
    ASSERT_NE (vg_batch_series (b, "http_requests", VG_KIND_COUNTER, swapped, 2), s);
    uint32_t nseries = b->nseries;
    ASSERT_EQ (nseries, 6);
    /* Strings are shared between series. */
    ASSERT_EQ (b->series[g].name, b->series[s].name);

    /* No labels at all, and NULL labels. */
    uint32_t bare = vg_batch_series (b, "load1", VG_KIND_GAUGE, NULL, 0);
    ASSERT_EQ (b->series[bare].nlabels, 0);
    ASSERT_EQ (vg_batch_series (b, "load1", VG_KIND_GAUGE, NULL, 0), bare);

    /* A repeated key keeps its last value. */
    vg_label_t dup[] = {{"b", "1"}, {"a", "x"}, {"b", "2"}};
    uint32_t d = vg_batch_series (b, "dup", VG_KIND_GAUGE, dup, 3);
    ASSERT_EQ (b->series[d].nlabels, 2);
    ASSERT_STR_EQ (s_str (b, b->series[d].labels[0]), "a");
    ASSERT_STR_EQ (s_str (b, b->series[d].labels[2]), "b");
    ASSERT_STR_EQ (s_str (b, b->series[d].labels[3]), "2");
    vg_label_t dedup[] = {{"a", "x"}, {"b", "2"}};
    ASSERT_EQ (vg_batch_series (b, "dup", VG_KIND_GAUGE, dedup, 2), d);

    /* Over VG_WIRE_MAX_LABELS labels: the lowest keys are kept. */
    vg_label_t many[VG_WIRE_MAX_LABELS + 6];
    char keys[VG_WIRE_MAX_LABELS + 6][8];
    for (int i = 0; i < VG_WIRE_MAX_LABELS + 6; i++) {
        snprintf (keys[i], sizeof keys[i], "k%03d", VG_WIRE_MAX_LABELS + 5 - i);
        many[i].key = keys[i];
        many[i].value = "v";
    }
    uint32_t m = vg_batch_series (b, "many", VG_KIND_GAUGE, many, VG_WIRE_MAX_LABELS + 6);
    ASSERT_EQ (b->series[m].nlabels, VG_WIRE_MAX_LABELS);
    for (uint32_t i = 0; i < VG_WIRE_MAX_LABELS; i++) {
        char want[8];
        snprintf (want, sizeof want, "k%03u", i);
        ASSERT_STR_EQ (s_str (b, b->series[m].labels[2 * i]), want);
    }

    /* Label strings are sanitized like any other. */
    vg_label_t bad[] = {{"k\xff", "v\xfe"}};
    uint32_t bs = vg_batch_series (b, "bad", VG_KIND_GAUGE, bad, 1);
    ASSERT_STR_EQ (s_str (b, b->series[bs].labels[0]), "k?");
    ASSERT_STR_EQ (s_str (b, b->series[bs].labels[1]), "v?");
    ASSERT_EQ (vg_batch_series (b, "bad", VG_KIND_GAUGE, bad, 1), bs);
    vg_batch_destroy (&b);
}

/* A few hundred series looked up a million times, as the log-tail input does. */
static void
test_many_series (void)
{
    vg_batch_t *b = vg_batch_new ("a", "h");
    const char *status[] = {"200", "201", "404", "500", "503"};
    char endpoint[32], persona[32];
    uint32_t ids[60][5];
    for (int round = 0; round < 4; round++)
        for (int e = 0; e < 60; e++)
            for (int s = 0; s < 5; s++) {
                snprintf (endpoint, sizeof endpoint, "/api/v1/endpoint/%d", e);
                snprintf (persona, sizeof persona, "persona-%d", e % 7);
                vg_label_t l[] = {{"status", status[s]},
                                  {"endpoint", endpoint},
                                  {"persona", persona},
                                  {"model", "gpt-4o-mini"}};
                uint32_t id = vg_batch_series (b, "request_seconds", VG_KIND_GAUGE, l, 4);
                if (round == 0)
                    ids[e][s] = id;
                else
                    ASSERT_EQ (id, ids[e][s]);
                vg_batch_add_sample (b, id, 1000 + round, e * 10 + s);
            }
    ASSERT_EQ (b->nseries, 300);
    ASSERT_EQ (b->nsamples, 1200);
    /* 1 name + 4 keys + 5 statuses + 60 endpoints + 7 personas + 1 model */
    ASSERT_EQ (b->nstrings, 78);
    ASSERT_EQ (b->sample_series[1199], ids[59][4]);
    ASSERT_NEAR (b->sample_value[1199], 594, 0);
    ASSERT_EQ (b->sample_ts_ms[1199], 1003);
    vg_batch_destroy (&b);
}

static void
test_samples_dists_events (void)
{
    vg_batch_t *b = vg_batch_new ("a", "h");
    uint32_t g = vg_batch_series (b, "temp", VG_KIND_GAUGE, NULL, 0);
    uint32_t d = vg_batch_series (b, "latency", VG_KIND_DISTRIBUTION, NULL, 0);
    for (int i = 0; i < 1000; i++)
        vg_batch_add_sample (b, g, 1000 + i, i * 0.5);
    /* A computed value that is not finite is dropped... */
    vg_batch_add_sample (b, g, 5, NAN);
    vg_batch_add_sample (b, g, 5, INFINITY);
    vg_batch_add_sample (b, g, 5, -INFINITY);
    ASSERT_EQ (b->nsamples, 1000);
    ASSERT_NEAR (b->sample_value[999], 499.5, 0);
    /* ...a reported one is kept. */
    vg_batch_add_value (b, g, 6, NAN);
    vg_batch_add_value (b, g, 7, -INFINITY);
    ASSERT_EQ (b->nsamples, 1002);
    ASSERT (isnan (b->sample_value[1000]));
    ASSERT (isinf (b->sample_value[1001]));
    b->nsamples = 1000;

    vg_sketch_t *sk = vg_sketch_new ();
    for (int i = 1; i <= 100; i++)
        vg_sketch_add (sk, i);
    vg_batch_add_dist (b, d, 2000, sk);
    vg_sketch_add (sk, 1000); /* the batch holds a copy */
    ASSERT_EQ (b->dists[0].sketch->count, 100);
    ASSERT (b->dists[0].sketch != sk);
    vg_batch_take_dist (b, d, 3000, &sk);
    ASSERT (sk == NULL);
    ASSERT_EQ (b->ndists, 2);
    ASSERT_EQ (b->dists[1].sketch->count, 101);
    ASSERT_EQ (b->dists[1].ts_ms, 3000);
    ASSERT_EQ (vg_batch_count (b), 1002);

    char text[] = "deployed v1.2.3";
    vg_label_t l[] = {{"version", "1.2.3"}, {"env", "prod"}};
    vg_batch_add_event (b, 4000, "deploy", l, 2, text);
    text[0] = 'X';
    vg_batch_add_event (b, 4001, "backup", NULL, 0, NULL);
    ASSERT_EQ (b->nevents, 2);
    ASSERT_STR_EQ (s_str (b, b->events[0].name), "deploy");
    ASSERT_STR_EQ (b->events[0].text, "deployed v1.2.3");
    ASSERT_EQ (b->events[0].nlabels, 2);
    ASSERT_STR_EQ (s_str (b, b->events[0].labels[0]), "env");
    ASSERT_STR_EQ (s_str (b, b->events[0].labels[3]), "1.2.3");
    ASSERT_STR_EQ (b->events[1].text, "");
    ASSERT_EQ (b->events[1].ts_ms, 4001);
    ASSERT_EQ (vg_batch_count (b), 1002); /* events are not samples */
    vg_batch_destroy (&b);
}

static void
test_push (void)
{
    vg_batch_t *b = vg_batch_new ("a", "h");
    vg_batch_push_string (b, "cpu", 3);
    vg_batch_push_string (b, "mode", 4);
    vg_batch_push_string (b, "user\0junk", 4); /* len decides, not a NUL */
    uint32_t labels[] = {1, 2};
    vg_batch_push_series (b, 0, VG_KIND_GAUGE, labels, 1);
    uint32_t bad[] = {7, 9};
    vg_batch_push_series (b, 42, VG_KIND_GAUGE, bad, 1); /* decoder's job to reject */
    ASSERT_EQ (b->nstrings, 3);
    ASSERT_STR_EQ (b->strings[2], "user");
    ASSERT_EQ (b->nseries, 2);
    labels[0] = 5; /* copied */
    ASSERT_EQ (b->series[0].labels[0], 1);

    /* The builder finds what was pushed. */
    ASSERT_EQ (vg_batch_intern (b, "mode"), 1);
    vg_label_t l[] = {{"mode", "user"}};
    ASSERT_EQ (vg_batch_series (b, "cpu", VG_KIND_GAUGE, l, 1), 0);
    ASSERT_EQ (vg_batch_series (b, "cpu", VG_KIND_COUNTER, l, 1), 2);
    ASSERT_EQ (b->nstrings, 3);
    vg_batch_destroy (&b);
}

static void
test_clear (void)
{
    vg_batch_t *b = vg_batch_new ("agent", "host");
    b->seq = 9;
    for (int round = 0; round < 3; round++) {
        char name[32];
        for (int i = 0; i < 500; i++) {
            snprintf (name, sizeof name, "metric_%d", i);
            vg_label_t l[] = {{"round", round % 2 ? "odd" : "even"}};
            uint32_t s = vg_batch_series (b, name, VG_KIND_GAUGE, l, 1);
            ASSERT_EQ (s, (uint32_t)i);
            vg_batch_add_sample (b, s, round, i);
        }
        vg_sketch_t *sk = vg_sketch_new ();
        vg_sketch_add (sk, 1);
        uint32_t d = vg_batch_series (b, "dist", VG_KIND_DISTRIBUTION, NULL, 0);
        vg_batch_take_dist (b, d, 1, &sk);
        vg_batch_add_event (b, 1, "ev", NULL, 0, "text");
        ASSERT_EQ (b->nseries, 501);
        ASSERT_EQ (b->nstrings, 504);
        ASSERT_STR_EQ (b->strings[b->series[499].name], "metric_499");

        char *const *strings = b->strings;
        uint32_t *columns = b->sample_series;
        vg_batch_clear (b);
        ASSERT_EQ (b->nstrings, 0);
        ASSERT_EQ (b->nseries, 0);
        ASSERT_EQ (b->nsamples, 0);
        ASSERT_EQ (b->ndists, 0);
        ASSERT_EQ (b->nevents, 0);
        ASSERT_EQ (vg_batch_count (b), 0);
        /* Identity and the arrays stay for the next interval. */
        ASSERT_STR_EQ (b->agent_id, "agent");
        ASSERT_STR_EQ (b->hostname, "host");
        ASSERT_EQ (b->seq, 9);
        ASSERT (b->strings == strings);
        ASSERT (b->sample_series == columns);
        ASSERT (b->strings_cap >= 504);
    }
    vg_batch_destroy (&b);
}

int
main (void)
{
    test_identity ();
    test_intern ();
    test_sanitize ();
    test_series ();
    test_many_series ();
    test_samples_dists_events ();
    test_push ();
    test_clear ();
    printf ("test_batch: ok\n");
    return 0;
}
