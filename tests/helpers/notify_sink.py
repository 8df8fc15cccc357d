#!/usr/bin/env python3
"""notify_sink.py - an HTTP sink on 127.0.0.1 for the notify tests: it records
every request and answers as the request's query string says.

    notify_sink.py --port-file FILE --record FILE

Query parameters (of the receiver's configured URL):
    status=N       the answer's status (default 200); with fail=K only the
                   first K requests of each Idempotency-Key get it, the rest 200
    fail=K         see status
    retry_after=S  a Retry-After header of S seconds on those answers
    retry_date=S   a Retry-After header as an HTTP date S seconds ahead
    hang_ms=N      wait N ms before those answers (a target that hangs)
    body=TEXT      the body of a 200 (default "ok")

Each request is one JSON line in the record, written on arrival: {"t" (Unix
time, float), "method", "path", "query", "headers" (lowercased names), "body",
"status" (what it is answered)}.
"""
import argparse
import email.utils
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_lock = threading.Lock()
_seen = {}
_record = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        arrived = time.time()
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        key = self.headers.get("Idempotency-Key") or url.path
        with _lock:
            n = _seen.get((url.path, key), 0) + 1
            _seen[(url.path, key)] = n
            status = int(q.get("status", "200"))
            failing = status >= 300 and ("fail" not in q or n <= int(q["fail"]))
            if not failing:
                status = 200
            with open(_record, "a", encoding="utf-8") as f:
                f.write(json.dumps({
                    "t": arrived, "method": self.command, "path": url.path,
                    "query": url.query,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode("utf-8", "replace"), "status": status},
                               ensure_ascii=False) + "\n")
        try:
            headers = {}
            text = q.get("body", "ok").encode() if not failing else b"nope"
            if failing:
                if "hang_ms" in q:
                    time.sleep(int(q["hang_ms"]) / 1000.0)
                if "retry_after" in q:
                    headers["Retry-After"] = q["retry_after"]
                if "retry_date" in q:
                    headers["Retry-After"] = email.utils.formatdate(
                        time.time() + int(q["retry_date"]), usegmt=True)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops SYNs of a burst: they come 1 s late

    def handle_error(self, request, client_address):
        pass


def main():
    global _record
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--record", required=True)
    args = ap.parse_args()
    _record = args.record
    server = Server(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
