#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""pktpath-kstat on inputs made in userspace (the kernel test, tests/kernel/kmod,
feeds it the module's real files).

A table image written by pktpath-table_demo --save is read (--image) in every
format, and its JSON is valid against docs/schema/pktpath-kstat-1.schema.json.
Corrupt or foreign inputs (truncated, junk, the other byte order, a table of
other keys, a directory without its drop table or with a foreign status file)
end with exit status 1 and a message naming the file, never a crash; bad
usage ends with 2; an unwritable --prom file with 3.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)
    return cond


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kstat", required=True)
    ap.add_argument("--table-demo", required=True)
    ap.add_argument("--schema", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kstat_cli.")
    try:
        img = os.path.join(tmp, "demo.img")
        check(run([a.table_demo, "--save", img]).returncode == 0, "pktpath-table_demo --save")
        data = open(img, "rb").read()

        r = run([a.kstat, "--image", img])
        check(r.returncode == 0 and "packets per stage" in r.stdout, f"text report: {r.returncode} {r.stderr}")
        r = run([a.kstat, "--image", img, "--json", "--top", "all"])
        check(r.returncode == 0, f"--json: {r.stderr}")
        doc = json.loads(r.stdout)
        check(doc["schema"] == "pktpath-kstat/1" and doc["module"] is None, "schema name, no module for --image")
        check(doc["totals"]["frames"] == doc["table"]["totals"]["packets"][0], "totals.frames is the first stage's")
        try:
            import jsonschema
            sch = json.load(open(a.schema))
            v = jsonschema.validators.validator_for(sch)(sch)
            errs = list(v.iter_errors(doc))
            check(not errs, "schema: " + "; ".join(e.message[:120] for e in errs[:3]))
            bad = dict(doc)
            bad["surprise"] = 1
            check(not v.is_valid(bad), "schema refuses an unknown field")
        except ImportError:
            print("kstat_cli: jsonschema not installed, schema not checked")
        r = run([a.kstat, "--image", img, "--csv", "--top", "all"])
        check(r.returncode == 0 and r.stdout.startswith("kind,slot,flow,status,stage,packets,bytes"), "--csv")
        prom = os.path.join(tmp, "k.prom")
        r = run([a.kstat, "--image", img, "--prom", prom])
        check(r.returncode == 0 and "pktpath_kstat_stage_packets_total" in open(prom).read(), "--prom")
        r = run([a.kstat, "--image", img, "--prom", os.path.join(tmp, "no", "such", "dir", "k.prom")])
        check(r.returncode == 3, f"--prom into a missing directory: exit 3, got {r.returncode}")

        # Corrupt and foreign images: exit 1, a message naming the file.
        swapped = bytearray(data)
        swapped[0:8] = data[0:8][::-1]
        foreign = bytearray(data)
        struct.pack_into("<I", foreign, 44, 0)  # header.key_format = PKTPATH_TABLE_KEY_OPAQUE
        cases = {
            "truncated": data[:len(data) // 2],
            "header only": data[:100],
            "junk": bytes(range(256)) * 40,
            "empty": b"",
            "byte order": bytes(swapped),
            "opaque keys": bytes(foreign),
        }
        for name, content in cases.items():
            path = os.path.join(tmp, name.replace(" ", "_") + ".img")
            open(path, "wb").write(content)
            r = run([a.kstat, "--image", path])
            check(r.returncode == 1 and path in r.stderr and r.stdout == "",
                  f"{name} image: exit {r.returncode}, stderr {r.stderr.strip()!r}")
        r = run([a.kstat, "--image", os.path.join(tmp, "absent.img")])
        check(r.returncode == 1 and "No such file" in r.stderr, "a missing image")

        # A --dir: the flow image without the drop table, then with a foreign status file.
        d = os.path.join(tmp, "dir")
        os.mkdir(d)
        shutil.copy(img, os.path.join(d, "image"))
        r = run([a.kstat, "--dir", d])
        check(r.returncode == 1 and "drops" in r.stderr, f"--dir without drops: {r.stderr.strip()!r}")
        shutil.copy(img, os.path.join(d, "drops"))
        r = run([a.kstat, "--dir", d])
        check(r.returncode == 1 and "not the module's drop table" in r.stderr,
              f"--dir with a flow table as drops: {r.stderr.strip()!r}")

        for args in (["--top"], ["--interval", "0"], ["--count", "2"], ["--bogus"]):
            r = run([a.kstat] + args)
            check(r.returncode == 2, f"usage {args}: exit {r.returncode}")
        r = run([a.kstat, "--help"])
        check(r.returncode == 0 and "--interval" in r.stdout, "--help")
    finally:
        shutil.rmtree(tmp)
    print(f"kstat_cli: {len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
