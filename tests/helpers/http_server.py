#!/usr/bin/env python3
"""http_server.py - a scripted HTTP/1.1 server on 127.0.0.1 for tests.

    http_server.py --port-file FILE [--port N] [--record FILE]
                   [--tls-cert CERT --tls-key KEY]

Listens on 127.0.0.1 (port 0: any free port), writes the port it got to
--port-file once it accepts connections, and serves each request on a thread
of its own until SIGTERM. What it answers is scripted by the query string of
each request, so one server serves every case of a test:

    status=N          the status code (default 200)
    delay_ms=N        wait this long before answering (a slow or hung target)
    body=TEXT         the response body (default "ok")
    repeat=N          the body is TEXT N times over (a long body from a short URL)
    header=NAME:VALUE a response header; may repeat (Location, Retry-After,
                      Content-Type...)

Every request is appended to --record as one JSON line, written before the
delay: {"method", "path", "query", "headers" (names lowercased), "body",
"inflight" (requests being served when this one arrived, itself included)}.
With --tls-cert and --tls-key it speaks HTTPS only.
"""
import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_lock = threading.Lock()
_inflight = 0
_record = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        # TLS handshakes happen here, on the request's thread, not in accept ().
        if hasattr(self.request, "do_handshake"):
            self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):  # quiet: tests read the record instead
        pass

    def _serve(self):
        global _inflight
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        with _lock:
            _inflight += 1
            entry = {
                "method": self.command,
                "path": url.path,
                "query": url.query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "inflight": _inflight,
            }
            if _record:
                with open(_record, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry, sort_keys=True) + "\n")
        try:
            delay = int(query.get("delay_ms", ["0"])[0])
            if delay > 0:
                time.sleep(delay / 1000.0)
            status = int(query.get("status", ["200"])[0])
            text = query.get("body", ["ok"])[0].encode("utf-8")
            text *= int(query.get("repeat", ["1"])[0])
            self.send_response(status)
            names = set()
            for h in query.get("header", []):
                name, _, value = h.partition(":")
                self.send_header(name.strip(), value.strip())
                names.add(name.strip().lower())
            if "content-type" not in names:
                self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(text)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): nothing to answer
        finally:
            with _lock:
                _inflight -= 1

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up mid-request is normal here


def main():
    global _record
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--record")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    _record = args.record

    server = Server(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    # Written under another name and renamed, so a reader never sees half a port.
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
