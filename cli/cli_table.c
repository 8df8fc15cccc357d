/*  cli_table.c - query results as tables or JSON. */
#include "cli_table.h"
#include "cli_json.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_utf8.h"

#include <stdlib.h>
#include <string.h>

#define CELL_MAX 60

/* A cell as shown: printable, cut at CELL_MAX characters (not bytes). */
static void
s_cell (vg_buf_t *out, const char *s, size_t *chars)
{
    size_t n = 0, len = strlen (s);
    for (size_t i = 0; i < len && n < CELL_MAX;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80 ? 1 : vg_utf8_seq ((const unsigned char *)s + i, len - i);
        if (c < 0x20 || c == 0x7f || k == 0) {
            vg_buf_append (out, "?", 1);
            i += k ? k : 1;
        } else {
            vg_buf_append (out, s + i, k);
            i += k;
        }
        n++;
    }
    if (n == CELL_MAX && strlen (s) > CELL_MAX)
        vg_buf_puts (out, "…");
    *chars = n + (n == CELL_MAX);
}

void
cli_table_print (FILE *out, const PGresult *res, const char *const *headers)
{
    int rows = PQntuples (res), cols = PQnfields (res);
    size_t *width = vg_calloc ((size_t)cols, sizeof *width);
    vg_buf_t tmp = {0};
    for (int c = 0; c < cols; c++) {
        width[c] = strlen (headers[c]);
        for (int r = 0; r < rows; r++) {
            size_t n;
            vg_buf_reset (&tmp);
            s_cell (&tmp, PQgetisnull (res, r, c) ? "-" : PQgetvalue (res, r, c), &n);
            if (n > width[c])
                width[c] = n;
        }
    }
    for (int c = 0; c < cols; c++)
        fprintf (out, "%-*s%s", c + 1 < cols ? (int)width[c] : 0, headers[c],
                 c + 1 < cols ? "  " : "\n");
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            size_t n;
            vg_buf_reset (&tmp);
            s_cell (&tmp, PQgetisnull (res, r, c) ? "-" : PQgetvalue (res, r, c), &n);
            vg_buf_append (&tmp, "", 1);
            fputs (tmp.data, out);
            if (c + 1 < cols)
                fprintf (out, "%*s", (int)(width[c] - n + 2), "");
            else
                fputs ("\n", out);
        }
    vg_buf_free (&tmp);
    free (width);
}

void
cli_table_json (FILE *out, const PGresult *res, const char *key)
{
    vg_buf_t b = {0};
    vg_buf_puts (&b, "{");
    cli_json_string (&b, key);
    vg_buf_puts (&b, ": [");
    for (int r = 0; r < PQntuples (res); r++) {
        vg_buf_puts (&b, r ? ",\n  {" : "\n  {");
        for (int c = 0; c < PQnfields (res); c++) {
            if (c)
                vg_buf_puts (&b, ", ");
            cli_json_string (&b, PQfname (res, c));
            vg_buf_puts (&b, ": ");
            cli_json_string (&b, PQgetisnull (res, r, c) ? NULL : PQgetvalue (res, r, c));
        }
        vg_buf_puts (&b, "}");
    }
    vg_buf_puts (&b, "\n]}\n");
    fwrite (b.data, 1, b.len, out);
    vg_buf_free (&b);
}
