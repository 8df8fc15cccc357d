/*  coll_reload.c - the differences between two collector configurations,
 *  walked through the option table so every option is covered. */
#include "coll_reload.h"
#include "vg_log.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const s_restart_only[] = {
    "listen",
    "database_url",
    "transport",
    "curve_secret_key",
    "curve_allow_dir",
    "group_max_samples",
    "latest_flush_interval",
    NULL,
};

int
coll_reload_is_live (const char *name)
{
    for (size_t i = 0; s_restart_only[i]; i++)
        if (strcmp (name, s_restart_only[i]) == 0)
            return 0;
    return 1;
}

/* The field's value as text; 0 if the type is not compared here. */
static int
s_text (const vg_option_t *o, const coll_config_t *c, char *buf, size_t len)
{
    const char *field = (const char *)c + o->offset;
    switch (o->type) {
    case VG_OPT_STRING:
    case VG_OPT_SECRET: {
        const char *s = *(char *const *)field;
        snprintf (buf, len, "%s", s ? s : "");
        return 1;
    }
    case VG_OPT_INT:
    case VG_OPT_DURATION:
    case VG_OPT_SIZE:
        snprintf (buf, len, "%" PRId64 "%s", *(const int64_t *)field,
                  o->type == VG_OPT_DURATION ? " ms"
                  : o->type == VG_OPT_SIZE   ? " bytes"
                                             : "");
        return 1;
    case VG_OPT_BOOL:
        snprintf (buf, len, "%s", *(const int *)field ? "true" : "false");
        return 1;
    default:
        return 0;
    }
}

size_t
coll_reload_log_changes (const coll_config_t *old, const coll_config_t *fresh)
{
    size_t n = 0;
    char a[512], b[512];
    for (const vg_option_t *o = coll_config_options (); o->name; o++) {
        if (!s_text (o, old, a, sizeof a) || !s_text (o, fresh, b, sizeof b) || strcmp (a, b) == 0)
            continue;
        n++;
        const char *when = coll_reload_is_live (o->name) ? "" : " (takes effect at the next start)";
        if (o->type == VG_OPT_SECRET)
            vg_info ("reload: %s changed%s", o->name, when);
        else
            vg_info ("reload: %s: %s -> %s%s", o->name, a, b, when);
    }
    return n;
}
