/*  fuzz_keyfile.c - libFuzzer target for key files: the agent's own reader
 *  (agent_curve_read_key, no czmq) and the collector's allow-list reader
 *  (coll_auth_read_dir through czmq's zcert) on arbitrary file contents.
 *  What the agent takes for a key is 40 characters of valid Z85; whatever
 *  the collector lists has hosts that match themselves. */
#include "agent_curve.h"
#include "coll_auth.h"
#include "vg_error.h"

#include <czmq.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char s_dir[64];
static char s_file[96];

static void
s_check_entry (const char *key, const char *hosts, void *arg)
{
    (void)arg;
    if (strlen (key) != 40)
        abort ();
    /* The first host of a list is listed; so is anything under "*". */
    char first[256];
    size_t n = strcspn (hosts, ",");
    if (n < sizeof first && n > 0) {
        memcpy (first, hosts, n);
        first[n] = '\0';
        if (!coll_auth_host_listed (hosts, first))
            abort ();
    }
    char fp[24];
    coll_auth_fingerprint (key, fp, sizeof fp);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_dir[0]) {
        zsys_handler_set (NULL);
        zsys_set_logstream (NULL);
        snprintf (s_dir, sizeof s_dir, "/tmp/vigil-fuzz-keyfile.XXXXXX");
        if (!mkdtemp (s_dir))
            abort ();
        snprintf (s_file, sizeof s_file, "%s/agent", s_dir);
    }
    FILE *f = fopen (s_file, "wb");
    if (!f)
        abort ();
    fwrite (data, 1, size, f);
    fclose (f);

    char key[41], err[256];
    for (int k = 0; k < 2; k++) {
        int rc =
            agent_curve_read_key (s_file, k ? "secret-key" : "public-key", key, err, sizeof err);
        if (rc == VG_OK) {
            uint8_t bin[32];
            if (strlen (key) != 40 || !zmq_z85_decode (bin, key))
                abort ();
        } else if (rc != VG_EINVAL || !err[0]) {
            abort ();
        }
    }
    if (coll_auth_read_dir (s_dir, s_check_entry, NULL, err, sizeof err) < 0)
        abort ();
    return 0;
}
