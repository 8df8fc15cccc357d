/*  test_statsd_parse.c - StatsD and DogStatsD lines: every type, sample
 *  rates, gauge deltas, tags, packets of several lines, name sanitising and
 *  malformed lines, each with its reason. */
#include "statsd_parse.h"
#include "test_assert.h"
#include "vg_error.h"

#include <string.h>

static statsd_line_t s_line;
static char s_err[256];

/* Parses text, which must be good. */
static const statsd_line_t *
s_ok (const char *text)
{
    s_err[0] = '\0';
    int rc = statsd_parse_line (text, strlen (text), &s_line, s_err, sizeof s_err);
    if (rc != VG_OK)
        TEST_FAIL ("'%s' refused: %s", text, s_err);
    return &s_line;
}

/* Parses text, which must be refused with a reason containing why. */
static void
s_bad (const char *text, size_t len, const char *why)
{
    s_err[0] = '\0';
    int rc = statsd_parse_line (text, len, &s_line, s_err, sizeof s_err);
    if (rc != VG_EINVAL)
        TEST_FAIL ("'%s' accepted (rc %d), want '%s'", text, rc, why);
    ASSERT_STR_CONTAINS (s_err, why);
}
#define BAD(text, why) s_bad ((text), strlen (text), (why))

static int
s_str_eq (statsd_str_t s, const char *want)
{
    return s.len == strlen (want) && memcmp (s.ptr, want, s.len) == 0;
}
#define ASSERT_SEQ(s, want)                                                                        \
    do {                                                                                           \
        if (!s_str_eq ((s), (want)))                                                               \
            TEST_FAIL ("%s: \"%.*s\" vs \"%s\"", #s, (int)(s).len, (s).ptr, (want));               \
    } while (0)

static void
test_types (void)
{
    const statsd_line_t *l = s_ok ("page.views:1|c");
    ASSERT_SEQ (l->name, "page.views");
    ASSERT_EQ (l->type, STATSD_COUNTER);
    ASSERT_EQ (l->nvalues, 1);
    ASSERT_NEAR (l->values[0], 1.0, 0);
    ASSERT_NEAR (l->rate, 1.0, 0);
    ASSERT_EQ (l->ntags, 0);

    l = s_ok ("queue.depth:42.5|g");
    ASSERT_EQ (l->type, STATSD_GAUGE);
    ASSERT_NEAR (l->values[0], 42.5, 0);
    ASSERT_EQ (l->delta[0], 0);

    l = s_ok ("req.latency:320|ms");
    ASSERT_EQ (l->type, STATSD_TIMER);
    ASSERT_NEAR (l->values[0], 320, 0);
    ASSERT_EQ (s_ok ("size:1.5e3|h")->type, STATSD_HISTOGRAM);
    ASSERT_NEAR (s_line.values[0], 1500, 0);
    ASSERT_EQ (s_ok ("tokens:812|d")->type, STATSD_DISTRIBUTION);

    l = s_ok ("users.unique:alice@example.com|s");
    ASSERT_EQ (l->type, STATSD_SET);
    ASSERT_SEQ (l->set_value, "alice@example.com");
    ASSERT_EQ (l->nvalues, 0);
    /* a set member is any string, ':' included */
    ASSERT_SEQ (s_ok ("ips:10.0.0.1:443|s")->set_value, "10.0.0.1:443");

    ASSERT_STR_EQ (statsd_parse_type_name (STATSD_TIMER), "ms");
    ASSERT_STR_EQ (statsd_parse_type_name (STATSD_SET), "s");
}

static void
test_values (void)
{
    /* negative counters and timers, decimals, exponents */
    ASSERT_NEAR (s_ok ("a:-3|c")->values[0], -3, 0);
    ASSERT_NEAR (s_ok ("a:.5|ms")->values[0], 0.5, 0);
    ASSERT_NEAR (s_ok ("a:5.|ms")->values[0], 5, 0);
    ASSERT_NEAR (s_ok ("a:2E-3|d")->values[0], 0.002, 1e-15);
    /* DogStatsD 1.1: several values in one line */
    const statsd_line_t *l = s_ok ("lat:12:15.5:9|ms|@0.5");
    ASSERT_EQ (l->nvalues, 3);
    ASSERT_NEAR (l->values[0], 12, 0);
    ASSERT_NEAR (l->values[1], 15.5, 0);
    ASSERT_NEAR (l->values[2], 9, 0);
    ASSERT_NEAR (l->rate, 0.5, 0);
}

static void
test_gauge_deltas (void)
{
    const statsd_line_t *l = s_ok ("conn:+5|g");
    ASSERT_EQ (l->delta[0], 1);
    ASSERT_NEAR (l->values[0], 5, 0);
    l = s_ok ("conn:-2.5|g");
    ASSERT_EQ (l->delta[0], 1);
    ASSERT_NEAR (l->values[0], -2.5, 0);
    l = s_ok ("conn:7|g");
    ASSERT_EQ (l->delta[0], 0);
    l = s_ok ("conn:+1:3:-1|g");
    ASSERT_EQ (l->delta[0], 1);
    ASSERT_EQ (l->delta[1], 0);
    ASSERT_EQ (l->delta[2], 1);
    /* a sign on a counter is just a sign */
    ASSERT_EQ (s_ok ("c:+4|c")->delta[0], 0);
}

static void
test_sample_rates (void)
{
    ASSERT_NEAR (s_ok ("hits:1|c|@0.1")->rate, 0.1, 0);
    ASSERT_NEAR (s_ok ("hits:1|c|@1")->rate, 1.0, 0);
    ASSERT_NEAR (s_ok ("t:3|ms|@0.25|#a:b")->rate, 0.25, 0);
    ASSERT_NEAR (s_ok ("t:3|ms|#a:b|@0.25")->rate, 0.25, 0);
    /* gauges and sets accept a rate and ignore it (the input does) */
    ASSERT_NEAR (s_ok ("g:3|g|@0.5")->rate, 0.5, 0);

    BAD ("hits:1|c|@0", "sample rate '0' is not a number in (0, 1]");
    BAD ("hits:1|c|@1.5", "sample rate '1.5' is not a number in (0, 1]");
    BAD ("hits:1|c|@-0.1", "not a number in (0, 1]");
    BAD ("hits:1|c|@", "sample rate '' is not a number");
    BAD ("hits:1|c|@abc", "sample rate 'abc'");
    BAD ("hits:1|c|@0.1|@0.2", "sample rate given twice");
}

static void
test_tags (void)
{
    const statsd_line_t *l =
        s_ok ("chat.tokens:812|c|#endpoint:/chat,persona:tutor,canary,model:gpt-4o:mini");
    ASSERT_EQ (l->ntags, 4);
    ASSERT_SEQ (l->tags[0].key, "endpoint");
    ASSERT_SEQ (l->tags[0].value, "/chat");
    ASSERT_SEQ (l->tags[1].key, "persona");
    ASSERT_SEQ (l->tags[1].value, "tutor");
    /* a tag without a value is "true" */
    ASSERT_SEQ (l->tags[2].key, "canary");
    ASSERT_SEQ (l->tags[2].value, "true");
    /* the value is everything after the first ':' */
    ASSERT_SEQ (l->tags[3].key, "model");
    ASSERT_SEQ (l->tags[3].value, "gpt-4o:mini");

    /* empty tags are skipped; an empty value is kept as sent */
    l = s_ok ("x:1|c|#a:1,,b:,");
    ASSERT_EQ (l->ntags, 2);
    ASSERT_SEQ (l->tags[1].key, "b");
    ASSERT_SEQ (l->tags[1].value, "");
    ASSERT_EQ (s_ok ("x:1|c|#")->ntags, 0);
    /* UTF-8 values pass */
    l = s_ok ("x:1|c|#city:Z\xc3\xbcrich");
    ASSERT_SEQ (l->tags[0].value, "Z\xc3\xbcrich");

    BAD ("x:1|c|#:v", "tag ':v' has no key");
    BAD ("x:1|c|#a:\xff\xfe", "tag 'a' has a value that is not UTF-8");
    BAD ("x:1|c|#a:b|#c:d", "tags given twice");

    char line[4096] = "x:1|c|#";
    for (int i = 0; i <= STATSD_MAX_TAGS; i++)
        snprintf (line + strlen (line), sizeof line - strlen (line), "t%d:v,", i);
    BAD (line, "more than 32 tags");
    line[strlen (line) - 1] = '\0';
    *strrchr (line, ',') = '\0'; /* exactly 32 */
    ASSERT_EQ (s_ok (line)->ntags, STATSD_MAX_TAGS);

    char longtag[600] = "x:1|c|#k:";
    memset (longtag + strlen (longtag), 'v', STATSD_MAX_TAG + 1);
    BAD (longtag, "tag 'k' is longer than 255 bytes");
}

static void
test_extensions (void)
{
    /* DogStatsD container ids and timestamps are accepted and ignored */
    const statsd_line_t *l = s_ok ("a:1|c|#x:y|c:83c0a99c0a54c0c1|T1656581400");
    ASSERT_EQ (l->ntags, 1);
    ASSERT_EQ (l->nvalues, 1);
    BAD ("a:1|c|T12x", "timestamp '12x' is not a number");
    BAD ("a:1|c|x:y", "unknown field '|x:y'");
    BAD ("a:1|c||@0.5", "empty field between '|'");
    BAD ("a:1|c|", "empty field between '|'");
}

static void
test_malformed (void)
{
    BAD ("", "empty line");
    BAD ("just.a.name", "no ':' between the name and the value");
    BAD ("name|c", "no ':' between the name and the value");
    BAD ("a|b:1|c", "no ':' between the name and the value");
    BAD (":1|c", "empty name");
    BAD ("a:1", "no '|type' after the value");
    BAD ("a:|c", "empty value");
    BAD ("a:|s", "empty value");
    BAD ("a:1|", "unknown type ''");
    BAD ("a:1|x", "unknown type 'x' (c, g, ms, h, d or s)");
    BAD ("a:1|C", "unknown type 'C'");
    BAD ("a:1|msx", "unknown type 'msx'");
    BAD ("a:abc|c", "value 'abc' is not a number");
    BAD ("a:1,5|g", "value '1,5' is not a number");
    BAD ("a:1.2.3|g", "value '1.2.3' is not a number");
    BAD ("a:nan|g", "value 'nan' is not a number");
    BAD ("a:inf|ms", "value 'inf' is not a number");
    BAD ("a:0x10|c", "value '0x10' is not a number");
    BAD ("a: 1|c", "value ' 1' is not a number");
    BAD ("a:1e|c", "value '1e' is not a number");
    BAD ("a:1e999|c", "value '1e999' is not a number");
    BAD ("a:+|c", "value '+' is not a number");
    BAD ("a:1::2|ms", "value '' is not a number");
    BAD ("a:1:|ms", "value '' is not a number");
    BAD ("_e{5,4}:title|text", "events and service checks are not supported");
    BAD ("_sc|redis.can_connect|0", "events and service checks are not supported");
    s_bad ("a:1\0|c", 6, "line contains a NUL byte");

    char values[1024] = "a:1";
    for (int i = 1; i <= STATSD_MAX_VALUES; i++)
        strcat (values, ":1");
    strcat (values, "|ms");
    BAD (values, "more than 64 values");

    char name[400];
    memset (name, 'n', STATSD_MAX_NAME + 1);
    strcpy (name + STATSD_MAX_NAME + 1, ":1|c");
    BAD (name, "is longer than 255 bytes");
    strcpy (name + STATSD_MAX_NAME, ":1|c");
    ASSERT_EQ (s_ok (name)->name.len, STATSD_MAX_NAME);

    /* an offending token is quoted printable and cut */
    BAD ("a:1|\x01\x02", "unknown type '?" "?'");
    char longval[200] = "a:";
    memset (longval + 2, '9', 60);
    strcpy (longval + 62, "x|c");
    BAD (longval, "...' is not a number");
}

static void
test_packets (void)
{
    const char *pkt = "a:1|c\nb:2|g\r\n\nc:3|ms\n";
    const char *cur = pkt, *end = pkt + strlen (pkt), *line;
    size_t n;
    const char *want[] = {"a:1|c", "b:2|g", "", "c:3|ms"};
    size_t k = 0;
    while ((line = statsd_parse_next (&cur, end, &n))) {
        ASSERT (k < 4);
        ASSERT_EQ (n, strlen (want[k]));
        ASSERT (memcmp (line, want[k], n) == 0);
        k++;
    }
    ASSERT_EQ (k, 4);

    /* no trailing newline: the last line still counts */
    pkt = "a:1|c\nb:2|c";
    cur = pkt;
    end = pkt + strlen (pkt);
    ASSERT (statsd_parse_next (&cur, end, &n) && n == 5);
    line = statsd_parse_next (&cur, end, &n);
    ASSERT (line && n == 5 && memcmp (line, "b:2|c", 5) == 0);
    ASSERT (!statsd_parse_next (&cur, end, &n));

    /* a line of a packet is parsed without the rest of the packet */
    pkt = "x:1|c|#a:b\ny:2|c";
    cur = pkt;
    end = pkt + strlen (pkt);
    line = statsd_parse_next (&cur, end, &n);
    const statsd_line_t *l = NULL;
    ASSERT_EQ (statsd_parse_line (line, n, &s_line, s_err, sizeof s_err), VG_OK);
    l = &s_line;
    ASSERT_SEQ (l->tags[0].value, "b");

    cur = NULL;
    ASSERT (!statsd_parse_next (&cur, end, &n));
}

static void
test_sanitize (void)
{
    char out[STATSD_MAX_NAME + 2];
    ASSERT_EQ (statsd_parse_sanitize ("api.latency-ms", 14, out), 14);
    ASSERT_STR_EQ (out, "api_latency_ms");
    statsd_parse_sanitize ("ns:sub/path name", 16, out);
    ASSERT_STR_EQ (out, "ns:sub_path_name");
    /* a leading digit gets an underscore before it */
    ASSERT_EQ (statsd_parse_sanitize ("5xx.count", 9, out), 10);
    ASSERT_STR_EQ (out, "_5xx_count");
    /* every byte of a multibyte character becomes '_' */
    statsd_parse_sanitize ("caf\xc3\xa9", 5, out);
    ASSERT_STR_EQ (out, "caf__");
    ASSERT_EQ (statsd_parse_sanitize ("", 0, out), 0);
    ASSERT_STR_EQ (out, "");
}

int
main (void)
{
    test_types ();
    test_values ();
    test_gauge_deltas ();
    test_sample_rates ();
    test_tags ();
    test_extensions ();
    test_malformed ();
    test_packets ();
    test_sanitize ();
    printf ("statsd_parse: ok\n");
    return 0;
}
