#!/usr/bin/env python3
"""scrape_peers.py - the scrape input's exposition parser against other parsers of
the same formats, on the corpus in tests/data/exposition/ (see its README.md).

    scrape_peers.py --dump build/tests/vigil-scrape-dump --corpus tests/data/exposition

* every OpenMetrics case goes through Debian's python3-prometheus-client
  (prometheus_client.openmetrics.parser, written alongside the specification):
  valid or invalid must agree, and for a valid case the samples must be equal
  (name, labels, value, timestamp to the millisecond);
* every Prometheus 0.0.4 case goes through `promtool check metrics` (exit 0, or
  3 for lint remarks, is valid; 1 is invalid): valid or invalid must agree.

Where a peer disagrees, KNOWN below names the clause of the specification that
decides. A disagreement not named fails the test, and so does a named one that
no longer happens (the peer changed: look again). Exits 0 when all is as
stated; 77 (ctest's skip) when a peer is not installed, unless CI is set, when
that is a failure.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys

OM_SPEC = "OpenMetrics 1.0 (specification/OpenMetrics.md)"
PROM_SPEC = "exposition formats, text format 0.0.4 (docs/instrumenting/exposition_formats.md)"

# Cases where python3-prometheus-client's verdict differs, and why ours is right.
KNOWN_OM = {
    "invalid/bucket_order-repeated.txt":
        "it keeps the first of two buckets with one threshold as a repeated sample; "
        f"{OM_SPEC}, Histogram: \"Bucket thresholds within a MetricPoint MUST be unique.\"",
    "invalid/exemplar_value.txt":
        "it does not compare an exemplar with its bucket; "
        f"{OM_SPEC}, Histogram: \"Each bucket covers the values less and or equal to it, "
        "and the value of the exemplar MUST be within this range.\"",
    "invalid/reserved_name-label.txt":
        "it takes label names that begin with an underscore; "
        f"{OM_SPEC}, Label: \"Label names beginning with underscores are RESERVED and MUST "
        "NOT be used unless specified by this standard.\"",
    "invalid/reserved_name-metric.txt":
        "it takes metric names that begin with an underscore; "
        f"{OM_SPEC}, Name: \"MetricFamily names beginning with underscores are RESERVED and "
        "MUST NOT be used unless specified by this standard.\"",
    "invalid/reserved_name-quantile-on-sum.txt":
        "it takes a quantile label on _sum; "
        f"{OM_SPEC}, Summary: \"A Quantile's Metric's LabelSet MUST NOT have \"quantile\" "
        "label name.\"",
    "invalid/value-signed-nan.txt":
        "it reads values with Python's float(), which takes \"-NaN\"; "
        f"{OM_SPEC}, ABNF: number = realnumber / [SIGN] (\"inf\" / \"infinity\") / \"nan\": "
        "NaN has no sign",
}

# Valid cases where the samples differ, and why.
KNOWN_OM_SAMPLES = {
    "valid/null-byte.txt":
        "no parser difference: a NUL in a label value is valid (" + OM_SPEC + ", Strings: "
        "\"NULL (ASCII 0x0) MUST be supported\"), and Vigil keeps the sample with the NUL "
        "stored as U+FFFD, since no C string, wire string or PostgreSQL text holds NUL",
    "valid/timestamps.txt":
        "it drops c_created of the metric's second point as a repeat of the first point's "
        "(it remembers a metric's samples across its points); " + OM_SPEC + ", Counter: each "
        "MetricPoint has its own Total and Created (\"foo_total 17.0 1520879607.789\" / "
        "\"foo_created 1520430000.123 1520879607.789\")",
}

# Cases where promtool's verdict differs, and why ours is right.
_HIST = ("promtool does not check the structure of histograms and summaries; " + PROM_SPEC +
         ", Histograms and summaries: ")
KNOWN_PROM = {
    "invalid/bucket_inf.txt":
        _HIST + "\"A histogram _must_ have a bucket with {le=\"+Inf\"}.\"",
    "invalid/count_mismatch.txt":
        _HIST + "\"Its value _must_ be identical to the value of x_count.\"",
    "invalid/bucket_label-missing.txt":
        _HIST + "\"Each bucket count of a histogram named x is given as a separate sample line "
        "with the name x_bucket and a label {le=\"y\"}\"",
    "invalid/bucket_order.txt":
        _HIST + "\"The buckets of a histogram and the quantiles of a summary must appear in "
        "increasing numerical order of their label values\"",
    "invalid/quantile_order.txt":
        _HIST + "\"The buckets of a histogram and the quantiles of a summary must appear in "
        "increasing numerical order of their label values\"",
    "invalid/quantile_label-missing.txt":
        _HIST + "\"Each quantile of a summary named x is given as a separate sample line with "
        "the same name x and a label {quantile=\"y\"}\"",
    "invalid/suffix-histogram.txt":
        _HIST + "a histogram x is written as x_bucket, x_sum and x_count samples",
    "invalid/counter_value-negative-bucket.txt":
        "the promtool of Debian 12 (Prometheus 2.42) predates the check; Prometheus's text "
        "parser (prometheus/common expfmt, text_parse.go) refuses a \"negative bucket "
        "population\"",
    "invalid/metadata_syntax-type-missing.txt":
        "promtool takes a TYPE line without a type; " + PROM_SPEC + ": \"If the token is TYPE, "
        "exactly two more tokens are expected.\"",
    "invalid/type_unknown-uppercase.txt":
        "promtool upper-cases the type; " + PROM_SPEC + ": \"the second is either counter, "
        "gauge, histogram, summary, or untyped\"",
    "invalid/utf8-help.txt":
        "promtool does not check HELP text; " + PROM_SPEC + ": \"HELP lines may contain any "
        "sequence of UTF-8 characters\" (Encoding: UTF-8)",
    "valid/blanks.txt":
        "promtool takes a trailing tab for the start of a timestamp; " + PROM_SPEC +
        ", Line format: \"Leading and trailing whitespace is ignored.\"",
}


def ci():
    v = os.environ.get("CI", "")
    return v not in ("", "0", "false")


def missing(what, package):
    print(f"scrape_peers: {what} is missing: apt-get install {package}", file=sys.stderr)
    sys.exit(1 if ci() else 77)


def cases(corpus, fmt):
    out = []
    for verdict in ("valid", "invalid"):
        d = os.path.join(corpus, fmt, verdict)
        for name in sorted(os.listdir(d)):
            if name.endswith(".txt"):
                out.append((f"{verdict}/{name}", os.path.join(d, name)))
    return out


def ours(dump, fmt, paths):
    """What vigil-scrape-dump makes of each file: {path: record}."""
    proc = subprocess.run([dump, "--format", fmt] + paths, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"scrape_peers: {dump} failed ({proc.returncode}): {proc.stderr.strip()}")
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    return {r["file"]: r for r in records}


def number(v):
    special = {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}
    return special[v] if v in special else float(v)


def same_sample(a, b):
    """(name, labels, value, ms) pairs; timestamps beyond int64 ms saturate on our side."""
    if a[0] != b[0] or a[1] != b[1]:
        return False
    if not (a[2] == b[2] or (math.isnan(a[2]) and math.isnan(b[2]))):
        return False
    if a[3] is None or b[3] is None:
        return a[3] is None and b[3] is None
    if abs(a[3]) >= 2**62 and abs(b[3]) >= 2**62 and (a[3] > 0) == (b[3] > 0):
        return True
    return abs(a[3] - b[3]) <= 1  # rounding to the millisecond


def python_om(path, parse):
    """(valid, samples or reason) from python3-prometheus-client."""
    try:
        text = open(path, "rb").read().decode("utf-8")
    except UnicodeDecodeError as e:
        return False, f"not UTF-8: {e}"
    try:
        families = list(parse(text))
    except Exception as e:  # the parser raises ValueError, and others on odd input
        return False, str(e)
    samples = []
    for fam in families:
        for s in fam.samples:
            ts = s.timestamp
            if ts is None:
                ms = None
            elif hasattr(ts, "sec"):
                ms = ts.sec * 1000 + ts.nsec // 1000000
            else:
                ms = round(ts * 1000)
            samples.append((s.name, dict(s.labels), float(s.value), ms))
    return True, samples


def vigil_cases(dump, corpus, fmt, problems):
    """(rel, path, record) of every case whose verdict is that of its folder;
    the others are problems."""
    todo = cases(corpus, fmt)
    mine = ours(dump, fmt, [p for _, p in todo])
    for rel, path in todo:
        rec = mine[path]
        if rec["valid"] != rel.startswith("valid/"):
            problems.append(f"{fmt}/{rel}: Vigil says {'valid' if rec['valid'] else 'invalid'}")
            continue
        yield rel, path, rec


def compare_verdicts(fmt, rel, peer, peer_valid, detail, rec, known, problems):
    """"same" when the peer's verdict is Vigil's, "named" for a difference that
    known names (printed with its clause), "unnamed" for one it does not (a
    problem); a named one that no longer happens is a problem too."""
    theirs = "valid" if peer_valid else "invalid"
    if peer_valid != rec["valid"]:
        if rel in known:
            mine = "valid" if rec["valid"] else f"invalid ({rec['rule']})"
            print(f"  {fmt}/{rel}: {peer} says {theirs}, Vigil {mine}: {known[rel]}")
            return "named"
        problems.append(f"{fmt}/{rel}: {peer} says {theirs} ({detail}), Vigil "
                        f"{'valid' if rec['valid'] else rec['error']}")
        return "unnamed"
    if rel in known:
        problems.append(f"{fmt}/{rel}: listed as a difference, but {peer} agrees now")
    return "same"


def check_openmetrics(dump, corpus, problems):
    try:
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
        import prometheus_client
    except ImportError:
        missing("prometheus_client (Debian's python3-prometheus-client)", "python3-prometheus-client")
    version = getattr(prometheus_client, "__version__", "")
    if not version:
        try:
            from importlib.metadata import version as dist_version
            version = dist_version("prometheus_client")
        except Exception:
            version = "unknown"
    count = named = 0
    for rel, path, rec in vigil_cases(dump, corpus, "openmetrics", problems):
        count += 1
        pv, detail = python_om(path, text_string_to_metric_families)
        shown = detail if not pv else f"{len(detail)} samples"
        verdict = compare_verdicts("openmetrics", rel, "python", pv, shown, rec, KNOWN_OM, problems)
        named += verdict == "named"
        if verdict != "same" or not pv:
            continue
        mine_s = [(n, l, number(v), t) for n, l, v, t in rec["samples"]]
        equal = len(detail) == len(mine_s) and all(map(same_sample, detail, mine_s))
        if not equal and rel in KNOWN_OM_SAMPLES:
            named += 1
            print(f"  openmetrics/{rel}: samples differ: {KNOWN_OM_SAMPLES[rel]}")
        elif not equal:
            problems.append(f"openmetrics/{rel}: samples differ\n    python: {detail}\n"
                            f"    Vigil:  {mine_s}")
        elif rel in KNOWN_OM_SAMPLES:
            problems.append(f"openmetrics/{rel}: listed as differing samples, but they are equal now")
    print(f"scrape_peers: {count} OpenMetrics cases through python3-prometheus-client "
          f"{version}: {named} differences, each named above")


def check_prometheus(dump, corpus, problems):
    promtool = shutil.which("promtool")
    if not promtool:
        missing("promtool", "prometheus")
    ver = subprocess.run([promtool, "--version"], capture_output=True, text=True)
    version = (ver.stdout or ver.stderr).split("\n")[0].strip()
    count = named = 0
    for rel, path, rec in vigil_cases(dump, corpus, "prometheus", problems):
        count += 1
        with open(path, "rb") as f:
            proc = subprocess.run([promtool, "check", "metrics"], stdin=f, capture_output=True,
                                  text=True, errors="replace")
        if proc.returncode not in (0, 1, 3):
            problems.append(f"prometheus/{rel}: promtool exited {proc.returncode}: {proc.stderr.strip()}")
            continue
        pv = proc.returncode in (0, 3)  # 3: lint remarks on a valid exposition
        verdict = compare_verdicts("prometheus", rel, "promtool", pv,
                                   (proc.stderr + proc.stdout).strip()[:200], rec, KNOWN_PROM,
                                   problems)
        named += verdict == "named"
    print(f"scrape_peers: {count} Prometheus 0.0.4 cases through {version}: {named} "
          f"differences, each named above")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dump", required=True, help="the vigil-scrape-dump program")
    ap.add_argument("--corpus", required=True, help="tests/data/exposition")
    args = ap.parse_args()
    problems = []
    check_openmetrics(args.dump, args.corpus, problems)
    check_prometheus(args.dump, args.corpus, problems)
    if problems:
        print(f"scrape_peers: FAILED, {len(problems)} unexplained:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print("scrape_peers: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
