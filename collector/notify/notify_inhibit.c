/*  notify_inhibit.c - does a firing alert mute this one? */
#include "notify_inhibit.h"

#include <string.h>

static int
s_equal (const notify_inhibit_t *rule, const vg_label_t *a, size_t na, const vg_label_t *b,
         size_t nb)
{
    for (size_t i = 0; i < rule->equal.n; i++)
        if (strcmp (notify_matcher_label (a, na, rule->equal.items[i]),
                    notify_matcher_label (b, nb, rule->equal.items[i])) != 0)
            return 0;
    return 1;
}

int
notify_inhibit_muted (const notify_config_t *cfg, const vg_label_t *labels, size_t n,
                      const notify_lset_t *firing, size_t nfiring)
{
    for (size_t r = 0; r < cfg->ninhibits; r++) {
        const notify_inhibit_t *rule = &cfg->inhibits[r];
        if (!notify_matchers_match (&rule->target, labels, n))
            continue;
        int both = notify_matchers_match (&rule->source, labels, n);
        for (size_t i = 0; i < nfiring; i++) {
            const notify_lset_t *s = &firing[i];
            if (!notify_matchers_match (&rule->source, s->labels, s->n))
                continue;
            if (both && notify_matchers_match (&rule->target, s->labels, s->n))
                continue;
            if (s_equal (rule, labels, n, s->labels, s->n))
                return (int)r;
        }
    }
    return -1;
}
