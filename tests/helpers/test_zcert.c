/*  test_zcert.c - the key lines of a zcert file: `    public-key = "..."`. */
#include "test_zcert.h"

#include <stdio.h>
#include <string.h>

int
test_zcert_key (const char *path, const char *field, char out[41])
{
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    char line[512];
    int rc = -1;
    while (rc != 0 && fgets (line, sizeof line, f)) {
        char *p = strstr (line, field);
        char *q = p ? strchr (p, '"') : NULL;
        if (q && strlen (q) > 41 && q[41] == '"') {
            memcpy (out, q + 1, 40);
            out[40] = '\0';
            rc = 0;
        }
    }
    fclose (f);
    return rc;
}
