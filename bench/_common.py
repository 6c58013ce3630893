"""Shared helpers for the benchmarks: synthetic police.uk-shaped files, fresh stores, memory."""

from __future__ import annotations

import os
import resource
import sys
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assessments import db  # noqa: E402
from geo.schema import POLICE_UK_CATEGORIES  # noqa: E402

PG_ADMIN = os.environ.get(
    "SAFERPLACES_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CACHE = Path(os.environ.get("SAFERPLACES_BENCH_DIR", "/tmp/saferplaces-bench"))


def police_uk_csv(rows: int, *, months: int = 12, seed: int = 0, points: int = 100_000) -> Path:
    """A police.uk street-file-shaped CSV of ``rows`` rows (cached by size), ~12% no location.

    ``points`` is the number of snapped map points the located rows share, as on police.uk.
    """
    CACHE.mkdir(parents=True, exist_ok=True)
    suffix = "" if points == 100_000 else f"-{points}p"
    path = CACHE / f"police-uk-{rows}-{months}m{suffix}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    px = rng.uniform(-2.5, -1.5, points).round(6)
    py = rng.uniform(52.4, 53.2, points).round(6)
    pick = rng.integers(0, points, rows)
    start = pd.Timestamp("2024-01-01")
    month = (start + pd.to_timedelta(rng.integers(0, months, rows) * 31, unit="D")).strftime(
        "%Y-%m"
    )
    located = rng.random(rows) > 0.116
    frame = pd.DataFrame(
        {
            "Crime ID": [
                uuid.UUID(int=int(x)).hex * 2 if x % 3 else "" for x in rng.integers(0, 2**62, rows)
            ],
            "Month": month,
            "Reported by": "Bench Police",
            "Falls within": "Bench Police",
            "Longitude": np.where(located, px[pick].astype(str), ""),
            "Latitude": np.where(located, py[pick].astype(str), ""),
            "Location": np.where(located, "On or near Somewhere Street", "No Location"),
            "LSOA code": "E01000000",
            "LSOA name": "Bench 001A",
            "Crime type": rng.choice(POLICE_UK_CATEGORIES, rows),
            "Last outcome category": "Under investigation",
            "Context": "",
        }
    )
    partial = path.with_suffix(".part")  # never a half-written file under the cached name
    frame.to_csv(partial, index=False)
    partial.replace(path)
    return path


def fresh_store(backend: str, folder: Path) -> sa.Engine:
    """A migrated, empty store: a new SQLite file or a new PostgreSQL database."""
    if backend == "sqlite":
        path = folder / f"bench-{uuid.uuid4().hex[:8]}.db"
        engine = db.get_engine(f"sqlite:///{path}")
    else:
        name = f"saferplaces_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        engine = db.get_engine(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
    db.migrate(engine)
    return engine


def drop_store(engine: sa.Engine) -> None:
    """Remove a benchmark store."""
    url = engine.url
    engine.dispose()
    if url.get_backend_name() == "sqlite":
        Path(str(url.database)).unlink(missing_ok=True)
        return
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    Linux's ``VmHWM`` belongs to this program alone; ``ru_maxrss`` (the fallback elsewhere) also
    carries the parent's peak at the time it started this process.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
