#!/usr/bin/env python3
"""slowpeer.py - HTTP peers that misbehave, for the agent chaos cases.

    slowpeer.py hang PORTFILE      accepts connections and never answers
    slowpeer.py trickle PORTFILE   answers a metrics page one byte a second

Listens on a free port of 127.0.0.1, writes it to PORTFILE, serves until
killed.
"""
import socket
import sys
import threading
import time


def hang(conn):
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


def trickle(conn):
    body = b"# TYPE slow_metric gauge\nslow_metric 1\n" * 50
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
    head += b"Content-Length: %d\r\n\r\n" % len(body)
    try:
        conn.recv(4096)
        for i in range(len(head + body)):
            conn.sendall((head + body)[i:i + 1])
            time.sleep(1)
    except OSError:
        pass


def main():
    mode, portfile = sys.argv[1], sys.argv[2]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    with open(portfile, "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    fn = hang if mode == "hang" else trickle
    while True:
        conn, _ = s.accept()
        threading.Thread(target=fn, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
