"""The whole CLI pipeline at 1M and 5M police.uk-shaped rows, beside peers in the same run.

    uv run --group bench python bench/pipeline_bench.py [--rows 1000000 5000000]
        [--backend sqlite|postgresql|both] [--repeat 3] [--quick] [--json FILE]
        [--skip status hexes hotspots pack help]

Every step is the real ``saferplaces`` command in its own process, start-up included, on a
fresh store (a SQLite file, or a new PostgreSQL database): ``import``, ``status --json``,
``hexes --res 8 --kind incident``, ``hotspots compute``, ``pack``, ``--help``. Beside each, in
the same run on the same file, a peer doing the same work with a general tool:

| step | peer |
|---|---|
| import | DuckDB loads the CSV and stores it with each point's H3 resolution-12 cell (h3ronpy) |
| status | the bare driver runs a GROUP BY that an index covers, on the same store |
| hexes | DuckDB groups its table by the resolution-8 parent cell (the same bit arithmetic) |
| hotspots | scikit-learn DBSCAN on the distinct points with their counts as weights (BNG metres) |
| --help | ``python -c "import pandas"`` |

For each: seconds (wall, whole process) and peak memory (the measured process's own high-water
mark from ``wait4``; this launcher imports only the standard library, so it adds little), and
the ratio Safer Places / peer. Light steps run ``--repeat`` times, peer and Safer Places in
turn, and the medians are printed; the heavy ones run once. The file has 11.6% of rows without
a location and 150,000 snapped points over 36 months (``bench/_common.py``).
``--quick`` is 200,000 rows on SQLite, once each (a minute or two). DuckDB is a bench-only
dependency (``--group bench``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
POINTS = 150_000
MONTHS = 36
TIMEOUT_S = 3 * 3600

# ---------------------------------------------------------------------------------------------
# Peers and helpers, run as `pipeline_bench.py --step NAME ARGS...` in their own process.
# ---------------------------------------------------------------------------------------------


def _step_file(rows: str) -> None:
    sys.path.insert(0, str(BENCH))
    from _common import police_uk_csv

    print(police_uk_csv(int(rows), months=MONTHS, points=POINTS))


def _step_store(backend: str, folder: str) -> None:
    sys.path.insert(0, str(BENCH))
    from _common import fresh_store

    engine = fresh_store(backend, Path(folder))
    print(engine.url.render_as_string(hide_password=False))
    engine.dispose()


def _step_drop(url: str) -> None:
    sys.path.insert(0, str(BENCH))
    from _common import drop_store

    from assessments import db

    drop_store(db.get_engine(url))


def _step_duckdb_load(csv_path: str, duck_path: str) -> None:
    """Load the CSV into DuckDB with a resolution-12 H3 cell for each located row."""
    import duckdb
    import numpy as np
    import pyarrow as pa
    from h3ronpy import vector

    con = duckdb.connect(duck_path)
    table = con.sql(
        'SELECT Month AS month, "Crime type" AS category, Latitude AS lat, Longitude AS lon '
        "FROM read_csv($path, header=true, all_varchar=false) WHERE Latitude IS NOT NULL",
        params={"path": csv_path},
    ).to_arrow_table()
    lat = table["lat"].to_numpy().astype(np.float64)
    lon = table["lon"].to_numpy().astype(np.float64)
    cells = np.asarray(vector.coordinates_to_cells(lat, lon, 12)).astype(np.uint64).view(np.int64)
    table = table.append_column("h3_cell", pa.array(cells))
    con.register("loaded", table)
    con.execute("CREATE TABLE incident AS SELECT *, 'incident' AS kind FROM loaded")
    print(con.execute("SELECT count(*) FROM incident").fetchone()[0])
    con.close()


def _step_duckdb_hexes(duck_path: str, res: str, out: str) -> None:
    """Count incidents per resolution-``res`` parent cell (the bit arithmetic of geo.cells)."""
    import duckdb

    resolution = int(res)
    unused = (1 << (3 * (15 - resolution))) - 1
    and_mask = ~(0xF << 52)
    or_mask = (resolution << 52) | unused
    con = duckdb.connect(duck_path, read_only=True)
    con.execute(
        f"COPY (SELECT (h3_cell & {and_mask}) | {or_mask} AS cell, count(*) AS count "
        "FROM incident WHERE kind = 'incident' GROUP BY 1 ORDER BY 1) TO ? (HEADER)",
        [out],
    )
    con.close()


def _step_covered_group_by(url: str) -> None:
    """Incidents by month and kind, through the index on (month, kind, h3_cell)."""
    sql = "SELECT month, kind, COUNT(*) FROM incident GROUP BY month, kind"
    if url.startswith("sqlite"):
        import sqlite3

        con = sqlite3.connect(url.split("///", 1)[1])
        rows = con.execute(sql).fetchall()
    else:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as con:
            rows = con.execute(sql).fetchall()
    print(json.dumps({"groups": len(rows), "incidents": sum(r[2] for r in rows)}))


def _step_dbscan(duck_path: str) -> None:
    """scikit-learn DBSCAN (eps 150 m, min_samples 10) on distinct points weighted by count."""
    import duckdb
    import numpy as np
    from pyproj import Transformer
    from sklearn.cluster import DBSCAN

    con = duckdb.connect(duck_path, read_only=True)
    lat, lon, weight = (
        con.execute(
            "SELECT lat, lon, count(*) FROM incident WHERE kind = 'incident' GROUP BY lat, lon"
        )
        .fetchnumpy()
        .values()
    )
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    labels = DBSCAN(eps=150.0, min_samples=10).fit_predict(
        np.column_stack([x, y]), sample_weight=np.asarray(weight)
    )
    print(json.dumps({"points": len(labels), "clusters": int(labels.max()) + 1}))


STEPS = {
    "file": _step_file,
    "store": _step_store,
    "drop": _step_drop,
    "duckdb-load": _step_duckdb_load,
    "duckdb-hexes": _step_duckdb_hexes,
    "covered-group-by": _step_covered_group_by,
    "dbscan": _step_dbscan,
}

# ---------------------------------------------------------------------------------------------
# The launcher: standard library only, so the children's peaks are their own.
# ---------------------------------------------------------------------------------------------


def _measure(command: list[str], env: dict[str, str]) -> dict[str, object]:
    """Run ``command``; return wall seconds, its peak memory (MB), exit status, output tail."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        deadline = started + TIMEOUT_S
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.01)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        tail = out.read()[-2000:].decode(errors="replace").strip()
        error = err.read()[-2000:].decode(errors="replace").strip()
    return {
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,  # kilobytes on Linux
        "code": process.returncode,
        "out": tail,
        "err": error if process.returncode else "",
    }


def _step(name: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--step", name, *args]


def _saferplaces(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("saferplaces")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "cli.main", *args]


def _output(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


def _median(runs: list[dict[str, object]], key: str) -> float:
    return statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]


def _paired(
    ours: list[str], peer: list[str] | None, env: dict[str, str], repeat: int
) -> dict[str, object]:
    """Run ours and the peer in turn ``repeat`` times; medians, and the median paired ratio."""
    mine, theirs = [], []
    for _ in range(repeat):
        mine.append(_measure(ours, env))
        if mine[-1]["code"] != 0:
            break
        if peer is not None:
            theirs.append(_measure(peer, env))
    result: dict[str, object] = {
        "seconds": _median(mine, "seconds"),
        "peak_mb": max(float(r["peak_mb"]) for r in mine),  # type: ignore[arg-type]
        "code": mine[-1]["code"],
        "out": mine[-1]["out"],
        "err": mine[-1]["err"],
        "runs": len(mine),
    }
    failed = [r for r in theirs if r["code"] != 0]
    if failed:  # a peer that failed has no time to compare with: say so, never a ratio
        result["peer_failed"] = f"{failed[-1]['code']}: {str(failed[-1]['err'])[-300:]}"
    elif theirs:
        result["peer_seconds"] = _median(theirs, "seconds")
        result["peer_peak_mb"] = max(float(r["peak_mb"]) for r in theirs)  # type: ignore[arg-type]
        result["ratio"] = statistics.median(
            float(a["seconds"]) / float(b["seconds"])  # type: ignore[arg-type]
            for a, b in zip(mine, theirs, strict=False)
        )
    return result


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _run_backend(
    rows: int,
    backend: str,
    csv_path: str,
    repeat: int,
    env: dict[str, str],
    *,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
) -> dict[str, dict[str, object]]:
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="saferplaces-pipeline-") as folder:
        url = _output(_step("store", backend, folder), env)
        store_env = {
            **env,
            "SAFERPLACES_DATABASE_URL": url,
            "SAFERPLACES_DATA_DIR": str(Path(folder) / "var"),
        }
        duck = str(Path(folder) / "peer.duckdb")
        try:
            steps: list[tuple[str, list[str], list[str] | None, int]] = [
                (
                    "import",
                    _saferplaces("import", csv_path, "--json"),
                    _step("duckdb-load", csv_path, duck),
                    1,
                ),
                (
                    "status --json",
                    _saferplaces("status", "--json"),
                    _step("covered-group-by", url),
                    repeat,
                ),
                (
                    "hexes --res 8 --kind incident",
                    _saferplaces(
                        "hexes", "--res", "8", "--kind", "incident",
                        "--out", str(Path(folder) / "hexes.csv"),
                    ),
                    _step("duckdb-hexes", duck, "8", str(Path(folder) / "peer-hexes.csv")),
                    repeat,
                ),
                (
                    "hotspots compute",
                    _saferplaces("hotspots", "compute", "--json"),
                    _step("dbscan", duck),
                    1,
                ),
                (
                    "pack (PDF)",
                    _saferplaces(
                        "pack", "--date", dt.date.today().isoformat(),
                        "--out", str(Path(folder) / "pack.pdf"),
                    ),
                    None,
                    1,
                ),
                (
                    "--help",
                    _saferplaces("--help"),
                    [sys.executable, "-c", "import pandas"],
                    repeat,
                ),
            ]  # fmt: skip
            for name, ours, peer, times in steps:
                if name.split()[0].lstrip("-") in skip:
                    continue
                result = _paired(ours, peer, store_env, times)
                results[name] = result
                _print_row(name, result)
                if "peer_failed" in result:
                    print(f"    the peer failed ({result['peer_failed']})")
                if result["code"] != 0:
                    print(f"    failed ({result['code']}): {result['err'][-400:]}")  # type: ignore[index]
        finally:
            if backend == "postgresql":
                subprocess.run(_step("drop", url), cwd=ROOT, env=env, check=False)
    return results


PEERS = {
    "import": "DuckDB load + res-12 cell",
    "status --json": "covered GROUP BY, bare driver",
    "hexes --res 8 --kind incident": "DuckDB group-by of parent",
    "hotspots compute": "sklearn DBSCAN, weighted",
    "pack (PDF)": "",
    "--help": 'python -c "import pandas"',
}


def _print_row(name: str, r: dict[str, object]) -> None:
    ours = f"{r['seconds']:7.2f} s {r['peak_mb']:6.0f} MB"
    peer = ""
    if "ratio" in r:
        peer = (
            f"{PEERS[name]:<31} {r['peer_seconds']:7.2f} s {r['peer_peak_mb']:6.0f} MB"
            f"   {r['ratio']:5.2f}x"
        )
    runs = f" (median of {r['runs']})" if int(r["runs"]) > 1 else ""  # type: ignore[call-overload]
    print(f"  {name:<30} {ours}   {peer}{runs}", flush=True)


def _compile_bytecode() -> None:
    """Write the bytecode of the libraries and the app once, as an installed app has it.

    pip, and Python itself on a first import, write ``.pyc`` files; with
    ``PYTHONDONTWRITEBYTECODE`` set (as in some CI and container images) nothing does, and every
    process of the bench compiled pandas, SQLAlchemy and scikit-learn from source: most of a
    short command's time. The peers get the same.
    """
    import sysconfig

    folders = [sysconfig.get_paths()["purelib"], *(str(ROOT / d) for d in _APP_PACKAGES)]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *folders],
        stdout=subprocess.DEVNULL,
        check=False,
    )


_APP_PACKAGES = ("assessments", "cli", "geo", "layers", "app_pages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the light steps")
    parser.add_argument("--quick", action="store_true", help="200,000 rows, SQLite, once each")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--skip",
        nargs="+",
        default=[],
        choices=["status", "hexes", "hotspots", "pack", "help"],
        help="steps not to run (the import always runs: the others need its store)",
    )
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        STEPS[args.step[0]](*args.step[1:])
        return
    if args.quick:
        args.rows, args.backend, args.repeat = [200_000], "sqlite", 1
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SAFERPLACES_USER", None)
    report: dict[str, object] = {"started": dt.datetime.now().isoformat(timespec="seconds")}
    _compile_bytecode()
    print(f"load average at start: {_load()} ({os.cpu_count()} cores)")
    for rows in args.rows:
        csv_path = _output(_step("file", str(rows)), env)
        size = Path(csv_path).stat().st_size / 2**20
        for backend in backends:
            print(
                f"\n{rows:,} rows ({size:.0f} MB CSV, {POINTS:,} points, {MONTHS} months) on "
                f"{backend}; load average {_load()}",
                flush=True,
            )
            print(f"  {'step':<30} {'Safer Places':>19}   peer")
            report[f"{rows}/{backend}"] = _run_backend(
                rows, backend, csv_path, args.repeat, env, skip=set(args.skip)
            )
    print(f"\nload average at end: {_load()}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
