/*  test_coll_auth.c - the transport rules, the allow-list directory (key
 *  files as vigil keygen writes them, and files that are not), host lists
 *  and fingerprints. The handshake itself: tests/integration/test_curve.c. */
#include "coll_auth.h"
#include "coll_config.h"
#include "test_assert.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_mode (const char *listen, const char *transport, const char *secret, const char *dir, char *err,
        size_t errlen)
{
    coll_config_t c;
    memset (&c, 0, sizeof c);
    c.listen = (char *)listen;
    c.transport = (char *)transport;
    c.curve_secret_key = (char *)secret;
    c.curve_allow_dir = (char *)dir;
    return coll_auth_mode (&c, err, errlen);
}

static void
test_mode (void)
{
    char err[512];
    ASSERT_EQ (s_mode ("tcp://127.0.0.1:5555", "curve", "", "", err, sizeof err), COLL_AUTH_PLAIN);
    ASSERT_EQ (s_mode ("ipc:///run/vigil.sock", "curve", "", "", err, sizeof err), COLL_AUTH_PLAIN);
    ASSERT_EQ (s_mode ("tcp://0.0.0.0:5555", "curve", "", "", err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "set curve_secret_key and curve_allow_dir");
    ASSERT_EQ (s_mode ("tcp://127.0.0.1.example.com:5555", "curve", "", "", err, sizeof err),
               VG_EINVAL);
    ASSERT_EQ (s_mode ("tcp://0.0.0.0:5555", "plain", "", "", err, sizeof err), COLL_AUTH_PLAIN);
    ASSERT_EQ (s_mode ("tcp://0.0.0.0:5555", "curve", "k_secret", "d", err, sizeof err),
               COLL_AUTH_CURVE);
    ASSERT_EQ (s_mode ("tcp://0.0.0.0:5555", "curve", "k_secret", "", err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "curve_secret_key is set but curve_allow_dir is not");
    ASSERT_EQ (s_mode ("tcp://127.0.0.1:1", "tls", "", "", err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "expected curve or plain, not \"tls\"");
}

static void
test_hosts (void)
{
    ASSERT_EQ (coll_auth_host_listed ("web-1,web-2", "web-2"), 1);
    ASSERT_EQ (coll_auth_host_listed ("web-1,web-2", "web-1"), 1);
    ASSERT_EQ (coll_auth_host_listed ("web-1,web-2", "web"), 0);
    ASSERT_EQ (coll_auth_host_listed ("web-1,web-2", "web-1,web-2"), 0);
    ASSERT_EQ (coll_auth_host_listed ("web-1", ""), 0);
    ASSERT_EQ (coll_auth_host_listed ("*", "anything"), 1);
    char fp[24];
    coll_auth_fingerprint ("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", fp, sizeof fp);
    ASSERT_EQ (strlen (fp), 16);
    coll_auth_fingerprint ("short", fp, sizeof fp);
    ASSERT_STR_EQ (fp, "(not a key)");
}

typedef struct {
    int n;
    char hosts[4][128];
    char keys[4][41];
} seen_t;

static void
s_seen (const char *key, const char *hosts, void *arg)
{
    seen_t *s = arg;
    if (s->n < 4) {
        snprintf (s->keys[s->n], sizeof s->keys[s->n], "%s", key);
        snprintf (s->hosts[s->n], sizeof s->hosts[s->n], "%s", hosts);
    }
    s->n++;
}

static void
test_read_dir (void)
{
    char *dir = test_tmpdir ("coll_auth");
    zsys_handler_set (NULL);
    zcert_t *a = zcert_new ();
    zcert_set_meta (a, "name", "web-1");
    zcert_set_meta (a, "hosts", "web-1,web-1.example");
    char *path = vg_asprintf ("%s/web-1", dir);
    ASSERT_EQ (zcert_save (a, path), 0); /* web-1 and web-1_secret: the latter is skipped */
    free (path);
    zcert_t *b = zcert_new ();
    zcert_set_meta (b, "name", "db-1"); /* no hosts: its name */
    path = vg_asprintf ("%s/db-1", dir);
    ASSERT_EQ (zcert_save_public (b, path), 0);
    free (path);
    path = vg_asprintf ("%s/README", dir);
    test_write_file (path, "not a key at all {{{\n");
    free (path);
    path = vg_asprintf ("%s/.hidden", dir);
    test_write_file (path, "ignored\n");
    free (path);

    seen_t seen;
    memset (&seen, 0, sizeof seen);
    char err[256];
    ASSERT_EQ (coll_auth_read_dir (dir, s_seen, &seen, err, sizeof err), 2);
    ASSERT_EQ (seen.n, 2);
    for (int i = 0; i < 2; i++) {
        if (strcmp (seen.keys[i], zcert_public_txt (a)) == 0)
            ASSERT_STR_EQ (seen.hosts[i], "web-1,web-1.example");
        else {
            ASSERT_STR_EQ (seen.keys[i], zcert_public_txt (b));
            ASSERT_STR_EQ (seen.hosts[i], "db-1");
        }
    }
    ASSERT_EQ (coll_auth_read_dir ("/nonexistent/allow", s_seen, &seen, err, sizeof err), VG_EIO);
    ASSERT_STR_CONTAINS (err, "cannot read curve_allow_dir /nonexistent/allow");
    zcert_destroy (&a);
    zcert_destroy (&b);
    free (dir);
}

int
main (void)
{
    test_mode ();
    test_hosts ();
    test_read_dir ();
    printf ("test_coll_auth: ok\n");
    return 0;
}
