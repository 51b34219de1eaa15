#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""Differential test: pktpath-flows against the tshark oracle of the corpus.

For every capture that has a FILE.flows.tsv oracle, runs pktpath-flows and
compares frame by frame (aligned on the oracle's `pkt` column, so pcapng
Custom Blocks, which tshark counts as frames, are skipped).

Strict frames (the fair comparison of docs/testing.md: not malformed, not cut by
the snap length, no expert error, IP reached through a plain link layer or no
IP at all) must agree on ip version, addresses, protocol and ports, or be
listed in the allowlist with a reason.  Every other frame must still get a
status.  A capture tshark reads must be read to the same number of packets; a
capture tshark rejects must be rejected with an error.

Exit: 0 agreement, 1 disagreement (or a stale allowlist entry), 77 corpus absent.
"""
import argparse
import collections
import os
import subprocess
import sys

KEYED = {"ok", "nonfirst_fragment", "no_ports"}
STATUSES = KEYED | {"truncated", "malformed", "unsupported_l2", "unsupported_l3", "encrypted"}


def read_oracle(path):
    rows = {}
    with open(path, encoding="utf-8") as f:
        header = None
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                header = line[1:].split("\t")
                continue
            cols = dict(zip(header, line.split("\t")))
            if cols.get("record") != "packet":
                continue
            rows[int(cols["pkt"])] = cols
    return rows


def read_summary(folder):
    out = {}
    path = os.path.join(folder, "summary.tsv")
    with open(path, encoding="utf-8") as f:
        header = f.readline().lstrip("#").rstrip("\n").split("\t")
        for line in f:
            cols = dict(zip(header, line.rstrip("\n").split("\t")))
            out[cols["file"]] = cols
    return out


def read_allowlist(path):
    """file<TAB>frame-or-*<TAB>reason lines; # comments."""
    allow = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 3 or not parts[2].strip():
                sys.exit(f"{path}:{n}: want FILE<TAB>FRAME|*<TAB>REASON")
            allow[(parts[0], parts[1])] = parts[2]
    return allow


def is_strict(o):
    return (o["malformed"] == "0" and o["short"] == "0" and o["expert_error"] == "0"
            and o["simple_l2"] != "0")


def expected(o):
    """What pktpath-flows prints for this oracle row: (ipver, proto, src, sport, dst, dport)."""
    if not o["src"]:
        return None
    port = lambda v: v if v else "-"
    return (o["ipver"], o["proto"] or "-", o["src"], port(o["sport"]), o["dst"], port(o["dport"]))


def run_flows(flows, files):
    """Runs pktpath-flows over files; returns {file: ({frame: fields}, exit ok?)}."""
    proc = subprocess.run([flows] + files, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace")
    if proc.returncode not in (0, 1):
        sys.exit(f"pktpath-flows failed with exit code {proc.returncode}:\n{proc.stderr}")
    out = collections.OrderedDict((f, {}) for f in files)
    current = files[0] if len(files) == 1 else None
    for line in proc.stdout.splitlines():
        if line.startswith("# "):
            current = line[2:]
            continue
        cols = line.split("\t")
        if len(cols) != 9:
            sys.exit(f"bad output line for {current}: {line!r}")
        out[current][int(cols[0])] = cols
    errors = {f: l for f in files for l in proc.stderr.splitlines() if l.startswith(f"pktpath-flows: {f}: ")}
    return out, set(errors), errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flows", required=True, help="pktpath-flows binary")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--allowlist", required=True)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    if not os.path.isdir(args.corpus):
        print(f"SKIP: corpus not found at {args.corpus} (set PKTPATH_CORPUS_DIR)")
        return 77
    allow = read_allowlist(args.allowlist)
    used = set()
    problems = []
    stats = collections.Counter()
    statuses = collections.Counter()

    folders = sorted(d for d in os.listdir(args.corpus) if os.path.isfile(os.path.join(args.corpus, d, "summary.tsv")))
    for folder in folders:
        root = os.path.join(args.corpus, folder)
        summary = read_summary(root)
        rel = sorted(summary)
        paths = [os.path.join(root, r) for r in rel]
        for i in range(0, len(paths), 100):
            batch = paths[i:i + 100]
            ours, failed, errors = run_flows(args.flows, batch)
            for path in batch:
                name = os.path.relpath(path, args.corpus)
                s = summary[os.path.relpath(path, root)]
                oracle = read_oracle(path + ".flows.tsv")
                frames = ours[path]
                stats["files"] += 1
                for row in frames.values():
                    statuses[row[1]] += 1
                    if row[1] not in STATUSES:
                        problems.append(f"{name}: frame {row[0]}: unknown status {row[1]}")

                tshark_failed = s["tshark_rc"] != "0" and int(s["packets"] or 0) == 0
                if tshark_failed:
                    if path in failed:
                        stats["both_rejected"] += 1
                    elif (name, "*") in allow:
                        used.add((name, "*"))
                    else:
                        problems.append(f"{name}: tshark cannot read it ({s['tshark_error']}) but pktpath-flows read "
                                        f"{len(frames)} frames without error")
                    continue
                if path in failed and (name, "*") not in allow:
                    problems.append(f"{name}: {errors[path]}")
                if len(frames) != len(oracle) and (name, "count") not in allow:
                    problems.append(f"{name}: {len(frames)} frames read, tshark has {len(oracle)} packets")
                elif (name, "count") in allow:
                    used.add((name, "count"))

                for pkt, o in oracle.items():
                    row = frames.get(pkt)
                    if row is None:
                        continue
                    strict = is_strict(o)
                    stats["strict" if strict else "other"] += 1
                    exp = expected(o)
                    got = None
                    if row[1] in KEYED:
                        got = (row[2], row[3], row[4], row[5], row[6], row[7])
                    agree = exp == got
                    if not strict:
                        stats["other_agree" if agree else "other_differ"] += 1
                        continue
                    if agree:
                        stats["strict_agree"] += 1
                        for k in ((name, str(pkt)), (name, "*")):
                            if k in allow and k[1] != "*":
                                problems.append(f"{name}: frame {pkt}: allowlisted but agrees now: remove it")
                                used.add(k)
                        continue
                    key = (name, str(pkt)) if (name, str(pkt)) in allow else (name, "*")
                    if key in allow:
                        used.add(key)
                        stats["strict_allowlisted"] += 1
                        continue
                    stats["strict_differ"] += 1
                    problems.append(f"{name}: frame {pkt}: pktpath {row[1]} {got} vs tshark {exp} "
                                    f"[{o['l2_path']} | {o['ip_chain']}]")

    stale = sorted(set(allow) - used)
    for k in stale:
        problems.append(f"allowlist entry {k[0]} {k[1]} matched nothing: remove it")

    strict = stats["strict"]
    agreed = stats["strict_agree"]
    print(f"files: {stats['files']} (rejected by both tshark and pktpath: {stats['both_rejected']})")
    print(f"strict frames: {strict}, agree: {agreed} ({100.0 * agreed / max(strict, 1):.3f}%), "
          f"allowlisted: {stats['strict_allowlisted']}, differ: {stats['strict_differ']}")
    print(f"other frames: {stats['other']}, agree: {stats['other_agree']}, differ: {stats['other_differ']} "
          f"(tshark's answer is policy there; each still got a status)")
    print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    if problems:
        shown = problems if args.verbose else problems[:60]
        print(f"\n{len(problems)} problem(s):")
        for p in shown:
            print("  " + p)
        if len(shown) < len(problems):
            print(f"  ... {len(problems) - len(shown)} more (-v shows all)")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
