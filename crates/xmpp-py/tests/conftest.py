"""Shared helpers: the repository's testdata/ vectors, read as the Rust
tests read them (one case per row, named in every failure)."""

import json
from pathlib import Path

TESTDATA = Path(__file__).resolve().parents[3] / "testdata"


def tsv_rows(path):
    """(case name, fields) for every row of a vector file, comments skipped."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        rows.append((f"{path.name}:{n}", line.split("\t")))
    return rows


def js(field):
    """A JSON string field of a vector row."""
    return json.loads(field)
