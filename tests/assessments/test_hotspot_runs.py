"""Hotspot runs into the register: stable ids, new months, inactive hotspots, concurrency."""

from __future__ import annotations

import threading

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessments import hotspot_runs, register
from assessments.models import Hotspot, HotspotLineage
from cli.identity import Operator
from geo.filters import IncidentFilter
from tests.conftest import import_frame
from tests.geo.planted import planted_frame

ANALYST = Operator(username="ana", role="analyst")
CENTRES = [(0.0, 0.0), (3_000.0, 1_000.0), (-2_500.0, 2_500.0)]
MONTHS = [f"2025-{m:02d}" for m in range(1, 7)]


def _planted(months, seed=0, centres=CENTRES):
    return planted_frame(centres, per_cluster=240, noise=400, months=months, seed=seed)


def test_recomputing_after_a_new_month_keeps_ids(engine, tmp_path):
    import_frame(engine, _planted(MONTHS), tmp_path / "first.csv")
    first = hotspot_runs.register_run(engine, actor=ANALYST)
    assert (first.n_hotspots, first.new) == (3, 3)
    with Session(engine) as session:
        ids_before = register.list_register(session)["id"].tolist()
    import_frame(engine, _planted(["2025-07"], seed=9), tmp_path / "july.csv")
    second = hotspot_runs.register_run(engine, actor=ANALYST)
    assert (second.n_hotspots, second.new, second.continued, second.inactive) == (3, 0, 3, 0)
    with Session(engine) as session:
        frame = register.list_register(session)
    assert frame["id"].tolist() == ids_before
    assert frame["last_month"].astype(str).tolist() == ["2025-07-01"] * 3
    assert frame["status"].tolist() == ["new"] * 3


def test_a_hotspot_that_fades_out_becomes_inactive_not_deleted(engine, tmp_path):
    import_frame(engine, _planted(MONTHS), tmp_path / "all.csv")
    hotspot_runs.register_run(engine, actor=ANALYST)
    recent = IncidentFilter(kinds=("incident",), start_month=pd.Timestamp("2025-06-01").date())
    summary = hotspot_runs.register_run(engine, actor=ANALYST, filt=recent, min_samples=60)
    assert summary.inactive == 3  # with only one month, no cluster reaches 60 incidents
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Hotspot)) == 3
        assert not any(register.list_register(session)["active"])


def test_split_is_recorded_as_lineage(engine, tmp_path):
    # One long cluster, then the middle goes quiet: two hotspots that came from one.
    line = [(x, 0.0) for x in range(-300, 301, 50)]
    import_frame(
        engine,
        planted_frame(line, per_cluster=40, spread_m=20, noise=0, months=MONTHS),
        tmp_path / "line.csv",
    )
    hotspot_runs.register_run(engine, actor=ANALYST)
    ends = [(x, 0.0) for x in (-300, -250, 250, 300)]
    import_frame(
        engine,
        planted_frame(ends, per_cluster=400, spread_m=20, noise=0, months=["2025-07"], seed=3),
        tmp_path / "ends.csv",
    )
    later = IncidentFilter(kinds=("incident",), start_month=pd.Timestamp("2025-07-01").date())
    summary = hotspot_runs.register_run(engine, actor=ANALYST, filt=later)
    assert summary.n_hotspots == 2
    with Session(engine) as session:
        edges = session.scalars(select(HotspotLineage)).all()
    assert [e.kind for e in edges] == ["split"]


def test_two_analysts_recomputing_at_once_leave_one_register(engine, tmp_path):
    import_frame(engine, _planted(MONTHS), tmp_path / "x.csv")
    errors = []

    def run():
        try:
            hotspot_runs.register_run(engine, actor=ANALYST)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Hotspot)) == 3
        history = hotspot_runs.run_history(engine)
    assert sorted(history["new"].tolist()) == [0, 0, 3]
