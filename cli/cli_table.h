/*  cli_table.h - a query result as an aligned table or as JSON, for the
 *  commands that list rows (silences, notifications). */
#ifndef CLI_TABLE_H
#define CLI_TABLE_H

#include <libpq-fe.h>
#include <stdio.h>

/* Prints every row of res under headers (one per column), columns padded
 * to their widest cell (cells cut at 60 characters; control bytes shown as
 * '?'; NULL as "-"). */
void cli_table_print (FILE *out, const PGresult *res, const char *const *headers);
/* Prints {"<key>": [{"<column name>": "text" or null, ...}, ...]}. */
void cli_table_json (FILE *out, const PGresult *res, const char *key);

#endif
