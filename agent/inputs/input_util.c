/*  input_util.c - what several inputs do the same way. */
#include "input_util.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- files ------------------------------------------------------------- */

/* Reads fd to EOF into *buf from *len on, growing it when grow is set, else
 * stopping when it is full. Returns 0 or -1 with errno set. */
static int
s_read_fd (int fd, char **buf, size_t *cap, size_t *len, int grow)
{
    for (;;) {
        if (*len + 1 >= *cap) {
            if (!grow)
                return 0;
            *cap = *cap ? 2 * *cap : 4096;
            *buf = vg_realloc (*buf, *cap);
        }
        ssize_t n = read (fd, *buf + *len, *cap - *len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        *len += (size_t)n;
    }
}

static ssize_t
s_read_file (const char *path, char **buf, size_t *cap, int grow)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    int rc = s_read_fd (fd, buf, cap, &len, grow);
    int saved = errno;
    close (fd);
    if (rc != 0) {
        errno = saved;
        return -1;
    }
    (*buf)[len] = '\0';
    return (ssize_t)len;
}

ssize_t
input_util_read_file (const char *path, char *buf, size_t cap)
{
    if (cap == 0) {
        errno = EINVAL;
        return -1;
    }
    return s_read_file (path, &buf, &cap, 0);
}

ssize_t
input_util_read_file_all (const char *path, char **buf, size_t *cap)
{
    return s_read_file (path, buf, cap, 1);
}

int
input_util_root_len (const char *root)
{
    int len = (int)strlen (root);
    while (len > 0 && root[len - 1] == '/')
        len--;
    return len;
}

int
input_util_check_paths (const vg_strlist_t *paths, const char *what, char *err, size_t errlen)
{
    if (paths->n == 0) {
        snprintf (err, errlen, "paths: give at least one %s", what);
        return VG_EINVAL;
    }
    for (size_t i = 0; i < paths->n; i++)
        if (paths->items[i][0] != '/') {
            snprintf (err, errlen, "paths[%zu]: \"%s\" is not an absolute path", i,
                      paths->items[i]);
            return VG_EINVAL;
        }
    return VG_OK;
}

/* ---- options ----------------------------------------------------------- */

int
input_util_scalar (vg_config_t *cfg, vg_cnode_t *node, const char *key, char **text, char *err,
                   size_t errlen)
{
    *text = vg_cnode_strdup (node);
    if (!*text)
        return vg_config_error (cfg, node, key, err, errlen, "expected a string");
    return VG_OK;
}

void
input_util_free_string (void *field)
{
    char **s = field;
    free (*s);
    *s = NULL;
}

/* Compiles pattern, or fills why with the reason PCRE2 gives. */
static pcre2_code *
s_regex (const char *pattern, char *why, size_t whylen)
{
    int code;
    PCRE2_SIZE offset;
    pcre2_code *re =
        pcre2_compile ((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code, &offset, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message (code, msg, sizeof msg);
        snprintf (why, whylen, "bad regex at offset %zu: %s", (size_t)offset, (const char *)msg);
    }
    return re;
}

int
input_util_check_regex (vg_config_t *cfg, vg_cnode_t *node, const char *key, const char *pattern,
                        char *err, size_t errlen)
{
    char why[320];
    pcre2_code *re = s_regex (pattern, why, sizeof why);
    if (!re)
        return vg_config_error (cfg, node, key, err, errlen, "%s", why);
    pcre2_code_free (re);
    return VG_OK;
}

int
input_util_parse_regex (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field,
                        char *err, size_t errlen)
{
    char *text;
    int rc = input_util_scalar (cfg, node, key, &text, err, errlen);
    if (rc == VG_OK)
        rc = input_util_check_regex (cfg, node, key, text, err, errlen);
    if (rc != VG_OK) {
        free (text);
        return rc;
    }
    *(char **)field = text;
    return VG_OK;
}

int
input_util_regex_compile (const char *key, const char *pattern, pcre2_code **re,
                          pcre2_match_data **md, char *err, size_t errlen)
{
    char why[320];
    *re = s_regex (pattern, why, sizeof why);
    if (!*re) {
        snprintf (err, errlen, "%s: %s", key, why);
        return VG_EINVAL;
    }
    pcre2_jit_compile (*re, PCRE2_JIT_COMPLETE); /* the interpreter is the fallback */
    *md = pcre2_match_data_create_from_pattern (*re, NULL);
    return VG_OK;
}
