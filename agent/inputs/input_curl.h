/*  input_curl.h - libcurl's multi interface on the agent's loop, for the
 *  inputs that fetch over HTTP (http checks, scrapes).
 *
 *  A collect starts a transfer and returns at once; the transfer goes on
 *  while the loop polls one descriptor per input (an epoll set holding
 *  curl's sockets and a timerfd for curl's timeouts), and when it is
 *  readable the input calls input_curl_run, which moves every transfer on
 *  and hands back those that finished. A target that hangs or sends a byte a
 *  second thus costs the loop nothing but a wake-up now and then; its own
 *  timeout (CURLOPT_TIMEOUT_MS) ends it.
 */
#ifndef INPUT_CURL_H
#define INPUT_CURL_H

#include <curl/curl.h>
#include <stddef.h>

typedef struct input_curl_t input_curl_t;

/* NULL with err filled when libcurl or the kernel refuses. */
input_curl_t *input_curl_new (char *err, size_t errlen);
/* Every transfer must have finished or been aborted. */
void input_curl_destroy (input_curl_t **self_p);

/* The descriptor to poll for reading. */
int input_curl_fd (const input_curl_t *self);
/* Starts a transfer on easy (its options set). 0, or VG_EIO with err. */
int input_curl_start (input_curl_t *self, CURL *easy, char *err, size_t errlen);
/* Takes a transfer out before it finished (the input stops). */
void input_curl_abort (input_curl_t *self, CURL *easy);
/* Transfers started and not finished yet. */
int input_curl_running (const input_curl_t *self);

/* Called for each finished transfer, after it left the multi handle. */
typedef void (input_curl_done_fn) (void *arg, CURL *easy, CURLcode result);
/* Moves the transfers on (call when the descriptor is readable; harmless
 * otherwise) and reports those that finished. */
void input_curl_run (input_curl_t *self, input_curl_done_fn *done, void *arg);

#endif
