# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""What the scenarios' checks.py read: pktpath-kstat/1 documents and the pcap files the host writes."""
import json


def load(path):
    with open(path) as f:
        return json.load(f)


def rows(doc):
    """label -> (packets per stage, bytes per stage), every flow, unclassified status and overflow."""
    t = doc["table"]
    if t["other"]["flow_count"]:
        raise SystemExit("FAIL: flows summed as 'other': run pktpath-kstat with --top all")
    out = {fl["flow"]: (fl["packets"], fl["bytes"]) for fl in t["flows"]}
    for u in t["unclassified"]:
        out["unclassified " + u["status"]] = (u["packets"], u["bytes"])
    out["overflow"] = (t["overflow"]["packets"], t["overflow"]["bytes"])
    return out


def stage_names(doc):
    return [s["name"] for s in doc["table"]["stages"]]


def pcap_frames(path):
    """The frames of a little-endian pcap (micro- or nanosecond magic), as bytes."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        raise SystemExit(f"FAIL: {path}: not a little-endian pcap")
    out, at = [], 24
    while at + 16 <= len(data):
        caplen = int.from_bytes(data[at + 8:at + 12], "little")
        out.append(data[at + 16:at + 16 + caplen])
        at += 16 + caplen
    return out
