/*  test_scrape_corpus.c - the exposition parser on the corpus written from
 *  the specifications (tests/data/exposition/, see its README.md): every
 *  valid case is valid, every invalid case is refused for the rule its name
 *  gives, the same way with keep_valid_lines, and every rule a format has
 *  is broken by at least one case.
 */
#include "scrape_parse.h"
#include "test_assert.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rules no file can break: they need options, or a response. */
static int
s_needs_more_than_text (scrape_rule_t rule)
{
    return rule == SCRAPE_RULE_NONE || rule == SCRAPE_RULE_SAMPLE_LIMIT ||
           rule == SCRAPE_RULE_LABEL_LIMIT || rule == SCRAPE_RULE_BODY_LIMIT ||
           rule == SCRAPE_RULE_CONTENT_TYPE;
}

/* Rules one format alone has. */
static int
s_applies (scrape_rule_t rule, scrape_format_t format)
{
    switch (rule) {
    case SCRAPE_RULE_FINAL_NEWLINE:
    case SCRAPE_RULE_ESCAPE:
    case SCRAPE_RULE_QUANTILE_ORDER:
        return format == SCRAPE_FORMAT_PROMETHEUS;
    case SCRAPE_RULE_BLANK_LINE:
    case SCRAPE_RULE_COMMENT:
    case SCRAPE_RULE_UNIT:
    case SCRAPE_RULE_FAMILY_INTERLEAVED:
    case SCRAPE_RULE_NAME_CLASH:
    case SCRAPE_RULE_METRIC_INTERLEAVED:
    case SCRAPE_RULE_TIMESTAMP_ORDER:
    case SCRAPE_RULE_INTEGER_VALUE:
    case SCRAPE_RULE_STATESET:
    case SCRAPE_RULE_INFO_VALUE:
    case SCRAPE_RULE_QUANTILE_VALUE:
    case SCRAPE_RULE_BUCKET_CUMULATIVE:
    case SCRAPE_RULE_COUNT_SUM:
    case SCRAPE_RULE_NEGATIVE_BUCKET_SUM:
    case SCRAPE_RULE_EXEMPLAR:
    case SCRAPE_RULE_EXEMPLAR_PLACEMENT:
    case SCRAPE_RULE_EXEMPLAR_SIZE:
    case SCRAPE_RULE_EXEMPLAR_VALUE:
    case SCRAPE_RULE_EOF_MISSING:
    case SCRAPE_RULE_AFTER_EOF:
        return format == SCRAPE_FORMAT_OPENMETRICS;
    default:
        return 1;
    }
}

static char *
s_read (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        TEST_FAIL ("%s: cannot open", path);
    vg_buf_t b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
        vg_buf_append (&b, chunk, n);
    fclose (f);
    *len = b.len;
    vg_buf_puts (&b, "");
    return b.data;
}

static int
s_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The .txt files of dir, sorted; *n gets their number. */
static char **
s_list (const char *dir, size_t *n)
{
    DIR *d = opendir (dir);
    if (!d)
        TEST_FAIL ("%s: cannot open the directory", dir);
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    struct dirent *de;
    while ((de = readdir (d))) {
        size_t l = strlen (de->d_name);
        if (l < 5 || strcmp (de->d_name + l - 4, ".txt") != 0)
            continue;
        VG_GROW (names, cap, *n + 1);
        names[(*n)++] = vg_strdup (de->d_name);
    }
    closedir (d);
    qsort (names, *n, sizeof *names, s_cmp);
    return names;
}

static scrape_rule_t
s_rule_named (const char *name, size_t n)
{
    for (int r = 0; r < SCRAPE_RULE_COUNT; r++) {
        const char *rn = scrape_rule_name ((scrape_rule_t)r);
        if (strlen (rn) == n && memcmp (rn, name, n) == 0)
            return (scrape_rule_t)r;
    }
    TEST_FAIL ("no rule is called %.*s", (int)n, name);
}

static void
s_format_dir (scrape_parse_t *parser, const char *root, const char *sub, scrape_format_t format)
{
    int covered[SCRAPE_RULE_COUNT] = {0};
    size_t cases = 0;
    for (int invalid = 0; invalid < 2; invalid++) {
        char *dir = vg_asprintf ("%s/%s/%s", root, sub, invalid ? "invalid" : "valid");
        size_t n;
        char **names = s_list (dir, &n);
        if (n == 0)
            TEST_FAIL ("%s: no cases", dir);
        for (size_t i = 0; i < n; i++) {
            char *path = vg_asprintf ("%s/%s", dir, names[i]);
            size_t len;
            char *text = s_read (path, &len);
            scrape_rule_t want = SCRAPE_RULE_NONE;
            if (invalid) {
                size_t rl = strcspn (names[i], "-.");
                want = s_rule_named (names[i], rl);
                covered[want] = 1;
            }
            for (int keep = 0; keep < 2; keep++) {
                scrape_options_t opts = {.keep_valid_lines = keep};
                scrape_result_t res;
                int rc = scrape_parse_run (parser, text, len, format, &opts, NULL, NULL, &res);
                if (res.first_rule != want)
                    TEST_FAIL ("%s (%s): rule %s, want %s: %s", path,
                               keep ? "keep_valid_lines" : "reject",
                               scrape_rule_name (res.first_rule), scrape_rule_name (want),
                               res.first_error);
                ASSERT_EQ (rc, invalid ? VG_EPROTO : VG_OK);
                if (invalid && !keep)
                    ASSERT_EQ (res.samples, 0);
            }
            cases++;
            free (text);
            free (path);
            free (names[i]);
        }
        free (names);
        free (dir);
    }
    for (int r = 0; r < SCRAPE_RULE_COUNT; r++)
        if (!s_needs_more_than_text ((scrape_rule_t)r) && s_applies ((scrape_rule_t)r, format) &&
            !covered[r])
            TEST_FAIL ("%s: no case breaks rule %s", sub, scrape_rule_name ((scrape_rule_t)r));
    printf ("test_scrape_corpus: %s: %zu cases\n", sub, cases);
}

int
main (void)
{
    const char *src = getenv ("VIGIL_SOURCE_DIR");
    if (!src)
        TEST_FAIL ("VIGIL_SOURCE_DIR is not set (run through ctest)");
    char *root = vg_asprintf ("%s/tests/data/exposition", src);
    scrape_parse_t *parser = scrape_parse_new ();
    s_format_dir (parser, root, "openmetrics", SCRAPE_FORMAT_OPENMETRICS);
    s_format_dir (parser, root, "prometheus", SCRAPE_FORMAT_PROMETHEUS);
    scrape_parse_destroy (&parser);
    free (root);
    printf ("test_scrape_corpus: ok\n");
    return 0;
}
