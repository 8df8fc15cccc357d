/*  logtail_rules.c - the log rule engine: regex and JSON rules turning lines
 *  into counters, distributions and gauges by label set.
 *
 *  Per line, every JSON rule shares one scan of the line (all their field
 *  paths are one trie); a regex rule runs its JIT-compiled pattern. A
 *  matching line's label values are written back to back into a scratch key,
 *  hashed, and looked up in the rule's open-addressing table: only a label
 *  set never seen before allocates.
 */
#include "logtail_rules.h"
#include "logtail_json.h"
#include "logtail_rules_int.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_hash.h"
#include "vg_utf8.h"

#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A regex that backtracks this much on one line gives up (a pattern that is
 * fine on good lines must not hang the agent on a hostile one). */
#define S_MATCH_LIMIT   1000000
#define S_JIT_STACK_MAX (1024 * 1024)

logtail_rules_t *
logtail_rules_new (void)
{
    logtail_rules_t *self = vg_calloc (1, sizeof *self);
    self->json = logtail_json_new ();
    self->mctx = pcre2_match_context_create (NULL);
    if (!self->mctx)
        abort (); /* only out of memory */
    pcre2_set_match_limit (self->mctx, S_MATCH_LIMIT);
    self->jit_stack = pcre2_jit_stack_create (32 * 1024, S_JIT_STACK_MAX, NULL);
    if (self->jit_stack)
        pcre2_jit_stack_assign (self->mctx, NULL, self->jit_stack);
    return self;
}

static void
s_regex_free (s_regex_t *re)
{
    pcre2_match_data_free (re->md);
    pcre2_code_free (re->code);
    memset (re, 0, sizeof *re);
}

static void
s_series_free (s_series_t *s)
{
    free (s->key);
    vg_sketch_destroy (&s->sketch);
}

static void
s_rule_free (s_rule_t *r)
{
    free (r->name);
    s_regex_free (&r->re);
    s_regex_free (&r->match);
    for (size_t i = 0; i < r->nlabels; i++)
        free (r->label_keys[i]);
    free (r->label_keys);
    free (r->label_src);
    for (size_t i = 0; i < r->nwhere; i++)
        free (r->where_value[i]);
    free (r->where_value);
    free (r->where_slot);
    free (r->where_len);
    for (size_t i = 0; i < r->nseries; i++)
        s_series_free (&r->series[i]);
    free (r->series);
    free (r->index);
    s_series_free (&r->other);
}

void
logtail_rules_destroy (logtail_rules_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    logtail_rules_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        s_rule_free (&self->rules[i]);
    free (self->rules);
    free (self->slots);
    logtail_json_destroy (&self->json);
    pcre2_match_context_free (self->mctx);
    if (self->jit_stack)
        pcre2_jit_stack_free (self->jit_stack);
    free (self);
    *self_p = NULL;
}

size_t
logtail_rules_count (const logtail_rules_t *self)
{
    return self->n;
}

/* ---- compiling -------------------------------------------------------- */

static int
s_regex_compile (s_regex_t *re, const char *key, const char *pattern, char *err, size_t errlen)
{
    int code = 0;
    PCRE2_SIZE offset = 0;
    /* Byte mode, not UTF: log lines are not guaranteed to be valid UTF-8,
     * and PCRE2's UTF mode would refuse such lines instead of matching. */
    re->code = pcre2_compile ((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code, &offset, NULL);
    if (!re->code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message (code, msg, sizeof msg);
        snprintf (err, errlen, "%s: %s at offset %zu", key, (const char *)msg, (size_t)offset);
        return VG_EINVAL;
    }
    /* Without JIT support (some architectures) the interpreter does the work. */
    re->jit = pcre2_jit_compile (re->code, PCRE2_JIT_COMPLETE) == 0;
    re->md = pcre2_match_data_create_from_pattern (re->code, NULL);
    if (!re->md)
        abort (); /* only out of memory */
    return VG_OK;
}

static int
s_is_name (const char *s, int colon)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || (colon && *s == ':')))
            return 0;
    return 1;
}

/* The source of a label or value: a named capture's group number, or a JSON
 * slot. key names it in messages. */
static int
s_source (logtail_rules_t *self, s_rule_t *r, const char *key, const char *ref, int32_t *src,
          char *err, size_t errlen)
{
    if (!ref || !*ref) {
        snprintf (err, errlen, "%s: empty %s", key, r->json ? "field path" : "capture name");
        return VG_EINVAL;
    }
    if (r->json) {
        char why[384];
        int slot = logtail_json_add_path (self->json, ref, why, sizeof why);
        if (slot < 0) {
            snprintf (err, errlen, "%s: %s", key, why);
            return VG_EINVAL;
        }
        *src = slot;
        return VG_OK;
    }
    int group = pcre2_substring_number_from_name (r->re.code, (PCRE2_SPTR)ref);
    if (group == PCRE2_ERROR_NOUNIQUESUBSTRING) {
        snprintf (err, errlen, "%s: the regex has several groups named \"%s\"", key, ref);
        return VG_EINVAL;
    }
    if (group < 0) {
        snprintf (err, errlen, "%s: the regex has no group (?<%s>...)", key, ref);
        return VG_EINVAL;
    }
    *src = group;
    return VG_OK;
}

static int
s_compile (logtail_rules_t *self, s_rule_t *r, const logtail_rule_spec_t *spec, char *err,
           size_t errlen)
{
    char key[96];
    if (!spec->name || !s_is_name (spec->name, 1)) {
        snprintf (err, errlen, "name: \"%s\" is not a metric name (letters, digits, _ and :)",
                  spec->name ? spec->name : "");
        return VG_EINVAL;
    }
    if (strncmp (spec->name, "logtail_", 8) == 0) {
        snprintf (err, errlen,
                  "name: \"%s\": the prefix logtail_ is kept for the input's own "
                  "metrics",
                  spec->name);
        return VG_EINVAL;
    }
    for (size_t i = 0; i < self->n; i++)
        if (strcmp (self->rules[i].name, spec->name) == 0) {
            snprintf (err, errlen, "name: \"%s\" is already used by rules[%zu]", spec->name, i);
            return VG_EINVAL;
        }
    r->name = vg_strdup (spec->name);
    r->type = spec->type;
    if (r->type != LOGTAIL_RULE_COUNTER && r->type != LOGTAIL_RULE_DISTRIBUTION &&
        r->type != LOGTAIL_RULE_GAUGE) {
        snprintf (err, errlen, "type: expected counter, distribution or gauge");
        return VG_EINVAL;
    }
    r->json = spec->json ? 1 : 0;
    int has_regex = spec->regex && *spec->regex;
    if (r->json == has_regex) {
        snprintf (err, errlen,
                  r->json ? "regex: a rule has a regex or json: true, not both"
                          : "regex: give a regex (plain lines) or json: true");
        return VG_EINVAL;
    }
    if (has_regex && s_regex_compile (&r->re, "regex", spec->regex, err, errlen) != VG_OK)
        return VG_EINVAL;
    if (spec->match && *spec->match &&
        s_regex_compile (&r->match, "match", spec->match, err, errlen) != VG_OK)
        return VG_EINVAL;
    if (spec->nwhere && !r->json) {
        snprintf (err, errlen, "where: only for JSON rules (use match for plain lines)");
        return VG_EINVAL;
    }
    if (spec->nlabels > LOGTAIL_RULES_MAX_LABELS) {
        snprintf (err, errlen, "labels: at most %d", LOGTAIL_RULES_MAX_LABELS);
        return VG_EINVAL;
    }
    r->label_keys = vg_calloc (spec->nlabels + 1, sizeof *r->label_keys);
    r->label_src = vg_calloc (spec->nlabels + 1, sizeof *r->label_src);
    for (size_t i = 0; i < spec->nlabels; i++) {
        const char *k = spec->labels[i].key;
        snprintf (key, sizeof key, "labels.%s", k ? k : "");
        if (!k || !s_is_name (k, 0)) {
            snprintf (err, errlen, "%s: not a label name (letters, digits and _)", key);
            return VG_EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp (r->label_keys[j], k) == 0) {
                snprintf (err, errlen, "%s: given twice", key);
                return VG_EINVAL;
            }
        r->label_keys[r->nlabels++] = vg_strdup (k);
        if (s_source (self, r, key, spec->labels[i].value, &r->label_src[i], err, errlen) != 0)
            return VG_EINVAL;
    }
    r->value_src = -1;
    if (spec->value && s_source (self, r, "value", spec->value, &r->value_src, err, errlen) != 0)
        return VG_EINVAL;
    if (r->value_src < 0 && r->type != LOGTAIL_RULE_COUNTER) {
        snprintf (err, errlen, "value: a %s needs a value (a %s)",
                  r->type == LOGTAIL_RULE_GAUGE ? "gauge" : "distribution",
                  r->json ? "field path" : "named capture");
        return VG_EINVAL;
    }
    r->where_slot = vg_calloc (spec->nwhere + 1, sizeof *r->where_slot);
    r->where_value = vg_calloc (spec->nwhere + 1, sizeof *r->where_value);
    r->where_len = vg_calloc (spec->nwhere + 1, sizeof *r->where_len);
    for (size_t i = 0; i < spec->nwhere; i++) {
        const char *k = spec->where[i].key ? spec->where[i].key : "";
        snprintf (key, sizeof key, "where.%s", k);
        if (s_source (self, r, key, k, &r->where_slot[i], err, errlen) != 0)
            return VG_EINVAL;
        const char *v = spec->where[i].value ? spec->where[i].value : "";
        r->where_value[i] = vg_strdup (v);
        r->where_len[i] = strlen (v);
        r->nwhere++;
    }
    r->scale = spec->value_scale;
    if (r->scale == 0)
        r->scale = 1;
    if (!isfinite (r->scale)) {
        snprintf (err, errlen, "value_scale: must be a finite number");
        return VG_EINVAL;
    }
    r->max_series = spec->max_series ? spec->max_series : LOGTAIL_RULES_DEFAULT_SERIES;
    r->count_only = r->type == LOGTAIL_RULE_COUNTER && r->nlabels == 0 && r->value_src < 0;
    return VG_OK;
}

int
logtail_rules_add (logtail_rules_t *self, const logtail_rule_spec_t *spec, char *err, size_t errlen)
{
    s_rule_t r;
    memset (&r, 0, sizeof r);
    int rc = s_compile (self, &r, spec, err, errlen);
    /* A failed rule may have added paths too: every scan fills every slot. */
    size_t nslots = logtail_json_nslots (self->json);
    if (nslots)
        VG_GROW (self->slots, self->slots_cap, nslots);
    if (rc != VG_OK) {
        s_rule_free (&r);
        return VG_EINVAL;
    }
    VG_GROW (self->rules, self->cap, self->n + 1);
    self->rules[self->n++] = r;
    return VG_OK;
}

/* ---- the series table ------------------------------------------------- */

static void
s_index_insert (s_rule_t *r, size_t pos)
{
    size_t mask = r->index_cap - 1;
    size_t i = r->series[pos].hash & mask;
    while (r->index[i])
        i = (i + 1) & mask;
    r->index[i] = (uint32_t)(pos + 1);
}

static void
s_index_rebuild (s_rule_t *r, size_t need)
{
    size_t cap = 16;
    while (cap < 2 * need)
        cap *= 2;
    if (cap != r->index_cap) {
        free (r->index);
        r->index = vg_malloc (cap * sizeof *r->index);
        r->index_cap = cap;
    }
    memset (r->index, 0, cap * sizeof *r->index);
    for (size_t i = 0; i < r->nseries; i++)
        s_index_insert (r, i);
}

static void
s_series_init (s_rule_t *r, s_series_t *s, const char *key, size_t klen, uint64_t hash)
{
    memset (s, 0, sizeof *s);
    s->hash = hash;
    s->key = vg_malloc (klen + 1);
    memcpy (s->key, key, klen);
    s->key[klen] = '\0';
    s->keylen = (uint32_t)klen;
    if (r->type == LOGTAIL_RULE_DISTRIBUTION)
        s->sketch = vg_sketch_new ();
}

/* The series all of whose label values are "_other". */
s_series_t *
logtail_rules_other (s_rule_t *r)
{
    if (!r->has_other) {
        char key[LOGTAIL_RULES_MAX_LABELS * sizeof LOGTAIL_RULES_OTHER];
        size_t klen = 0;
        for (size_t i = 0; i < r->nlabels; i++) {
            memcpy (key + klen, LOGTAIL_RULES_OTHER, sizeof LOGTAIL_RULES_OTHER);
            klen += sizeof LOGTAIL_RULES_OTHER;
        }
        s_series_init (r, &r->other, key, klen, 0);
        r->has_other = 1;
    }
    return &r->other;
}

s_series_t *
logtail_rules_series_get (s_rule_t *r, const char *key, size_t klen)
{
    uint64_t h = vg_hash_bytes (key, klen);
    if (r->index_cap) {
        size_t mask = r->index_cap - 1;
        for (size_t i = h & mask; r->index[i]; i = (i + 1) & mask) {
            s_series_t *s = &r->series[r->index[i] - 1];
            if (s->hash == h && s->keylen == klen && memcmp (s->key, key, klen) == 0)
                return s;
        }
    }
    if (r->nseries >= r->max_series) {
        r->folded++;
        return logtail_rules_other (r);
    }
    VG_GROW (r->series, r->series_cap, r->nseries + 1);
    size_t pos = r->nseries++;
    s_series_init (r, &r->series[pos], key, klen, h);
    if (2 * r->nseries > r->index_cap)
        s_index_rebuild (r, r->nseries);
    else
        s_index_insert (r, pos);
    return &r->series[pos];
}

/* ---- applying rules --------------------------------------------------- */

/* Makes s[0 .. n) a label value the batch stores as it is: valid UTF-8 (bad
 * bytes and NULs become '?'), cut at LOGTAIL_RULES_MAX_VALUE_LEN on a
 * character boundary. Replacements keep the length, so it works in place.
 * Two different raw values thus never end up as one series downstream
 * without also being one series here. */
static size_t
s_clean (char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (unsigned char)s[i] < 0x80 && s[i] != '\0')
        i++;
    if (i == n)
        return n > LOGTAIL_RULES_MAX_VALUE_LEN ? LOGTAIL_RULES_MAX_VALUE_LEN : n;
    while (i < n) {
        size_t k = s[i] == '\0' ? 0 : vg_utf8_seq ((const unsigned char *)s + i, n - i);
        if (i + (k ? k : 1) > LOGTAIL_RULES_MAX_VALUE_LEN)
            break;
        if (k == 0)
            s[i++] = '?';
        else
            i += k;
    }
    return i < LOGTAIL_RULES_MAX_VALUE_LEN ? i : LOGTAIL_RULES_MAX_VALUE_LEN;
}

/* Copies a raw span into the key at dst (room for S_VALUE_ROOM bytes). */
static size_t
s_put_raw (char *dst, const char *p, size_t n)
{
    if (n > S_VALUE_ROOM - 1)
        n = S_VALUE_ROOM - 1;
    memcpy (dst, p, n);
    return s_clean (dst, n);
}

/* A JSON value as text: strings decoded, anything else as written. */
static size_t
s_put_json (char *dst, const logtail_json_val_t *v)
{
    if (v->type == LOGTAIL_JSON_MISSING)
        return 0;
    if (v->type == LOGTAIL_JSON_STRING && v->escaped)
        return s_clean (dst, logtail_json_unescape (v->ptr, v->len, dst, S_VALUE_ROOM - 1));
    return s_put_raw (dst, v->ptr, v->len);
}

static int
s_json_number (const logtail_json_val_t *v, double *out)
{
    switch (v->type) {
    case LOGTAIL_JSON_NUMBER:
        return logtail_json_parse_number (v->ptr, v->len, out);
    case LOGTAIL_JSON_STRING: /* "123.4": numbers logged as strings */
        return v->escaped ? VG_EINVAL : logtail_json_parse_number (v->ptr, v->len, out);
    case LOGTAIL_JSON_TRUE:
        *out = 1;
        return VG_OK;
    case LOGTAIL_JSON_FALSE:
        *out = 0;
        return VG_OK;
    default:
        return VG_EINVAL;
    }
}

/* Runs a regex on the line: > 0 matched, 0 no match, < 0 gave up. */
static int
s_run (logtail_rules_t *self, s_regex_t *re, const char *line, size_t len)
{
    int rc = re->jit ? pcre2_jit_match (re->code, (PCRE2_SPTR)line, len, 0, 0, re->md, self->mctx)
                     : pcre2_match (re->code, (PCRE2_SPTR)line, len, 0, 0, re->md, self->mctx);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL)
        return 0;
    return -1;
}

static void
s_update (s_rule_t *r, s_series_t *s, double v)
{
    switch (r->type) {
    case LOGTAIL_RULE_COUNTER:
        s->value += v;
        s->has_value = 1;
        break;
    case LOGTAIL_RULE_GAUGE:
        s->value = v;
        s->has_value = 1;
        break;
    case LOGTAIL_RULE_DISTRIBUTION:
        vg_sketch_add (s->sketch, v);
        break;
    }
}

/* The value, scaled; 0 when there is none to use (counted). */
static int
s_scaled (s_rule_t *r, int ok, double raw, double *v)
{
    if (ok) {
        *v = raw * r->scale;
        /* A counter only goes up; a scale may overflow to infinity. */
        ok = isfinite (*v) && !(r->type == LOGTAIL_RULE_COUNTER && *v < 0);
    }
    if (!ok)
        r->no_value++;
    return ok;
}

static void
s_apply_json (logtail_rules_t *self, s_rule_t *r)
{
    const logtail_json_val_t *slots = self->slots;
    double v = 1;
    if (r->value_src >= 0) {
        double raw = 0;
        int ok = s_json_number (&slots[r->value_src], &raw) == VG_OK;
        if (!s_scaled (r, ok, raw, &v))
            return;
    }
    size_t klen = 0;
    for (size_t i = 0; i < r->nlabels; i++) {
        klen += s_put_json (self->key + klen, &slots[r->label_src[i]]);
        self->key[klen++] = '\0';
    }
    s_update (r, logtail_rules_series_get (r, self->key, klen), v);
}

static void
s_apply_regex (logtail_rules_t *self, s_rule_t *r, const char *line)
{
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer (r->re.md);
    uint32_t npairs = pcre2_get_ovector_count (r->re.md);
    double v = 1;
    if (r->value_src >= 0) {
        uint32_t g = (uint32_t)r->value_src;
        double raw = 0;
        /* \K can leave a group ending before it starts: no value then. */
        int ok =
            g < npairs && ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] >= ov[2 * g] &&
            logtail_json_parse_number (line + ov[2 * g], ov[2 * g + 1] - ov[2 * g], &raw) == VG_OK;
        if (!s_scaled (r, ok, raw, &v))
            return;
    }
    size_t klen = 0;
    for (size_t i = 0; i < r->nlabels; i++) {
        uint32_t g = (uint32_t)r->label_src[i];
        /* An optional group that did not take part gives an empty value. */
        if (g < npairs && ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] >= ov[2 * g])
            klen += s_put_raw (self->key + klen, line + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
        self->key[klen++] = '\0';
    }
    s_update (r, logtail_rules_series_get (r, self->key, klen), v);
}

/* A matching line of a count_only rule. Its one series has the empty key
 * (the key of no labels), so it is the first: no key to build or look up. */
static void
s_count_line (s_rule_t *r)
{
    s_series_t *s = r->nseries ? &r->series[0] : logtail_rules_series_get (r, "", 0);
    s->value += 1;
    s->has_value = 1;
}

/* Every where condition holds: the field's text equals the wanted value. */
static int
s_where (logtail_rules_t *self, const s_rule_t *r)
{
    for (size_t i = 0; i < r->nwhere; i++) {
        const logtail_json_val_t *v = &self->slots[r->where_slot[i]];
        if (v->type == LOGTAIL_JSON_MISSING)
            return 0;
        const char *text = v->ptr;
        size_t len = v->len;
        if (v->type == LOGTAIL_JSON_STRING && v->escaped) {
            len = logtail_json_unescape (v->ptr, v->len, self->text, sizeof self->text);
            text = self->text;
        }
        if (len != r->where_len[i] || memcmp (text, r->where_value[i], len) != 0)
            return 0;
    }
    return 1;
}

void
logtail_rules_line (logtail_rules_t *self, const char *line, size_t len)
{
    self->lines++;
    int json = 0; /* 0: not scanned yet, 1: an object, -1: not one */
    for (size_t i = 0; i < self->n; i++) {
        s_rule_t *r = &self->rules[i];
        if (r->json) {
            if (json == 0) {
                json = logtail_json_scan (self->json, line, len, self->slots) == VG_OK ? 1 : -1;
                if (json < 0)
                    self->json_invalid++;
            }
            if (json < 0 || !s_where (self, r))
                continue;
        }
        if (r->match.code) {
            int rc = s_run (self, &r->match, line, len);
            if (rc < 0)
                r->regex_limit++;
            if (rc <= 0)
                continue;
        }
        if (r->json) {
            r->matched++;
            if (r->count_only)
                s_count_line (r);
            else
                s_apply_json (self, r);
            continue;
        }
        int rc = s_run (self, &r->re, line, len);
        if (rc < 0)
            r->regex_limit++;
        if (rc <= 0)
            continue;
        r->matched++;
        if (r->count_only)
            s_count_line (r);
        else
            s_apply_regex (self, r, line);
    }
}

/* ---- emitting --------------------------------------------------------- */

static void
s_emit_series (s_rule_t *r, s_series_t *s, agent_sink_t *sink)
{
    vg_label_t labels[LOGTAIL_RULES_MAX_LABELS];
    const char *p = s->key;
    for (size_t i = 0; i < r->nlabels; i++) {
        labels[i].key = r->label_keys[i];
        labels[i].value = p;
        p += strlen (p) + 1;
    }
    switch (r->type) {
    case LOGTAIL_RULE_COUNTER:
    case LOGTAIL_RULE_GAUGE:
        if (s->has_value) {
            if (r->type == LOGTAIL_RULE_COUNTER)
                agent_sink_counter (sink, r->name, labels, r->nlabels, s->value);
            else
                agent_sink_gauge (sink, r->name, labels, r->nlabels, s->value);
        }
        break;
    case LOGTAIL_RULE_DISTRIBUTION:
        agent_sink_dist (sink, r->name, labels, r->nlabels, s->sketch);
        vg_sketch_reset (s->sketch);
        break;
    }
}

void
logtail_rules_emit (logtail_rules_t *self, agent_sink_t *sink)
{
    for (size_t i = 0; i < self->n; i++) {
        s_rule_t *r = &self->rules[i];
        if (r->type == LOGTAIL_RULE_DISTRIBUTION) {
            /* Forget label sets that saw nothing since the last emit. */
            size_t kept = 0;
            for (size_t j = 0; j < r->nseries; j++) {
                if (r->series[j].sketch->count == 0) {
                    s_series_free (&r->series[j]);
                    continue;
                }
                r->series[kept++] = r->series[j];
            }
            if (kept != r->nseries) {
                r->nseries = kept;
                s_index_rebuild (r, kept);
            }
        }
        for (size_t j = 0; j < r->nseries; j++)
            s_emit_series (r, &r->series[j], sink);
        if (r->has_other)
            s_emit_series (r, &r->other, sink);
    }
}

void
logtail_rules_stats (const logtail_rules_t *self, size_t rule, logtail_rule_stats_t *st)
{
    memset (st, 0, sizeof *st);
    if (rule >= self->n)
        return;
    const s_rule_t *r = &self->rules[rule];
    st->name = r->name;
    st->matched = r->matched;
    st->no_value = r->no_value;
    st->regex_limit = r->regex_limit;
    st->series_folded = r->folded;
    st->series = r->nseries;
}

uint64_t
logtail_rules_lines (const logtail_rules_t *self)
{
    return self->lines;
}

uint64_t
logtail_rules_json_invalid (const logtail_rules_t *self)
{
    return self->json_invalid;
}
