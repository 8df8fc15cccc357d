/*  logtail_counters.c - the log rules' counters kept across restarts: saved
 *  as text lines with the log positions, loaded back at start. */
#include "logtail_rules_int.h"
#include "vg_buf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void
s_hex (vg_buf_t *out, const char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char two[2] = {digits[(unsigned char)p[i] >> 4], digits[(unsigned char)p[i] & 15]};
        vg_buf_append (out, two, 2);
    }
}

/* Decodes hex text of n digits into out (n / 2 bytes); -1 if it is not. */
static int
s_unhex (const char *text, size_t n, char *out)
{
    if (n % 2)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int v = 0;
        for (size_t k = 0; k < 2; k++) {
            char c = text[i + k];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        out[i / 2] = (char)v;
    }
    return 0;
}

static void
s_save_series (vg_buf_t *out, const s_rule_t *r, const s_series_t *s)
{
    if (!s->has_value)
        return;
    vg_buf_puts (out, "counter ");
    s_hex (out, r->name, strlen (r->name));
    vg_buf_printf (out, " %.17g ", s->value);
    s_hex (out, s->key, s->keylen);
    vg_buf_puts (out, "\n");
}

void
logtail_rules_save_counters (const logtail_rules_t *self, vg_buf_t *out)
{
    for (size_t i = 0; i < self->n; i++) {
        const s_rule_t *r = &self->rules[i];
        if (r->type != LOGTAIL_RULE_COUNTER)
            continue;
        for (size_t j = 0; j < r->nseries; j++)
            s_save_series (out, r, &r->series[j]);
        if (r->has_other)
            s_save_series (out, r, &r->other);
    }
}

int
logtail_rules_load_counter (logtail_rules_t *self, const char *line, size_t len)
{
    if (len < 8 || memcmp (line, "counter ", 8) != 0)
        return 0;
    const char *p = line + 8, *end = line + len;
    const char *sp1 = memchr (p, ' ', (size_t)(end - p));
    if (!sp1)
        return 1;
    const char *sp2 = memchr (sp1 + 1, ' ', (size_t)(end - sp1 - 1));
    if (!sp2)
        return 1;
    size_t nlen = (size_t)(sp1 - p), klen = (size_t)(end - sp2 - 1);
    char name[512], key[LOGTAIL_RULES_MAX_LABELS * S_VALUE_ROOM], num[64];
    if (nlen / 2 >= sizeof name || (size_t)(sp2 - sp1 - 1) >= sizeof num || klen / 2 > sizeof key ||
        s_unhex (p, nlen, name) != 0)
        return 1;
    name[nlen / 2] = '\0';
    memcpy (num, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    num[sp2 - sp1 - 1] = '\0';
    char *stop = NULL;
    double value = strtod (num, &stop);
    if (!stop || *stop || !isfinite (value))
        return 1;
    if (s_unhex (sp2 + 1, klen, key) != 0)
        return 1;
    for (size_t i = 0; i < self->n; i++) {
        s_rule_t *r = &self->rules[i];
        if (r->type != LOGTAIL_RULE_COUNTER || strcmp (r->name, name) != 0)
            continue;
        /* A key of another shape (the rule's labels changed) is left out. */
        size_t nuls = 0, kb = klen / 2;
        for (size_t k = 0; k < kb; k++)
            nuls += key[k] == '\0';
        if (nuls != r->nlabels || (kb && key[kb - 1] != '\0'))
            return 1;
        /* The folded series: every value "_other". */
        int other = r->nlabels > 0 && kb == r->nlabels * sizeof LOGTAIL_RULES_OTHER;
        for (size_t k = 0; other && k < r->nlabels; k++)
            other = memcmp (key + k * sizeof LOGTAIL_RULES_OTHER, LOGTAIL_RULES_OTHER,
                            sizeof LOGTAIL_RULES_OTHER) == 0;
        s_series_t *s = other ? logtail_rules_other (r) : logtail_rules_series_get (r, key, kb);
        s->value = value;
        s->has_value = 1;
        return 1;
    }
    return 1;
}

void
logtail_rules_reset_counters (logtail_rules_t *self)
{
    for (size_t i = 0; i < self->n; i++) {
        s_rule_t *r = &self->rules[i];
        if (r->type != LOGTAIL_RULE_COUNTER)
            continue;
        for (size_t j = 0; j < r->nseries; j++)
            r->series[j].value = 0, r->series[j].has_value = 0;
        r->other.value = 0;
        r->other.has_value = 0;
    }
}
