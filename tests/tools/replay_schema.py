#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""pktpath-replay --json against its schema, docs/schema/pktpath-replay-1.schema.json.

Validates real output (both bundled captures; several knob sets, filters, --top all,
--dump-drops; live mode; several files; truncated, junk and missing captures) against
the schema, and checks the invariants docs/replay.md states, on every document.  Then
shows the check can fail: doctored documents (a required field removed, an unknown
field added, a bad enum value, an error object without its offset, a broken sum) must
be rejected.  A field the program emits that the schema does not list fails here, so
the schema is updated with the code.

Exit: 0 pass, 1 failure, 77 skipped (python3-jsonschema is not installed).
"""
import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("replay_schema: skipped: the Python module jsonschema is not installed "
          "(Debian: apt-get install python3-jsonschema)")
    sys.exit(77)

FAILURES = []
STAGES = ["wire", "rx_ring", "napi_poll", "backlog", "l3", "l4", "deliver", "unclassified"]


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)
    return cond


def make_validator(schema):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(validator, doc):
    return sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))


def invariant_errors(j):
    """The invariants of docs/replay.md, as a list of what does not hold."""
    bad = []

    def need(cond, what):
        if not cond:
            bad.append(what)

    t, tab = j["totals"], j["table"]
    need(t["frames"] == t["delivered"] + t["dropped"] + t["unclassified"],
         "totals.frames != delivered + dropped + unclassified")
    need(t["dropped"] == sum(d["frames"] for d in j["drops"]), "totals.dropped != sum of drops[].frames")
    need(t["unclassified"] == sum(j["unclassified"].values()), "totals.unclassified != sum of unclassified")
    need(t["frames"] <= t["replayed_frames"], "totals.frames > replayed_frames")
    need(t["end_ns"] >= t["capture_ns"], "totals.end_ns < capture_ns")
    if j["filter"] is None:
        need(t["frames"] == t["replayed_frames"], "no filter: totals.frames != replayed_frames")
        by_to = {d["to"]: d["frames"] for d in j["drops"]}
        need(by_to["rx_ring"] == j["nic"]["rx_missed"], "no filter: drops to rx_ring != nic.rx_missed")
        need(by_to["backlog"] == sum(c["dropped"] for c in j["softnet"]),
             "no filter: drops to backlog != sum of softnet[].dropped")
    # Every replayed frame was refused by the ring, refused by a backlog, or processed.
    need(j["nic"]["rx_missed"] + sum(c["dropped"] + c["processed"] for c in j["softnet"]) == t["replayed_frames"],
         "nic.rx_missed + softnet dropped + processed != replayed_frames")
    # Captures.
    need(sum(c["frames"] for c in j["captures"]) == t["replayed_frames"], "sum of captures[].frames != replayed_frames")
    need(sum(c["bytes"] for c in j["captures"]) == t["replayed_bytes"], "sum of captures[].bytes != replayed_bytes")
    for c in j["captures"]:
        need(c["complete"] == (c["error"] is None), f"{c['file']}: complete disagrees with error")
        need(c["bytes"] <= c["size"], f"{c['file']}: more bytes read than the file holds")
    # Model and CPUs.
    need(j["nic"]["ring_size"] == j["model"]["ring"], "nic.ring_size != model.ring")
    need(j["nic"]["ring_peak"] <= j["model"]["ring"], "nic.ring_peak > model.ring")
    need([c["cpu"] for c in j["softnet"]] == list(range(j["model"]["cpus"])), "softnet rows are not CPUs 0..cpus-1")
    for c in j["softnet"]:
        need(c["time_squeeze"] == c["budget_exhausted"] + c["time_exhausted"],
             f"cpu {c['cpu']}: time_squeeze != budget_exhausted + time_exhausted")
        need(c["backlog_peak"] <= j["model"]["max_backlog"] + 1, f"cpu {c['cpu']}: backlog_peak > max_backlog + 1")
    if j["dump"] is not None:
        need(j["dump"]["frames"] + j["dump"]["skipped"] == t["dropped"], "dump.frames + skipped != totals.dropped")
    # The table agrees with the totals.
    need([s["name"] for s in tab["stages"]] == STAGES, "table stages are not the replay's")
    col = {name: i for i, name in enumerate(STAGES)}
    tp = tab["totals"]["packets"]
    need(tp[col["wire"]] == t["frames"], "table wire total != totals.frames")
    need(tab["totals"]["bytes"][col["wire"]] == t["bytes"], "table wire bytes != totals.bytes")
    need(tp[col["deliver"]] == t["delivered"], "table deliver total != totals.delivered")
    need(tp[col["unclassified"]] == t["unclassified"], "table unclassified total != totals.unclassified")
    need(tab["flow_count"] == t["flows"], "table.flow_count != totals.flows")
    need(tab["overflow"]["packets"][col["wire"]] == t["overflow"], "table overflow at wire != totals.overflow")
    need(len(tab["flows"]) + tab["other"]["flow_count"] == tab["flow_count"], "listed + other flows != flow_count")
    for kind in ("packets", "bytes"):
        for s in range(len(STAGES)):
            parts = (sum(f[kind][s] for f in tab["flows"]) + tab["other"][kind][s] + tab["overflow"][kind][s]
                     + sum(u[kind][s] for u in tab["unclassified"]))
            need(parts == tab["totals"][kind][s], f"table {kind} at {STAGES[s]}: rows do not add up to the total")
    for f in tab["flows"]:
        need(f["packets"][col["wire"]] >= f["packets"][col["deliver"]], f"{f['flow']}: more delivered than on the wire")
        if not f["key"]["ports"]:
            need(f["key"]["sport"] == 0 and f["key"]["dport"] == 0, f"{f['flow']}: ports without PORTS")
    wire = [f["packets"][col["wire"]] for f in tab["flows"]]
    need(wire == sorted(wire, reverse=True), "table.flows not ordered by frames on the wire")
    need([u["status"] for u in tab["unclassified"]][3:] == list(j["unclassified"]), "unclassified statuses differ")
    for u in tab["unclassified"]:
        if u["status"] in j["unclassified"]:
            need(u["packets"][col["unclassified"]] == j["unclassified"][u["status"]],
                 f"unclassified {u['status']}: table and summary differ")
        else:
            need(not any(u["packets"]), f"status {u['status']} carries a key but has an unclassified count")
    # Funnel and drops: one step per stage with successors, in stage order.
    need(len(tab["funnel"]) == len(j["drops"]), "funnel and drops differ in length")
    for step, d in zip(tab["funnel"], j["drops"]):
        need(step["from"] == d["from"] and "|".join(step["to"]) == d["to"], f"funnel step {step['from']}: drops differ")
        need(step["in"] == tp[col[step["from"]]], f"funnel {step['from']}: in != its stage total")
        need(step["out"] == sum(tp[col[s]] for s in step["to"]), f"funnel {step['from']}: out != its successors")
        need(step["lost"] == step["in"] - step["out"], f"funnel {step['from']}: lost != in - out")
        need(d["frames"] == max(step["lost"], 0), f"drops {d['to']}: frames != the funnel's lost")
    return bad


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--replay", required=True)
    ap.add_argument("--gencap", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    with open(a.schema, encoding="utf-8") as f:
        schema = json.load(f)
    try:
        v = make_validator(schema)
    except jsonschema.exceptions.SchemaError as e:
        print("FAIL: the schema itself is invalid:", e.message)
        return 1
    caps = os.path.join(a.source, "examples", "captures")
    mix, drops = os.path.join(caps, "mix.pcap"), os.path.join(caps, "drops.pcap")
    tmp = tempfile.mkdtemp(prefix="pktpath-replay-schema.")
    docs = {}
    try:
        # Captures made here: a fresh generator output, a truncated one, junk.
        fresh = os.path.join(tmp, "mix.pcap")
        check(run(a.gencap, "mix", fresh).returncode == 0, "pktpath-gencap mix")
        data = open(drops, "rb").read()
        first = int.from_bytes(data[24 + 8:24 + 12], "little")  # the first record's captured length
        bad_at = 24 + 16 + first
        cut = os.path.join(tmp, "cut.pcap")
        with open(cut, "wb") as f:
            f.write(data[:bad_at + 8])  # the first record, then half a record header
        junk = os.path.join(tmp, "junk.pcap")
        with open(junk, "wb") as f:
            f.write(b"this is not a capture file")
        dump = os.path.join(tmp, "dropped.pcap")

        runs = [
            ("drops default", [drops], 0),
            ("mix default", [mix], 0),
            ("fresh mix", [fresh], 0),
            ("--cpus 1", ["--cpus", "1", drops], 0),
            ("--cpus 4 --ring 64", ["--cpus", "4", "--ring", "64", drops], 0),
            ("--rate 10Gbps", ["--rate", "10Gbps", drops], 0),
            ("--rate 1Mpps", ["--rate", "1Mpps", mix], 0),
            ("--speed 0.5x --budget 16 --time-limit 5", ["--speed", "0.5x", "--budget", "16", "--time-limit", "5",
                                                         "--cost", "20000", drops], 0),
            ("--symmetric --inner --vlan-key", ["--symmetric", "--inner", "--vlan-key", mix], 0),
            ("filter", ["--proto", "tcp", "--dst", "203.0.113.0/24", "--top", "all", drops], 0),
            ("filter v6 and port", ["--host", "2001:db8::/32", "--port", "443", mix], 0),
            ("--top all", ["--top", "all", mix], 0),
            ("--top 0", ["--top", "0", drops], 0),
            ("--flows 16 (overflow)", ["--flows", "16", mix], 0),
            ("--dump-drops", ["--dump-drops", dump, drops], 0),
            ("live", ["--mode", "live", drops], 0),
            ("live --rate 2Mpps --cpus 1", ["--mode", "live", "--rate", "2Mpps", "--cpus", "1", mix], 0),
            ("several files", [mix, drops, fresh], 0),
            ("truncated, junk and missing", [mix, cut, junk, os.path.join(tmp, "missing.pcap"), drops], 1),
        ]
        for label, args, want_rc in runs:
            r = run(a.replay, "--json", "--no-progress", *args)
            check(r.returncode == want_rc, f"{label}: exit {r.returncode}, want {want_rc}: {r.stderr[:200]}")
            try:
                j = json.loads(r.stdout)
            except json.JSONDecodeError as e:
                check(False, f"{label}: not JSON: {e}")
                continue
            docs[label] = j
            errs = schema_errors(v, j)
            for e in errs[:5]:
                check(False, f"{label}: schema: at /{'/'.join(map(str, e.absolute_path))}: {e.message}")
            for what in invariant_errors(j):
                check(False, f"{label}: invariant: {what}")
            print(f"{label}: {'ok' if not errs else 'INVALID'} ({j['totals']['frames']} frames, "
                  f"{j['totals']['dropped']} dropped)")

        # The documents say what they were asked.
        if "--rate 10Gbps" in docs:
            check(docs["--rate 10Gbps"]["timing"] == {"kind": "bps", "rate": 1e10}, "timing of --rate 10Gbps")
        if "live" in docs:
            check(docs["live"]["mode"] == "live" and docs["live"]["timing"] == {"kind": "max"}, "live: mode and timing")
        if "filter" in docs:
            check(docs["filter"]["filter"] == "proto 6 and dst 203.0.113.0/24", "filter text")
        if "--symmetric --inner --vlan-key" in docs:
            check(docs["--symmetric --inner --vlan-key"]["keys"] == {"vlan": True, "inner": True, "symmetric": True},
                  "keys")
        if "--flows 16 (overflow)" in docs:
            check(docs["--flows 16 (overflow)"]["totals"]["overflow"] > 0, "a 16-slot table overflows on mix.pcap")
        if "--dump-drops" in docs:
            d = docs["--dump-drops"]
            check(d["dump"] is not None and d["dump"]["file"] == dump and d["dump"]["frames"] > 0, "dump object")
        bad = docs.get("truncated, junk and missing")
        if bad:
            c = {os.path.basename(x["file"]): x for x in bad["captures"]}
            check(c["cut.pcap"]["error"] == {"code": "truncated", "offset": bad_at,
                                             "message": c["cut.pcap"]["error"]["message"]}
                  and c["cut.pcap"]["frames"] == 1, f"truncated capture: {c['cut.pcap']}")
            check(c["junk.pcap"]["error"]["code"] == "bad_magic" and c["junk.pcap"]["format"] == "unknown",
                  f"junk capture: {c['junk.pcap']}")
            check(c["missing.pcap"]["error"]["code"] == "io", f"missing capture: {c['missing.pcap']}")
            check(c["drops.pcap"]["complete"] and c["mix.pcap"]["complete"], "the readable files are complete")

        # The schema rejects what the program must not emit.
        base = docs.get("drops default")
        if base is None:
            check(False, "no document to doctor")
        else:
            def doctored(label, change, invariant=False):
                d = copy.deepcopy(base)
                change(d)
                rejected = bool(schema_errors(v, d)) if not invariant else bool(invariant_errors(d))
                check(rejected, f"doctored document accepted: {label}")

            doctored("totals.dropped removed", lambda d: d["totals"].pop("dropped"))
            doctored("an unknown top-level field", lambda d: d.update(extra=1))
            doctored("an unknown field in softnet[0]", lambda d: d["softnet"][0].update(received_rps=0))
            doctored("an unknown field in a table flow", lambda d: d["table"]["flows"][0].update(rss=1))
            doctored("an unknown field in the flow key", lambda d: d["table"]["flows"][0]["key"].update(mac="x"))
            doctored("mode 'replay'", lambda d: d.update(mode="replay"))
            doctored("timing kind 'fast'", lambda d: d.update(timing={"kind": "fast"}))
            doctored("timing original without speed", lambda d: d.update(timing={"kind": "original"}))
            doctored("format 'erf'", lambda d: d["captures"][0].update(format="erf"))
            doctored("error object without offset", lambda d: d["captures"][0].update(
                complete=False, error={"code": "truncated", "message": "cut"}))
            doctored("error code 'oops'", lambda d: d["captures"][0].update(
                complete=False, error={"code": "oops", "offset": 0, "message": "x"}))
            doctored("a negative count", lambda d: d["totals"].update(frames=-1))
            doctored("a count as a string", lambda d: d["nic"].update(rx_missed="3044"))
            doctored("seven stages per row", lambda d: d["table"]["totals"]["packets"].pop())
            doctored("schema pktpath-replay/2", lambda d: d.update(schema="pktpath-replay/2"))
            doctored("no captures", lambda d: d.update(captures=[]))
            doctored("dump without skipped", lambda d: d.update(dump={"file": "x.pcap", "frames": 0}))
            doctored("one frame delivered twice", lambda d: d["totals"].update(delivered=d["totals"]["delivered"] + 1),
                     invariant=True)
            doctored("a drop the NIC did not count", lambda d: d["nic"].update(rx_missed=d["nic"]["rx_missed"] - 1),
                     invariant=True)
            check(not schema_errors(v, copy.deepcopy(base)), "an undoctored copy is valid")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"replay_schema: {'FAIL' if FAILURES else 'ok'} ({len(docs)} documents validated, "
          f"{len(FAILURES)} failures)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
