/*  vigil-scrape-dump.c - what the exposition parser makes of files, as JSON
 *  lines, for the differential test against other parsers
 *  (tests/peers/scrape_peers.py) and for looking at a target's exposition.
 *
 *      vigil-scrape-dump --format openmetrics|prometheus [--keep-valid-lines] FILE...
 *
 *  One line per file:
 *
 *      {"file": "...", "valid": true, "samples": [["a_total", {"k": "v"}, "1", null], ...]}
 *      {"file": "...", "valid": false, "rule": "counter_value", "line": 2, "column": 9,
 *       "error": "line 2, column 9: ...", "samples": []}
 *
 *  A sample is its name, its labels, its value ("NaN", "+Inf", "-Inf" or
 *  %.17g) and its timestamp in milliseconds (null when it has none).
 *  Exits 0 when every file was read, 2 on a usage or I/O error.
 */
#include "scrape_parse.h"
#include "vg_buf.h"
#include "vg_json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_on_sample (void *arg, const scrape_sample_t *s)
{
    vg_buf_t *out = arg;
    vg_buf_puts (out, out->data[out->len - 1] == '[' ? "[" : ", [");
    vg_json_string (out, s->name, strlen (s->name));
    vg_buf_puts (out, ", {");
    for (size_t i = 0; i < s->nlabels; i++) {
        if (i)
            vg_buf_puts (out, ", ");
        vg_json_string (out, s->labels[i].key, strlen (s->labels[i].key));
        vg_buf_puts (out, ": ");
        vg_json_string (out, s->labels[i].value, strlen (s->labels[i].value));
    }
    vg_buf_puts (out, "}, ");
    if (isnan (s->value))
        vg_buf_puts (out, "\"NaN\"");
    else if (isinf (s->value))
        vg_buf_puts (out, s->value > 0 ? "\"+Inf\"" : "\"-Inf\"");
    else
        vg_buf_printf (out, "\"%.17g\"", s->value);
    if (s->has_timestamp)
        vg_buf_printf (out, ", %lld]", (long long)s->timestamp_ms);
    else
        vg_buf_puts (out, ", null]");
}

static char *
s_read (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    vg_buf_t b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
        vg_buf_append (&b, chunk, n);
    int bad = ferror (f);
    fclose (f);
    if (bad) {
        vg_buf_free (&b);
        return NULL;
    }
    *len = b.len;
    vg_buf_puts (&b, ""); /* never NULL, even for an empty file */
    return b.data;
}

int main (int argc, char **argv);

int
main (int argc, char **argv)
{
    scrape_format_t format = SCRAPE_FORMAT_OPENMETRICS;
    scrape_options_t opts = {0};
    int i = 1, have_format = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp (argv[i], "--format") == 0 && i + 1 < argc) {
            have_format = 1;
            i++;
            if (strcmp (argv[i], "openmetrics") == 0)
                format = SCRAPE_FORMAT_OPENMETRICS;
            else if (strcmp (argv[i], "prometheus") == 0)
                format = SCRAPE_FORMAT_PROMETHEUS;
            else
                have_format = 0;
        } else if (strcmp (argv[i], "--keep-valid-lines") == 0)
            opts.keep_valid_lines = 1;
        else
            break;
    }
    if (!have_format || i == argc) {
        fprintf (stderr, "usage: vigil-scrape-dump --format openmetrics|prometheus "
                         "[--keep-valid-lines] FILE...\n");
        return 2;
    }
    scrape_parse_t *parser = scrape_parse_new ();
    vg_buf_t out = {0};
    int rc = 0;
    for (; i < argc; i++) {
        size_t len = 0;
        char *text = s_read (argv[i], &len);
        if (!text) {
            fprintf (stderr, "vigil-scrape-dump: %s: %s\n", argv[i], strerror (errno));
            rc = 2;
            continue;
        }
        vg_buf_reset (&out);
        vg_buf_puts (&out, "{\"file\": ");
        vg_json_string (&out, argv[i], strlen (argv[i]));
        vg_buf_puts (&out, ", \"samples\": [");
        scrape_result_t res;
        scrape_parse_run (parser, text, len, format, &opts, s_on_sample, &out, &res);
        vg_buf_printf (&out, "], \"valid\": %s", res.errors ? "false" : "true");
        if (res.errors) {
            vg_buf_printf (&out, ", \"rule\": \"%s\", \"line\": %zu, \"column\": %zu, \"error\": ",
                           scrape_rule_name (res.first_rule), res.first_error_line,
                           res.first_error_column);
            vg_json_string (&out, res.first_error, strlen (res.first_error));
        }
        vg_buf_puts (&out, "}\n");
        fwrite (out.data, 1, out.len, stdout);
        free (text);
    }
    vg_buf_free (&out);
    scrape_parse_destroy (&parser);
    return rc;
}
