#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
"""docs/api.md names every header pktpath installs, and only headers that exist.

The page is the list of what is public API and what is internal; a header
added, moved or removed without it fails here.
"""
import argparse
import pathlib
import re
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    root = pathlib.Path(a.source)
    inc = root / "include" / "pktpath"
    headers = {str(p.relative_to(inc)) for p in inc.rglob("*") if p.suffix in (".h", ".hpp")}
    page = (root / "docs" / "api.md").read_text()
    named = set(re.findall(r"`([a-z0-9_]+(?:/[a-z0-9_]+)*\.(?:h|hpp))`", page))
    missing = sorted(headers - named)
    stale = sorted(named - headers)
    for h in missing:
        print(f"FAIL: include/pktpath/{h} is not in docs/api.md")
    for h in stale:
        print(f"FAIL: docs/api.md names {h}, which is not a header of include/pktpath")
    print(f"{len(headers)} headers, {len(named)} named in docs/api.md")
    return 1 if missing or stale else 0


if __name__ == "__main__":
    sys.exit(main())
