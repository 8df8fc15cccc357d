/*  test_scrape_lex.c - the tokens of the exposition formats on their own:
 *  names, numbers, timestamps, type names and quoted label values, in both
 *  formats, including what each refuses.
 */
#include "scrape_lex.h"
#include "test_assert.h"

#define PROM SCRAPE_FORMAT_PROMETHEUS
#define OM   SCRAPE_FORMAT_OPENMETRICS

/* The length of s's name when the span is the whole string. */
static size_t
s_name (const char *s, int label)
{
    return scrape_lex_name_len (s, s + strlen (s), label);
}

static void
test_names_and_blanks (void)
{
    ASSERT_EQ (s_name ("http_requests_total{", 0), 19);
    ASSERT_EQ (s_name ("ns:rate5m 1", 0), 9);
    ASSERT_EQ (s_name ("ns:rate5m", 1), 2); /* a label name has no ':' */
    ASSERT_EQ (s_name ("_x9=", 1), 3);
    ASSERT_EQ (s_name ("9lives", 0), 0); /* no digit first */
    ASSERT_EQ (s_name ("", 0), 0);
    const char *name = "abcdef";
    ASSERT_EQ (scrape_lex_name_len (name, name + 3, 0), 3); /* the span ends it */

    const char *line = "12.5\t1700000000 rest";
    const char *end = line + strlen (line);
    ASSERT_EQ (scrape_lex_token_len (PROM, line, end), 4);
    ASSERT_EQ (scrape_lex_token_len (OM, line, end), 15); /* a tab is no blank there */
    const char *gap = " \t x";
    ASSERT (scrape_lex_skip_blanks (PROM, gap, gap + 4) == gap + 3);
    ASSERT (scrape_lex_skip_blanks (OM, gap, gap + 4) == gap);
    ASSERT (scrape_lex_is_name_char (':') && scrape_lex_is_name_char ('7'));
    ASSERT (!scrape_lex_is_name_char ('-'));
}

/* The number s parses to, or fails the test. */
static double
s_number (const char *s, int allow_special)
{
    double v = 0;
    if (scrape_lex_number (s, strlen (s), allow_special, &v) != 0)
        TEST_FAIL ("\"%s\" refused", s);
    return v;
}

static void
test_numbers (void)
{
    ASSERT_NEAR (s_number ("42", 0), 42, 0);
    ASSERT_NEAR (s_number ("-0.25", 0), -0.25, 0);
    ASSERT_NEAR (s_number (".5", 0), 0.5, 0);
    ASSERT_NEAR (s_number ("1.5e3", 0), 1500, 0);
    ASSERT_NEAR (s_number ("+2E-2", 0), 0.02, 1e-18);
    ASSERT (isinf (s_number ("+Inf", 1)) && s_number ("+Inf", 1) > 0);
    ASSERT (isinf (s_number ("-infinity", 1)) && s_number ("-infinity", 1) < 0);
    ASSERT (isnan (s_number ("NaN", 1)));
    double v;
    ASSERT_NEAR (s_number ("7.", 0), 7, 0);
    static const char *const bad[] = {"",    "e5", "1e", "1e+", "0x10", "1_000",
                                      "--1", "1 ", "-",  "Inf", "nan",  "1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int special = i < 9 ? 1 : 0; /* Inf and NaN are words only where allowed */
        if (scrape_lex_number (bad[i], strlen (bad[i]), special, &v) == 0)
            TEST_FAIL ("\"%s\" accepted as %g", bad[i], v);
    }
    /* a token longer than any number either format writes */
    char longnum[80];
    memset (longnum, '1', sizeof longnum - 1);
    longnum[sizeof longnum - 1] = '\0';
    ASSERT_EQ (scrape_lex_number (longnum, strlen (longnum), 0, &v), -1);
}

static void
test_timestamps (void)
{
    int64_t ms = 0;
    double exact = 0;
    ASSERT_EQ (scrape_lex_timestamp (PROM, "1700000000123", 13, &ms, &exact), 0);
    ASSERT_EQ (ms, 1700000000123LL);
    ASSERT_EQ (exact, 1700000000123.0);
    ASSERT_EQ (scrape_lex_timestamp (PROM, "-5", 2, &ms, NULL), 0);
    ASSERT_EQ (ms, -5);
    ASSERT_EQ (scrape_lex_timestamp (PROM, "1.5", 3, &ms, NULL), -1); /* 0.0.4: integer ms */
    ASSERT_EQ (scrape_lex_timestamp (PROM, "+", 1, &ms, NULL), -1);
    /* Go's ParseInt refuses what int64 cannot hold */
    ASSERT_EQ (scrape_lex_timestamp (PROM, "99999999999999999999", 20, &ms, NULL), -1);
    ASSERT_EQ (scrape_lex_timestamp (OM, "1700000000.1234", 15, &ms, &exact), 0); /* seconds */
    ASSERT_EQ (ms, 1700000000123LL);
    ASSERT_NEAR (exact, 1700000000.1234, 1e-6);
    /* OpenMetrics: any real number is a timestamp, however far; the
     * milliseconds saturate where int64 ends */
    ASSERT_EQ (scrape_lex_timestamp (OM, "1e16", 4, &ms, &exact), 0);
    ASSERT_EQ (ms, INT64_MAX);
    ASSERT_EQ (exact, 1e16);
    ASSERT_EQ (scrape_lex_timestamp (OM, "-12345678901234567890.5", 23, &ms, NULL), 0);
    ASSERT_EQ (ms, INT64_MIN);
    ASSERT_EQ (scrape_lex_timestamp (OM, "9e15", 4, &ms, NULL), 0);
    ASSERT_EQ (ms, 9000000000000000000LL);
    ASSERT_EQ (scrape_lex_timestamp (OM, "1.5e3", 5, &ms, NULL), 0);
    ASSERT_EQ (ms, 1500000);
    ASSERT_EQ (scrape_lex_timestamp (OM, "NaN", 3, &ms, NULL), -1);
    ASSERT_EQ (scrape_lex_timestamp (OM, "Inf", 3, &ms, NULL), -1);
    ASSERT_EQ (scrape_lex_timestamp (OM, "1e999", 5, &ms, NULL), -1); /* past a double */
}

static void
test_types (void)
{
    scrape_type_t t = SCRAPE_TYPE_UNTYPED;
    ASSERT_EQ (scrape_lex_type (PROM, "histogram", 9, &t), 0);
    ASSERT_EQ (t, SCRAPE_TYPE_HISTOGRAM);
    ASSERT_EQ (scrape_lex_type (PROM, "untyped", 7, &t), 0);
    ASSERT_EQ (t, SCRAPE_TYPE_UNTYPED);
    ASSERT_EQ (scrape_lex_type (PROM, "unknown", 7, &t), -1);
    ASSERT_EQ (scrape_lex_type (PROM, "info", 4, &t), -1); /* OpenMetrics only */
    ASSERT_EQ (scrape_lex_type (OM, "info", 4, &t), 0);
    ASSERT_EQ (t, SCRAPE_TYPE_INFO);
    ASSERT_EQ (scrape_lex_type (OM, "unknown", 7, &t), 0);
    ASSERT_EQ (t, SCRAPE_TYPE_UNTYPED);
    ASSERT_EQ (scrape_lex_type (OM, "untyped", 7, &t), -1);
    ASSERT_EQ (scrape_lex_type (OM, "gauge ", 6, &t), -1);
}

/* Unescapes the value between the quotes of text (which starts just past the
 * opening quote); returns the status and the value in out. */
static scrape_lex_status_t
s_value (scrape_format_t format, const char *text, char *out, char *bad)
{
    const char *end = text + strlen (text);
    const char *close = scrape_lex_value_end (text, end);
    ASSERT (close);
    ASSERT_EQ (*close, '"');
    size_t len = 0, nuls = 0;
    scrape_lex_status_t st =
        scrape_lex_unescape (format, text, (size_t)(close - text), out, &len, bad, &nuls);
    if (st == SCRAPE_LEX_OK)
        ASSERT_EQ (len, strlen (out));
    return st;
}

static void
test_label_values (void)
{
    char out[64], bad = 0;
    ASSERT_EQ (s_value (PROM, "plain\"} 1", out, &bad), SCRAPE_LEX_OK);
    ASSERT_STR_EQ (out, "plain");
    ASSERT_EQ (s_value (PROM, "a\\\"b\\\\c\\nd\",x=\"y\"", out, &bad), SCRAPE_LEX_OK);
    ASSERT_STR_EQ (out, "a\"b\\c\nd");
    ASSERT_EQ (s_value (PROM, "\"", out, &bad), SCRAPE_LEX_OK);
    ASSERT_STR_EQ (out, "");
    ASSERT_EQ (s_value (PROM, "caf\xc3\xa9\"", out, &bad), SCRAPE_LEX_OK);
    ASSERT_STR_EQ (out, "caf\xc3\xa9");

    /* \t: 0.0.4 refuses it, OpenMetrics keeps it as written */
    ASSERT_EQ (s_value (PROM, "a\\tb\"", out, &bad), SCRAPE_LEX_ESCAPE);
    ASSERT_EQ (bad, 't');
    ASSERT_EQ (s_value (OM, "a\\tb\"", out, &bad), SCRAPE_LEX_OK);
    ASSERT_STR_EQ (out, "a\\tb");

    ASSERT_EQ (s_value (PROM, "\xed\xa0\x80\"", out, &bad), SCRAPE_LEX_UTF8); /* a surrogate */
    ASSERT_EQ (s_value (OM, "\xc0\xaf\"", out, &bad), SCRAPE_LEX_UTF8);       /* overlong */
    /* NUL is valid in both formats; no C or PostgreSQL string holds it: U+FFFD */
    const char nul[] = {'a', '\0', 'b', '\0', '"'};
    size_t len, nuls = 0;
    ASSERT_EQ (scrape_lex_unescape (PROM, nul, 4, out, &len, &bad, &nuls), SCRAPE_LEX_OK);
    ASSERT_EQ (nuls, 2);
    ASSERT_EQ (len, 8);
    ASSERT_STR_EQ (out, "a\xef\xbf\xbd"
                        "b\xef\xbf\xbd");
    ASSERT_EQ (scrape_lex_chars (out, len), 4);
    ASSERT_EQ (scrape_lex_chars ("\xe2\x98\x83x", 4), 2);

    /* no closing quote: an escaped quote does not close, a line end does not */
    const char *open = "abc\\\"";
    ASSERT (!scrape_lex_value_end (open, open + strlen (open)));
    const char *trailing = "abc\\";
    ASSERT (!scrape_lex_value_end (trailing, trailing + strlen (trailing)));
    /* a backslash with nothing after it is refused, not read past */
    ASSERT_EQ (scrape_lex_unescape (OM, trailing, 4, out, &len, &bad, &nuls), SCRAPE_LEX_ESCAPE);
}

static void
test_show (void)
{
    char buf[48];
    ASSERT_STR_EQ (scrape_lex_show (buf, sizeof buf, "a\tb\x01", 4), "a?b?");
    const char *longtext = "0123456789012345678901234567890123456789";
    ASSERT_STR_EQ (scrape_lex_show (buf, sizeof buf, longtext, strlen (longtext)),
                   "01234567890123456789012345678901...");
    char small[8];
    ASSERT_STR_EQ (scrape_lex_show (small, sizeof small, "abcdef", 6), "abcd...");
}

int
main (void)
{
    test_names_and_blanks ();
    test_numbers ();
    test_timestamps ();
    test_types ();
    test_label_values ();
    test_show ();
    printf ("test_scrape_lex: OK\n");
    return 0;
}
