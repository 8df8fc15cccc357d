/*  input_util.h - what several inputs do the same way: read a small /proc
 *  file, find a root's length, check a list of absolute paths, and take a
 *  string or a PCRE2 regex option, reporting a bad one at its file and line.
 */
#ifndef INPUT_UTIL_H
#define INPUT_UTIL_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif

#include "vg_config.h"

#include <pcre2.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- files ------------------------------------------------------------- */

/* Reads up to cap - 1 bytes of path into buf, NUL-terminated: until EOF or
 * a full buffer, since /proc files are made as they are read. Returns the
 * length, or -1 with errno set. */
ssize_t input_util_read_file (const char *path, char *buf, size_t cap);
/* The same, growing *buf (and *cap, doubling; *buf may be NULL) until the
 * whole file fits. */
ssize_t input_util_read_file_all (const char *path, char **buf, size_t *cap);

/* The length of root without its trailing slashes (0 for "/"), so that
 * "%.*s/proc/..." names a file under it. */
int input_util_root_len (const char *root);

/* Checks that paths holds at least one pattern ("paths: give at least one
 * <what>") and that every one is absolute: a relative one would depend on
 * the agent's working directory. Returns 0 or VG_EINVAL with err filled. */
int input_util_check_paths (const vg_strlist_t *paths, const char *what, char *err, size_t errlen);

/* ---- options ----------------------------------------------------------- */

/* A copy of node's text in *text (caller owns it), or VG_EINVAL with
 * "expected a string" at its line. */
int input_util_scalar (vg_config_t *cfg, vg_cnode_t *node, const char *key, char **text,
                       char *err, size_t errlen);
/* An option's free for a char * field. */
void input_util_free_string (void *field);

/* Compiles pattern to see whether PCRE2 takes it; a bad one is VG_EINVAL
 * with "bad regex at offset N: reason" at node's line. */
int input_util_check_regex (vg_config_t *cfg, vg_cnode_t *node, const char *key,
                            const char *pattern, char *err, size_t errlen);
/* A VG_OPT_CUSTOM parse for a char * field holding a PCRE2 regex. */
int input_util_parse_regex (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field,
                            char *err, size_t errlen);

/* Compiles pattern for matching (JIT when the platform has it, else the
 * interpreter) and makes its match data; the caller frees both. On a bad
 * pattern returns VG_EINVAL with "<key>: bad regex at offset N: reason". */
int input_util_regex_compile (const char *key, const char *pattern, pcre2_code **re,
                              pcre2_match_data **md, char *err, size_t errlen);

#endif
