#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""End-to-end checks of pktpath-replay (its interface and its accounting).

- the bundled examples/captures/drops.pcap is exactly what `pktpath-gencap drops` writes;
- JSON totals obey conservation (frames = delivered + dropped + unclassified, drops per
  stage and unclassified per status add up, the table agrees) on the bundled captures,
  in sim and live mode, and on every corpus capture;
- flow counts and per-flow frame counts equal tshark's oracle on the corpus
  (PKTPATH_CORPUS_DIR / --corpus; skipped with a message when absent), on every file
  whose frames tshark and pktpath may fairly be compared on (see tests/corpus);
- the sim mode gives identical output twice; --dump-drops reads back with the project's
  reader (pktpath-flows) and with tcpdump; --prom passes promtool and is written
  atomically; --csv agrees with --json; the filter counts what it selects;
- corrupt or missing captures give the documented message (file, offset) and exit 1,
  and so does a capture another process cuts while it is replayed (no SIGBUS)
  without losing the report of the other files; bad usage exits 2; an unwritable
  output exits 3.
Exit: 0 pass, 1 failure.
"""
import argparse
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def replay_json(replay, *args):
    r = run(replay, "--json", *args)
    try:
        return r, json.loads(r.stdout)
    except json.JSONDecodeError:
        return r, None


def conserved(j, label):
    t = j["totals"]
    ok = t["frames"] == t["delivered"] + t["dropped"] + t["unclassified"]
    check(ok, f"{label}: frames {t['frames']} != delivered {t['delivered']} + dropped {t['dropped']}"
              f" + unclassified {t['unclassified']}")
    check(sum(d["frames"] for d in j["drops"]) == t["dropped"], f"{label}: drops per stage do not add up")
    check(sum(j["unclassified"].values()) == t["unclassified"], f"{label}: unclassified per status do not add up")
    names = [s["name"] for s in j["table"]["stages"]]
    tot = j["table"]["totals"]["packets"]
    check(tot[names.index("wire")] == t["frames"], f"{label}: table wire total != frames")
    check(tot[names.index("deliver")] == t["delivered"], f"{label}: table deliver total != delivered")
    check(tot[names.index("unclassified")] == t["unclassified"], f"{label}: table unclassified != unclassified")
    check(t["flows"] == j["table"]["flow_count"], f"{label}: flows != table flow_count")
    return ok


def without_run(text):
    j = json.loads(text)
    j.pop("run", None)
    return j


# ---- corpus -----------------------------------------------------------------

def read_oracle(path):
    rows = []
    header = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                header = line[1:].split("\t")
                continue
            cols = dict(zip(header, line.split("\t")))
            if cols.get("record") == "packet":
                rows.append(cols)
    return rows


def read_allowlist(path):
    allow = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, frame, reason = line.split("\t", 2)
            allow.setdefault(name, []).append((frame, reason))
    return allow


def strict(row):
    """The fair comparison of docs/testing.md: not malformed, not snap-cut, no
    expert error, IP reached through a plain link layer (or no IP at all)."""
    return (row.get("malformed") == "0" and row.get("short") == "0" and row.get("expert_error") == "0"
            and row.get("simple_l2") in ("1", ""))


def oracle_flows(rows, skip_frames):
    flows = {}
    for r in rows:
        if not r["src"] or int(r["pkt"]) in skip_frames:
            continue
        k = (r["src"], r["dst"], r["proto"], r["sport"], r["dport"])
        flows[k] = flows.get(k, 0) + 1
    return flows


def pktpath_flows(j):
    names = [s["name"] for s in j["table"]["stages"]]
    wire = names.index("wire")
    flows = {}
    for f in j["table"]["flows"]:
        k = f["key"]
        ports = k["ports"]
        key = (k["src"], k["dst"], str(k["proto"]), str(k["sport"]) if ports else "", str(k["dport"]) if ports else "")
        flows[key] = flows.get(key, 0) + f["packets"][wire]
    return flows


def corpus_checks(replay, corpus, allowlist_path):
    if not corpus or not os.path.isdir(corpus):
        print(f"corpus: skipped, {corpus!r} is not a directory (set PKTPATH_CORPUS_DIR)")
        return
    allow = read_allowlist(allowlist_path)
    files = []
    for root, _, names in os.walk(corpus):
        for n in names:
            if n.endswith(".flows.tsv"):
                files.append(os.path.join(root, n[: -len(".flows.tsv")]))
    files.sort()
    compared = exact = allowlisted = unfair = unfair_equal = rejected = 0
    for path in files:
        rel = os.path.relpath(path, corpus)
        rows = read_oracle(path + ".flows.tsv")
        r, j = replay_json(replay, "--top", "all", "--no-progress", path)
        if j is None:
            check(False, f"{rel}: no JSON (exit {r.returncode}): {r.stderr[:200]}")
            continue
        conserved(j, rel)
        if not rows:
            # tshark read nothing: the five captures it rejects; pktpath must reject them too.
            if j["captures"][0]["error"] is not None:
                rejected += 1
                check(r.returncode == 1, f"{rel}: rejected capture but exit {r.returncode}")
                check(rel.split("/")[-1] in r.stderr and "offset" in r.stderr, f"{rel}: error message names no file/offset")
            continue
        check(r.returncode == 0, f"{rel}: exit {r.returncode}: {r.stderr[:200]}")
        check(j["totals"]["frames"] == len(rows), f"{rel}: {j['totals']['frames']} frames, tshark {len(rows)}")
        compared += 1
        entries = allow.get(rel, [])
        if any(frame == "*" for frame, _ in entries):
            allowlisted += 1
            continue
        if not all(strict(row) for row in rows if row["src"] or row["ipver"]):
            unfair += 1
            unfair_equal += pktpath_flows(j) == oracle_flows(rows, set())
            continue
        skip = {int(frame) for frame, _ in entries if frame.isdigit()}
        want = oracle_flows(rows, skip)
        got = pktpath_flows(j)
        if skip:
            # The allowlisted frames have no key in pktpath (see the allowlist's reason).
            allowlisted += 1
        check(got == want, f"{rel}: flows differ from tshark's:\n  pktpath {sorted(got.items())[:6]}\n"
                           f"  tshark  {sorted(want.items())[:6]}")
        check(j["totals"]["flows"] == len(want), f"{rel}: {j['totals']['flows']} flows, tshark {len(want)}")
        exact += 1
    print(f"corpus: {len(files)} captures; {compared} read by both, {exact} compared flow by flow with tshark "
          f"(flows and per-flow frames equal), {allowlisted} allowlisted (IPv6 AH policy, header bound), "
          f"{unfair} with frames tshark itself marks malformed/short/expert-error or non-plain L2 "
          f"(conservation checked; flows equal anyway in {unfair_equal}), {rejected} rejected by both")


# ---- main -------------------------------------------------------------------

def shrinking_capture(replay, pcap, tmp):
    """A capture another process cuts while it is replayed: no SIGBUS; the
    file ends with errc::shrunk, the report covers every frame read, exit 1."""
    big = os.path.join(tmp, "shrinks.pcap")
    with open(big, "wb") as f:
        f.write(pcap[:24])
        for _ in range(600):  # about 400 MB of drops.pcap's records
            f.write(pcap[24:])
    size = os.path.getsize(big)
    p = subprocess.Popen([replay, "--json", "--no-progress", big], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    # Stop it once the file is mapped, cut the file, let it go on.
    deadline = time.monotonic() + 10
    mapped = False
    while time.monotonic() < deadline and not mapped and p.poll() is None:
        try:
            with open(f"/proc/{p.pid}/maps") as m:
                mapped = big in m.read()
        except OSError:
            pass
    os.kill(p.pid, signal.SIGSTOP)
    os.truncate(big, size // 4)
    os.kill(p.pid, signal.SIGCONT)
    out, err = p.communicate(timeout=120)
    check(mapped, "shrink: the replay mapped the capture")
    check(p.returncode == 1, f"shrink: exit {p.returncode} (-7 would be SIGBUS): {err[-300:]!r}")
    check("shrank" in err and "shrinks.pcap" in err, f"shrink: message {err[-300:]!r}")
    try:
        j = json.loads(out)
    except ValueError:
        check(False, "shrink: the report is JSON")
        return
    c = j["captures"][0]
    check(not c["complete"] and c["error"]["code"] == "shrunk", f"shrink: capture status {c}")
    check(c["error"]["offset"] <= size, "shrink: the offset lies in the file")
    check(j["totals"]["frames"] == c["frames"] and 0 < c["frames"] < 600 * 9130, "shrink: frames read before the cut")
    conserved(j, "shrunk capture")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--replay", required=True)
    ap.add_argument("--gencap", required=True)
    ap.add_argument("--flows", required=True, help="pktpath-flows, to read --dump-drops back")
    ap.add_argument("--source", required=True)
    ap.add_argument("--corpus", default=os.environ.get("PKTPATH_CORPUS_DIR", ""))
    a = ap.parse_args()
    caps = os.path.join(a.source, "examples", "captures")
    mix, drops = os.path.join(caps, "mix.pcap"), os.path.join(caps, "drops.pcap")
    tmp = tempfile.mkdtemp(prefix="pktpath-replay-cli.")
    try:
        # Bundled capture is the generator's output.
        fresh = os.path.join(tmp, "drops.pcap")
        g = run(a.gencap, "drops", fresh)
        check(g.returncode == 0, f"gencap drops: exit {g.returncode}")
        with open(fresh, "rb") as x, open(drops, "rb") as y:
            check(x.read() == y.read(), "bundled drops.pcap differs from `pktpath-gencap drops`")
        check(os.path.getsize(drops) < 1000000, "drops.pcap is not below 1 MB")

        # Default run: human report.
        r = run(a.replay, drops)
        check(r.returncode == 0, f"default run exit {r.returncode}: {r.stderr}")
        for want in ("totals", "dropped at rx_ring", "backlog", "softnet", "lost between wire and rx_ring"):
            check(want in r.stdout, f"human report lacks {want!r}")
        check(r.stderr == "", f"progress or noise on a non-terminal stderr: {r.stderr[:100]!r}")

        # JSON: conservation, the drops the capture is built for, determinism.
        r1, j = replay_json(replay := a.replay, drops)
        check(j is not None and r1.returncode == 0, "drops.pcap --json")
        conserved(j, "drops.pcap")
        check(j["schema"] == "pktpath-replay/1", "schema name")
        by_stage = {d["to"]: d["frames"] for d in j["drops"]}
        check(by_stage["rx_ring"] > 0 and by_stage["backlog"] > 0, f"drops.pcap: expected rx_ring and backlog drops: {by_stage}")
        check(by_stage["rx_ring"] == j["nic"]["rx_missed"], "rx_ring drops != nic rx_missed")
        check(by_stage["backlog"] == sum(c["dropped"] for c in j["softnet"]), "backlog drops != softnet dropped")
        check(j["unclassified"]["truncated"] == 10 and j["unclassified"]["unsupported_l3"] == 20, "unclassified by status")
        r2 = run(replay, "--json", drops)
        check(without_run(r1.stdout) == without_run(r2.stdout), "sim mode: two runs differ")
        r3 = run(replay, "--json", "--cpus", "4", "--ring", "256", "--speed", "2x", drops)
        r4 = run(replay, "--json", "--cpus", "4", "--ring", "256", "--speed", "2x", drops)
        check(r3.returncode == 0 and without_run(r3.stdout) == without_run(r4.stdout), "sim mode with knobs: two runs differ")
        conserved(json.loads(r3.stdout), "drops.pcap --cpus 4 --ring 256 --speed 2x")
        _, jm = replay_json(replay, mix)
        conserved(jm, "mix.pcap")
        check(jm["totals"]["dropped"] == 0, "mix.pcap: the default model drops nothing")
        # Several files in order; rate timing; live mode.
        _, jb = replay_json(replay, mix, drops)
        conserved(jb, "mix + drops")
        check(jb["totals"]["frames"] == jm["totals"]["frames"] + j["totals"]["frames"], "two files: frames add up")
        for args in (["--rate", "1Mpps"], ["--rate", "10Gbps"], ["--mode", "live"], ["--mode", "live", "--rate", "2Mpps", "--cpus", "1"]):
            r, jx = replay_json(replay, *args, drops)
            check(r.returncode == 0 and jx is not None, f"{args}: exit {r.returncode} {r.stderr}")
            if jx:
                conserved(jx, f"drops.pcap {' '.join(args)}")
                check(jx["totals"]["frames"] == j["totals"]["frames"], f"{args}: frames")

        # Filter: counts the selected flows only.
        _, jall = replay_json(replay, "--top", "all", drops)
        _, jf = replay_json(replay, "--top", "all", "--proto", "tcp", "--dst", "203.0.113.0/24", drops)
        tcp = sum(f["packets"][0] for f in jall["table"]["flows"] if f["key"]["proto"] == 6)
        check(jf["totals"]["frames"] == tcp, f"filter: {jf['totals']['frames']} frames, {tcp} TCP in the full report")
        check(jf["filter"] == "proto 6 and dst 203.0.113.0/24", f"filter text {jf['filter']!r}")
        check(jf["totals"]["replayed_frames"] == jall["totals"]["frames"], "filter: every frame is still replayed")
        conserved(jf, "filtered")

        # CSV agrees with the JSON table.
        r = run(replay, "--csv", "--top", "all", drops)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        wire = sum(int(x["packets"]) for x in rows if x["stage"] == "wire")
        check(r.returncode == 0 and wire == j["totals"]["frames"], f"csv: wire total {wire}")

        # --dump-drops: the dropped frames, readable by the project's reader and tcpdump.
        dump = os.path.join(tmp, "dropped.pcap")
        r, jd = replay_json(replay, "--dump-drops", dump, drops)
        check(r.returncode == 0 and jd["dump"]["frames"] == jd["totals"]["dropped"], "dump: every dropped frame written")
        fl = run(a.flows, dump)
        check(fl.returncode == 0, f"dump: pktpath-flows cannot read it: {fl.stderr}")
        check(len([x for x in fl.stdout.splitlines() if x and x[0].isdigit()]) == jd["totals"]["dropped"],
              "dump: pktpath-flows reads a different frame count")
        _, jr = replay_json(replay, dump)
        check(jr["totals"]["frames"] == jd["totals"]["dropped"], "dump: replaying it gives the dropped count")
        if shutil.which("tcpdump"):
            td = run("tcpdump", "-nn", "-r", dump)
            check(td.returncode == 0 and len(td.stdout.splitlines()) == jd["totals"]["dropped"],
                  f"dump: tcpdump -r: exit {td.returncode}, {len(td.stdout.splitlines())} lines: {td.stderr[:200]}")
        else:
            print("tcpdump: absent, skipped")
        empty = os.path.join(tmp, "none.pcap")
        r = run(replay, "--dump-drops", empty, mix)
        check(r.returncode == 0 and os.path.getsize(empty) == 24, "dump with no drops: an empty pcap")

        # --prom: atomic, promtool-clean, softnet counters.
        prom = os.path.join(tmp, "replay.prom")
        r = run(replay, "--prom", prom, drops)
        check(r.returncode == 0 and os.path.exists(prom), f"prom: exit {r.returncode} {r.stderr}")
        check(os.listdir(tmp).count("replay.prom") == 1 and not [x for x in os.listdir(tmp) if ".tmp." in x],
              "prom: a temporary file was left behind")
        text = open(prom, encoding="utf-8").read()
        for name in ("pktpath_replay_softnet_processed_total", "pktpath_replay_softnet_dropped_total",
                     "pktpath_replay_softnet_times_squeezed_total", "pktpath_replay_frames_total{outcome=\"dropped\"}",
                     "pktpath_replay_stage_packets_total{stage=\"rx_ring\"}"):
            check(name in text, f"prom: {name} missing")
        if os.path.exists("/usr/bin/promtool"):
            pt = subprocess.run(["/usr/bin/promtool", "check", "metrics"], input=text, capture_output=True, text=True)
            check(pt.returncode == 0, f"promtool check metrics: {pt.stdout}{pt.stderr}")
        else:
            print("promtool: absent, skipped")
        r = run(replay, "--prom", "/nonexistent-dir/x.prom", mix)
        check(r.returncode == 3 and "--prom" in r.stderr, f"prom to an unwritable place: exit {r.returncode}")

        # Corrupt and missing captures: message with file and offset, exit 1, the others kept.
        data = open(drops, "rb").read()
        cut = os.path.join(tmp, "cut.pcap")
        first = int.from_bytes(data[24 + 8:24 + 12], "little")  # the first record's captured length
        bad_at = 24 + 16 + first
        with open(cut, "wb") as f:
            f.write(data[:bad_at + 8])  # the first record, then half a record header
        junk = os.path.join(tmp, "junk.pcap")
        with open(junk, "wb") as f:
            f.write(b"this is not a capture file")
        r, jc = replay_json(replay, mix, cut, junk, "/nonexistent.pcap", drops)
        check(r.returncode == 1, f"corrupt inputs: exit {r.returncode}")
        check("cut.pcap" in r.stderr and f"offset {bad_at}" in r.stderr, f"truncated: message {r.stderr!r}")
        check("junk.pcap" in r.stderr and "magic" in r.stderr, "bad magic: message")
        check("/nonexistent.pcap" in r.stderr, "missing file: message")
        check(jc is not None and jc["totals"]["frames"] == jm["totals"]["frames"] + 1 + j["totals"]["frames"],
              "corrupt file mid-list: the report covers every frame read")
        if jc:
            caps_ = {os.path.basename(c["file"]): c for c in jc["captures"]}
            check(caps_["cut.pcap"]["error"]["code"] == "truncated" and caps_["cut.pcap"]["error"]["offset"] == bad_at,
                  f"truncated capture in JSON: {caps_['cut.pcap']}")
            check(caps_["junk.pcap"]["error"]["code"] == "bad_magic", "bad magic in JSON")
            check(caps_["drops.pcap"]["complete"], "the file after the corrupt ones is complete")
            conserved(jc, "corrupt mix")

        shrinking_capture(replay, data, tmp)

        # Usage errors.
        for args in ([], ["--bogus", mix], ["--ring", "500", mix], ["--speed", "max", mix], ["--json", "--csv", mix],
                     ["--cpus", "0", mix], ["--proto", "nope", mix], ["--top"]):
            r = run(replay, *args)
            check(r.returncode == 2, f"usage {args}: exit {r.returncode}")
        check(run(replay, "--help").returncode == 0, "--help exits 0")
        # A table larger than the machine (2^28 slots: 47 GB): refused with a reason (exit 2), not a crash.
        meminfo = dict(line.split(":", 1) for line in open("/proc/meminfo"))
        kb = int(meminfo["MemTotal"].split()[0]) + int(meminfo["SwapTotal"].split()[0])
        if kb * 1024 < (1 << 28) * 176:
            r = run(replay, "--flows", str(1 << 28), mix)
            check(r.returncode == 2 and "out of memory" in r.stderr, f"absurd --flows: exit {r.returncode} {r.stderr!r}")
        else:
            print("absurd --flows: this machine could hold the table, skipped")

        corpus_checks(replay, a.corpus, os.path.join(a.source, "tests", "corpus", "allowlist.tsv"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("replay_cli:", "FAIL" if FAILURES else "ok", f"({len(FAILURES)} failures)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
