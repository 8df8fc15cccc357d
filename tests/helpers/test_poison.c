/*  test_poison.c - the poison batch (test_poison.h). */
#include "test_poison.h"

#include <stdio.h>
#include <string.h>

vg_batch_t *
test_poison_batch (const char *agent, uint64_t seq, int64_t now_ms)
{
    static char value[4097];
    memset (value, 0x01, 4096); /* JSON writes each as \u0001: six bytes */
    vg_batch_t *b = vg_batch_new (agent, agent);
    b->seq = seq;
    b->sent_ms = now_ms;
    vg_label_t labels[64];
    char keys[64][8];
    for (int l = 0; l < 64; l++) {
        snprintf (keys[l], sizeof keys[l], "k%02d", l);
        labels[l] = (vg_label_t){keys[l], value};
    }
    for (int s = 0; s < 720; s++) {
        char name[32];
        snprintf (name, sizeof name, "poison_%d", s);
        uint32_t idx = vg_batch_series (b, name, VG_KIND_GAUGE, labels, 64);
        vg_batch_add_sample (b, idx, now_ms - 1000, 1.0);
    }
    return b;
}
