"""How long report.html takes to open in Chromium, and how big it is.  Target: under 2 s.

Run by hand (not a test: it needs a browser and the machine is shared and noisy):

    python3 bench/bench_report_open.py ecore-out/report.html [--repeat 3] [--chromium chromium]

A copy of the report gets one script at its end that, once the page's ``load`` event has fired
and every chart within a screen of the view has drawn (its div holds plotly's ``.main-svg``; the
report draws the others as they come near), writes the time from navigation start into the page
title; ``chromium --headless --dump-dom`` prints it (``--virtual-time-budget`` makes it wait for
the charts drawn after ``load``; it skips idle time only, so it can only add to the figure).  Measured twice: in a 1400 x 1000 window (what
a reader waits for) and in a window tall enough to hold the whole page (every chart drawn).
Reports the medians of ``--repeat`` opens (milliseconds) and the file's size (MB).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """<script>
window.addEventListener("load", function () {
  function done() {
    var charts = Array.prototype.slice.call(document.querySelectorAll(".plotly-graph-div"));
    var near = charts.filter(function (c) { return c.getBoundingClientRect().top < 2 * window.innerHeight; });
    var waiting = near.filter(function (c) { return !c.querySelector(".main-svg"); });
    if (waiting.length) { return setTimeout(done, 5); }
    document.title = "OPENED " + performance.now().toFixed(0) + " CHARTS " + near.length;
  }
  done();
});
</script>"""


def open_ms(report: Path, chromium: str, height: int = 1000) -> tuple[float, int]:
    """Milliseconds from navigation start to the charts near the view drawn, and their number."""
    text = report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.html"
        probe.write_text(text, encoding="utf-8")
        out = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--window-size=1400,{height}", "--virtual-time-budget=60000",
                              "--dump-dom", probe.as_uri()],
                             capture_output=True, text=True, timeout=120).stdout
    found = re.search(r"<title>OPENED (\d+) CHARTS (\d+)</title>", out)
    if not found:
        raise SystemExit("the probe did not report: did the page fail to load?")
    return float(found.group(1)), int(found.group(2))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chromium", default="chromium")
    args = parser.parse_args(argv)
    size = args.report.stat().st_size / 1e6
    medians = []
    for height, what in ((1000, "first screen"), (16000, "whole page")):
        times = []
        for _ in range(args.repeat):
            ms, charts = open_ms(args.report, args.chromium, height)
            times.append(ms)
        medians.append(statistics.median(times))
        print(f"{args.report}: {size:.1f} MB, {what} ({charts} charts drawn) in {medians[-1]:.0f} ms "
              f"(median of {len(times)}: {', '.join(f'{t:.0f}' for t in times)})")
    print("target: first screen < 2000 ms")
    return 0 if medians[0] < 2000 else 1


if __name__ == "__main__":
    sys.exit(main())
