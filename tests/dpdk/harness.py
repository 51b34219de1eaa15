#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""pktpath-dpdk against what was sent: the input captures and pktpath-replay on the same files.

  harness.py --dpdk BIN --replay BIN --schema SCHEMA --source DIR PART

PART is one of:
  consistency  per-flow frame counts, keys, flows and totals equal pktpath-replay's (three key
               settings, both bundled captures); bytes equal the captured lengths
  tx           --tx with tx_pcap writes every forwarded frame byte-identical to the input, in order
  ring         a deliberately small ring: drops at the ring stage equal the ring's own drop
               counter, and every frame is still accounted for (one lcore, and RX and worker apart)
  secondary    a secondary process attaches to the running primary's table (hugepages, reserved
               and released here) and reads consistent snapshots
  usage        bad EAL and application arguments exit with their documented codes and a message
  selftest     the checks reject doctored documents (each assertion can fail)

Every run uses its own --file-prefix and must leave no /var/run/dpdk/<prefix> behind.
Exit: 0 pass, 1 failure, 77 skipped (secondary without root or hugepages; schema without jsonschema).
"""
import argparse
import copy
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

FAILURES = []
STAGES = ["rx", "ring", "worker", "tx", "drop"]
COL = {s: i for i, s in enumerate(STAGES)}
EAL = ["--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=error"]
RUNTIME = "/var/run/dpdk"
TWO_WORKERS = "0@0,1@1,2@1"  # EAL --lcores: lcore 0 receives, lcores 1 and 2 share CPU 1
SKIP = 77


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)
    return cond


def read_pcap(path):
    """[(caplen, origlen, data)] of a pcap file, either byte order."""
    with open(path, "rb") as f:
        b = f.read()
    magic = struct.unpack("<I", b[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    out, at = [], 24
    while at + 16 <= len(b):
        _, _, incl, orig = struct.unpack(end + "IIII", b[at:at + 16])
        out.append((incl, orig, b[at + 16:at + 16 + incl]))
        at += 16 + incl
    return out


class Runner:
    def __init__(self, dpdk, replay):
        self.dpdk, self.replay, self.n = dpdk, replay, 0

    def prefix(self):
        self.n += 1
        return f"pktpath-test-{os.getpid()}-{self.n}"

    def dpdk_run(self, eal, app, timeout=60, **kw):
        """Runs pktpath-dpdk; checks it left no runtime directory (and removes any)."""
        p = self.prefix()
        r = subprocess.run([self.dpdk, *eal, "--file-prefix", p, "--", *app], capture_output=True, text=True,
                           timeout=timeout, **kw)
        left = os.path.join(RUNTIME, p)
        check(not os.path.exists(left), f"pktpath-dpdk left {left} behind")
        shutil.rmtree(left, ignore_errors=True)
        return r

    def dpdk_json(self, label, capture, app, lcores="0", vdev_extra=""):
        eal = EAL + ["--lcores", lcores, f"--vdev=net_pcap0,rx_pcap={capture}{vdev_extra}"]
        r = self.dpdk_run(eal, ["--json", "--top", "all", "--stats", "0", *app])
        if not check(r.returncode == 0, f"{label}: exit {r.returncode}: {r.stderr[-400:]}"):
            return None
        return json.loads(r.stdout)

    def replay_json(self, capture, args):
        r = subprocess.run([self.replay, "--json", "--top", "all", "--no-progress", *args, capture],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"pktpath-replay {args} {capture}: exit {r.returncode}")
        return json.loads(r.stdout)


def rows_errors(tab, label):
    """Where the rows of a table export (listed flows, other, overflow, unclassified) miss its totals."""
    return [f"{label}{kind} rows do not add up at {STAGES[s]}"
            for kind in ("packets", "bytes") for s in range(len(STAGES))
            if sum(f[kind][s] for f in tab["flows"]) + tab["other"][kind][s] + tab["overflow"][kind][s]
            + sum(u[kind][s] for u in tab["unclassified"]) != tab["totals"][kind][s]]


def invariant_errors(j):
    """What does not hold of a pktpath-dpdk document (docs/dpdk.md, "Outputs")."""
    bad = []

    def need(cond, what):
        if not cond:
            bad.append(what)

    t, tab = j["totals"], j["table"]
    tp = tab["totals"]["packets"]
    need([s["name"] for s in tab["stages"]] == STAGES, "table stages are not pktpath-dpdk's")
    need(t["frames"] == t["tx"] + t["ring_dropped"] + t["worker_freed"],
         "totals.frames != tx + ring_dropped + worker_freed")
    need(tp[COL["rx"]] == t["frames"] and tp[COL["tx"]] == t["tx"] and tp[COL["drop"]] == t["worker_freed"],
         "table totals disagree with totals")
    need(tp[COL["rx"]] - tp[COL["ring"]] == t["ring_dropped"], "rx - ring != totals.ring_dropped")
    need(t["ring_dropped"] == sum(r["drops"] for r in j["rings"]), "ring_dropped != the rings' drop counters")
    need(tp[COL["ring"]] == sum(r["enqueued"] for r in j["rings"]), "ring stage != frames the rings took")
    need(tp[COL["worker"]] == tp[COL["ring"]], "frames left in a ring at the end")
    need(tp[COL["worker"]] == tp[COL["tx"]] + tp[COL["drop"]], "worker != tx + drop")
    need(sum(r["tx"] for r in j["rings"]) == t["tx"] and sum(r["freed"] for r in j["rings"]) == t["worker_freed"],
         "the rings' tx/freed disagree with the table")
    need(t["frames"] == sum(p["ipackets"] for p in j["ports"]), "totals.frames != the ports' ipackets")
    need(t["unclassified"] == sum(j["unclassified"].values()), "totals.unclassified != sum of unclassified")
    need(t["flows"] == tab["flow_count"], "totals.flows != table.flow_count")
    need(sum(c["dropped"] for c in j["softnet"]) == t["ring_dropped"], "softnet dropped != ring_dropped")
    for c in j["softnet"]:
        need(c["time_squeeze"] == c["budget_exhausted"] + c["time_exhausted"], f"lcore {c['lcore']}: squeeze sum")
    bad += rows_errors(tab, "table ")
    by_to = {d["to"]: d["frames"] for d in j["drops"]}
    need(by_to.get("ring") == t["ring_dropped"], "drops to ring != ring_dropped")
    return bad


def validate(schema_path):
    """A function giving a document's schema errors, or None without jsonschema."""
    try:
        import jsonschema
    except ImportError:
        return None
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    v = cls(schema)
    return lambda doc: [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(doc)]


def check_doc(label, j, schema_errors):
    if j is None:
        return
    for what in invariant_errors(j):
        check(False, f"{label}: invariant: {what}")
    if schema_errors:
        for e in schema_errors(j)[:5]:
            check(False, f"{label}: schema: {e}")


def flows_by_text(tab, col):
    return {f["flow"]: (f["key"], f["packets"][col], f["bytes"][col]) for f in tab["flows"]}


def part_consistency(run, caps, schema_errors):
    for cap in caps:
        frames = read_pcap(cap)
        snapped = sum(orig - incl for incl, orig, _ in frames)
        # The last: three lcores on the two CPUs, one RX and two workers
        # (frames steered by Toeplitz over their keys; net_pcap has no RSS).
        for keys, lcores in (([], "0"), (["--symmetric"], "0"), (["--inner", "--vlan-key"], "0"),
                             ([], TWO_WORKERS)):
            label = f"{os.path.basename(cap)} {' '.join(keys) or 'default'} --lcores {lcores}"
            d = run.dpdk_json(label, cap, keys, lcores=lcores)
            check_doc(label, d, schema_errors)
            rp = run.replay_json(cap, keys)
            if d is None:
                continue
            df, rf = flows_by_text(d["table"], COL["rx"]), flows_by_text(rp["table"], 0)
            check(set(df) == set(rf), f"{label}: flows differ: {sorted(set(df) ^ set(rf))[:5]}")
            for name in set(df) & set(rf):
                check(df[name][0] == rf[name][0], f"{label}: {name}: keys differ")
                check(df[name][1] == rf[name][1], f"{label}: {name}: {df[name][1]} frames at rx, "
                                                  f"{rf[name][1]} on the replay's wire")
                check(df[name][2] <= rf[name][2], f"{label}: {name}: more bytes than on the wire")
            check(d["totals"]["frames"] == rp["totals"]["frames"] == len(frames),
                  f"{label}: frames {d['totals']['frames']} (dpdk), {rp['totals']['frames']} (replay), "
                  f"{len(frames)} (capture)")
            check(d["totals"]["flows"] == rp["totals"]["flows"], f"{label}: flow counts differ")
            check(d["unclassified"] == rp["unclassified"], f"{label}: unclassified {d['unclassified']} "
                                                           f"!= {rp['unclassified']}")
            # net_pcap hands over the captured bytes: pkt_len is the captured length.
            check(d["totals"]["bytes"] == sum(incl for incl, _, _ in frames) == rp["totals"]["bytes"] - snapped,
                  f"{label}: bytes {d['totals']['bytes']}, replay {rp['totals']['bytes']}, snapped {snapped}")
            print(f"{label}: {len(df)} flows, {d['totals']['frames']} frames, as pktpath-replay")


def in_order(sub, seq):
    """Whether sub is seq with some elements left out, in seq's order."""
    it = iter(seq)
    return all(any(x == y for y in it) for x in sub)


def part_tx(run, caps, schema_errors, tmp):
    for cap in caps:
        out = os.path.join(tmp, "out-" + os.path.basename(cap))
        # One lcore alternates RX and worker polls: nothing is dropped.  With RX
        # and worker apart the ring must hold what the slower pcap writer lags.
        for lcores, app in (("0", []), ("0,1", ["--ring", "16384", "--mbufs", "20000"]),
                            ("0,1", ["--ring", "64"])):
            label = f"tx {os.path.basename(cap)} -l {lcores} {' '.join(app)}"
            d = run.dpdk_json(label, cap, ["--tx", *app], lcores=lcores, vdev_extra=f",tx_pcap={out}")
            check_doc(label, d, schema_errors)
            if d is None:
                continue
            sent, got = [f[2] for f in read_pcap(cap)], [f[2] for f in read_pcap(out)]
            check(len(got) == d["totals"]["tx"], f"{label}: {len(got)} frames in tx_pcap, {d['totals']['tx']} sent")
            check(in_order(got, sent), f"{label}: the frames written are not the input's, in its order")
            if "64" not in app:
                check(got == sent, f"{label}: {len(sent) - len(got)} of {len(sent)} frames not written unchanged")
            print(f"{label}: {len(got)} of {len(sent)} frames written byte-identical, in input order "
                  f"({d['totals']['ring_dropped']} dropped at the ring)")
        # Two workers, each with its TX queue and file: every frame is in one
        # of them, each file in input order.
        outs = [os.path.join(tmp, f"w{i}-" + os.path.basename(cap)) for i in (0, 1)]
        label = f"tx {os.path.basename(cap)} two workers"
        d = run.dpdk_json(label, cap, ["--tx", "--ring", "16384", "--mbufs", "20000"], lcores=TWO_WORKERS,
                          vdev_extra="".join(f",tx_pcap={o}" for o in outs))
        check_doc(label, d, schema_errors)
        if d is not None:
            sent = [f[2] for f in read_pcap(cap)]
            got = [[f[2] for f in read_pcap(o)] for o in outs]
            check(all(in_order(g, sent) for g in got), f"{label}: a worker's file is not in input order")
            check(sorted(got[0] + got[1]) == sorted(sent), f"{label}: the files do not hold the input's frames")
            check(all(r["enqueued"] > 0 for r in d["rings"]) and len(d["rings"]) == 2,
                  f"{label}: not both workers had frames: {d['rings']}")
            print(f"{label}: {len(got[0])} + {len(got[1])} frames, the input's, each file in input order")


def part_ring(run, caps, schema_errors):
    cap = caps[0]
    for lcores, app in (("0", ["--ring", "16"]), ("0,1", ["--ring", "64", "--worker-cost", "2000"])):
        label = f"ring -l {lcores} {' '.join(app)}"
        d = run.dpdk_json(label, cap, app, lcores=lcores)
        check_doc(label, d, schema_errors)
        if d is None:
            continue
        tp = d["table"]["totals"]["packets"]
        ring_drops = sum(r["drops"] for r in d["rings"])
        check(ring_drops > 0, f"{label}: the small ring dropped nothing")
        check(tp[COL["rx"]] - tp[COL["ring"]] == ring_drops,
              f"{label}: rx - ring = {tp[COL['rx']] - tp[COL['ring']]}, the ring's counter {ring_drops}")
        check(d["totals"]["frames"] == len(read_pcap(cap)), f"{label}: frames received != frames sent")
        print(f"{label}: the ring's counter {ring_drops}, the table's rx - ring "
              f"{tp[COL['rx']] - tp[COL['ring']]}; {d['totals']['frames']} frames = {d['totals']['tx']} tx "
              f"+ {d['totals']['ring_dropped']} ring + {d['totals']['worker_freed']} freed")


def snapshot_errors(snaps):
    bad = []
    prev = None
    for i, s in enumerate(snaps):
        p = s["totals"]["packets"]
        if not (p[COL["rx"]] >= p[COL["ring"]] >= p[COL["worker"]] >= p[COL["tx"]] + p[COL["drop"]]):
            bad.append(f"snapshot {i}: a stage shows more than the one before it: {p}")
        bad += rows_errors(s, f"snapshot {i}: ")
        if prev is not None and any(a < b for a, b in zip(p, prev)):
            bad.append(f"snapshot {i}: a total went backwards: {prev} -> {p}")
        prev = p
    return bad


def part_secondary(run, caps, tmp):
    if os.geteuid() != 0:
        print("secondary: skipped: reserving hugepages needs root")
        return SKIP
    nr = "/proc/sys/vm/nr_hugepages"
    with open(nr) as f:
        old = int(f.read())
    huge = tempfile.mkdtemp(prefix="pktpath-huge.", dir=tmp)
    runtime_existed = os.path.isdir(RUNTIME)
    prefix = run.prefix()
    primary = None
    mounted = False
    try:
        with open(nr, "w") as f:
            f.write(str(old + 128))
        with open("/proc/meminfo") as f:
            free = int(next(line for line in f if line.startswith("HugePages_Free")).split()[1])
        if free < 128:
            print(f"secondary: skipped: only {free} free 2 MB hugepages could be reserved, 128 needed")
            return SKIP
        mounted = subprocess.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", huge]).returncode == 0
        if not mounted:
            print("secondary: skipped: cannot mount hugetlbfs")
            return SKIP
        eal = ["-m", "200", "--huge-dir", huge, "--file-prefix", prefix, "--no-pci", "--no-telemetry",
               "--log-level=error"]
        # A secondary's EAL probes the primary's vdevs with their arguments cut to
        # 63 bytes (DPDK 22.11), and net_pcap crashes on an "infinite_rx" cut from
        # its value: infinite_rx first, the capture by a short link.
        short = os.path.join(tmp, "d.pcap")
        os.symlink(caps[0], short)
        vdev_args = f"infinite_rx=1,rx_pcap={short}"
        check(len(vdev_args) <= 63, f"secondary: the vdev's arguments are over 63 bytes (a shorter TMPDIR): {vdev_args}")
        primary = subprocess.Popen([run.dpdk, *eal, "-l", "0", f"--vdev=net_pcap0,{vdev_args}", "--",
                                    "--mbufs", "16384", "--json", "--stats", "0"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        snaps, deadline, r = [], time.time() + 30, None
        while time.time() < deadline and primary.poll() is None:
            r = subprocess.run([run.dpdk, *eal, "-l", "1", "--proc-type=secondary", "--", "--read",
                                "--snapshots", "8", "--interval", "50", "--top", "all"],
                               capture_output=True, text=True, timeout=60)
            if r.returncode == 0:
                snaps = [json.loads(line) for line in r.stdout.splitlines()]
                break
            time.sleep(0.2)  # the primary is still starting (no shared config or no table yet)
        check(primary.poll() is None, "the primary ended before the secondary read it")
        check(len(snaps) == 8, f"secondary: {len(snaps)} snapshots, want 8"
                               + (f" (its last exit {r.returncode}: {r.stderr[-300:]})" if r else ""))
        for what in snapshot_errors(snaps):
            check(False, f"secondary: {what}")
        grew = len(snaps) > 1 and snaps[-1]["totals"]["packets"][0] > snaps[0]["totals"]["packets"][0]
        check(grew, "secondary: the counts did not grow while the primary ran")
        primary.send_signal(signal.SIGINT)
        out, err = primary.communicate(timeout=30)
        check(primary.returncode == 0, f"primary after SIGINT: exit {primary.returncode}: {err[-300:]}")
        final = json.loads(out) if primary.returncode == 0 else None
        if final and snaps:
            fp, sp = final["table"]["totals"]["packets"], snaps[-1]["totals"]["packets"]
            check(all(a >= b for a, b in zip(fp, sp)), "the primary's final counts are below a snapshot's")
            check(final["table"]["flow_count"] == snaps[-1]["flow_count"] == 16,
                  "the secondary saw other flows than the primary")
            for what in invariant_errors(final):
                check(False, f"primary: invariant: {what}")
            print(f"secondary: 8 consistent snapshots, rx {snaps[0]['totals']['packets'][0]} -> "
                  f"{sp[0]}; the primary ended at {fp[0]} frames after SIGINT")
        return 0
    finally:
        if primary is not None and primary.poll() is None:
            primary.kill()
            primary.wait()
        if mounted:
            subprocess.run(["umount", huge])  # frees the hugepage files with the mount
        shutil.rmtree(huge, ignore_errors=True)
        with open(nr, "w") as f:
            f.write(str(old))
        shutil.rmtree(os.path.join(RUNTIME, prefix), ignore_errors=True)
        if not runtime_existed:
            try:
                os.rmdir(RUNTIME)
            except OSError:
                pass


def part_usage(run, caps):
    vdev = f"--vdev=net_pcap0,rx_pcap={caps[0]}"
    cases = [
        ("unknown EAL option", EAL + ["-l", "0", "--no-such-eal-option", vdev], [], 1, "EAL"),
        ("EAL lcore that does not exist", EAL + ["-l", "4000", vdev], [], 1, "EAL"),
        ("unknown application option", EAL + ["-l", "0", vdev], ["--frobnicate"], 2, "unknown option --frobnicate"),
        ("ring not a power of two", EAL + ["-l", "0", vdev], ["--ring", "1000"], 2, "--ring"),
        ("burst too large", EAL + ["-l", "0", vdev], ["--burst", "4096"], 2, "--burst"),
        ("--json and --csv", EAL + ["-l", "0", vdev], ["--json", "--csv"], 2, "one of --json"),
        ("all lcores receive", EAL + ["-l", "0,1", vdev], ["--rx-lcores", "2"], 2, "no worker"),
        ("no port", EAL + ["-l", "0"], [], 4, "no port"),
        ("a missing capture", EAL + ["-l", "0", "--vdev=net_pcap0,rx_pcap=/nonexistent.pcap"], [], 4, "no port"),
        ("--read without a primary", EAL + ["-l", "0"], ["--read"], 4, "--read"),
    ]
    for label, eal, app, want, says in cases:
        r = run.dpdk_run(eal, app)
        check(r.returncode == want, f"{label}: exit {r.returncode}, want {want}: {r.stderr[-300:]}")
        check(says in r.stderr, f"{label}: the message does not say '{says}': {r.stderr[-300:]}")
    print(f"usage: {len(cases)} bad invocations, each with its code and message")


def part_selftest(run, caps, schema_errors):
    base = run.dpdk_json("selftest base", caps[0], ["--ring", "16"])
    if base is None:
        return

    def doctored(label, change, schema=False):
        d = copy.deepcopy(base)
        change(d)
        rejected = bool(schema_errors(d)) if schema else bool(invariant_errors(d))
        check(rejected, f"doctored document accepted: {label}")

    check(not invariant_errors(base), "the undoctored document fails its invariants")
    doctored("a ring drop the ring did not count", lambda d: d["rings"][0].update(drops=d["rings"][0]["drops"] - 1))
    doctored("a frame sent twice", lambda d: d["totals"].update(tx=d["totals"]["tx"] + 1))
    doctored("a frame left in the ring", lambda d: d["table"]["totals"]["packets"].__setitem__(COL["worker"], 0))
    doctored("a flow row lost", lambda d: d["table"]["flows"].pop())
    doctored("a port that received more", lambda d: d["ports"][0].update(ipackets=d["ports"][0]["ipackets"] + 1))
    snaps = [base["table"], copy.deepcopy(base["table"])]
    check(not snapshot_errors(snaps), "two equal snapshots are inconsistent")
    snaps[1]["totals"]["packets"][0] -= 1
    snaps[1]["other"]["packets"][0] -= 1
    check(bool(snapshot_errors(snaps)), "a snapshot going backwards is accepted")
    if schema_errors:
        check(not schema_errors(base), "the undoctored document fails the schema")
        doctored("an unknown field", lambda d: d.update(extra=1), schema=True)
        doctored("schema pktpath-replay/1", lambda d: d.update(schema="pktpath-replay/1"), schema=True)
        doctored("six stages per row", lambda d: d["table"]["totals"]["packets"].append(0), schema=True)
        doctored("a role 'nic'", lambda d: d["softnet"][0].update(role="nic"), schema=True)
    print("selftest: doctored documents are rejected")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dpdk", required=True)
    ap.add_argument("--replay", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("part", choices=["consistency", "tx", "ring", "secondary", "usage", "selftest"])
    a = ap.parse_args()
    caps = [os.path.join(a.source, "examples", "captures", n) for n in ("drops.pcap", "mix.pcap")]
    run = Runner(a.dpdk, a.replay)
    schema_errors = validate(a.schema)
    if schema_errors is None:
        print("schema: the Python module jsonschema is not installed: invariants only")
    tmp = tempfile.mkdtemp(prefix="pktpath-dpdk-test.")
    rc = 0
    try:
        if a.part == "consistency":
            part_consistency(run, caps, schema_errors)
        elif a.part == "tx":
            part_tx(run, caps, schema_errors, tmp)
        elif a.part == "ring":
            part_ring(run, caps, schema_errors)
        elif a.part == "secondary":
            rc = part_secondary(run, caps, tmp)
        elif a.part == "usage":
            part_usage(run, caps)
        else:
            part_selftest(run, caps, schema_errors)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print(f"dpdk {a.part}: FAIL ({len(FAILURES)} failures)")
        return 1
    print(f"dpdk {a.part}: {'skipped' if rc == SKIP else 'ok'}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
