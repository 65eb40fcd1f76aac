"""The peer race table from the JSON reports of scripts/bench-peers.sh.

Per workload and engine: the median burst of each run (two runs), the p99 and
peak memory (the larger of the runs), and per run the ratio peer / ours
(run i of the peer over run i of ours; runs alternate). The fired column
checks that every engine fired exactly the driven count in every measured
burst (fewest == most == driven).
Usage: python3 table.py OUT_DIR
"""

import glob
import json
import os
import sys

ENGINES = [("ours", "feagi-rust"), ("feagi", "FEAGI engine"), ("brian2", "Brian2")]
ORDER = ["100k-k100-f1", "100k-k100-f10", "1m-k10-f1", "1m-k100-f1", "vision-random"]
LABEL = {
    "100k-k100-f1": "100k x 100, 1 %",
    "100k-k100-f10": "100k x 100, 10 %",
    "1m-k10-f1": "1M x 10, 1 %",
    "1m-k100-f1": "1M x 100, 1 %",
    "vision-random": "core_vision, 10 % random input",
}


def load(out):
    runs = {}
    for path in sorted(glob.glob(os.path.join(out, "*.json"))):
        name, engine, run = os.path.basename(path)[: -len(".json")].rsplit(".", 2)
        with open(path) as f:
            runs.setdefault((name, engine), {})[int(run)] = json.load(f)
    return runs


def fmt_ms(x):
    return "%.2f" % x if x >= 1 else "%.3f" % x


def main(out):
    runs = load(out)
    expected = {}
    for (name, engine), by_run in runs.items():
        for r in by_run.values():
            if "driven_per_burst" in r:
                expected[name] = r["driven_per_burst"]
    header = ["workload"]
    for _, label in ENGINES:
        header += ["%s median (runs), ms" % label, "p99, ms", "memory, MiB"]
    header += ["FEAGI / ours", "Brian2 / ours", "fired per burst"]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for name in ORDER:
        ours = runs.get((name, "ours"))
        if not ours:
            continue
        row = [LABEL.get(name, name)]
        ok = []
        for engine, _ in ENGINES:
            by_run = runs.get((name, engine))
            if not by_run:
                row += ["-", "-", "-"]
                continue
            medians = [by_run[k]["median_ms"] for k in sorted(by_run)]
            row.append(" / ".join(fmt_ms(m) for m in medians))
            row.append(fmt_ms(max(r["p99_ms"] for r in by_run.values())))
            row.append("%.0f" % max(r["peak_rss_mib"] for r in by_run.values()))
            want = expected.get(name)
            for r in by_run.values():
                lo, hi = r["fired_per_burst_min"], r["fired_per_burst_max"]
                ok.append(lo == hi and (want is None or lo == want))
        for engine in ("feagi", "brian2"):
            peer = runs.get((name, engine))
            if not peer:
                row.append("-")
                continue
            ratios = [peer[k]["median_ms"] / ours[k]["median_ms"] for k in sorted(peer) if k in ours]
            row.append("%.1f-%.1f x" % (min(ratios), max(ratios)))
        want = expected.get(name)
        if want is None:
            row.append("varies (genome; ours only)")
        else:
            row.append("%d in every burst, all engines" % want if all(ok) else "MISMATCH")
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
