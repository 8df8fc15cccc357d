/*  test_input_util.c - the pieces several inputs share: reading a file whole
 *  or into a fixed buffer, a root's length, the paths check, and string and
 *  regex options with their messages.
 */
#include "input_util.h"
#include "test_assert.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_config.h"
#include "vg_error.h"

#include <errno.h>

static void
test_read_files (void)
{
    char *dir = test_tmpdir ("input_util");
    char *path = vg_asprintf ("%s/text", dir);
    char big[20000];
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = (char)('a' + i % 26);
    big[sizeof big - 1] = '\0';
    test_write_file (path, big);

    /* a fixed buffer: what fits, NUL-terminated */
    char small[8];
    ASSERT_EQ (input_util_read_file (path, small, sizeof small), 7);
    ASSERT_STR_EQ (small, "abcdefg");

    /* growing: the whole file, from no buffer at all */
    char *buf = NULL;
    size_t cap = 0;
    ASSERT_EQ (input_util_read_file_all (path, &buf, &cap), (ssize_t)strlen (big));
    ASSERT_STR_EQ (buf, big);
    ASSERT_GT (cap, strlen (big));
    /* and again into the buffer it has, which is big enough now */
    size_t had = cap;
    test_write_file (path, "short\n");
    ASSERT_EQ (input_util_read_file_all (path, &buf, &cap), 6);
    ASSERT_STR_EQ (buf, "short\n");
    ASSERT_EQ (cap, had);

    /* /proc files have no size: read to the end all the same */
    ASSERT_GT (input_util_read_file_all ("/proc/self/status", &buf, &cap), 0);
    ASSERT_STR_CONTAINS (buf, "Name:");

    char *missing = vg_asprintf ("%s/nothing", dir);
    errno = 0;
    ASSERT_EQ (input_util_read_file (missing, small, sizeof small), -1);
    ASSERT_EQ (errno, ENOENT);
    errno = 0;
    ASSERT_EQ (input_util_read_file_all (missing, &buf, &cap), -1);
    ASSERT_EQ (errno, ENOENT);
    free (missing);
    free (buf);
    free (path);
    free (dir);
}

static void
test_root_and_paths (void)
{
    ASSERT_EQ (input_util_root_len ("/"), 0);
    ASSERT_EQ (input_util_root_len ("///"), 0);
    ASSERT_EQ (input_util_root_len ("/host/"), 5);
    ASSERT_EQ (input_util_root_len ("/host"), 5);
    ASSERT_EQ (input_util_root_len (""), 0);

    char err[256] = "";
    vg_strlist_t none = {0};
    ASSERT_EQ (input_util_check_paths (&none, "path or glob", err, sizeof err), VG_EINVAL);
    ASSERT_STR_EQ (err, "paths: give at least one path or glob");
    char *items[] = {"/var/log/*.log", "logs/app.log"};
    vg_strlist_t some = {.items = items, .n = 2};
    ASSERT_EQ (input_util_check_paths (&some, "glob pattern", err, sizeof err), VG_EINVAL);
    ASSERT_STR_EQ (err, "paths[1]: \"logs/app.log\" is not an absolute path");
    some.n = 1;
    ASSERT_EQ (input_util_check_paths (&some, "glob pattern", err, sizeof err), VG_OK);
}

typedef struct {
    char *name;
    char *pattern;
} s_conf_t;

static const vg_option_t s_options[] = {
    {.name = "name",
     .type = VG_OPT_STRING,
     .offset = offsetof (s_conf_t, name),
     .help = "a plain string"},
    {.name = "pattern",
     .type = VG_OPT_CUSTOM,
     .offset = offsetof (s_conf_t, pattern),
     .parse = input_util_parse_regex,
     .free = input_util_free_string,
     .help = "a PCRE2 regex"},
    {.name = NULL},
};

/* Applies yaml to a fresh s_conf_t; returns the code, message in err. */
static int
s_apply (const char *yaml, s_conf_t *conf, char *err, size_t errlen)
{
    memset (conf, 0, sizeof *conf);
    vg_config_t *cfg = vg_config_load_string ("agent.yaml", yaml, err, errlen);
    ASSERT (cfg);
    int rc = vg_config_apply (cfg, vg_config_root (cfg), s_options, NULL, conf, "inputs[0]", err,
                              errlen);
    vg_config_destroy (&cfg);
    return rc;
}

static void
test_regex_options (void)
{
    char err[512];
    s_conf_t conf;
    ASSERT_EQ (s_apply ("name: x\npattern: \"^GET (/\\\\w+)\"\n", &conf, err, sizeof err), VG_OK);
    ASSERT_STR_EQ (conf.pattern, "^GET (/\\w+)");
    vg_config_free_fields (s_options, &conf);
    ASSERT (!conf.pattern);

    ASSERT_EQ (s_apply ("name: x\n\npattern: \"(ok\"\n", &conf, err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "agent.yaml:3: inputs[0].pattern: bad regex at offset 3: ");
    vg_config_free_fields (s_options, &conf);
    ASSERT_EQ (s_apply ("pattern: [a, b]\n", &conf, err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "agent.yaml:1: inputs[0].pattern: expected a string");
    vg_config_free_fields (s_options, &conf);

    /* compiled for matching, with its match data */
    pcre2_code *re = NULL;
    pcre2_match_data *md = NULL;
    ASSERT_EQ (
        input_util_regex_compile ("cmdline", "^uvicorn .*--port (\\d+)", &re, &md, err, sizeof err),
        VG_OK);
    const char *subject = "uvicorn app:main --port 8000";
    ASSERT_EQ (pcre2_match (re, (PCRE2_SPTR)subject, strlen (subject), 0, 0, md, NULL), 2);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer (md);
    ASSERT_EQ (ov[3] - ov[2], 4);
    pcre2_match_data_free (md);
    pcre2_code_free (re);
    re = NULL;
    ASSERT_EQ (input_util_regex_compile ("body_regex", "a{2,1}", &re, &md, err, sizeof err),
               VG_EINVAL);
    ASSERT (!re);
    ASSERT_STR_CONTAINS (err, "body_regex: bad regex at offset ");
}

int
main (void)
{
    test_read_files ();
    test_root_and_paths ();
    test_regex_options ();
    printf ("test_input_util: OK\n");
    return 0;
}
