"""Missing-episode benchmark: importing 200,000 episodes, and co-location at 1M incidents.

    uv run python bench/episodes_bench.py [--episodes 200000] [--incidents 1000000]
        [--permutations 99] [--backend sqlite|postgresql]

1. **Import**: a synthetic episode CSV (two points, dates, age, RHI answers; a fifth of the
   children with repeat episodes) through ``assessments.episodes.import_episodes``: read,
   check for personal data, hash both references (HMAC-SHA-256), assign districts, check every
   row, store all or nothing. Wall and CPU time, rows per second, peak memory.
2. **Co-location**: ``geo.links.colocation_quotients`` over the incidents (a tenth of them
   exploitation-flagged, clustered), both points of every episode, areas = resolution-7 cells,
   with ``--permutations`` label shuffles: nearest-neighbour search and the permutation test
   timed apart.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, drop_store, fresh_store, peak_mb

from assessments.episodes import import_episodes
from geo.cells import points_to_cells
from geo.links import EPISODE, EXPLOITATION, OTHER, colocation_quotients, to_metres


def episode_csv(rows: int, *, seed: int = 0) -> Path:
    """A synthetic episode file of ``rows`` rows (cached by size)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"episodes-{rows}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    children = np.where(rng.random(rows) < 0.6, np.arange(rows), rng.integers(0, rows // 5, rows))
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 1000, rows), unit="D")
    offered = rng.random(rows) < 0.85
    accepted = offered & (rng.random(rows) < 0.6)
    within = accepted & (rng.random(rows) < 0.7)
    blank_from = rng.random(rows) < 0.08
    blank_found = rng.random(rows) < 0.15

    def coord(values: np.ndarray, blank: np.ndarray) -> np.ndarray:
        text = np.round(values, 5).astype(str)
        text[blank] = ""
        return text

    frame = pd.DataFrame(
        {
            "episode_ref": [f"EP{i:08d}" for i in range(rows)],
            "child_ref": [f"CH{c:08d}" for c in children],
            "missing_from_latitude": coord(rng.uniform(52.4, 53.2, rows), blank_from),
            "missing_from_longitude": coord(rng.uniform(-2.5, -1.5, rows), blank_from),
            "found_at_latitude": coord(rng.uniform(52.4, 53.2, rows), blank_found),
            "found_at_longitude": coord(rng.uniform(-2.5, -1.5, rows), blank_found),
            "start_date": start.strftime("%Y-%m-%d"),
            "end_date": (start + pd.to_timedelta(rng.integers(0, 4, rows), unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "age_band": rng.choice(["10-12", "13-14", "15-16", "17"], rows),
            "rhi_offered": np.where(offered, "yes", "no"),
            "rhi_accepted": np.where(accepted, "yes", np.where(offered, "no", "")),
            "rhi_within_72h": np.where(within, "yes", np.where(accepted, "no", "")),
        }
    )
    frame.to_csv(path, index=False)
    return path


def bench_import(rows: int, backend: str) -> None:
    path = episode_csv(rows)
    with tempfile.TemporaryDirectory() as folder:
        engine = fresh_store(backend, Path(folder))
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            report = import_episodes(engine, path, key=b"b" * 32, actor="bench")
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            drop_store(engine)
    print(
        f"import {backend}: {report.stored:,} episodes in {wall:.1f} s wall, {cpu:.1f} s CPU "
        f"({report.stored / wall:,.0f} episodes/s), peak {peak_mb():.0f} MB"
    )


def bench_colocation(incidents: int, episodes: int, permutations: int) -> None:
    rng = np.random.default_rng(1)
    # incidents around 300 town centres; exploitation-flagged ones in 60 of them, 10% overall
    centres = np.column_stack([rng.uniform(52.4, 53.2, 300), rng.uniform(-2.5, -1.5, 300)])
    which = rng.integers(0, 300, incidents)
    lat = centres[which, 0] + rng.normal(0, 0.01, incidents)
    lon = centres[which, 1] + rng.normal(0, 0.015, incidents)
    flagged = (which < 60) & (rng.random(incidents) < 0.5)
    n_points = 2 * episodes
    ewhich = rng.integers(0, 300, n_points)
    elat = centres[ewhich, 0] + rng.normal(0, 0.01, n_points)
    elon = centres[ewhich, 1] + rng.normal(0, 0.015, n_points)
    lat, lon = np.r_[lat, elat], np.r_[lon, elon]
    x, y = to_metres(lat, lon)
    points = pd.DataFrame(
        {
            "x": x,
            "y": y,
            "label": np.r_[np.where(flagged, EXPLOITATION, OTHER), np.full(n_points, EPISODE)],
            "area": points_to_cells(lat, lon, res=7),
        }
    )
    wall, cpu = time.perf_counter(), time.process_time()
    colocation_quotients(points, permutations=0)
    nn_wall, nn_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    out = colocation_quotients(points, permutations=permutations)
    all_wall, all_cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"co-location: {incidents:,} incidents + {n_points:,} episode points, "
        f"{len(out) - 1:,} resolution-7 cells: without the test {nn_wall:.1f} s wall "
        f"({nn_cpu:.1f} s CPU); with {permutations} permutations {all_wall:.1f} s wall "
        f"({all_cpu:.1f} s CPU); peak {peak_mb():.0f} MB; overall CLQ {out.loc['all', 'clq']:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200_000)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--colocation-episodes", type=int, default=200_000)
    parser.add_argument("--permutations", type=int, default=99)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()
    if not args.skip_import:
        bench_import(args.episodes, args.backend)
    bench_colocation(args.incidents, args.colocation_episodes, args.permutations)


if __name__ == "__main__":
    main()
