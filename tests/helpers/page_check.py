#!/usr/bin/env python3
"""page_check.py - checks a page as headless Chromium built it (--dump-dom):
its charts are there with their data points, and it holds nothing that would
be fetched or run.

    page_check.py DOM.html MIN_CHARTS [CHART_ID...]

Every <svg class="chart"> must have as many <circle class="pt"> as its
data-points says; the charts named must be there with at least one point.
Prints what it found; exits 1 otherwise.
"""
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts = []  # [id, declared points, circles, polylines]
        self.current = None
        self.bad = []
        self.deploys = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "link", "iframe", "object", "embed"):
            self.bad.append(tag)
        for k, v in a.items():
            if k in ("src", "href") or (v and "url(" in v):
                self.bad.append(f"{tag} {k}={v}")
        if tag == "svg" and "chart" in a.get("class", ""):
            self.current = [a.get("data-chart"), int(a.get("data-points", "-1")), 0, 0]
            self.charts.append(self.current)
        elif tag == "circle" and a.get("class") == "pt" and self.current:
            self.current[2] += 1
        elif tag == "polyline" and self.current:
            self.current[3] += 1
        elif tag == "g" and a.get("class") == "deploy":
            self.deploys += 1

    def handle_endtag(self, tag):
        if tag == "svg":
            self.current = None


path, need = sys.argv[1], int(sys.argv[2])
page = Page()
page.feed(open(path, encoding="utf-8").read())
if page.bad:
    sys.exit(f"FAIL: {path} holds what a browser would fetch or run: {page.bad}")
if len(page.charts) < need:
    sys.exit(f"FAIL: {path} has {len(page.charts)} charts, expected {need}")
for cid, declared, circles, lines in page.charts:
    if declared != circles:
        sys.exit(f"FAIL: chart {cid} says {declared} points and draws {circles}")
    if circles and not lines:
        sys.exit(f"FAIL: chart {cid} has points and no line")
for want in sys.argv[3:]:
    if not any(c[0] == want and c[2] > 0 for c in page.charts):
        sys.exit(f"FAIL: no chart {want} with data points in {path}")
print(f"{path}: {len(page.charts)} charts, "
      + ", ".join(f"{c[0]} {c[2]} points" for c in page.charts)
      + f"; {page.deploys} deploy markers")
