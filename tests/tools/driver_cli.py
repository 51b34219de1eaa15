#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""pktpath-driver accounts for every frame, per stage, in its counter table.

Timing decides how many frames a live run drops, so this asserts accounting,
not drop counts: every offered frame reaches `deliver` or is dropped at the RX
ring or a backlog; the table's funnel equals the ring's and backlogs' own drop
counters; and a run offered far more than its CPUs can deliver (as fast as
possible, 2 us per frame) does drop, at a named stage.
"""
import argparse
import re
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def run(driver, *args):
    p = subprocess.run([driver, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    check(p.returncode == 0, f"{args}: exit {p.returncode}: {p.stderr}")
    out = p.stdout
    total = re.search(r"^total\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", out, re.M)
    drops = re.search(r"drops counted by the RX ring (\d+), by the backlogs (\d+)", out)
    lost = {m.group(1): int(m.group(2)) for m in re.finditer(r"^lost between (\w+) and \w+: (-?\d+)", out, re.M)}
    check(total is not None and drops is not None, f"{args}: report lines present")
    if not (total and drops):
        return None
    nic, ring, poll, backlog, deliver = map(int, total.groups())
    ring_drops, backlog_drops = map(int, drops.groups())
    check(nic == deliver + ring_drops + backlog_drops, f"{args}: every frame delivered or dropped ({nic})")
    check(nic - ring == ring_drops and lost.get("nic") == ring_drops, f"{args}: RX ring drops agree")
    check(poll == ring and lost.get("rx_ring") == 0, f"{args}: cpu0 polls what the ring took")
    check(poll - backlog == backlog_drops and lost.get("poll") == backlog_drops, f"{args}: backlog drops agree")
    check(deliver == backlog and lost.get("backlog") == 0, f"{args}: backlogs deliver what they queued")
    return nic, ring_drops, backlog_drops


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--capture", required=True)
    a = ap.parse_args()
    r = run(a.driver, "--rate", "20000", "--frames", "4000", "--cpus", "2", a.capture)
    check(r is not None and r[0] == 4000, "capture run offers 4000 frames")
    r = run(a.driver, "--rate", "0", "--frames", "200000", "--cost-ns", "2000")
    check(r is not None and r[0] == 200000 and r[1] + r[2] > 0, f"overload drops at the ring or backlog: {r}")
    print(f"{len(failures)} failed" if failures else "OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
