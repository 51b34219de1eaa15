#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""Assertions of the module test on pktpath-kstat --json documents (host.sh).

  checks.py compare EXPECTED ACTUAL [--bytes S,S] [--overflow] [--break N]
      per flow and stage, packets (and bytes at the stages named) equal,
      unclassified rows and the overflow row too
  checks.py conserve DOC          per flow: frames at the first stage = frames freed
  checks.py loss DOC FLOW STAGE REASON COUNT
      the flow's frames reach STAGE and no further, and COUNT of them are
      freed with REASON ("none": consumed; COUNT "some": at least one)
  checks.py gro DOC STAGE         GRO merged frames before STAGE: fewer skbs than frames counted there
  checks.py attached DOC          every probe point attached
  checks.py missing DOC FUNCTION  FUNCTION's point failed for want of the symbol; every other attached
  checks.py clean DOC             no probe missed a hit, no frame went uncounted
  checks.py total DOC STAGE       frames counted at STAGE
  checks.py schema SCHEMA DOC...  every document valid; a doctored one (a required field gone) refused
  checks.py symbol DOC STAGE      the symbols STAGE's points attached to
  checks.py samples DOC PCAPNG [--unstaged R,R]   the drop samples as tshark reads them back:
      per flow and reason, their frames (segs) equal the drop table's kfree_skb frames, per
      reason too; each names its flow's last stage (those of the reasons R may name none);
      timestamps never go back
  checks.py kept SAMPLES.pcap CAPTURE.pcap N   N samples, each byte for byte a UDP frame of
      CAPTURE for the receiver, and per flow that flow's first frames in order
  checks.py points DOC | reasons DOC   facts for the summary

Exit 0 when the assertion holds, 1 when not (the lines say why); the last
line is the figure the summary shows.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from kstat_doc import load, pcap_frames, rows, stage_names  # noqa: E402


def compare(args):
    exp_doc, act_doc = load(args[0]), load(args[1])
    byte_stages, brk, overflow = [], 0, False
    i = 2
    while i < len(args):
        if args[i] == "--bytes":
            byte_stages = args[i + 1].split(",")
            i += 2
        elif args[i] == "--break":
            brk = int(args[i + 1])
            i += 2
        elif args[i] == "--overflow":
            overflow = True
            i += 1
        else:
            raise SystemExit("unknown option " + args[i])
    names = stage_names(exp_doc)
    if names != stage_names(act_doc):
        print("FAIL: stage sets differ:", names, stage_names(act_doc))
        return 1
    exp, act = rows(exp_doc), rows(act_doc)
    if brk:
        first = exp_doc["table"]["flows"][0]["flow"]
        p, b = exp[first]
        exp[first] = ([p[0] + brk] + p[1:], b)
    bad = []
    for label in sorted(set(exp) | set(act)):
        ep, eb = exp.get(label, ([0] * len(names), [0] * len(names)))
        ap, ab = act.get(label, ([0] * len(names), [0] * len(names)))
        for s, name in enumerate(names):
            if ep[s] != ap[s]:
                bad.append(f"{label} @ {name}: packets expected {ep[s]}, counted {ap[s]}")
            elif name in byte_stages and eb[s] != ab[s]:
                bad.append(f"{label} @ {name}: bytes expected {eb[s]}, counted {ab[s]}")
    if overflow and not act.get("overflow", ([0],))[0][0]:
        bad.append("the overflow row counted nothing")
    for b in bad[:15]:
        print("FAIL:", b)
    if bad:
        print(f"{len(bad)} differences")
        return 1
    flows = len(exp_doc["table"]["flows"])
    over = act["overflow"][0][0]
    print(f"{flows} flows x {len(names)} stages equal" + (f", overflow row {over} frames" if overflow else ""))
    return 0


def freed_by_flow(doc):
    freed = {}
    for r in doc["frees"]:
        freed[r["flow"]] = freed.get(r["flow"], 0) + r["frames"]
    return freed


def strip_ports(label):
    """'udp 192.0.2.30:5353 > 192.0.2.2:53' -> 'udp 192.0.2.30 > 192.0.2.2' (IPv6: '[a]:p' -> 'a')."""
    out = []
    for w in label.split(" "):
        if w.startswith("[") and "]:" in w:
            w = w[1:w.index("]:")]
        elif w.count(":") == 1 and w.split(":")[1].isdigit():
            w = w.split(":")[0]
        out.append(w)
    return " ".join(out)


def conserve(args):
    """Frames at the first stage = frames freed, per flow.  IP reassembly makes one skb of a
    datagram's fragments, freed with the first fragment's headers: a flow that does not
    balance alone must balance together with the other flows of its addresses and protocol
    (its non-first fragments, keyed without ports, and its first fragments)."""
    doc = load(args[0])
    freed = freed_by_flow(doc)
    wire = {label: p[0] for label, (p, _) in rows(doc).items() if label != "overflow" and p[0]}
    labels = set(wire) | set(freed)
    unbalanced = {label for label in labels if wire.get(label, 0) != freed.get(label, 0)}
    groups = {}
    for label in labels:
        if strip_ports(label) in {strip_ports(u) for u in unbalanced}:
            groups.setdefault(strip_ports(label), []).append(label)
    bad = []
    for g, members in sorted(groups.items()):
        w = sum(wire.get(m, 0) for m in members)
        f = sum(freed.get(m, 0) for m in members)
        if w != f or len(members) < 2:
            bad.append(f"{' + '.join(sorted(members))}: {w} frames at {stage_names(doc)[0]}, {f} freed")
    for b in bad[:15]:
        print("FAIL:", b)
    if bad:
        print(f"{len(bad)} flows not accounted for")
        return 1
    t = doc["totals"]
    print(f"{len(wire) - len(unbalanced & set(wire))} flows balance alone, {len(groups)} reassembled datagrams "
          f"as one; {sum(wire.values())} frames: {t['dropped']} dropped + {t['consumed']} consumed")
    return 0


def loss(args):
    doc = load(args[0])
    flow, stage, reason, count = args[1].replace("|", " "), args[2], args[3], args[4]
    names = stage_names(doc)
    r = rows(doc).get(flow)
    if r is None:
        print("FAIL: no flow", flow)
        return 1
    p = r[0]
    last = max(i for i in range(len(names)) if p[i])
    ok = names[last] == stage and p[last] == p[0]
    frees = [f for f in doc["frees"] if f["flow"] == flow and f["reason"] == reason]
    n = sum(f["frames"] for f in frees)
    ok = ok and (n > 0 if count == "some" else n == int(count))
    what = "consumed" if reason == "none" else reason
    where = ""
    for rs in doc["reasons"]:
        if rs["reason"] == reason and rs["locations"]:
            where = " (reason's locations: " + ", ".join(loc["where"] for loc in rs["locations"]) + ")"
    print(("" if ok else "FAIL: ") + f"{p[0]} frames, the last stage reached {names[last]} ({p[last]}), "
          f"{n} {what}{where}")
    return 0 if ok else 1


def gro(args):
    doc = load(args[0])
    k = next(k for k in doc["module"]["not_counted"] if k["kind"] == "stage" and k["name"] == args[1])
    skbs = k["hits"] - k["other_dev"]
    ok = skbs < k["counted"]
    print(("" if ok else "FAIL: ") + f"{k['counted']} frames in {skbs} skbs at {args[1]}")
    return 0 if ok else 1


def attached(args):
    probes = load(args[0])["module"]["probes"]
    bad = [p for p in probes if p["state"] != "attached"]
    for p in bad:
        print(f"FAIL: {p['stage']} {p['spec']}: {p['state']} {p['why']} ({p['error']})")
    print(f"{len(probes) - len(bad)} of {len(probes)} attached")
    return 1 if bad else 0


def missing(args):
    probes = load(args[0])["module"]["probes"]
    fn = args[1]
    bad = []
    for p in probes:
        if fn in p["spec"]:
            if p["state"] != "failed" or p["why"] != "no_such_symbol":
                bad.append(f"{p['spec']}: {p['state']} {p['why']}")
        elif p["state"] != "attached":
            bad.append(f"{p['spec']}: {p['state']} {p['why']}")
    for b in bad:
        print("FAIL:", b)
    failed = [p for p in probes if fn in p["spec"]]
    print(f"{fn}: {failed[0]['state'] if failed else 'not listed'} ({failed[0]['why'] if failed else '-'}), "
          f"{sum(p['state'] == 'attached' for p in probes)} others attached")
    return 1 if bad or not failed else 0


def clean(args):
    m = load(args[0])["module"]
    bad = [f"{p['stage']} {p['spec']}: nmissed {p['nmissed']}" for p in m["probes"] if p["nmissed"]]
    for k in m["not_counted"]:
        for why in ("copy_failed", "disabled", "filtered", "overflow"):
            if k[why]:
                bad.append(f"{k['kind']} {k['name']}: {why} {k[why]}")
    for b in bad:
        print("FAIL:", b)
    print(f"nmissed 0 on {len(m['probes'])} points; copy_failed, disabled, filtered, overflow 0 everywhere"
          if not bad else f"{len(bad)} figures not 0")
    return 1 if bad else 0


def schema(args):
    try:
        import jsonschema
    except ImportError:
        print("FAIL: the Python module jsonschema is not installed (Debian: python3-jsonschema)")
        return 1
    with open(args[0]) as f:
        sch = json.load(f)
    cls = jsonschema.validators.validator_for(sch)
    cls.check_schema(sch)
    v = cls(sch)
    bad = []
    for path in args[1:]:
        doc = load(path)
        bad += [f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in v.iter_errors(doc)]
        doctored = dict(doc)
        del doctored["totals"]
        if v.is_valid(doctored):
            bad.append(f"{path}: a document without totals passes")
    for b in bad[:10]:
        print("FAIL:", b)
    print(f"{len(args) - 1} documents valid, each refused once doctored" if not bad else f"{len(bad)} errors")
    return 1 if bad else 0


SAMPLE_FIELDS = ["frame.time_epoch", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "ip.proto", "ipv6.nxt",
                 "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport", "frame.comment"]


def sample_flow(f):
    """The flow label pktpath-kstat prints, from tshark's fields of one sample."""
    v6 = bool(f["ipv6.src"])
    proto = {"6": "tcp", "17": "udp"}.get(f["ipv6.nxt"] if v6 else f["ip.proto"], "?")
    sport, dport = (f["tcp.srcport"], f["tcp.dstport"]) if proto == "tcp" else (f["udp.srcport"], f["udp.dstport"])
    src, dst = (f"[{f['ipv6.src']}]", f"[{f['ipv6.dst']}]") if v6 else (f["ip.src"], f["ip.dst"])
    return f"{proto} {src}:{sport} > {dst}:{dport}"


def samples(args):
    doc = load(args[0])
    unstaged = args[3].split(",") if len(args) > 3 and args[2] == "--unstaged" else []
    names = stage_names(doc)
    table = rows(doc)
    got, by_reason, bad, last_ts, n = {}, {}, [], 0.0, 0
    cmd = ["tshark", "-r", args[1], "-T", "fields", "-E", "separator=/t"]
    for field in SAMPLE_FIELDS:
        cmd += ["-e", field]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        f = dict(zip(SAMPLE_FIELDS, line.split("\t")))
        n += 1
        c = dict(kv.split("=", 1) for kv in f["frame.comment"].split(" ") if "=" in kv)
        flow, segs = sample_flow(f), int(c.get("segs", "0"))
        got[(flow, c.get("reason"))] = got.get((flow, c.get("reason")), 0) + segs
        by_reason[c.get("reason")] = by_reason.get(c.get("reason"), 0) + segs
        p = table.get(flow, ([0],))[0]
        last = names[max(i for i in range(len(names)) if p[i])] if any(p) else "-"
        if c.get("stage") != last and not (c.get("stage") == "-" and c.get("reason") in unstaged):
            bad.append(f"sample {n} ({flow}, {c.get('reason')}): stage {c.get('stage')}, the flow's last {last}")
        ts = float(f["frame.time_epoch"])
        if ts < last_ts:
            bad.append(f"sample {n}: timestamp {ts} before the previous one's {last_ts}")
        last_ts = ts
    want = {(r["flow"], r["reason"]): r["frames"] for r in doc["frees"] if r["by"] == "kfree_skb"}
    for k in sorted(set(want) | set(got)):
        if want.get(k, 0) != got.get(k, 0):
            bad.append(f"{k[0]} {k[1]}: {want.get(k, 0)} frames in the drop table, {got.get(k, 0)} in the samples")
    for r in doc["reasons"]:
        if r["frames"] != by_reason.get(r["reason"], 0):
            bad.append(f"reason {r['reason']}: {r['frames']} frames dropped, {by_reason.get(r['reason'], 0)} sampled")
    for b in bad[:15]:
        print("FAIL:", b)
    print(f"{n} samples, {sum(got.values())} frames: " +
          " ".join(f"{r}={v}" for r, v in sorted(by_reason.items())) if not bad else f"{len(bad)} differences")
    return 1 if bad or not n else 0


def udp_flow(fr):
    """(addresses, ports) of an Ethernet IPv4/IPv6 UDP frame, or None."""
    et = fr[12:14]
    if et == b"\x08\x00" and fr[23] == 17:
        return fr[26:34] + fr[34:38]
    if et == b"\x86\xdd" and fr[20] == 17:
        return fr[22:54] + fr[54:58]
    return None


def kept(args):
    got, cap, n = pcap_frames(args[0]), pcap_frames(args[1]), int(args[2])
    receiver = bytes.fromhex("525400000002")
    provoked = {}
    for fr in cap:
        if fr[:6] == receiver and udp_flow(fr):
            provoked.setdefault(udp_flow(fr), []).append(fr)
    seen, bad = {}, []
    for i, fr in enumerate(got):
        f = udp_flow(fr)
        k = seen.get(f, 0)
        if f not in provoked or k >= len(provoked[f]) or provoked[f][k] != fr:
            bad.append(f"sample {i + 1} ({len(fr)} bytes) is not its flow's next provoked frame ({k + 1})")
        seen[f] = k + 1
    if len(got) != n:
        bad.append(f"{len(got)} samples, not {n}")
    for b in bad[:10]:
        print("FAIL:", b)
    print(f"{len(got)} samples: the first {', '.join(str(v) for v in seen.values())} frames of {len(seen)} flows"
          if not bad else f"{len(bad)} differences")
    return 1 if bad else 0


def total(args):
    doc = load(args[0])
    print(doc["table"]["totals"]["packets"][stage_names(doc).index(args[1])])
    return 0


def symbol(args):
    print(" ".join(p["symbol"] for p in load(args[0])["module"]["probes"]
                   if p["stage"] == args[1] and p["state"] == "attached"))
    return 0


def points(args):
    probes = load(args[0])["module"]["probes"]
    print(" ".join(f"{p['stage']}={p['symbol']}({p['kind']})" if p["state"] == "attached"
                   else f"{p['stage']}:{p['spec']}=FAILED({p['why']})" for p in probes))
    return 0


def reasons(args):
    doc = load(args[0])
    print("drops " + (" ".join(f"{r['reason']}={r['frames']}" +
                              (f"@{r['locations'][0]['where']}" if r["locations"] else "")
                              for r in doc["reasons"]) or "none") + f"; consumed {doc['totals']['consumed']}")
    return 0


COMMANDS = {"compare": compare, "conserve": conserve, "loss": loss, "attached": attached, "missing": missing,
            "clean": clean, "gro": gro, "schema": schema, "samples": samples, "kept": kept, "symbol": symbol, "total": total, "points": points, "reasons": reasons}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
