/*  fuzz_config.c - libFuzzer target for the YAML configuration parser.
 *
 *  The input is loaded as a document; a root mapping goes through an option
 *  table with every option type, and a nested mapping through a custom option
 *  that applies a second table, as the agent does for its inputs.
 */
#include "vg_alloc.h"
#include "vg_config.h"
#include "vg_error.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *url;
    int64_t retries;
} inner_t;

typedef struct {
    char *name;
    char *token;
    int64_t count;
    double ratio;
    int enabled;
    int64_t interval_ms;
    int64_t max_size;
    vg_strlist_t paths;
    vg_labels_t labels;
    inner_t *inner;
} outer_t;

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const vg_option_t s_inner_opts[] = {
    {"url", VG_OPT_STRING, "http://127.0.0.1/", 0, 0, offsetof (inner_t, url), 0, "where", NULL,
     NULL},
    {"retries", VG_OPT_INT, "3", 0, 10, offsetof (inner_t, retries), 0, "how often", NULL, NULL},
    {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};

static int
s_parse_inner (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
               size_t errlen)
{
    inner_t *inner = vg_calloc (1, sizeof *inner);
    *(inner_t **)field = inner;
    return vg_config_apply (cfg, node, s_inner_opts, NULL, inner, key, err, errlen);
}

static void
s_free_inner (void *field)
{
    inner_t **inner_p = field;
    if (*inner_p) {
        vg_config_free_fields (s_inner_opts, *inner_p);
        free (*inner_p);
        *inner_p = NULL;
    }
}

#define F(f) offsetof (outer_t, f)

static const vg_option_t s_opts[] = {
    {"name", VG_OPT_STRING, NULL, 0, 0, F (name), 1, "name", NULL, NULL},
    /* env: lookups only: a file: secret would read whatever path the input names. */
    {"token", VG_OPT_SECRET, "env:VIGIL_FUZZ_TOKEN", 0, 0, F (token), 0, "token", NULL, NULL},
    {"count", VG_OPT_INT, "3", -5, 100, F (count), 0, "count", NULL, NULL},
    {"ratio", VG_OPT_DOUBLE, "0.5", 0, 1, F (ratio), 0, "ratio", NULL, NULL},
    {"enabled", VG_OPT_BOOL, "yes", 0, 0, F (enabled), 0, "enabled", NULL, NULL},
    {"interval", VG_OPT_DURATION, "10s", 100, 86400000, F (interval_ms), 0, "interval", NULL, NULL},
    {"max_size", VG_OPT_SIZE, "1MiB", 0, 0, F (max_size), 0, "size", NULL, NULL},
    {"paths", VG_OPT_STRING_LIST, "[a, b]", 0, 0, F (paths), 0, "paths", NULL, NULL},
    {"labels", VG_OPT_LABELS, "{env: fuzz}", 0, 0, F (labels), 0, "labels", NULL, NULL},
    {"inner", VG_OPT_CUSTOM, NULL, 0, 0, F (inner), 0, "nested", s_parse_inner, s_free_inner},
    {NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = vg_strndup ((const char *)data, size);
    char err[512];
    vg_config_t *cfg = vg_config_load_string ("fuzz.yaml", text, err, sizeof err);
    free (text);
    if (!cfg)
        return 0;
    vg_cnode_t *root = vg_config_root (cfg);
    static const char *const skip[] = {"type", NULL};
    outer_t out;
    memset (&out, 0, sizeof out);
    if (vg_cnode_is_map (root)) {
        vg_config_apply (cfg, root, s_opts, skip, &out, NULL, err, sizeof err);
        /* Applying twice replaces every field: exercises the frees. */
        vg_config_apply (cfg, root, s_opts, skip, &out, "again", err, sizeof err);
        vg_cnode_t *type = vg_cnode_get (root, "type");
        char *t = vg_cnode_strdup (type);
        free (t);
        vg_config_line (type);
    } else if (vg_cnode_is_seq (root)) {
        for (size_t i = 0; i < vg_cnode_seq_len (root); i++)
            vg_config_parse_value (cfg, vg_cnode_seq_at (root, i), &s_opts[5], "seq",
                                   &out.interval_ms, err, sizeof err);
    }
    vg_config_free_fields (s_opts, &out);
    vg_config_destroy (&cfg);
    return 0;
}
