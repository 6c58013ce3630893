"""Meeting pack benchmark: a whole force area (1,000,000 incidents) with 50 hotspots.

    uv run python bench/pack_bench.py [--rows 1000000] [--hotspots 50]

Builds a SQLite store through the real importer, puts 50 places in the register, then times the
pack (gathering, 50 offline maps and trend charts, PDF and XLSX). Target: under 15 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import drop_store, fresh_store, peak_mb, police_uk_csv

from assessments import packs, register
from assessments.imports import import_files
from assessments.samples import SAMPLE_ACTOR
from geo.disclosure import INTERNAL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--hotspots", type=int, default=50)
    args = parser.parse_args()
    path = police_uk_csv(args.rows, months=36)
    with tempfile.TemporaryDirectory() as folder:
        engine = fresh_store("sqlite", Path(folder))
        try:
            started = time.perf_counter()
            import_files(engine, [path], actor="bench")
            load_s = time.perf_counter() - started
            rng = np.random.default_rng(1)
            with Session(engine) as session, session.begin():
                for i in range(args.hotspots):
                    register.add_place_of_concern(
                        session,
                        actor=SAMPLE_ACTOR,
                        name=f"Place {i + 1}",
                        lat=float(rng.uniform(52.5, 53.1)),
                        lon=float(rng.uniform(-2.4, -1.6)),
                        radius_m=300,
                        reason="benchmark",
                    )
            import assessments.pack_pdf  # noqa: F401 (imported once per process, as in the app)

            started, cpu = time.perf_counter(), time.process_time()
            pack = packs.build_pack(
                engine,
                actor=SAMPLE_ACTOR,
                meeting_date=dt.date.today(),
                profile=INTERNAL,
                top=args.hotspots,
            )
            gathered = time.perf_counter() - started
            pdf = packs.pack_pdf(pack)
            rendered = time.perf_counter() - started - gathered
            xlsx = packs.pack_xlsx(pack)
            total = time.perf_counter() - started
            cpu = time.process_time() - cpu
            print(
                f"store {args.rows:,} incidents (loaded in {load_s:.1f} s), "
                f"{args.hotspots} hotspots in the register"
            )
            print(
                f"pack: gathered in {gathered:.1f} s, PDF drawn in {rendered:.1f} s "
                f"({len(pdf) / 2**20:.1f} MB, {len(pack.details)} place pages), XLSX "
                f"{len(xlsx) / 1024:.0f} KB; total {total:.1f} s (target 15 s), CPU {cpu:.1f} s "
                f"(on a busy machine wall time exceeds CPU time); "
                f"peak {peak_mb():.0f} MB"
            )
        finally:
            drop_store(engine)


if __name__ == "__main__":
    main()
