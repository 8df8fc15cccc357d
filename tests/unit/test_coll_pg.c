/*  test_coll_pg.c - the collector's PostgreSQL helpers without a database:
 *  how a SQLSTATE is classified (transient, the data's fault, the system's),
 *  JSON strings, UTF-8 cleaning and checking, and the binary timestamp. */
#include "coll_pg.h"
#include "test_assert.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_json.h"

#include <stdio.h>
#include <string.h>

int
main (void)
{
    static const char *const transient[] = {"08006", "08001", "53100", "53300", "57P01", "57P02",
                                            "57P03", "40001", "40P01", "55P03", NULL};
    static const char *const data[] = {"23505", "23514", "57014", "22P02",
                                       "22003", "54000", "P0001", NULL};
    static const char *const system[] = {"42P01", "42501", "XX000", "58030", "0A000", NULL};
    for (int i = 0; transient[i]; i++) {
        ASSERT_EQ (coll_pg_sqlstate_transient (transient[i]), 1);
        ASSERT_EQ (coll_pg_sqlstate_class (transient[i]), VG_ERETRY);
    }
    for (int i = 0; data[i]; i++) {
        ASSERT_EQ (coll_pg_sqlstate_transient (data[i]), 0);
        ASSERT_EQ (coll_pg_sqlstate_class (data[i]), VG_EINVAL);
    }
    for (int i = 0; system[i]; i++)
        ASSERT_EQ (coll_pg_sqlstate_class (system[i]), VG_EDB);
    ASSERT_EQ (coll_pg_sqlstate_class (NULL), VG_ERETRY);
    vg_buf_t buf = {0};
    static const char in[] = "a\"b\\c\n\x01\x1f/é\xff";
    vg_json_string (&buf, in, sizeof in - 1);
    ASSERT_STR_EQ (buf.data, "\"a\\\"b\\\\c\\n\\u0001\\u001f/é\xef\xbf\xbd\"");
    vg_buf_reset (&buf);
    ASSERT_EQ (coll_pg_utf8_clean (&buf, "ok ☃", strlen ("ok ☃")), 0);
    ASSERT_STR_EQ (buf.data, "ok ☃");
    ASSERT (coll_pg_utf8_valid ("ok ☃", strlen ("ok ☃")));
    ASSERT (!coll_pg_utf8_valid ("\xed\xa0\x80", 3)); /* a surrogate */
    ASSERT (!coll_pg_utf8_valid ("\xc0\xaf", 2));     /* overlong */
    ASSERT_EQ (coll_pg_ts_from_ms (946684800000LL), 0);
    ASSERT_EQ (coll_pg_ts_from_ms (946684800001LL), 1000);
    vg_buf_free (&buf);
    printf ("test_coll_pg: ok\n");
    return 0;
}
