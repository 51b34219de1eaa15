#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""The tools on captures streamed through a pipe: `pktpath-flows -` and
`pktpath-replay -` (also a FIFO and /dev/stdin) print what they print for
the file; a capture cut mid-record on a pipe, its writer killed, ends with
exit 1, the error at the cut record's offset, and the report of every frame
read before it.

  stream_cli.py --flows BIN --replay BIN --source DIR
"""
import argparse
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)
    return cond


def piped(cmd, data):
    return subprocess.run(cmd, input=data, capture_output=True)


def record_offsets(data):
    at, out = 24, []
    while at + 16 <= len(data):
        out.append(at)
        at += 16 + struct.unpack("<I", data[at + 8:at + 12])[0]
    return out


def killed_writer(cmd, data, cut):
    """cmd reads a pipe whose writer sends data[:cut] and is then killed (SIGKILL)."""
    with tempfile.NamedTemporaryFile() as part:
        part.write(data[:cut])
        part.flush()
        r, w = os.pipe()
        # The writer says when its bytes are in the pipe, then waits to be killed.
        writer = subprocess.Popen([sys.executable, "-c",
                                   "import sys, time\n"
                                   "sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())\n"
                                   "sys.stdout.flush()\n"
                                   "sys.stderr.write('written\\n')\n"
                                   "sys.stderr.flush()\n"
                                   "time.sleep(60)\n", part.name],
                                  stdout=w, stderr=subprocess.PIPE)
        os.close(w)
        # Its output to a file: a full stdout pipe would stop it reading.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            reader = subprocess.Popen(cmd, stdin=r, stdout=out, stderr=err)
            os.close(r)
            writer.stderr.readline()
            writer.send_signal(signal.SIGKILL)
            writer.wait()
            reader.wait(timeout=60)
            out.seek(0)
            err.seek(0)
            return reader.returncode, out.read(), err.read().decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flows", required=True)
    ap.add_argument("--replay", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    caps = os.path.join(args.source, "examples", "captures")
    for name in ("mix.pcap", "drops.pcap"):
        path = os.path.join(caps, name)
        data = open(path, "rb").read()
        want = subprocess.run([args.flows, path], capture_output=True).stdout
        got = piped([args.flows, "-"], data)
        check(got.returncode == 0 and got.stdout == want, "pktpath-flows - < %s: the file's output" % name)
        got = piped([args.flows, "/dev/stdin"], data)
        check(got.returncode == 0 and got.stdout == want, "pktpath-flows /dev/stdin < %s: the file's output" % name)
        with tempfile.TemporaryDirectory() as d:
            fifo = os.path.join(d, "fifo")
            os.mkfifo(fifo)
            w = subprocess.Popen(["sh", "-c", 'cat "$1" > "$2"', "sh", path, fifo])
            got = subprocess.run([args.flows, fifo], capture_output=True)
            w.wait()
            check(got.returncode == 0 and got.stdout == want, "pktpath-flows FIFO of %s: the file's output" % name)

        # pktpath-replay: the same report but for the capture's name and size.
        file_doc = json.loads(subprocess.run([args.replay, "--json", "--flows", "262144", path],
                                             capture_output=True).stdout)
        r = piped([args.replay, "--json", "-"], data)
        doc = json.loads(r.stdout) if r.returncode == 0 else None
        if check(doc is not None, "pktpath-replay - < %s: exit %d" % (name, r.returncode)):
            for d in (file_doc, doc):
                d.pop("run")
            check(doc["captures"][0]["file"] == "-" and doc["captures"][0]["size"] == len(data),
                  "pktpath-replay -: the capture is '-', %d bytes read" % len(data))
            doc["captures"][0].update(file=path)
            check(doc == file_doc, "pktpath-replay - < %s: the file's report" % name)

    # Cut mid-record, the writer killed: the documented error and the report of what was read.
    path = os.path.join(caps, "drops.pcap")
    data = open(path, "rb").read()
    offs = record_offsets(data)
    k = len(offs) // 2
    cut = offs[k] + 16 + 10
    rc, out, err = killed_writer([args.replay, "--json", "-"], data, cut)
    doc = json.loads(out) if out else None
    check(rc == 1, "pktpath-replay - cut at %d, its writer killed: exit %d" % (cut, rc))
    check("-: pcap: record at offset %d: captured length" % offs[k] in err and "runs past the end" in err,
          "the error names the cut record's offset: %s" % err.strip())
    if check(doc is not None, "the report is written"):
        c = doc["captures"][0]
        check(c["frames"] == k and not c["complete"] and c["error"]["code"] == "truncated" and
              c["error"]["offset"] == offs[k], "the report covers the %d frames before the cut (%d)" % (k, c["frames"]))
        check(doc["totals"]["replayed_frames"] == k, "every frame read is replayed")
    rc, out, err = killed_writer([args.flows, "-"], data, cut)
    lines = out.decode().splitlines()
    check(rc == 1 and len(lines) == k and "offset %d" % offs[k] in err,
          "pktpath-flows - cut the same way: exit %d, %d lines, %s" % (rc, len(lines), err.strip()))
    r = piped([args.flows, "-"], b"not a capture at all")
    check(r.returncode == 1 and b"neither a pcap nor a pcapng" in r.stderr, "garbage on stdin: exit 1, %s" % r.stderr.decode().strip())
    print("%d failed" % len(failures) if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
