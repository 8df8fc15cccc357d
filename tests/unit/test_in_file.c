/*  test_in_file.c - the file input on real files whose sizes and mtimes this
 *  test sets, with the collect's time set too, so every age is exact.
 */
#include "agent_input.h"
#include "test_assert.h"
#include "test_batch.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

extern const agent_input_plugin_t in_file_plugin;

/* The collect's time: 2023-11-14T22:13:20Z, in ms. */
#define NOW_S  1700000000LL
#define NOW_MS (NOW_S * 1000)

static const agent_input_env_t s_env = {.instance = "backups", .interval_ms = 60000};

static int
s_configure (test_input_t *h, const char *yaml)
{
    return test_input_configure (h, &in_file_plugin, yaml);
}

/* The samples named name whose path label is path; *value gets the last
 * one's value. */
static size_t
s_lookup (const test_input_t *h, const char *name, const char *path, double *value)
{
    return test_batch_find (h->batch, name, value, "path", path, NULL);
}

#define GET(h, name, path) s_get (__LINE__, (h), (name), (path))
static double
s_get (int line, const test_input_t *h, const char *name, const char *path)
{
    double v = NAN;
    size_t n = s_lookup (h, name, path, &v);
    if (n != 1)
        TEST_FAIL ("line %d: %s{path=\"%s\"}: %zu samples, want 1", line, name, path, n);
    return v;
}

/* Writes size bytes to dir/name and sets its mtime to NOW_S - age_s
 * (plus ms milliseconds). */
static void
s_make (const char *dir, const char *name, size_t size, int64_t age_s, long ms)
{
    char *path = vg_asprintf ("%s/%s", dir, name);
    char *text = vg_calloc (size + 1, 1);
    memset (text, 'x', size);
    test_write_file (path, text);
    struct timespec times[2] = {
        {.tv_sec = NOW_S - age_s, .tv_nsec = ms * 1000000L},
        {.tv_sec = NOW_S - age_s, .tv_nsec = ms * 1000000L},
    };
    ASSERT_EQ (utimensat (AT_FDCWD, path, times, 0), 0);
    free (text);
    free (path);
}

static void
test_globs (void)
{
    char *dir = test_tmpdir ("in_file");
    s_make (dir, "db-1.dump", 1000, 3 * 86400, 0); /* three days old */
    s_make (dir, "db-2.dump", 2000, 86400, 0);     /* a day old */
    s_make (dir, "db-3.dump", 300, 3600, 250);     /* the newest: 3599.75 s old */
    s_make (dir, "notes.txt", 7, 60, 0);
    char *sub = vg_asprintf ("%s/old.dump", dir); /* a directory: not a file */
    ASSERT_EQ (mkdir (sub, 0755), 0);
    char *link = vg_asprintf ("%s/gone.dump", dir); /* a dangling link: not a file */
    ASSERT_EQ (symlink ("/nonexistent/db.dump", link), 0);

    char *dumps = vg_asprintf ("%s/*.dump", dir);
    char *brace = vg_asprintf ("%s/{db-1.dump,notes.*}", dir);
    char *none = vg_asprintf ("%s/*.tar", dir);
    char *missing = vg_asprintf ("%s/nosuchdir/*", dir);
    test_input_t h;
    test_input_startf (&h, &in_file_plugin, &s_env, "paths: [\"%s\", \"%s\", \"%s\", \"%s\"]\n",
                       dumps, brace, none, missing);
    test_input_collect (&h, NOW_MS);

    ASSERT_EQ (GET (&h, "file_count", dumps), 3);
    ASSERT_EQ (GET (&h, "file_size_bytes", dumps), 1000 + 2000 + 300);
    ASSERT_NEAR (GET (&h, "file_newest_age_seconds", dumps), 3599.75, 1e-9);
    ASSERT_NEAR (GET (&h, "file_oldest_age_seconds", dumps), 3 * 86400, 1e-9);
    ASSERT_EQ (GET (&h, "file_newest_size_bytes", dumps), 300);
    ASSERT_EQ (GET (&h, "file_dropped_total", dumps), 0);

    ASSERT_EQ (GET (&h, "file_count", brace), 2);
    ASSERT_EQ (GET (&h, "file_size_bytes", brace), 1007);
    ASSERT_NEAR (GET (&h, "file_newest_age_seconds", brace), 60, 1e-9);
    ASSERT_NEAR (GET (&h, "file_oldest_age_seconds", brace), 3 * 86400, 1e-9);
    ASSERT_EQ (GET (&h, "file_newest_size_bytes", brace), 7);

    /* no match: a count of 0 and no age at all */
    const char *empty[] = {none, missing};
    for (size_t i = 0; i < 2; i++) {
        ASSERT_EQ (GET (&h, "file_count", empty[i]), 0);
        ASSERT_EQ (GET (&h, "file_size_bytes", empty[i]), 0);
        ASSERT_EQ (s_lookup (&h, "file_newest_age_seconds", empty[i], NULL), 0);
        ASSERT_EQ (s_lookup (&h, "file_oldest_age_seconds", empty[i], NULL), 0);
        ASSERT_EQ (s_lookup (&h, "file_newest_size_bytes", empty[i], NULL), 0);
    }

    /* a new backup is written now; 10 minutes later it is the newest */
    s_make (dir, "db-4.dump", 4000, 0, 0);
    test_input_collect (&h, NOW_MS + 600000);
    ASSERT_EQ (GET (&h, "file_count", dumps), 4);
    ASSERT_NEAR (GET (&h, "file_newest_age_seconds", dumps), 600, 1e-9);
    ASSERT_EQ (GET (&h, "file_newest_size_bytes", dumps), 4000);
    ASSERT_NEAR (GET (&h, "file_oldest_age_seconds", dumps), 3 * 86400 + 600, 1e-9);
    ASSERT_EQ (GET (&h, "file_size_bytes", dumps), 7300);
    test_input_stop (&h);

    /* the cap: matches come sorted, the first max_files are looked at and
     * the rest are counted as dropped, every collect */
    char *db = vg_asprintf ("%s/db-*", dir);
    test_input_startf (&h, &in_file_plugin, &s_env, "paths: \"%s\"\nmax_files: 2\n", db);
    test_input_collect (&h, NOW_MS);
    ASSERT_EQ (GET (&h, "file_count", db), 2);
    ASSERT_EQ (GET (&h, "file_size_bytes", db), 3000);
    ASSERT_NEAR (GET (&h, "file_oldest_age_seconds", db), 3 * 86400, 1e-9);
    ASSERT_EQ (GET (&h, "file_dropped_total", db), 2);
    test_input_collect (&h, NOW_MS);
    ASSERT_EQ (GET (&h, "file_dropped_total", db), 4);
    test_input_stop (&h);

    free (db);
    free (dumps);
    free (brace);
    free (none);
    free (missing);
    free (sub);
    free (link);
    free (dir);
}

static void
test_config (void)
{
    test_input_t h;
    ASSERT_EQ (s_configure (&h, "max_files: 5\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "inputs[0].paths: required");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "paths: [/a]\nmax_files: 0\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "agent.yaml:2: inputs[0].max_files");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "paths: {a: b}\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "agent.yaml:1: inputs[0].paths");
    test_input_stop (&h);

    /* relative patterns would depend on the agent's working directory */
    ASSERT_EQ (s_configure (&h, "paths: [/var/backups/*.gz, \"backups/*.gz\"]\n"), VG_OK);
    agent_input_env_t env = {.instance = "x"};
    ASSERT_EQ (in_file_plugin.init (h.ctx, &env, h.err, sizeof h.err), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "paths[1]: \"backups/*.gz\" is not an absolute path");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "paths: []\n"), VG_OK);
    ASSERT_EQ (in_file_plugin.init (h.ctx, &env, h.err, sizeof h.err), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "at least one");
    test_input_stop (&h);

    ASSERT (agent_input_find ("file") == &in_file_plugin);
}

int
main (void)
{
    test_config ();
    test_globs ();
    printf ("test_in_file: OK\n");
    return 0;
}
