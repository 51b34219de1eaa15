#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""pktpath-driver accounts for every frame, per stage, in its counter table.

Timing decides how many frames a live run drops, so this asserts accounting,
not drop counts: every offered frame is delivered, unclassified, or dropped
at the RX ring or a backlog; the table's funnel equals the RX ring's own drop
counter (nic rx_missed) and the backlogs' (softnet dropped); and a run offered
far more than its CPUs can deliver (as fast as possible, 2 us per frame)
does drop, at a named stage.
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
    total = re.search(r"^total" + r"\s+(\d+)" * 8 + r"\s*$", out, re.M)
    missed = re.search(r"^nic\s+rx_missed (\d+),", out, re.M)
    softnet = [int(m.group(1)) for m in re.finditer(r"^\s+\d+\s+\d+\s+(\d+)\s+\d+\s+\d+/\d+", out, re.M)]
    lost = {m.group(1): int(m.group(2)) for m in re.finditer(r"^lost between (\w+) and \S+: (-?\d+)", out, re.M)}
    check(total is not None and missed is not None and softnet, f"{args}: report lines present")
    if not (total and missed and softnet):
        return None
    wire, ring, poll, backlog, l3, l4, deliver, unclassified = map(int, total.groups())
    ring_drops, backlog_drops = int(missed.group(1)), sum(softnet)
    check(wire == deliver + unclassified + ring_drops + backlog_drops, f"{args}: every frame ends somewhere ({wire})")
    check(wire - ring == ring_drops and lost.get("wire") == ring_drops, f"{args}: RX ring drops agree")
    check(poll == ring and lost.get("rx_ring") == 0, f"{args}: CPU 0 polls what the ring took")
    check(poll - backlog == backlog_drops and lost.get("napi_poll") == backlog_drops, f"{args}: backlog drops agree")
    check(backlog == l3 + unclassified and lost.get("backlog") == 0, f"{args}: backlogs hand on what they queued")
    check(l3 == l4 == deliver, f"{args}: the stack delivers what reaches l3")
    return wire, ring_drops, backlog_drops


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
