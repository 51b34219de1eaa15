#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""The cost figures of tests/kernel/perf from a guest's results: figures.py RESULTS FRAMES.

Per configuration: frames/s through the guest (median, min-max over the rounds), and
from the medians the time the configuration adds per injected frame against the run
without the module in the same rounds, as ns and as a share of that run's time per
frame; for one-stage configurations also per frame counted at the stage.
"""
import os
import re
import statistics
import sys


def main():
    res, frames = sys.argv[1], int(sys.argv[2])
    runs = {}
    order = []
    for line in open(os.path.join(res, "runs.txt")):
        name, rnd, rest = line.split(" ", 2)
        f = dict(kv.split("=") for kv in rest.split())
        if name not in runs:
            order.append(name)
        runs.setdefault(name, []).append((int(rnd), float(f["frames_per_s"]), int(f["elapsed_ns"])))
    base = statistics.median(ns for _, _, ns in runs["none"]) / frames
    for name in order:
        fps = [r[1] for r in runs[name]]
        ns = statistics.median(r[2] for r in runs[name]) / frames
        line = (f"perf {name}: {statistics.median(fps):.0f} frames/s (range {min(fps):.0f}-{max(fps):.0f}, "
                f"{len(fps)} rounds)")
        if name != "none":
            line += f"; +{ns - base:.0f} ns per injected frame ({100 * (ns - base) / base:+.1f}%)"
            counted = stage_frames(res, name)
            if counted:
                line += f", {(ns - base) * frames / counted:.0f} ns per frame counted at {name} ({counted / len(fps):.0f} a run)"
        else:
            line += f"; {base:.0f} ns per frame without the module"
        print(line)
    return 0


def stage_frames(res, name):
    """Frames counted at the stage of a one-stage configuration, summed over its rounds."""
    total = 0
    d = os.path.join(res, "status")
    for f in os.listdir(d):
        if f.split(".")[0] != name:
            continue
        for line in open(os.path.join(d, f)):
            m = re.match(r"stage \d+ (\S+) on .* counted=(\d+)", line)
            if m and m.group(1) == name:
                total += int(m.group(2))
    return total


if __name__ == "__main__":
    sys.exit(main())
