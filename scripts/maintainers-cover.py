#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""maintainers-cover.py MAINTAINERS PATCH...

checkpatch asks "does MAINTAINERS need updating?" of every patch that adds a
file. Answer it: every file a patch adds must match an F: pattern of some
MAINTAINERS entry (the same prefix and wildcard rules as get_maintainer.pl).
Prints the files that no entry covers; exits 1 if there are any.
"""
import re
import sys


def patterns(path):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^F:\s*(\S+)", line)
            if m:
                glob = m.group(1)
                rx = re.escape(glob).replace(r"\*", "[^/]*").replace(r"\?", ".")
                out.append(re.compile("^" + rx))
    return out


def added_files(patch):
    files, current = [], None
    with open(patch, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^diff --git a/(\S+) b/(\S+)", line)
            if m:
                current = m.group(2)
            elif line.startswith("new file mode") and current:
                files.append(current)
    return files


def main():
    pats = patterns(sys.argv[1])
    bad = 0
    for patch in sys.argv[2:]:
        for f in added_files(patch):
            if not any(p.match(f) for p in pats):
                print(f"{patch}: {f} is not covered by any MAINTAINERS entry")
                bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
