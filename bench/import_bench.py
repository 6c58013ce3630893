"""Import benchmark: a police.uk-shaped CSV of N rows into SQLite and PostgreSQL.

    uv run python bench/import_bench.py [--rows 1000000] [--backend sqlite|postgresql|both]

Prints rows, seconds and peak memory for each backend, and the ratio to pandas.read_csv of the
same file (each measurement in a fresh process, so peak memory is its own).
Target (2 cores): 1M rows stored in under 20 s, peak memory under 1.5 GB, about 10x read_csv.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import drop_store, fresh_store, peak_mb, police_uk_csv


def _measure_read_csv(path: Path) -> dict[str, float]:
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(path)
    return {"rows": len(frame), "seconds": time.perf_counter() - started, "peak_mb": peak_mb()}


def _measure_import(path: Path, backend: str) -> dict[str, float]:
    from assessments.imports import import_files

    with tempfile.TemporaryDirectory() as folder:
        engine = fresh_store(backend, Path(folder))
        try:
            started = time.perf_counter()
            report = import_files(engine, [path], actor="bench")
            seconds = time.perf_counter() - started
        finally:
            drop_store(engine)
    batch = report.batches[0]
    return {
        "rows": batch.read,
        "stored": batch.stored,
        "rejected": batch.rejected,
        "seconds": seconds,
        "peak_mb": peak_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, path = args.child
        result = (
            _measure_read_csv(Path(path))
            if what == "read_csv"
            else _measure_import(Path(path), what)
        )
        print(json.dumps(result))
        return
    path = police_uk_csv(args.rows)
    print(f"file: {path.name}, {path.stat().st_size / 2**20:.0f} MB, {args.rows:,} rows")

    def child(what: str) -> dict[str, float]:
        out = subprocess.run(
            [sys.executable, __file__, "--child", what, str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    baseline = child("read_csv")
    print(
        f"pandas.read_csv        rows {baseline['rows']:>9,}  {baseline['seconds']:6.2f} s  "
        f"peak {baseline['peak_mb']:7.0f} MB"
    )
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        r = child(backend)
        print(
            f"import {backend:<15} rows {r['rows']:>9,}  {r['seconds']:6.2f} s  peak "
            f"{r['peak_mb']:7.0f} MB  stored {r['stored']:,} rejected {r['rejected']:,}  "
            f"ratio to read_csv {r['seconds'] / baseline['seconds']:.1f}x  "
            f"({r['rows'] / r['seconds']:,.0f} rows/s)"
        )


if __name__ == "__main__":
    main()
