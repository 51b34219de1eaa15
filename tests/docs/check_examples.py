#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""The documentation's complete programs compile and run.

Every fenced code block in README.md and docs/*.md tagged ```cpp that holds `int main`
is compiled with the project's include/ as C++17 (g++ -std=c++17 -O2 -Wall -Wextra
-Werror ... -lpthread) and run; blocks tagged ```c with `int main` likewise as C
(gcc -std=gnu11).  Other blocks are fragments and are not compiled.

The convention the pages follow: each program is run in a fresh temporary directory
(so files it writes land there) with one argument, the absolute path of the bundled
examples/captures/mix.pcap; a program that needs no capture ignores it.  A program
fails the test when it does not compile or exits non-zero (or runs over 60 s).

Before the documents, the harness checks itself: a program that exits 1 and one that
does not compile must both be reported as failures.

  check_examples.py --source DIR [--cxx g++] [--cc gcc] [FILE.md...]
Exit: 0 pass, 1 failure.
"""
import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```([A-Za-z0-9_+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
MAIN = re.compile(r"\bint\s+main\s*\(")


def blocks(path):
    """(language, first line number, code) of each fenced block holding a main."""
    text = open(path, encoding="utf-8").read()
    for m in FENCE.finditer(text):
        lang, code = m.group(1).lower(), m.group(2)
        if lang in ("cpp", "c") and MAIN.search(code):
            yield lang, text.count("\n", 0, m.start()) + 2, code


def build_and_run(lang, code, label, a, work):
    """None when the program compiled and exited 0, else what went wrong."""
    d = tempfile.mkdtemp(prefix="ex.", dir=work)
    src = os.path.join(d, "main.cpp" if lang == "cpp" else "main.c")
    exe = os.path.join(d, "prog")
    with open(src, "w", encoding="utf-8") as f:
        f.write(code)
    inc = os.path.join(a.source, "include")
    if lang == "cpp":
        cmd = [a.cxx, "-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror", "-I", inc, src, "-o", exe, "-lpthread"]
    else:
        cmd = [a.cc, "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-I", inc, src, "-o", exe, "-lpthread"]
    c = subprocess.run(cmd, capture_output=True, text=True)
    if c.returncode != 0:
        return f"{label}: does not compile:\n{c.stderr[-3000:]}"
    capture = os.path.join(a.source, "examples", "captures", "mix.pcap")
    try:
        r = subprocess.run([exe, capture], cwd=d, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return f"{label}: still running after 60 s"
    if r.returncode != 0:
        return f"{label}: exit {r.returncode}\n--- stdout\n{r.stdout[-1500:]}--- stderr\n{r.stderr[-1500:]}"
    print(f"{label}: ok")
    for line in r.stdout.splitlines()[:6]:
        print(f"    | {line}")
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True, help="the repository root")
    ap.add_argument("--cxx", default=os.environ.get("CXX") or "g++")
    ap.add_argument("--cc", default=os.environ.get("CC") or "gcc")
    ap.add_argument("files", nargs="*", help="Markdown files (default: README.md and docs/*.md)")
    a = ap.parse_args()
    a.source = os.path.abspath(a.source)
    files = a.files or [os.path.join(a.source, "README.md")] + sorted(glob.glob(os.path.join(a.source, "docs", "*.md")))
    work = tempfile.mkdtemp(prefix="pktpath-doc-examples.")
    failures = []
    try:
        # The harness must see a failing program and a broken one.
        for lang, code, what in (("cpp", "int main() { return 1; }\n", "exit 1"),
                                 ("c", "int main(void) { return undeclared; }\n", "a compile error")):
            if build_and_run(lang, code, f"self-check ({what})", a, work) is None:
                failures.append(f"self-check: {what} was not reported as a failure")
        jobs = []
        for path in files:
            for lang, line, code in blocks(path):
                jobs.append((lang, code, f"{os.path.relpath(path, a.source)}:{line} ({lang})"))
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for err in pool.map(lambda j: build_and_run(*j, a, work), jobs):
                if err:
                    failures.append(err)
        if not jobs:
            failures.append("no complete program found in " + ", ".join(files))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAIL:", f)
    print(f"docs.examples: {len(jobs)} programs, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
