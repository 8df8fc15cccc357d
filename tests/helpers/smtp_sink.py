#!/usr/bin/python3
"""smtp_sink.py - an SMTP server on 127.0.0.1 for the notify tests (aiosmtpd).

    smtp_sink.py --port-file FILE --record FILE [--tls-cert CERT --tls-key KEY]
                 [--fail-first N]

With a certificate it offers STARTTLS and requires it before MAIL. The first
N messages are refused with 451 (a temporary failure); the rest accepted.
Each accepted or refused message is one JSON line in the record: {"from",
"to", "tls" (whether STARTTLS was used), "status", "subject", "message_id",
"text", "html" (the parts, decoded)}.
"""
import argparse
import email
import email.policy
import json
import os
import signal
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

_lock = threading.Lock()


class Handler:
    def __init__(self, record, fail_first):
        self.record = record
        self.fail_left = fail_first

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        parts = {"text": "", "html": ""}
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                parts["text"] = part.get_content()
            elif part.get_content_type() == "text/html":
                parts["html"] = part.get_content()
        with _lock:
            status = 250
            if self.fail_left > 0:
                self.fail_left -= 1
                status = 451
            with open(self.record, "a", encoding="utf-8") as f:
                f.write(json.dumps({
                    "t": time.time(), "from": envelope.mail_from, "to": envelope.rcpt_tos,
                    "tls": session.ssl is not None, "status": status,
                    "subject": str(msg["Subject"]), "message_id": str(msg["Message-ID"]),
                    "text": parts["text"], "html": parts["html"]}) + "\n")
        return "451 4.3.0 try again later" if status == 451 else "250 OK"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--fail-first", type=int, default=0)
    args = ap.parse_args()
    kw = {}
    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        kw = {"tls_context": ctx, "require_starttls": True}
    handler = Handler(args.record, args.fail_first)
    # Port 0 is not supported by Controller's readiness check: find one first.
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ctl = Controller(handler, hostname="127.0.0.1", port=port, server_kwargs=kw)
    ctl.start()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
