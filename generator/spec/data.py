"""Seed rows given in data files next to a spec (`seed.file`): JSON, JSON Lines or CSV.

The loader reads them once and appends them to the table's `seed.fixed`, so the checker and
the seeder see one list of given rows; a file that is missing or unreadable is a located
diagnostic.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from generator.errors import SpecError
from generator.spec.models import DomainSpec
from generator.spec.source import Source

MAX_BYTES = 64 << 20  # a seed file larger than this is a mistake, not a seed


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of one data file; raises ValueError saying what is wrong with it."""
    if path.suffix not in (".json", ".jsonl", ".csv"):
        raise ValueError(f"unknown data file type {path.suffix!r}; use .json, .jsonl or .csv")
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"{path.name} is over {MAX_BYTES >> 20} MiB")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".csv":
        return [dict(row) for row in csv.DictReader(io.StringIO(text))]
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        rows = json.loads(text)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError(f"{path.name} must hold a list of objects (one per row)")
    return rows


def with_seed_files(spec: DomainSpec, source: Source) -> DomainSpec:
    """`spec` with each table's `seed.file` rows appended to its `seed.fixed`."""
    tables, problems = {}, []
    for name, table in spec.tables.items():
        if table.seed.file is None:
            tables[name] = table
            continue
        try:
            rows = read_rows(source.path.parent / table.seed.file)
        except (ValueError, OSError, UnicodeDecodeError, csv.Error) as exc:
            problems.append(source.diagnostic(("tables", name, "seed", "file"), f"cannot read seed rows: {exc}",
                                              "give a .json list of objects, .jsonl or .csv with a header, "
                                              "relative to the spec"))
            continue
        seed = table.seed.model_copy(update={"fixed": [*table.seed.fixed, *rows]})
        tables[name] = table.model_copy(update={"seed": seed})
    if problems:
        raise SpecError(problems)
    return spec.model_copy(update={"tables": tables})
