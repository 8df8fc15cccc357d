/*  fuzz_matchers.c - libFuzzer target for the label matcher parser, which
 *  reads what the HTTP API and `vigil silence add` are given. Arbitrary
 *  bytes as one matcher text: accepted text must print back to matchers that
 *  parse again to the same print (Alertmanager's string form is stable), and
 *  match a label set without crashing; refused text must say why. Also the
 *  ack-link check and the mode parser on the same bytes. */
#include "notify_ack.h"
#include "notify_matcher.h"
#include "notify_mode.h"
#include "vg_error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc (size + 1);
    memcpy (text, data, size);
    text[size] = '\0';
    char err[512] = "";
    notify_matchers_t m = {0};
    if (notify_matchers_parse (&m, text, err, sizeof err) == VG_OK) {
        vg_buf_t once = {0}, twice = {0};
        notify_matchers_string (&m, &once);
        vg_buf_append (&once, "", 1);
        notify_matchers_t again = {0};
        /* Printed values are Go-quoted; only those without escapes the
         * parser does not take (\x, \u) must read back. */
        if (!strstr (once.data, "\\x") && !strstr (once.data, "\\u") &&
            !strstr (once.data, "\\U") && !strstr (once.data, "\\a") &&
            !strstr (once.data, "\\b") && !strstr (once.data, "\\f") &&
            !strstr (once.data, "\\v")) {
            if (notify_matchers_parse (&again, once.data, err, sizeof err) != VG_OK)
                abort ();
            notify_matchers_string (&again, &twice);
            vg_buf_append (&twice, "", 1);
            if (strcmp (once.data, twice.data) != 0)
                abort ();
        }
        vg_label_t l[] = {{"alertname", "X"}, {"service", text}};
        (void)notify_matchers_match (&m, l, 2);
        notify_matchers_free (&again);
        vg_buf_free (&once);
        vg_buf_free (&twice);
    } else if (!err[0])
        abort ();
    notify_matchers_free (&m);

    notify_mode_t mode;
    if (notify_mode_parse (&mode, text, err, sizeof err) == VG_OK) {
        int64_t t = notify_mode_next (&mode, 1700000000000LL);
        if (mode.kind != NOTIFY_MODE_IMMEDIATE && t <= 1700000000000LL)
            abort ();
        notify_mode_free (&mode);
    }

    static notify_ack_signer_t signer;
    static int ready;
    if (!ready) {
        notify_ack_signer_init (&signer, "fuzz", "http://x", 3600000);
        ready = 1;
    }
    if (notify_ack_verify (&signer, 1, 2000000000, text, 0, err, sizeof err) == VG_OK)
        abort (); /* forged */
    free (text);
    return 0;
}
