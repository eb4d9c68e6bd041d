#!/usr/bin/env python3
"""Writes the seeds of the `stanza_parse` fuzz target from the vector files
here (format: README.md), replacing the seeds of earlier runs (a `crash-*`
file left there is kept). Inputs the fuzzer found live in
../fuzz-regressions/stanza_parse/, which `cargo xtask fuzz` writes and
`cargo test -p xtask` replays.

Usage: make_fuzz_seeds.py [SEEDS_DIR]   (default: ../../fuzz/seeds/stanza_parse)

Case K of FILE.txt (counting from 0) gives two seeds, FILE-KKK-0 and
FILE-KKK-1: the case's XML after a mode byte of 0 (the fuzz target parses
it standalone) or 1 (it frames it inside a jabber:client stream). The XML
is taken as tests/it/vectors.rs takes it: the lines of the case that are
not `ns:`, `expect:` or `caps-ver:` lines, trimmed.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def case_xml(path):
    """The XML of every case of a vector file, in order."""
    text = open(path, encoding="utf-8").read()
    out = []
    for block in text.split("=== ")[1:]:
        rest = block.split("\n", 1)[1] if "\n" in block else ""
        lines = [
            line + "\n"
            for line in rest.split("\n")
            if not line.startswith(("ns: ", "expect: ", "caps-ver: "))
        ]
        # str.lines() in the test does not yield a last empty line.
        if rest.endswith("\n"):
            lines = lines[:-1]
        out.append("".join(lines).strip())
    return out


def main():
    seeds = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "fuzz", "seeds", "stanza_parse")
    os.makedirs(seeds, exist_ok=True)
    # Inputs the fuzzer found (`crash-*`) stay: they are regressions.
    for name in os.listdir(seeds):
        if not name.startswith("crash-"):
            os.remove(os.path.join(seeds, name))
    total = 0
    for name in sorted(os.listdir(HERE)):
        if not name.endswith(".txt"):
            continue
        stem = name[: -len(".txt")]
        for k, xml in enumerate(case_xml(os.path.join(HERE, name))):
            for mode in (0, 1):
                with open(os.path.join(seeds, f"{stem}-{k:03}-{mode}"), "wb") as f:
                    f.write(bytes([mode]) + xml.encode("utf-8"))
                total += 1
    print(total, "seeds")


main()
