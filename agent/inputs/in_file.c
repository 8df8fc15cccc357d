/*  in_file.c - the file input: count, size and age of the files a glob
 *  matches (backup freshness, logs that keep growing).
 *
 *  Each pattern of `paths` is expanded with glob(3) every collect and its
 *  regular files are stat'ed; every series carries path=<the pattern>. Ages
 *  are measured against the now_ms the core passes in, never the clock, so a
 *  test sets mtimes and time and checks the arithmetic exactly.
 */
#include "agent_input.h"
#include "input_util.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    /* options, filled by the core from agent.yaml */
    vg_strlist_t paths;
    int64_t max_files;

    /* state */
    uint64_t *dropped; /* per pattern: matches left unexamined, ever */
} file_ctx_t;

/* What one pattern's matches add up to. */
typedef struct {
    uint64_t count;
    double size;
    int64_t newest_ms, oldest_ms; /* mtimes */
    double newest_size;
} file_sum_t;

#define S_OPT(field) offsetof (file_ctx_t, field)

static const vg_option_t s_options[] = {
    {.name = "paths",
     .type = VG_OPT_STRING_LIST,
     .required = 1,
     .offset = S_OPT (paths),
     .help = "absolute glob patterns (*, ?, [a-z], {a,b}); each is reported with path=<pattern>"},
    {.name = "max_files",
     .type = VG_OPT_INT,
     .def = "10000",
     .min = 1,
     .max = 10000000,
     .offset = S_OPT (max_files),
     .help = "matches looked at per pattern and collect; more are dropped and counted"},
    {.name = NULL},
};

static int64_t
s_mtime_ms (const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000 + (int64_t)st->st_mtim.tv_nsec / 1000000;
}

/* Stats the first max_files matches of glob; directories, sockets and
 * dangling links are not files and are not counted. */
static void
s_sum (file_ctx_t *self, const glob_t *g, size_t i_pattern, file_sum_t *sum)
{
    size_t n = g->gl_pathc;
    if (n > (size_t)self->max_files) {
        self->dropped[i_pattern] += n - (size_t)self->max_files;
        n = (size_t)self->max_files;
    }
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat (g->gl_pathv[i], &st) != 0 || !S_ISREG (st.st_mode))
            continue;
        int64_t mtime = s_mtime_ms (&st);
        if (sum->count == 0 || mtime > sum->newest_ms) {
            sum->newest_ms = mtime;
            sum->newest_size = (double)st.st_size;
        }
        if (sum->count == 0 || mtime < sum->oldest_ms)
            sum->oldest_ms = mtime;
        sum->count++;
        sum->size += (double)st.st_size;
    }
}

static int
s_init (void *ctx, const agent_input_env_t *env, char *err, size_t errlen)
{
    (void)env;
    file_ctx_t *self = ctx;
    if (input_util_check_paths (&self->paths, "glob pattern", err, errlen) != VG_OK)
        return VG_EINVAL;
    if (self->max_files < 1)
        self->max_files = 1;
    self->dropped = vg_calloc (self->paths.n, sizeof *self->dropped);
    return VG_OK;
}

static int
s_collect (void *ctx, agent_sink_t *sink, int64_t now_ms, char *err, size_t errlen)
{
    file_ctx_t *self = ctx;
    int rc = VG_OK;
    for (size_t i = 0; i < self->paths.n; i++) {
        const char *pattern = self->paths.items[i];
        glob_t g;
        memset (&g, 0, sizeof g);
        int grc = glob (pattern, GLOB_BRACE, NULL, &g);
        if (grc != 0 && grc != GLOB_NOMATCH) {
            /* glob only fails this way when it ran out of memory */
            snprintf (err, errlen, "%s: glob failed (%d)", pattern, grc);
            rc = VG_EIO;
            globfree (&g);
            continue;
        }
        file_sum_t sum;
        memset (&sum, 0, sizeof sum);
        if (grc == 0)
            s_sum (self, &g, i, &sum);
        globfree (&g);

        vg_label_t label = {.key = "path", .value = pattern};
        agent_sink_gauge (sink, "file_count", &label, 1, (double)sum.count);
        agent_sink_gauge (sink, "file_size_bytes", &label, 1, sum.size);
        if (sum.count > 0) {
            agent_sink_gauge (sink, "file_newest_age_seconds", &label, 1,
                              (double)(now_ms - sum.newest_ms) / 1000.0);
            agent_sink_gauge (sink, "file_oldest_age_seconds", &label, 1,
                              (double)(now_ms - sum.oldest_ms) / 1000.0);
            agent_sink_gauge (sink, "file_newest_size_bytes", &label, 1, sum.newest_size);
        }
        vg_label_t dropped[2] = {label, {.key = "reason", .value = "max_files"}};
        agent_sink_counter (sink, "file_dropped_total", dropped, 2, (double)self->dropped[i]);
    }
    return rc;
}

static void
s_fini (void *ctx)
{
    file_ctx_t *self = ctx;
    free (self->dropped);
    self->dropped = NULL;
}

const agent_input_plugin_t in_file_plugin = {
    .name = "file",
    .description = "count, total size and age of the newest and oldest file matching globs",
    .options = s_options,
    .ctx_size = sizeof (file_ctx_t),
    .init = s_init,
    .collect = s_collect,
    .fini = s_fini,
};
