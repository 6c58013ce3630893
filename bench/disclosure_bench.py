"""Disclosure benchmark: what the cell key method adds to the map's 12-month aggregation.

    uv run python bench/disclosure_bench.py [--rows 1000000] [--backend sqlite|postgresql|both]

Builds a store of N police.uk-shaped incidents over 36 months (through the real importer), then
times, for a 12-month filter at resolution 8 (median of 7 runs each, interleaved):

* before: ``COUNT(*)`` per cell, then ``protect_counts`` rounding (the path before record keys);
* after: ``assessments.maps.count_cells`` (``COUNT(*)`` and ``SUM(record_key)`` in the same
  ``GROUP BY``, on the covering index that holds the key) then ``protect_counts(keys=...)``;

and prints both and the overhead. Target: at most 10%.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
import pandas as pd
from _common import drop_store, fresh_store, police_uk_csv
from sqlalchemy import func, select

from assessments.imports import import_files
from assessments.incidents import filter_clauses, month_range
from assessments.maps import _parent, count_cells
from assessments.models import Incident
from geo.disclosure import INTERNAL, protect_counts
from geo.filters import IncidentFilter


def _before(engine, filt: IncidentFilter) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    cell = _parent(8)
    query = (
        select(cell, func.count().label("count"))
        .select_from(Incident)
        .where(*filter_clauses(filt))
        .group_by(cell)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    counts = pd.Series(np.array([r[1] for r in rows], dtype=np.int64))
    return protect_counts(counts, INTERNAL)


def _after(engine, filt: IncidentFilter) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    raw = count_cells(engine, filt, res=8)
    return protect_counts(raw["count"], INTERNAL, keys=raw["keysum"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args()
    path = police_uk_csv(args.rows, months=36)
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        with tempfile.TemporaryDirectory() as folder:
            engine = fresh_store(backend, Path(folder))
            try:
                import_files(engine, [path], actor="bench")
                _, last = month_range(engine)
                start = (pd.Timestamp(last) - pd.DateOffset(months=11)).date()
                filt = IncidentFilter(start_month=start, end_month=last)
                _before(engine, filt), _after(engine, filt)  # warm the cache once each
                before, after = [], []
                for _ in range(7):
                    t = time.perf_counter()
                    old = _before(engine, filt)
                    before.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    new = _after(engine, filt)
                    after.append(time.perf_counter() - t)
                b, a = statistics.median(before), statistics.median(after)
                print(
                    f"{backend:<10} {args.rows:,} rows over 36 months; 12-month filter at res 8: "
                    f"{len(new):,} cells ({int(old['suppressed'].sum()):,} suppressed)"
                )
                print(
                    f"{'':<10} before (count, rounding) {b:.3f} s; after (count + key sum, "
                    f"cell key perturbation) {a:.3f} s; overhead {100 * (a / b - 1):+.1f}% "
                    "(median of 7)"
                )
            finally:
                drop_store(engine)


if __name__ == "__main__":
    main()
