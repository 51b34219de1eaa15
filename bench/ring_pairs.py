#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""Builds of pktpath-bench-ring, interleaved: which ring is faster against its peers.

Each round runs every binary once, in random order.  Within a run, each
repetition runs every benchmark once (in random order with --repetitions
above 1), so pktpath, rte_ring and Boost of a configuration are measured
close together in time, under the same load: each repetition gives one
pktpath/dpdk and one pktpath/boost ratio.  Prints, per benchmark, the
median and range of those ratios for each binary, then the messages/s
medians and ranges (Markdown tables).

  ring_pairs.py [--rounds 10] [--repetitions 1] [--min-time 0.1] [--filter REGEX] LABEL=BINARY ...
"""
import argparse
import collections
import json
import random
import statistics
import subprocess
import sys

PKTPATH = ("pktpath", "pktpath_zc")
PEERS = ("dpdk", "boost")


def run(binary, min_time, pattern, repetitions):
    """{repetition: {benchmark: messages/s}}; one repetition runs every benchmark once."""
    cmd = [binary, f"--benchmark_min_time={min_time}", "--benchmark_format=json"]
    if repetitions > 1:
        cmd += [f"--benchmark_repetitions={repetitions}", "--benchmark_enable_random_interleaving=true"]
    if pattern:
        cmd.append(f"--benchmark_filter={pattern}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    reps = collections.defaultdict(dict)
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type", "iteration") == "iteration" and not b.get("error_occurred"):
            name = b.get("run_name", b["name"]).replace("/real_time", "")
            reps[b.get("repetition_index", 0)][name] = b["items_per_second"]
    return reps


def span(xs, scale=1.0, digits=2):
    m, lo, hi = (v / scale for v in (statistics.median(xs), min(xs), max(xs)))
    return f"{m:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--min-time", default="0.1")
    ap.add_argument("--filter", default="")
    ap.add_argument("--repetitions", type=int, default=1)
    ap.add_argument("builds", nargs="+", help="LABEL=path/to/pktpath-bench-ring")
    a = ap.parse_args()
    builds = dict(b.split("=", 1) for b in a.builds)

    rates = collections.defaultdict(list)  # (label, name) -> [messages/s]
    ratios = collections.defaultdict(list)  # (label, name, peer) -> [pktpath / peer]
    for r in range(a.rounds):
        order = list(builds)
        random.shuffle(order)
        for label in order:
            for got in run(builds[label], a.min_time, a.filter, a.repetitions).values():
                for name, v in got.items():
                    rates[(label, name)].append(v)
                    family, impl, burst = name.split("/")
                    if impl in PKTPATH:
                        for peer in PEERS:
                            p = got.get(f"{family}/{peer}/{burst}")
                            if p:
                                ratios[(label, name, peer)].append(v / p)
        print(f"round {r + 1}/{a.rounds}", file=sys.stderr, flush=True)

    labels = list(builds)
    print("| benchmark | vs | " + " | ".join(labels) + " |")
    print("|---|---|" + "---|" * len(labels))
    for name, peer in sorted({(k[1], k[2]) for k in ratios}):
        cells = [span(ratios[(lb, name, peer)]) if ratios.get((lb, name, peer)) else "-" for lb in labels]
        print(f"| `{name}` | {peer} | " + " | ".join(cells) + " |")
    print()
    print("| benchmark (M msg/s) | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    for name in sorted({k[1] for k in rates}):
        cells = [span(rates[(lb, name)], 1e6, 1) if rates.get((lb, name)) else "-" for lb in labels]
        print(f"| `{name}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
