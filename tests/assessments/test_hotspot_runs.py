"""Hotspot runs into the register: stable ids, scopes, recurrence, profiles, concurrency."""

from __future__ import annotations

import datetime as dt
import threading

import h3
import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessments import hotspot_runs, performance, register
from assessments.models import Hotspot, HotspotLineage, HotspotObservation
from cli.identity import Operator
from geo.filters import IncidentFilter
from tests.conftest import add_north_district, import_frame
from tests.geo.planted import planted_frame

ANALYST = Operator(username="ana", role="analyst")
CENTRES = [(0.0, 0.0), (3_000.0, 1_000.0), (-2_500.0, 2_500.0)]
MONTHS = [f"2025-{m:02d}" for m in range(1, 7)]


def _planted(months, seed=0, centres=CENTRES, per_cluster=240, noise=400):
    return planted_frame(centres, per_cluster=per_cluster, noise=noise, months=months, seed=seed)


def _month(text: str) -> dt.date:
    return dt.date.fromisoformat(text + "-01")


def _register(engine) -> pd.DataFrame:
    with Session(engine) as session:
        return register.list_register(session)


def test_recomputing_after_a_new_month_keeps_ids(engine, tmp_path):
    import_frame(engine, _planted(MONTHS), tmp_path / "first.csv")
    first = hotspot_runs.register_run(engine, actor=ANALYST)
    assert (first.n_hotspots, first.new) == (3, 3)
    ids_before = _register(engine)["id"].tolist()
    import_frame(engine, _planted(["2025-07"], seed=9), tmp_path / "july.csv")
    second = hotspot_runs.register_run(engine, actor=ANALYST)
    assert (second.n_hotspots, second.new, second.continued, second.inactive) == (3, 0, 3, 0)
    frame = _register(engine)
    assert frame["id"].tolist() == ids_before
    assert frame["last_month"].astype(str).tolist() == ["2025-07-01"] * 3
    assert frame["status"].tolist() == ["new"] * 3
    assert frame["scope"].tolist() == ["incidents; all districts; all months"] * 3


def test_a_hotspot_that_fades_out_becomes_inactive_not_deleted(engine, tmp_path):
    import_frame(engine, _planted(MONTHS), tmp_path / "all.csv")
    hotspot_runs.register_run(engine, actor=ANALYST)
    # the same scope, with a bar no place reaches: every hotspot of the scope is retired
    summary = hotspot_runs.register_run(engine, actor=ANALYST, min_samples=5_000)
    assert (summary.n_hotspots, summary.inactive) == (0, 3)
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
    ends = [(x, 0.0) for x in (-300, -250, 250, 300)]
    import_frame(
        engine,
        planted_frame(ends, per_cluster=400, spread_m=20, noise=0, months=["2025-07"], seed=3),
        tmp_path / "ends.csv",
    )
    # monthly runs of "the last month": June sees the line, July only its two ends
    june = IncidentFilter(kinds=("incident",), start_month=_month("2025-06"))
    first = hotspot_runs.register_run(engine, actor=ANALYST, filt=june, as_of=_month("2025-06"))
    assert first.n_hotspots == 1
    july = IncidentFilter(kinds=("incident",), start_month=_month("2025-07"))
    summary = hotspot_runs.register_run(engine, actor=ANALYST, filt=july)
    assert summary.scope == first.scope == "incidents; all districts; last month"
    assert summary.n_hotspots == 2
    with Session(engine) as session:
        edges = session.scalars(select(HotspotLineage)).all()
    assert [e.kind for e in edges] == ["split"]


def _missing_from(centres, *, per_cluster, seed):
    frame = planted_frame(centres, per_cluster=per_cluster, spread_m=200, noise=0, seed=seed)
    return frame.assign(kind="missing_from", category="Missing episode")


def test_runs_of_other_scopes_leave_the_whole_store_register_alone(engine, tmp_path):
    """The reported bug: a district run and a missing-from run, then the whole-store run again.

    On the old code the missing-from run retired every incident hotspot (it was compared with
    all active hotspots), and the next whole-store run made every place "new".
    """
    with Session(engine) as session, session.begin():
        add_north_district(session)
    import_frame(engine, _planted(MONTHS), tmp_path / "incidents.csv")
    # missing-from locations in places of their own, 10 km away from the incident hotspots
    far = [(10_000.0, -10_000.0), (-10_000.0, -10_000.0)]
    import_frame(engine, _missing_from(far, per_cluster=60, seed=4), tmp_path / "missing.csv")

    whole = hotspot_runs.register_run(engine, actor=ANALYST)
    assert (whole.n_hotspots, whole.new) == (3, 3)
    before = _register(engine)
    ids = before["id"].tolist()
    with Session(engine) as session, session.begin():
        for hotspot_id, version in zip(ids, before["version"], strict=True):
            register.set_status(
                session,
                actor=ANALYST,
                hotspot_id=hotspot_id,
                expected_version=int(version),
                status="under review",
                reason="Panel, 3 March",
            )
            register.add_meeting_note(
                session,
                actor=ANALYST,
                hotspot_id=hotspot_id,
                meeting_date=dt.date(2025, 3, 3),
                decision=f"Patrols at place {hotspot_id}",
            )

    district = hotspot_runs.register_run(
        engine, actor=ANALYST, filt=IncidentFilter(kinds=("incident",), districts=("N1",))
    )
    missing = hotspot_runs.register_run(
        engine, actor=ANALYST, filt=IncidentFilter(kinds=("missing_from",)), min_samples=5
    )
    assert district.n_hotspots == 3
    assert missing.n_hotspots >= 1
    assert (district.inactive, missing.inactive) == (0, 0)  # nothing of another scope retired

    again = hotspot_runs.register_run(engine, actor=ANALYST)
    assert (again.new, again.continued, again.inactive) == (0, 3, 0)
    after = _register(engine).set_index("id")
    whole_store = after.loc[ids]
    assert whole_store["active"].all()
    assert whole_store["status"].tolist() == ["under review"] * 3
    assert set(whole_store["scope"]) == {"incidents; all districts; all months"}
    for hotspot_id in ids:
        with Session(engine) as session:
            history = register.hotspot_history(session, hotspot_id)
        assert history["meeting_notes"]["decision"].tolist() == [f"Patrols at place {hotspot_id}"]
        assert history["status_changes"]["to"].tolist() == ["under review", "new"]
    # the other scopes kept their own hotspots, shown with their own scope
    scopes = after["scope"].value_counts().to_dict()
    assert scopes["incidents; North; all months"] == 3
    assert scopes["missing-from locations; all districts; all months"] == missing.n_hotspots


def test_a_place_absent_for_one_run_returns_with_its_id(engine, tmp_path):
    """Monthly runs of "the last month": a place quiet in August is back in September."""
    months = {"2025-07": CENTRES, "2025-08": CENTRES[:2], "2025-09": CENTRES}

    def monthly(month: str):  # a month's data arrives, and the run over the last month
        data = _planted([month], seed=len(month) + int(month[-2:]), centres=months[month])
        import_frame(engine, data, tmp_path / f"{month}.csv")
        filt = IncidentFilter(kinds=("incident",), start_month=_month(month))
        return hotspot_runs.register_run(engine, actor=ANALYST, filt=filt)

    july = monthly("2025-07")
    assert (july.n_hotspots, july.new) == (3, 3)
    frame = _register(engine)
    quiet = int(frame.sort_values("centroid_lon")["id"].iloc[0])  # the westmost: (-2500, 2500)
    version = int(frame.set_index("id").loc[quiet, "version"])
    with Session(engine) as session, session.begin():
        register.set_status(
            session,
            actor=ANALYST,
            hotspot_id=quiet,
            expected_version=version,
            status="assessment requested",
            reason="Panel asked for an assessment",
        )
        register.add_meeting_note(
            session,
            actor=ANALYST,
            hotspot_id=quiet,
            meeting_date=dt.date(2025, 8, 5),
            decision="District to assess the underpass",
        )
    august = monthly("2025-08")
    assert (august.n_hotspots, august.continued, august.inactive) == (2, 2, 1)
    assert not _register(engine).set_index("id").loc[quiet, "active"]

    september = monthly("2025-09")
    frame = _register(engine).set_index("id")
    assert len(frame) == 3  # no new id anywhere
    assert frame.loc[quiet, "active"]
    assert september.scope == "incidents; all districts; last month"
    assert (september.new, september.continued, september.recurred) == (0, 2, 1)
    assert frame.loc[quiet, "status"] == "assessment requested"
    assert frame.loc[quiet, "recurred"] == 1
    with Session(engine) as session:
        history = register.hotspot_history(session, quiet)
        edges = session.scalars(select(HotspotLineage)).all()
        relations = session.execute(
            select(HotspotObservation.relation)
            .where(HotspotObservation.hotspot_id == quiet)
            .order_by(HotspotObservation.run_id)
        ).scalars()
        assert list(relations) == ["new", "recurred"]
    assert [(e.parent_id, e.child_id, e.kind) for e in edges] == [(quiet, quiet, "recurred")]
    assert history["meeting_notes"]["decision"].tolist() == ["District to assess the underpass"]
    assert history["status_changes"]["to"].tolist() == ["assessment requested", "new"]
    assert history["lineage"]["kind"].tolist() == ["recurred"]
    assert history["runs"]["relation"].tolist() == ["recurred", "new"]

    # the repeat-location rate of the performance framework: 1 place of the 3 came back
    today = dt.date.today()
    rates = performance.repeat_locations(engine, start=today - dt.timedelta(days=30), end=today)
    assert rates.to_dict("records") == [
        {"scope": "incidents; all districts; last month", "places": 3, "recurred": 1, "rate": 33.3},
        {"scope": "all scopes", "places": 3, "recurred": 1, "rate": 33.3},
    ]
    report = performance.performance_report(engine, start=today - dt.timedelta(days=30), end=today)
    headline = report.headline.set_index("measure")["value"]
    assert headline["Repeat-location rate (%)"] == 33.3
    assert headline["Places that recurred"] == 1
    earlier = performance.repeat_locations(
        engine, start=dt.date(2020, 1, 1), end=dt.date(2020, 12, 31)
    )
    assert earlier.to_dict("records") == [
        {"scope": "all scopes", "places": 0, "recurred": 0, "rate": None}
    ]


def test_missing_from_hotspots_are_built_on_resolution_7_cells_above_the_threshold(
    engine, tmp_path
):
    """Issue 18: nothing finer than resolution 7 about missing-from locations is registered."""
    # 40 missing-from locations around the centre of one resolution-7 cell, and 4 in the next
    # cell: below the threshold of 5, that cell must not take part at all
    centre = h3.latlng_to_cell(52.8, -2.1, 7)
    neighbour = h3.grid_ring(centre, 1)[0]
    rng = np.random.default_rng(1)
    c_lat, c_lon = h3.cell_to_latlng(centre)
    lat, lon = h3.cell_to_latlng(neighbour)
    frame = pd.DataFrame(
        {
            "lat": np.round(np.r_[c_lat + rng.normal(0, 0.001, 40), [lat] * 4], 6),
            "lon": np.round(np.r_[c_lon + rng.normal(0, 0.0015, 40), [lon] * 4], 6),
            "month": pd.to_datetime(rng.choice(MONTHS, 44)),
            "category": "Missing episode",
            "kind": "missing_from",
        }
    )
    import_frame(engine, frame, tmp_path / "missing.csv")

    summary = hotspot_runs.register_run(
        engine, actor=ANALYST, filt=IncidentFilter(kinds=("missing_from",)), min_samples=5
    )
    assert summary.n_hotspots == 1
    assert summary.params["cell_res"] == 7
    with Session(engine) as session:
        hotspot = session.scalars(select(Hotspot)).one()
        cells = [int(c) for c in hotspot.cells]
    assert {h3.get_resolution(h3.int_to_str(c)) for c in cells} == {7}
    assert [h3.int_to_str(c) for c in cells] == [centre]
    assert hotspot.n_incidents == 40  # the 4 in the cell below the threshold are left out
    # the outline is the resolution-7 cell itself (grown by the buffer), not finer cells
    import shapely

    outline = shapely.from_wkb(hotspot.boundary_wkb)
    cell = shapely.Polygon([(b, a) for a, b in h3.cell_to_boundary(centre)])
    assert outline.contains(cell)
    assert not outline.contains(shapely.Point(lon, lat))


def test_hotspots_keep_profiles_of_age_flags_hours_weekdays_and_kinds(engine, tmp_path):
    frame = _planted(MONTHS, centres=CENTRES[:1], noise=0)
    rng = np.random.default_rng(2)
    n = len(frame)
    frame = frame.assign(
        age_band=rng.choice(["13-14", "15-16", None], n),
        flags=rng.choice([",cse,", ",cce,drugs,", ""], n),
        hour=rng.choice([22, 23, 1], n),
        date=frame["month"] + pd.to_timedelta(rng.integers(0, 28, n), unit="D"),
    )
    import_frame(engine, frame, tmp_path / "profiles.csv")
    hotspot_runs.register_run(engine, actor=ANALYST)
    with Session(engine) as session:
        hotspot = session.scalars(select(Hotspot)).one()
        profiles = hotspot.profiles
    members = frame  # one cluster, no noise: every incident is in the hotspot
    assert hotspot.n_incidents == n
    ages = members["age_band"].fillna("not recorded").value_counts().to_dict()
    assert profiles["age_band"] == ages
    flags = members["flags"]
    assert profiles["flags"] == {
        "cse": int((flags == ",cse,").sum()),
        "cce": int((flags == ",cce,drugs,").sum()),
        "drugs": int((flags == ",cce,drugs,").sum()),
        "none": int((flags == "").sum()),
    }
    assert profiles["hour"] == {
        f"{h:02d}": int(c) for h, c in members["hour"].value_counts().items()
    }
    weekdays = pd.to_datetime(members["date"]).dt.day_name().value_counts().to_dict()
    assert profiles["weekday"] == weekdays
    assert profiles["kind"] == {"incident": n}


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


def test_a_window_over_most_months_reads_the_table_straight_through(engine, tmp_path):
    """SQLite answered "the last N months" through the month index, a row lookup each (4x)."""
    from sqlalchemy import text

    from assessments import incidents
    from assessments.models import Incident

    import_frame(engine, _planted(MONTHS), tmp_path / "all.csv")
    wide = IncidentFilter(kinds=("incident",), end_month=_month(MONTHS[-1]))
    narrow = IncidentFilter(kinds=("incident",), start_month=_month(MONTHS[-1]))
    plain = incidents.load_hotspot_points(engine, IncidentFilter(kinds=("incident",)))
    pd.testing.assert_frame_equal(incidents.load_hotspot_points(engine, wide), plain)
    assert len(incidents.load_hotspot_points(engine, narrow)) < len(plain)
    if engine.dialect.name != "sqlite":
        return

    def plan(filt: IncidentFilter, *, scan: bool = True) -> str:
        month = incidents._scan_month(engine, filt) if scan else None
        query = select(Incident.lat).where(*incidents.filter_clauses(filt, month=month))
        compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
        with engine.connect() as conn:
            return " ".join(
                str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            )

    assert "ix_incident_month" in plan(wide, scan=False)  # what the scan did before
    assert "ix_incident_month" not in plan(wide)
    assert "ix_incident_month" in plan(narrow)


def test_hotspots_keep_the_key_sums_of_their_counts(engine, tmp_path):
    """The register's counts carry their incidents' record keys, for the cell key method."""
    from assessments.models import Incident

    frame = _planted(MONTHS, centres=CENTRES[:1], noise=0)
    rng = np.random.default_rng(5)
    frame = frame.assign(age_band=rng.choice(["13-14", "15-16", None], len(frame)))
    import_frame(engine, frame, tmp_path / "keys.csv")
    hotspot_runs.register_run(engine, actor=ANALYST)
    with Session(engine) as session:
        hotspot = session.scalars(select(Hotspot)).one()
        observed = session.scalars(select(HotspotObservation.keysum)).one()
        # one cluster, no noise: every incident is in the hotspot
        total = session.scalar(select(func.sum(Incident.record_key)))
        by_month = dict(
            session.execute(
                select(Incident.month, func.sum(Incident.record_key)).group_by(Incident.month)
            ).all()
        )
        by_category = dict(
            session.execute(
                select(Incident.category, func.sum(Incident.record_key)).group_by(Incident.category)
            ).all()
        )
        by_age = dict(
            session.execute(
                select(
                    func.coalesce(Incident.age_band, "not recorded"), func.sum(Incident.record_key)
                ).group_by(Incident.age_band)
            ).all()
        )
    sums = hotspot.key_sums
    assert sums["n_incidents"] == total == observed
    assert sums["by_month"] == {str(m)[:7]: int(v) for m, v in by_month.items()}
    assert sums["by_category"] == {c: int(v) for c, v in by_category.items()}
    assert sums["profiles"]["age_band"] == {a: int(v) for a, v in by_age.items()}
    # and what the register lists carries it (never shown: the pages drop it)
    assert _register(engine).set_index("id").loc[hotspot.id, "keysum"] == total


def test_a_register_written_in_slices_is_the_register_written_whole(engine, tmp_path, monkeypatch):
    """Large registers are converted and written a slice at a time (memory bounded at 5M rows):
    inserts and updates across slice boundaries store exactly what one statement stores."""
    stored = [
        Hotspot.status, Hotspot.n_incidents, Hotspot.cells, Hotspot.boundary_wkb,
        Hotspot.by_month, Hotspot.by_category, Hotspot.profiles, Hotspot.key_sums,
        Hotspot.districts, Hotspot.first_month, Hotspot.last_month, Hotspot.area_m2,
        Hotspot.trend_direction,
    ]  # fmt: skip

    def places() -> list[tuple]:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(*stored).order_by(Hotspot.id))]

    import_frame(engine, _planted(MONTHS), tmp_path / "first.csv")
    hotspot_runs.register_run(engine, actor=ANALYST)
    whole = places()
    with engine.begin() as conn:  # start again from an empty register
        for table in ("hotspot_observation", "hotspot_status_change", "hotspot_lineage"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
        conn.exec_driver_sql("DELETE FROM hotspot")
        conn.exec_driver_sql("DELETE FROM hotspot_run")
    monkeypatch.setattr(hotspot_runs, "_BATCH", 2)  # three places: slices of 2 and 1
    first = hotspot_runs.register_run(engine, actor=ANALYST)
    assert first.new == 3
    assert places() == whole
    assert all(place[2] and place[4] and place[7] for place in whole)  # cells, months, keys
    ids = _register(engine)["id"].tolist()
    import_frame(engine, _planted(["2025-07"], seed=9), tmp_path / "july.csv")
    second = hotspot_runs.register_run(engine, actor=ANALYST)  # updates, in slices too
    assert (second.continued, second.new) == (3, 0)
    updated = _register(engine)
    assert updated["id"].tolist() == ids
    assert updated["last_month"].astype(str).tolist() == ["2025-07-01"] * 3
    with Session(engine) as session:
        versions = session.scalars(select(Hotspot.version).order_by(Hotspot.id)).all()
        observed = session.scalar(select(func.count()).select_from(HotspotObservation))
    assert versions == [2, 2, 2]
    assert observed == 6


def test_a_run_reads_every_stored_field_as_stored(engine, monkeypatch):
    """Points are read with their integer fields packed into one number per row in SQL.

    On PostgreSQL they come as arrays, a block of ids at a time: small blocks here, so the
    samples span a dozen, and a kind imported in its own batch leaves blocks without a row.
    """
    from assessments import incidents
    from assessments.models import Incident
    from assessments.samples import load_samples

    monkeypatch.setattr(incidents, "_ARRAY_ROWS", 4_096)
    load_samples(engine)
    got = incidents.load_hotspot_points(engine, IncidentFilter())
    columns = [Incident.lat, Incident.lon, Incident.month, Incident.record_key, Incident.category]
    columns += [Incident.district_code, Incident.age_band, Incident.flags, Incident.kind]
    columns += [Incident.hour, Incident.date]
    with engine.connect() as conn:
        stored = pd.DataFrame(
            conn.execute(select(*columns)).all(), columns=[c.key for c in columns]
        )
    # the samples record every optional field, so every field is packed and read back
    assert {"age_band", "flags", "hour", "weekday"} <= set(got.columns)
    assert stored["hour"].notna().any()
    assert stored["age_band"].notna().any()
    month = pd.to_datetime(stored["month"])
    weekday = pd.to_datetime(stored["date"]).dt.day_of_week
    expected = pd.DataFrame(
        {
            "lat": stored["lat"].astype(float),
            "lon": stored["lon"].astype(float),
            "month": (month.dt.year * 12 + month.dt.month - 1).astype("int32"),
            "record_key": stored["record_key"].astype("int16"),
            **{
                name: stored[name].fillna("").astype(str)
                for name in ("category", "district_code", "age_band", "flags", "kind")
            },
            "hour": stored["hour"].fillna(-1).astype("int8"),
            "weekday": weekday.fillna(-1).astype("int8"),
        }
    )
    key = ["lat", "lon", "month", "record_key", "category", "hour"]
    got = got.astype({n: str for n in ("category", "district_code", "age_band", "flags", "kind")})
    pd.testing.assert_frame_equal(
        got[expected.columns].sort_values(key, ignore_index=True),
        expected.sort_values(key, ignore_index=True),
    )
    for kind, held in stored["kind"].value_counts().items():
        found = incidents.load_hotspot_points(engine, IncidentFilter(kinds=(kind,)))
        assert len(found) == held
        assert (found["kind"] == kind).all()


def test_packed_fields_spill_into_a_second_number_when_one_would_overflow(engine):
    from sqlalchemy import literal

    from assessments.incidents import _pack

    values = {"a": 3_000_000, "b": -1, "c": 999_999, "d": 123_456, "e": 7}
    fields = [
        ("a", literal(values["a"]), 0, 4_000_000, "i8"),
        ("b", literal(values["b"]), -1, 2, "i8"),
        ("c", literal(values["c"]), 0, 1_000_000, "i8"),
        ("d", literal(values["d"]), 0, 1_000_000, "i8"),  # 4e6 x 2 x 1e6 x 1e6 > 2^62
        ("e", literal(values["e"]), 0, 8, "i8"),
    ]
    words = _pack(fields)
    assert [[f[0] for f in layout] for _, layout in words] == [["a", "b", "c"], ["d", "e"]]
    with engine.connect() as conn:
        row = conn.execute(select(*[sql for sql, _ in words])).one()
    for word, (_, layout) in zip(row, words, strict=True):
        assert 0 <= word < 2**62
        for name, lowest, size, scale, _ in layout:
            assert word // scale % size + lowest == values[name]
