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

--dump-drops drains a sample ring laid out here as the module lays it out
(ring/ring.h, kernel/drop_sample.h) into pcap and pcapng, read back by
tcpdump and tshark when installed: every sample once, in order, with its
comment; the consumer's index moves in the file, so a second drain writes
nothing; the ring's drops are reported; a foreign ring is refused.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)
    return cond


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


RING_MAGIC = 0x52544B50
SNAP = 128
SLOT = 32 + SNAP
STATUS = """pktpath-kshim 1
set kernel_rx
enabled 1
ifindex 0
filter -
stage 0 eth_type_trans on hits=0 counted=0 overflow=0 copy_failed=0 disabled=0 filtered=0 other_dev=0 ns=0
stage 1 napi_gro_receive on hits=0 counted=0 overflow=0 copy_failed=0 disabled=0 filtered=0 other_dev=0 ns=0
samples capacity=4 snap=128 slot=160 bytes=4096 written=3 drops=5
reason 2 NO_SOCKET
reason 3 UDP_CSUM
"""


def udp_frame(i, n):
    """An Ethernet/IPv4/UDP frame of n bytes from 192.0.2.(10+i):4000 to 192.0.2.2:5003."""
    eth = bytes.fromhex("525400000002525400000001") + b"\x08\x00"
    ip_len = n - 14
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, ip_len, 0, 0, 64, 17, 0, bytes([192, 0, 2, 10 + i]),
                     bytes([192, 0, 2, 2]))
    udp = struct.pack(">HHHH", 4000, 5003, ip_len - 20, 0)
    return (eth + ip + udp).ljust(n, b"\x00")


def sample_ring(frames, drops, capacity=4):
    """A ring image with one sample per (frame, wire_len, stage, reason) and the drops counter."""
    img = bytearray(384 + capacity * SLOT)
    struct.pack_into("<IIIIIBBHQ", img, 0, RING_MAGIC, 1, capacity, SLOT, 8, 1, 1, 0, drops)
    for i, (data, wire, stage, reason) in enumerate(frames):
        cap = min(len(data), SNAP)
        struct.pack_into("<QIIIIHHI", img, 384 + i * SLOT, 1700000000 * 10**9 + i * 1000, 3, reason, wire, cap,
                         stage, 1, 0)
        img[384 + i * SLOT + 32:384 + i * SLOT + 32 + cap] = data[:cap]
    struct.pack_into("<III", img, 128, len(frames), len(frames), 0)  # producer head, tail
    return bytes(img)


def dump_drops(a, tmp):
    d = os.path.join(tmp, "samples-dir")
    os.mkdir(d)
    open(os.path.join(d, "status"), "w").write(STATUS)
    frames = [(udp_frame(0, 60), 60, 0, 2), (udp_frame(1, 200), 200, 1, 3), (udp_frame(2, 90), 90, 0xFFFF, 2)]
    kv = lambda out: dict(w.split("=", 1) for w in out.split() if "=" in w)
    for fmt in ("pcap", "pcapng"):
        open(os.path.join(d, "samples"), "wb").write(sample_ring(frames, 5))
        out = os.path.join(tmp, "drops." + fmt)
        r = run([a.kstat, "--dir", d, "--dump-drops", out])
        f = kv(r.stdout)
        check(r.returncode == 0 and f.get("written") == "3" and f.get("ring_drops") == "5" and
              f.get("capacity") == "4" and f.get("format") == fmt, f"--dump-drops {fmt}: {r.stdout} {r.stderr}")
        ring = open(os.path.join(d, "samples"), "rb").read()
        check(struct.unpack_from("<I", ring, 256 + 4)[0] == 3, f"{fmt}: the consumer's tail moved to 3 in the image")
        r = run([a.kstat, "--dir", d, "--dump-drops", os.path.join(tmp, "again." + fmt)])
        check(r.returncode == 0 and kv(r.stdout).get("written") == "0", f"{fmt}: a second drain writes nothing")
        tcpdump = shutil.which("tcpdump") or ("/usr/sbin/tcpdump" if os.path.exists("/usr/sbin/tcpdump") else None)
        if tcpdump:
            lines = run([tcpdump, "-nn", "-r", out]).stdout.splitlines()
            check(len(lines) == 3 and "192.0.2.11.4000 > 192.0.2.2.5003" in lines[1] and "length 200" not in lines[0],
                  f"{fmt}: tcpdump reads {lines}")
    tshark = shutil.which("tshark")
    if tshark:
        got = run([tshark, "-r", os.path.join(tmp, "drops.pcapng"), "-T", "fields", "-E", "separator=,",
                   "-e", "frame.len", "-e", "frame.cap_len", "-e", "ip.src", "-e", "frame.comment"]).stdout
        want = ("60,60,192.0.2.10,stage=eth_type_trans reason=NO_SOCKET segs=1 ifindex=3\n"
                "200,128,192.0.2.11,stage=napi_gro_receive reason=UDP_CSUM segs=1 ifindex=3\n"
                "90,90,192.0.2.12,stage=- reason=NO_SOCKET segs=1 ifindex=3\n")
        check(got == want, f"pcapng comments as tshark reads them: {got!r}")
    else:
        print("kstat_cli: tshark not installed, the comments are not read back")

    # --duration: samples the producer publishes while it runs are drained too (the file is mapped shared).
    ring_path = os.path.join(d, "samples")
    open(ring_path, "wb").write(sample_ring(frames[:1], 0))
    p = subprocess.Popen([a.kstat, "--dir", d, "--dump-drops", os.path.join(tmp, "live.pcap"), "--duration", "3"],
                         stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    later = sample_ring(frames, 0)
    with open(ring_path, "r+b") as f:
        f.seek(384 + SLOT)
        f.write(later[384 + SLOT:384 + 3 * SLOT])  # the slots first, then the producer's tail
        f.flush()
        f.seek(128)
        f.write(later[128:140])
    out = p.communicate(timeout=30)[0]
    check(p.returncode == 0 and kv(out).get("written") == "3", f"--duration drains what arrives meanwhile: {out}")

    # Indices another writer of the mapping corrupted (the producer's tail 1000 ahead of a 4-slot ring):
    # one ring's worth is drained, no more.
    bad = bytearray(sample_ring(frames, 0))
    struct.pack_into("<II", bad, 128, 1000, 1000)
    open(ring_path, "wb").write(bytes(bad))
    r = run([a.kstat, "--dir", d, "--dump-drops", os.path.join(tmp, "corrupt.pcap")])
    check(r.returncode == 0 and kv(r.stdout).get("written") == "4", f"corrupt indices: {r.stdout} {r.stderr}")

    # A ring of another element size, a foreign file, no samples file, a status that is not the module's.
    open(os.path.join(d, "samples"), "wb").write(sample_ring(frames, 0)[:100])
    r = run([a.kstat, "--dir", d, "--dump-drops", os.path.join(tmp, "x.pcap")])
    check(r.returncode == 1 and "samples" in r.stderr, f"a truncated ring: exit {r.returncode} {r.stderr.strip()!r}")
    bad = bytearray(sample_ring(frames, 0))
    struct.pack_into("<I", bad, 12, 16)  # elem_size below a sample's header
    open(os.path.join(d, "samples"), "wb").write(bytes(bad))
    r = run([a.kstat, "--dir", d, "--dump-drops", os.path.join(tmp, "x.pcap")])
    check(r.returncode == 1 and "not a drop sample ring" in r.stderr, f"a foreign ring: {r.stderr.strip()!r}")
    os.remove(os.path.join(d, "samples"))
    r = run([a.kstat, "--dir", d, "--dump-drops", os.path.join(tmp, "x.pcap")])
    check(r.returncode == 1 and "a module without samples" in r.stderr, f"no samples file: {r.stderr.strip()!r}")
    open(os.path.join(d, "samples"), "wb").write(sample_ring(frames, 0))
    r = run([a.kstat, "--dir", d, "--dump-drops", os.path.join(tmp, "no", "such", "x.pcap")])
    check(r.returncode == 3, f"an unwritable dump file: exit 3, got {r.returncode}")
    for args in (["--duration", "1"], ["--dump-drops", "x.pcap", "--interval", "1"]):
        r = run([a.kstat] + args)
        check(r.returncode == 2, f"usage {args}: exit {r.returncode}")


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
        check(r.returncode == 0 and "--interval" in r.stdout and "--dump-drops" in r.stdout, "--help")
        dump_drops(a, tmp)
    finally:
        shutil.rmtree(tmp)
    print(f"kstat_cli: {len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
