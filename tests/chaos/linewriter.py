#!/usr/bin/env python3
"""linewriter.py - the simulated input of the agent chaos cases: appends
numbered lines to log files at a steady rate, and is the ledger of what it
wrote.

    linewriter.py --rate LINES_PER_S --seconds S [--rotate N] FILE...

Each FILE gets lines "... n=<i> ..." with i = 1, 2, 3... continuing from the
count kept in FILE.count (so several runs add up), appended in slices every
10 ms. --rotate N renames FILE to FILE.1 (FILE.1 to FILE.2 first) N times,
evenly over the run, and goes on in a new FILE, as logrotate does. At the end
FILE.count holds the last i written: lines 1..i exist, each once, so the
agent must deliver a count of i and a sum of i(i+1)/2.
"""
import argparse
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--rotate", type=int, default=0)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    counts = {}
    for f in a.files:
        try:
            with open(f + ".count") as c:
                counts[f] = int(c.read().strip() or 0)
        except FileNotFoundError:
            counts[f] = 0
    handles = {f: open(f, "a") for f in a.files}
    slice_s = 0.01
    per_slice = max(1, int(a.rate * slice_s))
    start = time.monotonic()
    end = start + a.seconds
    rotations = [start + a.seconds * (k + 1) / (a.rotate + 1) for k in range(a.rotate)]
    nxt = start
    try:
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if rotations and now >= rotations[0]:
                rotations.pop(0)
                for f in a.files:
                    handles[f].close()
                    if os.path.exists(f + ".1"):
                        os.replace(f + ".1", f + ".2")
                    os.replace(f, f + ".1")
                    handles[f] = open(f, "a")
            for f in a.files:
                n = counts[f]
                block = "".join(
                    "2026-01-01T00:00:00Z INFO GET /api/items/%d 200 n=%d\n" % (i % 997, i)
                    for i in range(n + 1, n + per_slice + 1))
                handles[f].write(block)
                handles[f].flush()
                counts[f] = n + per_slice
            nxt += slice_s
            delay = nxt - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    finally:
        for f in a.files:
            handles[f].close()
            with open(f + ".count", "w") as c:
                c.write("%d\n" % counts[f])
    total = sum(counts.values())
    print("linewriter: %d files, %d lines in all" % (len(a.files), total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
