#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""End-to-end checks of pktpath-flows and pktpath-gencap (the tools' interfaces).

- the bundled examples/captures/mix.pcap is exactly what pktpath-gencap writes;
- `--hash toeplitz` prints the Microsoft RSS verification suite's values for the
  suite's flows (with ports) and their non-first fragments (IP only);
- output format: 9 tab-separated columns, `# FILE` lines with several files,
  frame numbers restarting per file; --inner gives the VXLAN tenant's key;
- a corrupt capture prints the frames before the damage, reports the byte
  offset on stderr, exits 1, and does not stop the next file; bad usage exits 2;
- tcpdump, when present, reads the bundled capture to the same frame count.
"""
import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile

# (src, sport, dst, dport) -> (IP only, with ports), Microsoft RSS verification suite.
RSS = {
    ("66.9.149.187", "2794", "161.142.100.80", "1766"): ("323e8fc2", "51ccc178"),
    ("199.92.111.2", "14230", "65.69.140.83", "4739"): ("d718262a", "c626b0ea"),
    ("24.19.198.95", "12898", "12.22.207.184", "38024"): ("d2d0a5de", "5c2b394a"),
    ("38.27.205.30", "48228", "209.142.163.6", "2217"): ("82989176", "afc7327f"),
    ("153.39.163.191", "44251", "202.188.127.2", "1303"): ("5d1809c5", "10e828a2"),
    ("3ffe:2501:200:1fff::7", "2794", "3ffe:2501:200:3::1", "1766"): ("2cc18cd5", "40207d3d"),
    ("3ffe:501:8:0:260:97ff:fe40:efab", "14230", "ff02::1", "4739"): ("0f0c461c", "dde51bbf"),
    ("3ffe:1900:4545:3:200:f8ff:fe21:67cf", "44251", "fe80::200:f8ff:fe21:67cf", "38024"): ("4b61e985", "02d1feef"),
}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def run(*args):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flows", required=True)
    ap.add_argument("--gencap", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    bundled = os.path.join(a.source, "examples", "captures", "mix.pcap")
    tmp = tempfile.mkdtemp(prefix="pktpath-cli-")
    try:
        fresh = os.path.join(tmp, "mix.pcap")
        g = run(a.gencap, "mix", fresh)
        check(g.returncode == 0, f"gencap exit {g.returncode}: {g.stderr}")
        check(filecmp.cmp(fresh, bundled, shallow=False), "bundled mix.pcap differs from pktpath-gencap's output")

        r = run(a.flows, "--hash", "toeplitz", bundled)
        check(r.returncode == 0 and not r.stderr, f"flows exit {r.returncode}: {r.stderr}")
        lines = [l.split("\t") for l in r.stdout.splitlines()]
        check(all(len(c) == 9 for c in lines), "every line has 9 columns")
        check([int(c[0]) for c in lines] == list(range(1, len(lines) + 1)), "frames numbered 1..N")
        seen = set()
        for c in lines:
            t = (c[4], c[5], c[6], c[7])
            frag = (c[4], None, c[6], None)
            for key, (ip_only, with_ports) in RSS.items():
                if t == key:
                    check(c[1] == "ok" and c[8] == with_ports, f"RSS {key} with ports: {c}")
                    seen.add((key, "ports"))
                elif c[1] == "nonfirst_fragment" and (key[0], None, key[2], None) == frag:
                    check(c[5] == "-" and c[8] == ip_only, f"RSS {key} IP only: {c}")
                    seen.add((key, "ip"))
        check(len(seen) == 2 * len(RSS), f"all 16 RSS vectors present ({len(seen)} seen)")
        statuses = {c[1] for c in lines}
        check({"ok", "no_ports", "nonfirst_fragment", "unsupported_l3"} <= statuses, f"status mix {statuses}")
        check(all(c[8] == "-" for c in lines if c[1] == "unsupported_l3"), "no hash without a key")

        inner = run(a.flows, "--inner", bundled).stdout.splitlines()
        outer = r.stdout.splitlines()
        vx = [i for i, l in enumerate(outer) if "\t4789\t" in l]
        check(len(vx) == 6, f"6 VXLAN frames ({len(vx)})")
        for i in vx:
            c = inner[i].split("\t")
            check(c[4:8] == ["10.200.0.1", "33000", "10.200.0.2", "8080"], f"--inner key: {c}")

        # Several files, one of them cut mid-record, one missing.
        size = os.path.getsize(bundled)
        cut = os.path.join(tmp, "cut.pcap")
        with open(bundled, "rb") as src, open(cut, "wb") as dst:
            dst.write(src.read(size // 2))
        missing = os.path.join(tmp, "missing.pcap")
        m = run(a.flows, cut, missing, bundled)
        check(m.returncode == 1, f"exit 1 when a file fails ({m.returncode})")
        heads = [l for l in m.stdout.splitlines() if l.startswith("# ")]
        check(heads == [f"# {cut}", f"# {missing}", f"# {bundled}"], f"# FILE lines {heads}")
        after = m.stdout.split(f"# {bundled}\n", 1)[-1].splitlines()
        check(len(after) == len(lines) and after[0].startswith("1\t"), "the file after a corrupt one is read in full")
        part = m.stdout.split(f"# {missing}\n")[0].splitlines()[1:]
        check(0 < len(part) < len(lines), f"frames before the cut are printed ({len(part)})")
        check(f"{cut}: " in m.stderr and "offset" in m.stderr, f"error names the file and offset: {m.stderr!r}")
        check(f"{missing}: " in m.stderr, f"missing file reported: {m.stderr!r}")

        check(run(a.flows).returncode == 2, "no file: usage, exit 2")
        check(run(a.flows, "--hash", "md5", bundled).returncode == 2, "bad hash: exit 2")
        check(run(a.flows, "--bogus", bundled).returncode == 2, "bad option: exit 2")

        tcpdump = shutil.which("tcpdump") or ("/usr/sbin/tcpdump" if os.path.exists("/usr/sbin/tcpdump") else None)
        if tcpdump:
            t = run(tcpdump, "-nr", bundled, "-tt")  # one epoch timestamp per frame; tunnels add lines without
            n = sum(1 for l in t.stdout.splitlines() if l[:10].isdigit())
            check(t.returncode == 0 and n == len(lines), f"tcpdump reads {n} frames")
        else:
            print("note: tcpdump not found, skipped its cross-check")
    finally:
        shutil.rmtree(tmp)
    print(f"{len(failures)} failed" if failures else "OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
