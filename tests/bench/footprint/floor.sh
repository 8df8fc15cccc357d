#!/usr/bin/env bash
# floor.sh - the resident memory a process has before it does any work of its
# own, only for linking and starting the libraries vigil-agent uses: the floor
# under footprint.sh's figures. Each line is a tiny C program's peak RSS
# (VmHWM), built with the system's cc and pkg-config:
#
#   libc only                       int main: nothing linked but libc
#   libzmq, DEALER connected        zmq_ctx_new + a DEALER socket (its I/O and reaper threads)
#   czmq, DEALER connected          the same through czmq (+ libczmq, libsystemd, libuuid...)
#   libcurl (OpenSSL), initialised  curl_global_init + curl_multi_init
#   libcurl-gnutls, initialised     the same with the libcurl collectd's curl plugin uses
#   all of vigil-agent's libraries  linked as the agent is, curl initialised, a czmq DEALER
#
#   tests/bench/footprint/floor.sh        prints "floor: <what>: <KB> KB" lines
set -euo pipefail
export LC_ALL=C

command -v cc >/dev/null 2>&1 || {
    echo "floor.sh: no C compiler" >&2
    exit 1
}
tmp=$(mktemp -d /tmp/vigil-floor.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/floor.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#if defined(USE_CZMQ)
#include <czmq.h>
#elif defined(USE_ZMQ)
#include <zmq.h>
#endif
#if defined(USE_CURL)
#include <curl/curl.h>
#endif

int
main (void)
{
#if defined(USE_CURL)
    curl_global_init (CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init ();
#endif
#if defined(USE_CZMQ)
    zsock_t *sock = zsock_new_dealer (">tcp://127.0.0.1:9");
#elif defined(USE_ZMQ)
    void *ctx = zmq_ctx_new ();
    void *sock = zmq_socket (ctx, ZMQ_DEALER);
    zmq_connect (sock, "tcp://127.0.0.1:9");
#endif
    usleep (300 * 1000); /* let the library threads start and settle */
    char line[256];
    FILE *f = fopen ("/proc/self/status", "r");
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, "VmHWM:", 6) == 0)
            printf ("%s", line + 6);
    if (f)
        fclose (f);
#if defined(USE_CZMQ)
    zsock_destroy (&sock);
#elif defined(USE_ZMQ)
    zmq_close (sock);
    zmq_ctx_term (ctx);
#endif
#if defined(USE_CURL)
    curl_multi_cleanup (multi);
    curl_global_cleanup ();
#endif
    return 0;
}
EOF

s_floor() { # what, then cc arguments
    local what=$1
    shift
    if cc -O2 "$tmp/floor.c" -o "$tmp/floor" "$@" 2>"$tmp/cc.log"; then
        printf 'floor: %-34s %6d KB\n' "$what:" "$("$tmp/floor" | awk '{print $1}')"
    else
        printf 'floor: %-34s  (could not build: %s)\n' "$what:" "$(head -n 1 "$tmp/cc.log")"
    fi
}
gnutls=$(find /usr/lib -maxdepth 2 -name libcurl-gnutls.so.4 2>/dev/null | head -n 1)

s_floor "libc only"
# shellcheck disable=SC2046 # pkg-config's words are separate arguments
s_floor "libzmq, DEALER connected" -DUSE_ZMQ $(pkg-config --cflags --libs libzmq)
# shellcheck disable=SC2046
s_floor "czmq, DEALER connected" -DUSE_CZMQ $(pkg-config --cflags --libs libczmq libzmq)
# shellcheck disable=SC2046
s_floor "libcurl (OpenSSL), initialised" -DUSE_CURL $(pkg-config --cflags --libs libcurl)
if [[ -n "$gnutls" ]]; then
    # shellcheck disable=SC2046
    s_floor "libcurl-gnutls, initialised" -DUSE_CURL $(pkg-config --cflags libcurl) "$gnutls"
fi
# shellcheck disable=SC2046
s_floor "all of vigil-agent's libraries" -DUSE_CURL -DUSE_CZMQ -Wl,--no-as-needed \
    $(pkg-config --cflags --libs libczmq libzmq libcurl libpcre2-8 libfyaml libprotobuf-c) -lm
