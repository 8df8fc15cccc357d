#!/usr/bin/python3
"""compare_webhooks.py - compares two webhook payloads recorded by
notify_sink.py: the first request on each of two paths.

    compare_webhooks.py RECORD PATH_A PATH_B

They must have the same keys, in the same order, with values of the same
JSON types, at the top and in every alert; the same alerts by fingerprint;
and equal groupKey, receiver, status, groupLabels, commonLabels and version.
Prints each difference and exits 1 if there is one.
"""
import json
import sys


def first(record, path):
    with open(record, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["path"] == path:
                return json.loads(r["body"])
    sys.exit("compare_webhooks: no request on %s" % path)


def shape(a, b, where, errors):
    if list(a) != list(b):
        errors.append("%s: keys %s vs %s" % (where, list(a), list(b)))
    for k in a:
        if k in b and type(a[k]) is not type(b[k]):
            errors.append("%s.%s: %s vs %s" % (where, k, type(a[k]).__name__,
                                               type(b[k]).__name__))


def main():
    record, pa, pb = sys.argv[1:4]
    a, b = first(record, pa), first(record, pb)
    errors = []
    shape(a, b, "payload", errors)
    for k in ("groupKey", "receiver", "status", "groupLabels", "commonLabels", "version",
              "truncatedAlerts"):
        if a.get(k) != b.get(k):
            errors.append("%s: %r vs %r" % (k, a.get(k), b.get(k)))
    fa = sorted(x["fingerprint"] for x in a["alerts"])
    fb = sorted(x["fingerprint"] for x in b["alerts"])
    if fa != fb:
        errors.append("fingerprints: %s vs %s" % (fa, fb))
    for x in a["alerts"]:
        for y in b["alerts"]:
            if x["fingerprint"] == y["fingerprint"]:
                shape(x, y, "alert %s" % x["fingerprint"], errors)
                for k in ("status", "labels", "startsAt", "endsAt"):
                    if x[k] != y[k]:
                        errors.append("alert %s %s: %r vs %r" % (x["fingerprint"], k, x[k], y[k]))
    for e in errors:
        print(e)
    print("compare_webhooks: %d alerts, groupKey %s: %s" % (
        len(fa), a.get("groupKey"), "same" if not errors else "%d differences" % len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
