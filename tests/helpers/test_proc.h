/*  test_proc.h - run the real binaries from a test: start, signal, wait. */
#ifndef TEST_PROC_H
#define TEST_PROC_H

#include <sys/types.h>

/* Path of a built program (VIGIL_BUILD_DIR/<relpath>); caller owns it. */
char *test_build_path (const char *relpath);
/* A fresh empty directory under the build tree for this test; caller owns it. */
char *test_tmpdir (const char *name);
/* Writes text to path, or fails the test. */
void test_write_file (const char *path, const char *text);
/* Reads a whole file (NUL-terminated; caller owns it), or NULL. */
char *test_read_file (const char *path);

/* Starts argv[0] with stdout and stderr appended to logpath. Returns the pid. */
pid_t test_spawn (char *const argv[], const char *logpath);
/* Sends sig and waits for the process; returns its wait status. */
int test_kill_wait (pid_t pid, int sig);
/* Waits up to timeout_ms for the process to exit; returns its wait status, or
 * -1 if it is still running. */
int test_wait (pid_t pid, int timeout_ms);
/* Runs the built CLI, `vigil ARGS... --db DB_URL` (args NULL-terminated, at
 * most 12), with its output in dir/vigil.out; fails the test unless it
 * exits with expect_status within 30 s. Returns its output (caller frees). */
char *test_vigil (const char *dir, const char *db_url, const char *const *args, int expect_status);
/* A free TCP port on 127.0.0.1. */
int test_free_port (void);
void test_sleep_ms (int ms);

#endif
