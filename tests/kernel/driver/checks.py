#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""Assertions of the driver test on pktpath-kstat --json documents (host.sh).

  checks.py totals DOC            frames per stage, as STAGE=N words
  checks.py flows EXPECTED PASSES DOC STAGE[+STAGE]...
      per flow (and unclassified row), packets and bytes at each STAGE (or
      the sum of STAGE+STAGE) = PASSES x the first stage of EXPECTED, a
      pktpath-replay --json document of the capture the guest injected
  checks.py l3 DOC PCAP PASSES
      per flow, frames at ip_rcv + ipv6_rcv = at to_stack, except flows of
      frames with two VLAN tags (no VLAN device takes off the inner one, so
      the stack drops them before L3): none of theirs there, and as many
      such frames handed to the stack as PASSES x the capture has; no
      unclassified frame at L3 either (they are not IP)

Exit 0 when the assertion holds, 1 when not (the lines say why); the last
line is the figure the summary shows.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from kstat_doc import load, pcap_frames, rows, stage_names  # noqa: E402


def totals(args):
    doc = load(args[0])
    sums = [0] * len(stage_names(doc))
    for packets, _ in rows(doc).values():
        sums = [a + b for a, b in zip(sums, packets)]
    print(" ".join("%s=%d" % (n, v) for n, v in zip(stage_names(doc), sums)))
    return 0


def flows(args):
    exp, passes, act = rows(load(args[0])), int(args[1]), load(args[2])
    stage_of = {n: i for i, n in enumerate(stage_names(act))}
    bad, checked = [], 0
    for spec in args[3:]:
        idx = [stage_of[s] for s in spec.split("+")]
        a = rows(act)
        for label in sorted(set(exp) | set(a)):
            ep, eb = exp.get(label, ([0], [0]))
            ap, ab = a.get(label, ([0] * len(stage_of), [0] * len(stage_of)))
            want = (ep[0] * passes, eb[0] * passes)
            got = (sum(ap[i] for i in idx), sum(ab[i] for i in idx))
            if want != got:
                bad.append("%s at %s: packets, bytes %s, expected %s" % (label, spec, got, want))
            checked += want[0] != 0
    for b in bad[:20]:
        print("FAIL:", b)
    print("%d flow rows x stage checked, %d differ" % (checked, len(bad)))
    return 1 if bad else 0


def double_tagged(path):
    """Frames of a classic pcap whose Ethernet header carries two VLAN tags."""
    tags = (b"\x81\x00", b"\x88\xa8")
    return sum(len(fr) >= 18 and fr[12:14] in tags and fr[16:18] in tags for fr in pcap_frames(path))


def l3(args):
    doc, want_stopped = load(args[0]), double_tagged(args[1]) * int(args[2])
    n = stage_names(doc)
    ts, v4, v6 = n.index("to_stack"), n.index("ip_rcv"), n.index("ipv6_rcv")
    bad, flows_seen, stopped = [], 0, 0
    for label, (p, _) in rows(doc).items():
        l3_frames = p[v4] + p[v6]
        keyed = not label.startswith("unclassified ") and label != "overflow"
        if keyed and l3_frames == 0:
            stopped += p[ts]
        elif keyed and l3_frames != p[ts]:
            bad.append("%s: to_stack %d, ip_rcv + ipv6_rcv %d" % (label, p[ts], l3_frames))
        if not keyed and l3_frames:
            bad.append("%s: %d frames at the L3 stages" % (label, l3_frames))
        flows_seen += keyed and p[ts] > 0
    if stopped != want_stopped:
        bad.append("flows with no frame at L3: %d frames, the capture has %d with two VLAN tags" % (stopped, want_stopped))
    for b in bad[:20]:
        print("FAIL:", b)
    print(
        "%d flows, each as many frames at L3 as handed to the stack but the %d double-tagged frames; %d differ"
        % (flows_seen, stopped, len(bad))
    )
    return 1 if bad or not flows_seen else 0


if __name__ == "__main__":
    cmds = {"totals": totals, "flows": flows, "l3": l3}
    if len(sys.argv) < 3 or sys.argv[1] not in cmds:
        raise SystemExit(__doc__)
    sys.exit(cmds[sys.argv[1]](sys.argv[2:]))
