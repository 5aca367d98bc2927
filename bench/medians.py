#!/usr/bin/env python3
"""Merge several runs of bench/compare.sh into the tables BENCHMARKS.md shows.

Usage: bench/medians.py RUN1.md RUN2.md ...   (each the stdout of one `bench/compare.sh` run)

Each row becomes the median of its wall seconds across the runs, with the min-max range; MB/s
and records/s are recomputed from the median; peak RSS is the largest seen; the match column
lists every distinct count seen (a row whose runs disagree shows them all, so it cannot pass
unnoticed). A row missing from some run is marked with the number of runs it has.
"""

import re
import statistics
import sys

ROW = re.compile(r"^\| (?P<label>.+?) \| (?P<secs>[\d.]+) \| (?P<mbs>[\d,.]+) \| (?P<rps>[\d,]+) \| (?P<rss>\d+) MiB \| (?P<m>[^|]*) \|$")


def parse(path):
    """Sections in order, each a list of (label, seconds, MB/s, records/s, RSS MiB, matches)."""
    sections, current = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("### "):
                current = (line[4:], [])
                sections.append(current)
                continue
            m = ROW.match(line)
            if m and current is not None:
                secs = float(m["secs"])
                mbs = float(m["mbs"].replace(",", ""))
                rps = int(m["rps"].replace(",", ""))
                current[1].append((m["label"], secs, mbs * secs, rps * secs, int(m["rss"]), m["m"].strip()))
    return sections


def main(paths):
    if not paths:
        sys.exit(__doc__)
    runs = [parse(p) for p in paths]
    order, rows = [], {}
    for sections in runs:
        for title, entries in sections:
            if title not in rows:
                order.append(title)
                rows[title] = {}
            for label, secs, mb, recs, rss, matches in entries:
                rows[title].setdefault(label, []).append((secs, mb, recs, rss, matches))
    n = len(paths)
    for title in order:
        print(f"#### {title}\n")
        print(f"| what | seconds, median of {n} (min–max) | MB/s | records/s | peak RSS (max) | matches |")
        print("|---|---|---|---|---|---|")
        for label, seen in rows[title].items():
            secs = [s for s, *_ in seen]
            med = max(statistics.median(secs), 0.01)
            mb = statistics.median(m for _, m, *_ in seen)
            recs = statistics.median(r for _, _, r, *_ in seen)
            rss = max(r for *_, r, _ in seen)
            matches = sorted({m for *_, m in seen}, key=lambda m: (len(m), m))
            runs_note = "" if len(seen) == n else f" ({len(seen)} of {n} runs)"
            print(
                f"| {label}{runs_note} | {med:.2f} ({min(secs):.2f}–{max(secs):.2f}) | {mb / med:,.1f} | "
                f"{recs / med:,.0f} | {rss} MiB | {' / '.join(matches)} |"
            )
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
