/*  test_agent_curve.c - zcert files read without czmq, the transport rules,
 *  and a real CURVE handshake: a DEALER with the keys applied reaches a
 *  CURVE ROUTER, one without them does not. */
#include "agent_curve.h"
#include "test_assert.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Writes a zcert pair for a fresh key pair; keys out in Z85. */
static void
s_keypair (const char *dir, const char *name, char pub[41], char sec[41])
{
    ASSERT_EQ (zmq_curve_keypair (pub, sec), 0);
    char *p = vg_asprintf ("%s/%s", dir, name);
    char *s = vg_asprintf ("%s/%s_secret", dir, name);
    char *text = vg_asprintf ("#   ZeroMQ CURVE Public Certificate\n\nmetadata\n    name = \"%s\"\n"
                              "curve\n    public-key = \"%s\"\n",
                              name, pub);
    test_write_file (p, text);
    free (text);
    text = vg_asprintf ("metadata\ncurve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n", pub,
                        sec);
    test_write_file (s, text);
    free (text);
    free (p);
    free (s);
}

static void
test_read_key (const char *dir)
{
    char pub[41], sec[41], got[41], err[512];
    s_keypair (dir, "web-1", pub, sec);
    char *p = vg_asprintf ("%s/web-1", dir), *s = vg_asprintf ("%s/web-1_secret", dir);
    ASSERT_EQ (agent_curve_read_key (p, "public-key", got, err, sizeof err), 0);
    ASSERT_STR_EQ (got, pub);
    ASSERT_EQ (agent_curve_read_key (s, "secret-key", got, err, sizeof err), 0);
    ASSERT_STR_EQ (got, sec);
    ASSERT_EQ (agent_curve_read_key (p, "secret-key", got, err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "has no secret-key");
    char *bad = vg_asprintf ("%s/bad", dir);
    test_write_file (bad, "curve\n    public-key = \"short\"\n");
    ASSERT_EQ (agent_curve_read_key (bad, "public-key", got, err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "bad:2: public-key is not a quoted key of 40 characters");
    test_write_file (bad, "curve\n    public-key = \"~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\"\n");
    ASSERT_EQ (agent_curve_read_key (bad, "public-key", got, err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "not a Z85 key");
    ASSERT_EQ (agent_curve_read_key ("/nonexistent/k", "public-key", got, err, sizeof err), VG_EIO);
    free (bad);
    free (p);
    free (s);
}

/* agent_curve_configure with one collector endpoint. */
static int
s_configure (const char *transport, const char *secret, const char *server, const char *endpoint,
             const char *dir, char *err, size_t errlen)
{
    const char *const endpoints[] = {endpoint};
    return agent_curve_configure (transport, secret, server, endpoints, 1, dir, err, errlen);
}

static void
test_rules (const char *dir)
{
    char err[512];
    /* No keys: loopback is plain, another host is refused with what to set. */
    ASSERT_EQ (s_configure ("curve", "", "", "tcp://127.0.0.1:5555", NULL, err, sizeof err), 0);
    ASSERT_EQ (agent_curve_enabled (), 0);
    ASSERT_EQ (s_configure ("curve", "", "", "tcp://127.evil.example:5555", NULL, err, sizeof err),
               VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "set agent.curve_secret_key and agent.curve_server_key");
    /* Several collectors to fail over along: every one must be local to go
     * without keys. */
    const char *const two[] = {"tcp://127.0.0.1:5555", "tcp://10.0.0.6:5555"};
    ASSERT_EQ (agent_curve_configure ("curve", "", "", two, 2, NULL, err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "the collector tcp://10.0.0.6:5555 is not on this host");
    ASSERT_EQ (agent_curve_configure ("curve", "", "", two, 1, NULL, err, sizeof err), 0);
    ASSERT_EQ (s_configure ("plain", "", "", "tcp://10.0.0.5:5555", NULL, err, sizeof err), 0);
    ASSERT_EQ (s_configure ("curve", "a_secret", "", "tcp://10.0.0.5:5555", NULL, err, sizeof err),
               VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "agent.curve_secret_key is set but agent.curve_server_key is not");
    ASSERT_EQ (s_configure ("bogus", "", "", "tcp://127.0.0.1:1", NULL, err, sizeof err),
               VG_EINVAL);
    /* Keys, with relative paths taken from the configuration's directory. */
    char pub[41], sec[41];
    s_keypair (dir, "collector", pub, sec);
    ASSERT_EQ (s_configure ("curve", "web-1_secret", "collector", "tcp://10.0.0.5:5555", dir, err,
                            sizeof err),
               0);
    ASSERT_EQ (agent_curve_enabled (), 1);
    ASSERT_EQ (
        s_configure ("curve", "web-1_secret", "nope", "tcp://10.0.0.5:5555", dir, err, sizeof err),
        VG_EIO);
    ASSERT_EQ (agent_curve_enabled (), 0);
}

/* A real CURVE ROUTER on loopback: the configured DEALER gets through. */
static void
test_handshake (const char *dir)
{
    char spub[41], ssec[41], err[512];
    s_keypair (dir, "server", spub, ssec);
    void *ctx = zmq_ctx_new ();
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    int one = 1, zero = 0, tmo = 3000;
    zmq_setsockopt (router, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt (router, ZMQ_CURVE_SECRETKEY, ssec, 40);
    zmq_setsockopt (router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (router, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    ASSERT_EQ (zmq_bind (router, "tcp://127.0.0.1:*"), 0);
    char ep[64];
    size_t eplen = sizeof ep;
    zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, ep, &eplen);

    for (int keyed = 0; keyed < 2; keyed++) {
        ASSERT_EQ (s_configure ("curve", keyed ? "web-1_secret" : "", keyed ? "server" : "", ep,
                                dir, err, sizeof err),
                   0);
        void *dealer = zmq_socket (ctx, ZMQ_DEALER);
        zmq_setsockopt (dealer, ZMQ_LINGER, &zero, sizeof zero);
        ASSERT_EQ (agent_curve_apply (dealer, err, sizeof err), 0);
        ASSERT_EQ (zmq_connect (dealer, ep), 0);
        zmq_send (dealer, "hello", 5, 0);
        char buf[64];
        int n = zmq_recv (router, buf, sizeof buf, 0); /* the routing id, if anything came */
        if (keyed) {
            ASSERT_GT (n, 0);
            ASSERT_EQ (zmq_recv (router, buf, sizeof buf, 0), 5);
        } else {
            ASSERT_EQ (n, -1); /* a plain DEALER cannot talk to a CURVE server */
        }
        zmq_close (dealer);
    }
    zmq_close (router);
    zmq_ctx_term (ctx);
}

int
main (void)
{
    char *dir = test_tmpdir ("agent_curve");
    test_read_key (dir);
    test_rules (dir);
    test_handshake (dir);
    free (dir);
    printf ("test_agent_curve: ok\n");
    return 0;
}
