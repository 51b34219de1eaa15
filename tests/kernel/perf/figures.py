#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""The cost figures of tests/kernel/perf from a guest's results: figures.py RESULTS FRAMES.

Runs come in pairs, one without the module (none@CONFIG) right before one with it
(CONFIG).  Per configuration: frames/s through the guest with it and in its pairs'
runs without it (median, min-max over the rounds); the time it adds per injected
frame, the median (and min-max) of the pairs' differences, also as a share of the
time per frame without it; for a one-stage configuration, the same per frame
counted at its stage.
"""
import os
import re
import statistics
import sys


def main():
    res, frames = sys.argv[1], int(sys.argv[2])
    runs, order = {}, []
    for line in open(os.path.join(res, "runs.txt")):
        name, rnd, rest = line.split(" ", 2)
        f = dict(kv.split("=") for kv in rest.split())
        if name not in runs:
            order.append(name)
        runs.setdefault(name, {})[int(rnd)] = (float(f["frames_per_s"]), int(f["elapsed_ns"]))
    base_all = [fps for n in order if n.startswith("none@") for fps, _ in runs[n].values()]
    print(f"perf without the module: {statistics.median(base_all):.0f} frames/s "
          f"(range {min(base_all):.0f}-{max(base_all):.0f}, {len(base_all)} runs)")
    for name in order:
        if name.startswith("none@"):
            continue
        with_, without = runs[name], runs["none@" + name]
        rounds = sorted(set(with_) & set(without))
        fps = [with_[r][0] for r in rounds]
        fps0 = [without[r][0] for r in rounds]
        delta = [(with_[r][1] - without[r][1]) / frames for r in rounds]
        base = statistics.median(without[r][1] for r in rounds) / frames
        d = statistics.median(delta)
        line = (f"perf {name}: {statistics.median(fps):.0f} frames/s (range {min(fps):.0f}-{max(fps):.0f}) against "
                f"{statistics.median(fps0):.0f} ({min(fps0):.0f}-{max(fps0):.0f}) without; "
                f"+{d:.0f} ns per injected frame (pairs {min(delta):.0f} to {max(delta):.0f}; "
                f"{100 * d / base:+.1f}% of {base:.0f} ns), {len(rounds)} rounds")
        counted = stage_frames(res, name)
        if counted:
            per = counted / len(rounds)
            line += f"; {d * frames / per:.0f} ns per frame counted at {name} ({per:.0f} a run)"
        print(line)
    handler_ns(res, frames)
    return 0


def handler_ns(res, frames):
    """Per configuration run with timing=1 ("timed", and any other whose status has handler
    times) and per stage: handler ns per frame counted (median, min-max over the rounds), and
    all the handlers' time per injected frame."""
    per, total = {}, {}
    d = os.path.join(res, "status")
    for f in sorted(os.listdir(d)):
        config = f.split(".")[0]
        for line in open(os.path.join(d, f)):
            m = re.match(r"(stage \d+|free) (\S+) .*counted=(\d+) .* ns=(\d+)", line)
            if m and int(m.group(3)) and int(m.group(4)):
                per.setdefault((config, m.group(2)), []).append(int(m.group(4)) / int(m.group(3)))
                total.setdefault(config, {})[f] = total.get(config, {}).get(f, 0) + int(m.group(4))
    for (config, name), v in per.items():
        label = name if config == "timed" else f"{config}/{name}"
        print(f"perf handler {label}: {statistics.median(v):.0f} ns per frame counted "
              f"(range {min(v):.0f}-{max(v):.0f}, {len(v)} rounds)")
    for config, runs in total.items():
        t = [n / frames for n in runs.values()]
        label = "" if config == "timed" else f" ({config})"
        print(f"perf handlers together{label}: {statistics.median(t):.0f} ns per injected frame "
              f"(range {min(t):.0f}-{max(t):.0f})")


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
