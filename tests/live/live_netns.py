#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""pktpath-live on a veth pair between two network namespaces this test
creates and removes (also after a failure).  A sender (tcpreplay) in one
replays a bundled capture whose frames are rewritten to the pair's MAC and
IP addresses; pktpath-live counts in the other.  Checked against what was
sent (tcpreplay's own count, the rewritten capture read by pktpath-flows,
the --write capture read back by pktpath-flows and by tcpdump -r):

  exact     at a rate the ring holds: per flow and per parse status, the
            counts equal the sent capture's; no kernel drop; the --write
            capture holds the sent frames, byte for byte, in order;
  drops     a 2-block ring and a slow consumer: the kernel drops (tp_drops),
            and sent = dropped in the kernel + counted at kernel_ring;
  fanout    2 workers in a PACKET_FANOUT hash group: per flow the counts of
            `exact`, each flow on one worker; with round-robin fanout (lb)
            flows do land on both, so that check can fail;
  outputs   --interval documents, --count, --prom through promtool;
  filters   a kernel BPF program (tcpdump -ddd) against tcpdump's own filter
            on the sent capture; the flow filter polls all, counts its own;
  no_cap    without CAP_NET_RAW: exit 1 and a message that says so;
  usage     bad options: exit 2; --duration on a quiet link.

Traffic goes only between the two namespaces' own addresses (192.0.2.1 and
192.0.2.2, 2001:db8::1 and 2001:db8::2, the documentation ranges); nothing
outside them is touched.  Exit 77 (skipped) when not root or without
iproute2 or tcpreplay.

  live_netns.py --live BIN --flows BIN --source DIR [--schema FILE] [--only NAME]
"""
import argparse
import collections
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77
TX_IP4, RX_IP4 = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
TX_IP6 = bytes.fromhex("20010db8000000000000000000000001")
RX_IP6 = bytes.fromhex("20010db8000000000000000000000002")
failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)
    return cond


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


class Netns:
    """Two namespaces joined by a veth pair; removed by close(), whatever happened."""

    def __init__(self):
        tag = str(os.getpid())
        self.tx, self.rx = "pktpath-tx-" + tag, "pktpath-rx-" + tag
        self.tx_if, self.rx_if = "pkt" + tag[-6:] + "t", "pkt" + tag[-6:] + "r"

    def sh(self, *cmd):
        r = run(list(cmd))
        if r.returncode != 0:
            raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
        return r.stdout

    def open(self):
        self.sh("ip", "netns", "add", self.tx)
        self.sh("ip", "netns", "add", self.rx)
        self.sh("ip", "link", "add", self.tx_if, "netns", self.tx, "type", "veth", "peer", "name", self.rx_if,
                "netns", self.rx)
        for ns, dev, ip4, ip6 in ((self.tx, self.tx_if, "192.0.2.1", "2001:db8::1"),
                                  (self.rx, self.rx_if, "192.0.2.2", "2001:db8::2")):
            # No IPv6 stack on the pair: it would send router solicitations and MLD reports of its own.
            self.sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1")
            self.sh("ip", "-n", ns, "link", "set", dev, "up")
            self.sh("ip", "-n", ns, "addr", "add", ip4 + "/24", "dev", dev)
        self.tx_mac = self.mac(self.tx, self.tx_if)
        self.rx_mac = self.mac(self.rx, self.rx_if)
        # Static neighbours: replies the receiver's stack sends (TCP resets) need no ARP, whose
        # answers would arrive as frames nobody sent.
        self.sh("ip", "-n", self.rx, "neigh", "add", "192.0.2.1", "lladdr", self.tx_mac, "dev", self.rx_if,
                "nud", "permanent")
        self.sh("ip", "-n", self.tx, "neigh", "add", "192.0.2.2", "lladdr", self.rx_mac, "dev", self.tx_if,
                "nud", "permanent")

    def mac(self, ns, dev):
        return json.loads(self.sh("ip", "-j", "-n", ns, "link", "show", dev))[0]["address"]

    def close(self):
        for ns in (self.tx, self.rx):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def pcap_records(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise RuntimeError("%s: a little-endian pcap expected" % path)
    at, out = 24, []
    while at + 16 <= len(data):
        sec, frac, cap, orig = struct.unpack("<IIII", data[at:at + 16])
        out.append((sec, frac, data[at + 16:at + 16 + cap], orig))
        at += 16 + cap
    return data[:24], out


def ip4_checksum(h):
    s = sum(struct.unpack("!%dH" % (len(h) // 2), h))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def rewrite(frame, tx_mac, rx_mac):
    """The frame from the sender's MAC to the receiver's, its outer IPv4/IPv6 (behind
    any VLAN tags) or ARP addresses the pair's; a shorter frame keeps what it has."""
    b = bytearray(frame)
    if len(b) < 14:
        return bytes(b)
    b[0:6], b[6:12] = rx_mac, tx_mac
    off, et = 12, struct.unpack("!H", b[12:14])[0]
    while et in (0x8100, 0x88A8, 0x9100) and len(b) >= off + 6:
        off += 4
        et = struct.unpack("!H", b[off:off + 2])[0]
    l3 = off + 2
    if et == 0x0800 and len(b) >= l3 + 20:
        ihl = (b[l3] & 0xF) * 4
        b[l3 + 12:l3 + 16], b[l3 + 16:l3 + 20] = TX_IP4, RX_IP4
        if 20 <= ihl and len(b) >= l3 + ihl:
            b[l3 + 10:l3 + 12] = b"\0\0"
            b[l3 + 10:l3 + 12] = struct.pack("!H", ip4_checksum(bytes(b[l3:l3 + ihl])))
    elif et == 0x86DD and len(b) >= l3 + 40:
        b[l3 + 8:l3 + 24], b[l3 + 24:l3 + 40] = TX_IP6, RX_IP6
    elif et == 0x0806 and len(b) >= l3 + 28:
        b[l3 + 14:l3 + 18], b[l3 + 24:l3 + 28] = TX_IP4, RX_IP4
    return bytes(b)


def write_rewritten(src, dst, ns):
    header, recs = pcap_records(src)
    tx, rx = bytes.fromhex(ns.tx_mac.replace(":", "")), bytes.fromhex(ns.rx_mac.replace(":", ""))
    with open(dst, "wb") as f:
        f.write(header)
        for sec, frac, data, orig in recs:
            if len(data) < 14 or len(data) > 1514:  # what a veth of MTU 1500 carries
                continue
            d = rewrite(data, tx, rx)
            f.write(struct.pack("<IIII", sec, frac, len(d), len(d)) + d)


def flows_of(flows_bin, path, *opts):
    """Per frame (status, key) from pktpath-flows: the project's reader and parser."""
    r = run([flows_bin, path] + list(opts))
    if r.returncode != 0:
        raise RuntimeError("pktpath-flows %s: %s" % (path, r.stderr))
    # status, ip version, protocol, addresses, ports and the key's hash (which covers a --vlan id)
    return [tuple(line.split("\t")[1:]) for line in r.stdout.splitlines() if line and not line.startswith("#")]


def key_text(k):
    """A pktpath-flows key as the table export's key fields."""
    status, ver, proto, src, sport, dst, dport = k[:7]
    ports = sport != "-"
    return (int(ver), int(proto), src, int(sport) if ports else 0, dst, int(dport) if ports else 0)


def export_key(key):
    return (key["ipver"], key["proto"], key["src"], key["sport"] if key["ports"] else 0, key["dst"],
            key["dport"] if key["ports"] else 0)


def expected(flows_bin, path, loops):
    per_flow, per_status = collections.Counter(), collections.Counter()
    for k in flows_of(flows_bin, path):
        if k[0] in ("ok", "no_ports", "nonfirst_fragment"):
            per_flow[k] += loops
        else:
            per_status[k[0]] += loops
    return per_flow, per_status


class Live:
    """pktpath-live in the receiving namespace."""

    def __init__(self, args, ns, opts, out_json):
        self.ns, self.out = ns, out_json
        self.p = subprocess.Popen(["ip", "netns", "exec", ns.rx, args.live] + opts + ["--json", ns.rx_if],
                                  stdout=open(out_json, "w"), stderr=subprocess.PIPE, text=True)
        # Its "listening on" line: every socket is bound, the ring counts from here on.
        self.first = self.p.stderr.readline()

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        try:
            _, err = self.p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            _, err = self.p.communicate()
        self.rc, self.err = self.p.returncode, self.first + err
        self.docs = documents(self.out) if self.rc == 0 else []
        return self.docs[-1] if self.docs else None


def documents(path):
    """The JSON documents of a --json output, one after the other (intervals, then the final one)."""
    text, at, out = open(path).read(), 0, []
    dec = json.JSONDecoder()
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return out
        doc, at = dec.raw_decode(text, at)
        out.append(doc)


def send(ns, path, pps, loops):
    """tcpreplay from the sending namespace; its own count of frames sent."""
    rate = ["--pps=%d" % pps] if pps else ["--topspeed"]
    r = run(["ip", "netns", "exec", ns.tx, "tcpreplay", "-q", "-i", ns.tx_if, "--loop=%d" % loops] + rate + [path])
    out = r.stdout + r.stderr
    for line in out.splitlines():
        if "Successful packets:" in line:
            sent = int(line.split(":")[1])
        if "Failed packets:" in line:
            failed = int(line.split(":")[1])
    if r.returncode != 0 or failed:
        raise RuntimeError("tcpreplay: exit %d, %s" % (r.returncode, out))
    return sent


def table_flows(doc):
    """Per flow (text) packets at each stage, from the table export."""
    stages = [s["name"] for s in doc["table"]["stages"]]
    out = {}
    for f in doc["table"]["flows"]:
        out[export_key(f["key"])] = {s: f["packets"][i] for i, s in enumerate(stages)}
    return out


def compare_flows(doc, per_flow, per_status, what):
    got = table_flows(doc)
    want = {key_text(k): n for k, n in per_flow.items()}
    ok = check(sorted(got) == sorted(want), "%s: the flows are the sent capture's (%d)" % (what, len(want)))
    bad = [f for f in want if f in got and got[f]["kernel_ring"] != want[f]]
    ok &= check(not bad, "%s: per flow, frames at kernel_ring = frames sent%s" % (what, (": " + str(bad[:3])) if bad else ""))
    bad = [f for f in want if f in got and not (got[f]["poll"] == got[f]["classify"] == got[f]["deliver"] == want[f])]
    ok &= check(not bad, "%s: per flow, every frame polled, classified and delivered" % what)
    unc = {k: v for k, v in doc["unclassified"].items() if v}
    ok &= check(unc == dict(per_status), "%s: unclassified by status %s = sent %s" % (what, unc, dict(per_status)))
    return ok


def validate(doc, schema):
    if schema is None:
        return
    import jsonschema
    try:
        jsonschema.validate(doc, schema)
        check(True, "the document is valid pktpath-live/1")
    except jsonschema.ValidationError as e:
        check(False, "the document is valid pktpath-live/1: %s" % e.message)


def conserves(doc, sent, what):
    t, k = doc["totals"], doc["kernel"]
    check(k["packets"] == sent, "%s: the kernel saw every frame sent (tp_packets %d, sent %d)" % (what, k["packets"], sent))
    check(sent == k["drops"] + t["frames"],
          "%s: sent %d = dropped in the kernel %d + counted at kernel_ring %d" % (what, sent, k["drops"], t["frames"]))
    seen = sum(w["frames"] for w in doc["per_worker"])
    check(seen == t["frames"], "%s: the workers' own count of frames in the blocks (%d) = the table's at kernel_ring" % (what, seen))


def tcpdump_frames(path):
    """tcpdump -r's view of each frame: its line without the timestamp (absolute TCP sequence numbers: no state across frames), and its bytes in hex."""
    frames = []
    for line in run(["tcpdump", "-nn", "-S", "-e", "-xx", "-r", path]).stdout.splitlines():
        if re.match(r"\d\d:\d\d:\d\d\.\d+ ", line):
            frames.append(line.split(" ", 1)[1])
        else:
            frames[-1] += line
    return frames


def case_exact(args, ns, work, sent_pcap, per_flow, per_status, loops):
    out = os.path.join(work, "exact.json")
    written = os.path.join(work, "exact-write.pcap")
    live = Live(args, ns, ["--write", written, "--top", "all"], out)
    sent = send(ns, sent_pcap, 20000, loops)
    time.sleep(0.3)
    doc = live.stop()
    if not check(doc is not None, "exact: pktpath-live exit 0 (%s)" % (live.err or "").strip()):
        return None
    validate(doc, args.schema_doc)
    check(doc["kernel"]["drops"] == 0, "exact: no kernel drop at 20 kpps (tp_drops %d)" % doc["kernel"]["drops"])
    check(doc["run"]["end"] == "signal", "exact: SIGINT ended the run with the final report")
    check(doc["totals"]["frames"] == sent, "exact: %d frames counted, %d sent (tcpreplay)" % (doc["totals"]["frames"], sent))
    conserves(doc, sent, "exact")
    compare_flows(doc, per_flow, per_status, "exact")
    check(doc["write"]["frames"] == sent, "exact: --write wrote %d frames" % doc["write"]["frames"])
    # The written capture: the same frames as sent, in order, by pktpath-flows and by tcpdump.
    sent_flows = flows_of(args.flows, sent_pcap, "--vlan") * loops
    check(flows_of(args.flows, written, "--vlan") == sent_flows,
          "exact: pktpath-flows --vlan reads the --write capture as the sent frames (keys with their VLAN ids)")
    w, s = tcpdump_frames(written), tcpdump_frames(sent_pcap) * loops
    diff = next((i for i, (a, b) in enumerate(zip(w, s)) if a != b), None)
    check(len(w) == sent and diff is None,
          "exact: tcpdump -r reads the --write capture as the sent frames, byte for byte (%d)%s" %
          (len(w), "" if diff is None else "; frame %d differs:\n  got  %s\n  sent %s" % (diff + 1, w[diff][:300], s[diff][:300])))
    return doc


def case_drops(args, ns, work, sent_pcap):
    out = os.path.join(work, "drops.json")
    live = Live(args, ns, ["--blocks", "2", "--block-size", "4096", "--frame-size", "2048", "--cost", "200000"], out)
    sent = send(ns, sent_pcap, 0, 4)
    time.sleep(1.0)
    doc = live.stop()
    if not check(doc is not None, "drops: pktpath-live exit 0 (%s)" % (live.err or "").strip()):
        return
    validate(doc, args.schema_doc)
    check(doc["kernel"]["drops"] > 0, "drops: the kernel dropped %d of %d frames (tp_drops)" % (doc["kernel"]["drops"], sent))
    check(doc["kernel"]["freeze_q_cnt"] > 0, "drops: the queue froze %d times" % doc["kernel"]["freeze_q_cnt"])
    conserves(doc, sent, "drops")
    pw = doc["per_worker"][0]
    check(pw["kernel"]["drops"] == doc["kernel"]["drops"], "drops: the worker's socket counted them")


def case_fanout(args, ns, work, sent_pcap, per_flow, per_status, loops):
    for mode, should_split in (("hash", False), ("lb", True)):
        out = os.path.join(work, "fanout-%s.json" % mode)
        live = Live(args, ns, ["--workers", "2", "--fanout", mode, "--top", "all"], out)
        sent = send(ns, sent_pcap, 20000, loops)
        time.sleep(0.3)
        doc = live.stop()
        if not check(doc is not None, "fanout %s: pktpath-live exit 0 (%s)" % (mode, (live.err or "").strip())):
            continue
        validate(doc, args.schema_doc)
        conserves(doc, sent, "fanout " + mode)
        frames = [w["frames"] for w in doc["per_worker"]]
        check(len(frames) == 2 and all(frames), "fanout %s: both workers got frames %s" % (mode, frames))
        split = doc["flows_on_several_workers"]
        if should_split:
            check(split > 0, "fanout lb (round robin): %d flows on both workers: the one-worker check can fail" % split)
        else:
            check(split == 0, "fanout hash: each flow on one worker (%d on several)" % split)
            compare_flows(doc, per_flow, per_status, "fanout hash")


def case_outputs(args, ns, work, sent_pcap, loops):
    """--interval documents add up to the run; --count polls exactly that many; --prom passes promtool."""
    out, prom = os.path.join(work, "outputs.json"), os.path.join(work, "live.prom")
    live = Live(args, ns, ["--interval", "0.2", "--count", "5000", "--prom", prom], out)
    sent = send(ns, sent_pcap, 10000, loops)
    live.p.wait(timeout=60)
    doc = live.stop()
    if not check(doc is not None, "outputs: pktpath-live exit 0 (%s)" % (live.err or "").strip()):
        return
    for d in live.docs:
        validate(d, args.schema_doc)
    iv = [d for d in live.docs if d["interval"] is not None]
    check(len(iv) >= 2 and [d["interval"]["index"] for d in iv] == list(range(1, len(iv) + 1)),
          "outputs: %d interval documents, numbered from 1" % len(iv))
    check(doc["interval"] is None and doc["run"]["end"] == "count", "outputs: the last is the final report, ended by --count")
    check(doc["totals"]["polled"] == 5000, "outputs: --count 5000: %d frames polled" % doc["totals"]["polled"])
    check(sum(d["totals"]["polled"] for d in iv) <= doc["totals"]["polled"] and
          sum(d["kernel"]["packets"] for d in iv) <= doc["kernel"]["packets"] <= sent,
          "outputs: the intervals' deltas add up to no more than the run's totals")
    if shutil.which("promtool"):
        r = run(["promtool", "check", "metrics"], input=open(prom).read())
        check(r.returncode == 0, "outputs: promtool check metrics passes the --prom file %s" % r.stderr.strip())
    text = open(prom).read()
    check("pktpath_live_kernel_drops_total" in text and 'pktpath_live_stage_packets_total{stage="kernel_ring"}' in text,
          "outputs: the --prom file has the kernel's and the stages' counters")


def case_filters(args, ns, work, sent_pcap, per_flow, loops):
    """A kernel BPF program (tcpdump -ddd udp) keeps the other frames out of the ring, as tcpdump's
    own filter reads the sent capture; the flow filter (--proto tcp) polls every frame, counts TCP's."""
    bpf = os.path.join(work, "udp.bpf")
    r = run(["ip", "netns", "exec", ns.rx, "tcpdump", "-ddd", "-i", ns.rx_if, "udp"])
    if not check(r.returncode == 0, "filters: tcpdump -ddd udp %s" % r.stderr.strip()):
        return
    open(bpf, "w").write(r.stdout)
    # tcpdump's own filter picks the frames from the sent capture (its text would print a tunnel's
    # inner packet on a line of its own).
    picked = os.path.join(work, "udp.pcap")
    run(["tcpdump", "-r", sent_pcap, "-w", picked, "udp"])
    want = len(pcap_records(picked)[1]) * loops
    live = Live(args, ns, ["--bpf-file", bpf], os.path.join(work, "bpf.json"))
    sent = send(ns, sent_pcap, 20000, loops)
    time.sleep(0.3)
    doc = live.stop()
    if check(doc is not None, "filters: --bpf-file: exit 0 (%s)" % (live.err or "").strip()):
        check(doc["bpf_instructions"] > 0 and doc["kernel"]["packets"] == want and doc["totals"]["frames"] == want,
              "filters: the BPF program let %d of %d frames into the ring, counted %d; tcpdump -r -w 'udp' picks %d" %
              (doc["kernel"]["packets"], sent, doc["totals"]["frames"], want))
    live = Live(args, ns, ["--proto", "tcp", "--top", "all"], os.path.join(work, "proto.json"))
    sent = send(ns, sent_pcap, 20000, loops)
    time.sleep(0.3)
    doc = live.stop()
    if check(doc is not None, "filters: --proto tcp: exit 0 (%s)" % (live.err or "").strip()):
        tcp = sum(n for k, n in per_flow.items() if k[2] == "6")
        polled = sum(w["polled"] for w in doc["per_worker"])
        check(polled == sent and doc["totals"]["frames"] == tcp and doc["filter"] is not None,
              "filters: every frame polled (%d of %d), the TCP ones counted (%d, the capture has %d)" %
              (polled, sent, doc["totals"]["frames"], tcp))


def case_no_cap(args, ns):
    r = run(["ip", "netns", "exec", ns.rx, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "--inh-caps=-all", "--bounding-set=-all", args.live, ns.rx_if])
    check(r.returncode == 1 and "CAP_NET_RAW" in r.stderr,
          "no_cap: exit %d, %s" % (r.returncode, r.stderr.strip()))


def case_usage(args, ns):
    for opts, what in ((["--block-size", "1000", ns.rx_if], "block size"), ([], "no interface"),
                       (["--workers", "0", ns.rx_if], "workers"), (["--bogus", ns.rx_if], "unknown option")):
        r = run([args.live] + opts)
        check(r.returncode == 2 and "pktpath-live:" in r.stderr, "usage: %s: exit %d" % (what, r.returncode))
    r = run(["ip", "netns", "exec", ns.rx, args.live, "--json", "--duration", "0.3", ns.rx_if])
    doc = json.loads(r.stdout) if r.returncode == 0 else None
    check(doc is not None and doc["run"]["end"] == "duration" and doc["totals"]["frames"] == 0,
          "usage: --duration 0.3 on a quiet link: exit %d, the final report, nothing counted" % r.returncode)
    r = run(["ip", "netns", "exec", ns.rx, args.live, "--duration", "0.1", "nosuchdev0"])
    check(r.returncode == 1 and "nosuchdev0" in r.stderr, "usage: no such interface: exit %d, %s" % (r.returncode, r.stderr.strip()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--live", required=True)
    ap.add_argument("--flows", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--schema")
    ap.add_argument("--only")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("skipped: network namespaces need root")
        return SKIP
    for tool in ("ip", "tcpreplay", "tcpdump", "setpriv"):
        if shutil.which(tool) is None:
            print("skipped: %s not found (cmake/install-deps.sh test installs it)" % tool)
            return SKIP
    args.schema_doc = None
    if args.schema:
        try:
            import jsonschema  # noqa: F401
            with open(args.schema) as f:
                args.schema_doc = json.load(f)
        except ImportError:
            print("note: python3-jsonschema missing: documents not validated")
    ns = Netns()
    work = tempfile.mkdtemp(prefix="pktpath-live-")
    # Removed on every way out: a failure, an exception, SIGTERM from CTest's timeout.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        ns.open()
        sent_pcap = os.path.join(work, "mix-pair.pcap")
        write_rewritten(os.path.join(args.source, "examples", "captures", "mix.pcap"), sent_pcap, ns)
        loops = 20
        per_flow, per_status = expected(args.flows, sent_pcap, loops)
        only = args.only
        if only in (None, "exact"):
            case_exact(args, ns, work, sent_pcap, per_flow, per_status, loops)
        if only in (None, "drops"):
            case_drops(args, ns, work, sent_pcap)
        if only in (None, "fanout"):
            case_fanout(args, ns, work, sent_pcap, per_flow, per_status, loops)
        if only in (None, "outputs"):
            case_outputs(args, ns, work, sent_pcap, loops)
        if only in (None, "filters"):
            case_filters(args, ns, work, sent_pcap, per_flow, loops)
        if only in (None, "no_cap"):
            case_no_cap(args, ns)
        if only in (None, "usage"):
            case_usage(args, ns)
    finally:
        ns.close()
        shutil.rmtree(work, ignore_errors=True)
    leftover = [n for n in run(["ip", "netns", "list"]).stdout.split() if n in (ns.tx, ns.rx)]
    check(not leftover, "the namespaces are gone")
    print("%d failed" % len(failures) if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
