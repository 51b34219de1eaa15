#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""The parser's encapsulations against tshark on captures the project generates.

pktpath-gencap writes `encaps` (a UDP flow behind each Ethernet encapsulation
the parser walks: 802.1Q, QinQ, MPLS, PPPoE with and without PPP protocol
compression, LLC/SNAP, MACsec integrity-only, NSH, VN-Tag, E-Tag, the 802.1ah
I-TAG, and MACsec frames whose data is encrypted or changed) and `raw12` /
`raw14` (raw IP under the BSD numbers of DLT_RAW). For every frame the key
pktpath-flows prints (IP version, addresses, protocol, ports) must be the one
tshark decodes from the outermost IP header, and a frame tshark finds no IP
in must get a keyless status (`encrypted` for MACsec with E or C set). Every
encapsulation must be present in the capture and cleanly decoded by tshark
(no malformed frame), so the comparison is strict.

Exit: 0 agreement, 1 disagreement, 77 tshark absent.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

# frame.protocols tokens the encaps capture must exercise.
ENCAPS = ["vlan", "ieee8021ad", "mpls", "pppoes", "llc", "macsec", "nsh", "vntag", "etag", "ieee8021ah"]
FIELDS = ["frame.number", "frame.protocols", "ip.src", "ip.dst", "ip.proto", "ipv6.src", "ipv6.dst", "ipv6.nxt",
          "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "_ws.malformed"]

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def tshark_keys(path):
    cmd = ["tshark", "-r", path, "-n", "-T", "fields", "-E", "occurrence=f", "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=tempfile.mkdtemp(prefix="pktpath-ws-"))
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True, env=env).stdout
    frames = {}
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        n = int(v["frame.number"])
        sport = v["tcp.srcport"] or v["udp.srcport"]
        dport = v["tcp.dstport"] or v["udp.dstport"]
        if v["ip.src"]:
            key = ("4", v["ip.src"], v["ip.dst"], v["ip.proto"], sport, dport)
        elif v["ipv6.src"]:
            key = ("6", v["ipv6.src"], v["ipv6.dst"], v["ipv6.nxt"], sport, dport)
        else:
            key = None
        frames[n] = (key, v["frame.protocols"], v["_ws.malformed"] != "")
    return frames


def pktpath_keys(flows, path):
    out = subprocess.run([flows, path], stdout=subprocess.PIPE, text=True, check=True).stdout
    frames = {}
    for line in out.splitlines():
        c = line.split("\t")
        frame, status = int(c[0]), c[1]
        if c[2] == "-":
            frames[frame] = (None, status)
        else:
            frames[frame] = ((c[2], c[4], c[6], c[3], "" if c[5] == "-" else c[5], "" if c[7] == "-" else c[7]), status)
    return frames


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gencap", required=True)
    ap.add_argument("--flows", required=True)
    a = ap.parse_args()
    if shutil.which("tshark") is None:
        print("SKIP: tshark not installed")
        return 77
    with tempfile.TemporaryDirectory(prefix="pktpath-encaps-") as work:
        seen = set()
        for profile in ("encaps", "raw12", "raw14"):
            path = os.path.join(work, profile + ".pcap")
            subprocess.run([a.gencap, profile, path], check=True, stderr=subprocess.DEVNULL)
            theirs, ours = tshark_keys(path), pktpath_keys(a.flows, path)
            check(sorted(theirs) == sorted(ours) and theirs, f"{profile}: same frames ({len(theirs)}, {len(ours)})")
            for n in sorted(theirs):
                key, protocols, malformed = theirs[n]
                mine, status = ours.get(n, (None, "missing"))
                seen.update(protocols.split(":"))
                check(not malformed, f"{profile} frame {n}: tshark decodes it cleanly ({protocols})")
                check(mine == key, f"{profile} frame {n} ({protocols}): pktpath {status} {mine}, tshark {key}")
                if key is None and "macsec" in protocols:
                    check(status == "encrypted", f"{profile} frame {n}: MACsec without clear data is {status}")
            print(f"{profile}: {len(theirs)} frames, {sum(k is not None for k, _, _ in theirs.values())} with a key")
        missing = [e for e in ENCAPS if e not in seen]
        check(not missing, f"encapsulations not exercised: {missing}")
    print(f"{len(failures)} failed" if failures else "OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
