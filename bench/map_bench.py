"""Map benchmark: aggregation for a 12-month filter at resolution 8, and the folium HTML size.

    uv run python bench/map_bench.py [--rows 1000000] [--backend sqlite|postgresql|both]

Builds a store of N police.uk-shaped incidents over 36 months (through the real importer), then
prints: the SQL aggregation time (median of 5), a plain vectorised baseline on the same points
(H3 indexing + pandas groupby, points already in memory) and the ratio; and the size of the
folium HTML for a force-sized area (about 5,000 hexagons).
Targets: aggregation under 0.5 s; HTML under 3 MB.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import drop_store, fresh_store, peak_mb, police_uk_csv

from assessments.imports import import_files
from assessments.incidents import load_incidents, month_range
from assessments.maps import count_cells
from geo.cells import points_to_cells
from geo.disclosure import INTERNAL, protect_counts
from geo.filters import IncidentFilter
from layers.hexes import base_map, hex_layer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    path = police_uk_csv(args.rows, months=36)
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        with tempfile.TemporaryDirectory() as folder:
            engine = fresh_store(backend, Path(folder))
            try:
                started = time.perf_counter()
                import_files(engine, [path], actor="bench")
                load_s = time.perf_counter() - started
                _, last = month_range(engine)
                import pandas as pd

                start = (pd.Timestamp(last) - pd.DateOffset(months=11)).date()
                filt = IncidentFilter(start_month=start, end_month=last)
                times = []
                for _ in range(5):
                    t = time.perf_counter()
                    cells = count_cells(engine, filt, res=8)
                    times.append(time.perf_counter() - t)
                sql_s = statistics.median(times)
                points = load_incidents(engine, filt, columns=("lat", "lon"))
                base = []
                for _ in range(5):
                    t = time.perf_counter()
                    c = points_to_cells(points["lat"].to_numpy(), points["lon"].to_numpy(), res=8)
                    pd.Series(c).value_counts()
                    base.append(time.perf_counter() - t)
                base_s = statistics.median(base)
                print(
                    f"{backend:<10} store {args.rows:,} rows over 36 months (loaded in "
                    f"{load_s:.1f} s); 12-month filter: {len(points):,} incidents, "
                    f"{len(cells):,} cells at res 8"
                )
                print(
                    f"{'':<10} SQL aggregation {sql_s:.3f} s (median of 5); baseline h3 + "
                    f"pandas groupby {base_s:.3f} s; ratio {sql_s / base_s:.1f}x; "
                    f"peak {peak_mb():.0f} MB"
                )
                top = cells.nlargest(5000, "count")
                protected = pd.concat(
                    [
                        top[["h3_cell"]].reset_index(drop=True),
                        protect_counts(top["count"].reset_index(drop=True), INTERNAL),
                    ],
                    axis=1,
                )
                t = time.perf_counter()
                fmap = base_map()
                layer, _ = hex_layer(protected, threshold=INTERNAL.threshold)
                layer.add_to(fmap)
                html = fmap.get_root().render()
                print(
                    f"{'':<10} folium map of {len(protected):,} hexagons: "
                    f"{len(html.encode()) / 2**20:.2f} MB HTML, built in "
                    f"{time.perf_counter() - t:.2f} s"
                )
            finally:
                drop_store(engine)


if __name__ == "__main__":
    main()
