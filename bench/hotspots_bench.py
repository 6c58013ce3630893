"""Benchmark hotspot finding against plain DBSCAN, register matching, and ``hotspots compute``.

Run: ``.venv/bin/python bench/hotspots_bench.py`` (about two minutes on two cores). Options:
``--n`` incidents (default 1,000,000), ``--locations`` distinct map points (default 100,000),
``--plain-sizes`` sizes at which plain scikit-learn DBSCAN on all points is also measured,
``--plain-timeout`` seconds and ``--plain-memory-gb`` address-space cap for each plain run.

Each measurement runs in a fresh subprocess that first generates the same synthetic data (fixed
seed; generation is not timed), so the peak resident memory it reports (``VmHWM``) belongs
to that task alone; "above data" subtracts the resident memory measured just before the task.

``--cli`` measures instead the whole command, ``saferplaces hotspots compute``, end to end in its
own process (start-up, reading the store, DBSCAN, building the hotspots, writing the register)
on police.uk-shaped stores of ``--rows`` rows (default 1M and 5M; 11.6% without a location,
150,000 snapped points, 36 months), beside the anchor: a process that reads the same located
points from a Parquet file, counts each distinct point (Arrow's group-by) and runs scikit-learn's
DBSCAN on the distinct points with their counts as weights. For each size: seconds and peak
memory (``VmHWM`` of the measured process, read from ``/proc`` until it exits) of a first run
into an empty register, of a re-run (every place continued), of the anchor, and the ratios.
Stores are built once through the real importer and kept in ``SAFERPLACES_BENCH_DIR``.

The synthetic data imitate police.uk street files: incidents sit on ~100k snapped map points in
a 40 km x 40 km county, most of them in towns, with a heavy-tailed number of incidents per point
(a few busy streets, many quiet ones), spread over 36 months and the police.uk categories.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.schema import POLICE_UK_CATEGORIES  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_mb  # noqa: E402

EPS_M = 150.0
MIN_SAMPLES = 10


def make_incidents(n: int, locations: int, *, seed: int = 42) -> pd.DataFrame:
    """Police.uk-like incidents on snapped map points (see the module docstring)."""
    from pyproj import Transformer

    from geo.cells import points_to_cells

    rng = np.random.default_rng(seed)
    towns = rng.uniform(-18_000, 18_000, size=(40, 2))
    in_town = int(locations * 0.7)
    town_of = rng.integers(0, len(towns), in_town)
    spread = rng.uniform(400, 2_000, len(towns))[town_of]
    xy_town = towns[town_of] + rng.normal(0, 1, (in_town, 2)) * spread[:, None]
    xy_rural = rng.uniform(-20_000, 20_000, (locations - in_town, 2))
    xy = np.vstack([xy_town, xy_rural]) + np.array([392_000.0, 323_000.0])
    xy = np.round(xy / 5) * 5  # snapped map points
    weight = rng.lognormal(0.0, 1.3, locations)
    point = rng.choice(locations, size=n, p=weight / weight.sum())
    lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(
        xy[point, 0], xy[point, 1]
    )
    lat, lon = np.round(lat, 6), np.round(lon, 6)
    months = pd.date_range("2023-01-01", periods=36, freq="MS")
    return pd.DataFrame(
        {
            "kind": "incident",
            "category": pd.Categorical.from_codes(
                rng.integers(0, len(POLICE_UK_CATEGORIES), n), POLICE_UK_CATEGORIES
            ).astype(str),
            "month": months[rng.integers(0, len(months), n)],
            "lat": lat,
            "lon": lon,
            "h3_cell": points_to_cells(lat, lon),
            "district_code": np.where(xy[point, 0] < 392_000, "E07000197", "E07000198"),
        }
    )


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _task(name: str, n: int, locations: int) -> dict[str, float | int | str]:
    """Run one measurement: ``hotspots`` (find_hotspots), ``labels`` or ``plain`` DBSCAN."""
    from sklearn.cluster import DBSCAN

    from geo.hotspots import find_hotspots, label_points, project_to_bng

    frame = make_incidents(n, locations)
    label_points(frame.iloc[:100])  # warm up imports and the projection, untimed
    before = _rss_mb()
    out: dict[str, float | int | str] = {"task": name, "n": n}
    start = time.perf_counter()
    if name == "hotspots":
        spots = find_hotspots(frame, eps_m=EPS_M, min_samples=MIN_SAMPLES)
        out["seconds"] = time.perf_counter() - start
        out["hotspots"] = len(spots)
        out["distinct_locations"] = int(spots.attrs["parameters"]["n_locations"])
        out["in_hotspots"] = float(spots["n_incidents"].sum() / n)
    elif name == "labels":
        labels = label_points(frame, eps_m=EPS_M, min_samples=MIN_SAMPLES).to_numpy()
        out["seconds"] = time.perf_counter() - start
        out["hotspots"] = int(labels.max() + 1)
    elif name == "plain":
        x, y = project_to_bng(frame["lat"].to_numpy(), frame["lon"].to_numpy())
        labels = DBSCAN(eps=EPS_M, min_samples=MIN_SAMPLES).fit(np.column_stack([x, y])).labels_
        out["seconds"] = time.perf_counter() - start
        out["hotspots"] = int(labels.max() + 1)
    out["peak_rss_mb"] = peak_mb()
    out["rss_before_mb"] = before
    if name == "hotspots":
        out["neighbour_pairs_all_points"] = _all_point_pairs(frame)
    return out


def _all_point_pairs(frame: pd.DataFrame) -> int:
    """Neighbour pairs plain DBSCAN must hold for all points (from the weighted distinct points)."""
    from sklearn.neighbors import KDTree

    from geo.hotspots import project_to_bng

    x, y = project_to_bng(frame["lat"].to_numpy(), frame["lon"].to_numpy())
    key = np.rint(x * 100).astype(np.int64) * (1 << 32) + np.rint(y * 100).astype(np.int64)
    codes, _ = pd.factorize(key)
    weight = np.bincount(codes).astype(np.float64)
    first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
    points = np.column_stack([x[first], y[first]])
    tree = KDTree(points)
    total = 0.0
    for start in range(0, len(points), 20_000):
        neighbours = tree.query_radius(points[start : start + 20_000], r=EPS_M)
        total += sum(
            w * weight[nb].sum()
            for w, nb in zip(weight[start : start + 20_000], neighbours, strict=True)
        )
    return int(total)


def _run_child(name: str, n: int, locations: int, *, timeout: float, memory_gb: float) -> dict:
    code = (
        f"import json, resource, sys; sys.path.insert(0, {str(ROOT)!r}); "
        "from bench.hotspots_bench import _task; "
        f"cap = int({memory_gb!r} * 2**30); "
        "resource.setrlimit(resource.RLIMIT_AS, (cap, cap)) if cap > 0 else None; "
        f"print(json.dumps(_task({name!r}, {n}, {locations})))"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
        )
    except subprocess.TimeoutExpired:
        return {"task": name, "n": n, "error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        if "MemoryError" in done.stderr or "Cannot allocate" in done.stderr:
            last = f"out of memory under the {memory_gb:g} GB cap ({last})"
        return {"task": name, "n": n, "error": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _line(result: dict) -> str:
    if "error" in result:
        return f"  {result['task']:<8} n={result['n']:>9,}  FAILED: {result['error']}"
    return (
        f"  {result['task']:<8} n={result['n']:>9,}  {result['seconds']:7.2f} s  "
        f"peak RSS {result['peak_rss_mb']:7.0f} MB "
        f"({result['peak_rss_mb'] - result['rss_before_mb']:6.0f} MB above data)  "
        f"hotspots {result['hotspots']:,}"
    )


def bench_register(n_new: int = 5_000, n_old: int = 5_000, *, seed: int = 1) -> None:
    """Time :func:`geo.register.match_to_register` on realistic overlapping cell sets."""
    import h3

    from geo.register import match_to_register

    rng = np.random.default_rng(seed)
    origin = h3.latlng_to_cell(52.8, -2.1, 10)
    centres = [h3.str_to_int(c) for c in h3.grid_disk(origin, 400)]
    chosen = rng.choice(len(centres), n_old, replace=False)
    existing = {}
    new = {}
    for i, c in enumerate(chosen):
        cell = h3.int_to_str(centres[c])
        disk = np.array([h3.str_to_int(x) for x in h3.grid_disk(cell, int(rng.integers(1, 5)))])
        existing[f"HS-{i}"] = disk
        keep = rng.random(len(disk)) > 0.15  # the next run loses some cells and gains a ring
        ring = np.array([h3.str_to_int(x) for x in h3.grid_ring(cell, 5)])
        new[i] = np.concatenate([disk[keep], ring[rng.random(len(ring)) > 0.7]])
    new = dict(list(new.items())[:n_new])
    start = time.perf_counter()
    result = match_to_register(new, existing)
    seconds = time.perf_counter() - start
    cells = sum(len(v) for v in new.values()) + sum(len(v) for v in existing.values())
    counts = result.new["relation"].value_counts().to_dict()
    print(f"Register matching: {len(new):,} new against {len(existing):,} existing hotspots")
    print(f"  {cells:,} member cells in all; {seconds:.3f} s; relations {counts}")


# ---------------------------------------------------------------------------------------------
# ``--cli``: the command end to end beside the weighted DBSCAN anchor
# ---------------------------------------------------------------------------------------------

CLI_POINTS = 150_000
CLI_MONTHS = 36
REGISTER_TABLES = (
    "hotspot_lineage",
    "hotspot_observation",
    "hotspot_status_change",
    "meeting_note",
    "hotspot",
    "hotspot_run",
)


def _store_url(rows: int, backend: str) -> str:
    """A store of ``rows`` police.uk-shaped rows, built once through the real importer."""
    import sqlalchemy as sa
    from _common import CACHE, PG_ADMIN, police_uk_csv

    from assessments import db
    from assessments.imports import import_files

    if backend == "sqlite":
        path = CACHE / f"hotspots-store-{rows}.db"
        url = f"sqlite:///{path}"
        exists = path.exists()
    else:
        name = f"saferplaces_bench_hotspots_{rows}"
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = bool(
                conn.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ).first()
            )
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    engine = db.get_engine(url)
    db.migrate(engine)
    with engine.connect() as conn:
        held = conn.execute(sa.text("SELECT count(*) FROM import_batch")).scalar_one()
    if not exists or not held:
        csv_path = police_uk_csv(rows, months=CLI_MONTHS, points=CLI_POINTS)
        print(f"  building the {backend} store of {rows:,} rows (once)...", flush=True)
        import_files(engine, [csv_path], actor="bench")
    engine.dispose()
    db.clear_engines()
    return url


def _points_file(rows: int, url: str) -> Path:
    """The store's located incidents as a Parquet file of lat, lon (the anchor's input)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import sqlalchemy as sa
    from _common import CACHE

    path = CACHE / f"hotspots-points-{rows}.parquet"
    if not path.exists():
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            lat, lon = zip(
                *conn.execute(sa.text("SELECT lat, lon FROM incident WHERE kind = 'incident'")),
                strict=True,
            )
        engine.dispose()
        pq.write_table(pa.table({"lat": np.asarray(lat), "lon": np.asarray(lon)}), path)
    return path


def anchor(path: str) -> None:
    """The anchor: weighted scikit-learn DBSCAN on the distinct points of a Parquet file."""
    import pyarrow.parquet as pq
    from pyproj import Transformer
    from sklearn.cluster import DBSCAN

    table = pq.read_table(path)
    counted = table.group_by(["lat", "lon"]).aggregate([([], "count_all")])
    lat = counted["lat"].to_numpy()
    lon = counted["lon"].to_numpy()
    weight = counted["count_all"].to_numpy()
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    labels = DBSCAN(eps=EPS_M, min_samples=MIN_SAMPLES).fit_predict(
        np.column_stack([x, y]), sample_weight=weight
    )
    print(json.dumps({"points": len(labels), "clusters": int(labels.max()) + 1}))


def _reset_register(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in REGISTER_TABLES:
            conn.execute(sa.text(f"DELETE FROM {table}"))
    engine.dispose()


def _measure(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a command; wall and CPU seconds and its peak resident memory (VmHWM, polled).

    CPU seconds (user + system of the child) are the fair figure on a shared, busy machine.
    """
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak_kb = 0
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    out, err = proc.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        last = (err.decode().strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {proc.returncode}: {last}", "seconds": seconds}
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak_kb / 1024, "out": out.decode()}


def bench_cli(sizes: list[int], backend: str, repeat: int) -> None:
    """``saferplaces hotspots compute`` end to end at each size, beside the anchor."""
    from pipeline_bench import _compile_bytecode

    _compile_bytecode()
    saferplaces = str(Path(sys.executable).with_name("saferplaces"))
    print(
        f"hotspots compute end to end ({backend}), eps {EPS_M:g} m, min_samples {MIN_SAMPLES}; "
        f"anchor: Parquet + Arrow group-by + weighted scikit-learn DBSCAN; best of {repeat}"
    )
    for rows in sizes:
        url = _store_url(rows, backend)
        points = _points_file(rows, url)
        env = {
            **os.environ,
            "SAFERPLACES_DATABASE_URL": url,
            "SAFERPLACES_DATA_DIR": str(points.parent / "var"),
        }
        results: dict[str, list[dict[str, Any]]] = {"first run": [], "re-run": [], "anchor": []}
        for _ in range(repeat):
            _reset_register(url)
            results["first run"].append(
                _measure([saferplaces, "hotspots", "compute", "--json"], env)
            )
            results["re-run"].append(_measure([saferplaces, "hotspots", "compute", "--json"], env))
            results["anchor"].append(
                _measure([sys.executable, str(Path(__file__)), "--anchor", str(points)], env)
            )
        best = {}
        for name, runs in results.items():
            ok = [r for r in runs if "error" not in r]
            if not ok:
                print(f"  {rows:>9,} {name:<10} FAILED: {runs[0]['error']}")
                continue
            best[name] = min(ok, key=lambda r: r["seconds"])
        if "first run" in best:
            summary = json.loads(best["first run"]["out"])
            print(
                # the run's number of incidents as the CLI shows it (perturbed: a label)
                f"  {rows:>9,} rows: {summary['params']['incidents']} incidents, "
                f"{summary['n_hotspots']:,} hotspots"
            )
        for name, result in best.items():
            ratio = ""
            if name != "anchor" and "anchor" in best:
                wall = result["seconds"] / best["anchor"]["seconds"]
                cpu = result["cpu"] / best["anchor"]["cpu"]
                ratio = f"  ratio to the anchor {wall:.2f} (CPU {cpu:.2f})"
            seconds, peak = result["seconds"], result["peak_mb"]
            print(
                f"    {name:<10} {seconds:7.2f} s  CPU {result['cpu']:6.2f} s  "
                f"peak {peak:6.0f} MB{ratio}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--locations", type=int, default=100_000)
    parser.add_argument("--plain-sizes", type=int, nargs="*", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--plain-timeout", type=float, default=180.0)
    parser.add_argument("--plain-memory-gb", type=float, default=6.0)
    parser.add_argument("--skip-register", action="store_true")
    parser.add_argument("--cli", action="store_true", help="hotspots compute end to end")
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000_000, 5_000_000])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--anchor", metavar="PARQUET", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.anchor:
        anchor(args.anchor)
        return
    if args.cli:
        bench_cli(args.rows, args.backend, args.repeat)
        return

    print(f"Hotspots: eps {EPS_M:g} m, min_samples {MIN_SAMPLES}, {args.locations:,} map points")
    ours = _run_child("hotspots", args.n, args.locations, timeout=600, memory_gb=0)
    print(_line(ours))
    if "error" not in ours:
        print(
            f"         {ours['distinct_locations']:,} distinct locations; "
            f"{ours['in_hotspots']:.0%} of incidents in hotspots; plain DBSCAN must hold "
            f"{ours['neighbour_pairs_all_points']:,} neighbour indices "
            f"(~{ours['neighbour_pairs_all_points'] * 8 / 2**30:.1f} GB of int64)"
        )
    print("Clustering only: weighted distinct locations (labels) vs plain DBSCAN on all points")
    for size in args.plain_sizes:
        locations = min(args.locations, size // 10)
        labels = _run_child("labels", size, locations, timeout=600, memory_gb=0)
        plain = _run_child(
            "plain", size, locations, timeout=args.plain_timeout, memory_gb=args.plain_memory_gb
        )
        print(_line(labels))
        print(_line(plain))
        if "error" not in plain and "error" not in labels:
            above = [r["peak_rss_mb"] - r["rss_before_mb"] for r in (plain, labels)]
            print(
                f"         plain / labels: time x{plain['seconds'] / labels['seconds']:.1f}, "
                f"memory above data x{above[0] / max(above[1], 1):.1f}; "
                f"same number of hotspots: {plain['hotspots'] == labels['hotspots']}"
            )
    if not args.skip_register:
        bench_register()


if __name__ == "__main__":
    main()
