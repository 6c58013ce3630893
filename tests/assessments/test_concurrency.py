"""Several officers at once: no lost update, no duplicate, every conflict reported (both backends).

Threads stand in for officers' browser sessions: each has its own database session and saves
with the version it read, as the pages do.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy.orm import Session

from assessments import site_assessments as records
from assessments import sites
from cli.identity import Operator
from geo import ConflictError
from tests.conftest import add_north_district

OFFICERS = [Operator(username=f"officer{i}", role="district", districts=["N1"]) for i in range(6)]


@pytest.fixture
def assessment_id(engine):
    with Session(engine) as session, session.begin():
        add_north_district(session)
        site = sites.create_site(
            session,
            actor=OFFICERS[0],
            data=sites.SiteIn(name="Station", site_type="transport_hub", lat=52.75, lon=-2.0),
        )
        return records.create_assessment(
            session,
            actor=OFFICERS[0],
            data=records.AssessmentIn(
                site_id=site.id,
                assessed_on=dt.date.today(),
                organisation="NDC",
                officer="O",
                findings="",
            ),
        ).id


def test_simultaneous_saves_lose_no_update(engine, assessment_id):
    """Each officer appends a line, retrying on conflict; every line survives."""
    rounds = 4
    conflicts = []
    errors = []
    barrier = threading.Barrier(len(OFFICERS))

    def officer(actor):
        try:
            barrier.wait()
            for n in range(rounds):
                while True:
                    with Session(engine) as session:
                        current = records.get_assessment(session, assessment_id)
                        data = records.AssessmentIn(
                            site_id=current.site_id,
                            assessed_on=current.assessed_on,
                            organisation=current.organisation,
                            officer=current.officer,
                            findings=(current.findings + f"\n{actor.username}:{n}").strip(),
                        )
                        try:
                            records.save_assessment(
                                session,
                                actor=actor,
                                assessment_id=assessment_id,
                                expected_version=current.version,
                                data=data,
                            )
                            session.commit()
                            break
                        except ConflictError:
                            session.rollback()
                            conflicts.append(actor.username)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=officer, args=(a,)) for a in OFFICERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with Session(engine) as session:
        final = records.get_assessment(session, assessment_id)
        lines = final.findings.splitlines()
    expected = {f"{a.username}:{n}" for a in OFFICERS for n in range(rounds)}
    assert set(lines) == expected  # nothing overwritten
    assert len(lines) == len(expected)
    assert final.version == 1 + len(expected)  # one version per successful save, none lost
    assert conflicts  # officers did collide, and were told


def test_importing_editing_and_recomputing_at_once(engine, assessment_id, tmp_path):
    """Imports, assessment saves and hotspot runs together: no error, no lost update, one
    consistent register."""
    import numpy as np
    from sqlalchemy import func, select

    from assessments import hotspot_runs, imports
    from assessments.models import Hotspot, ImportBatch

    rng = np.random.default_rng(5)
    files = []
    for i in range(3):
        path = tmp_path / f"month-{i}.csv"
        lat = 52.75 + rng.normal(0, 0.0005, 400)
        lon = -2.0 + rng.normal(0, 0.0008, 400)
        rows = "\n".join(
            f"{a:.6f},{b:.6f},Drugs,2025-0{i + 1}" for a, b in zip(lat, lon, strict=True)
        )
        path.write_text("latitude,longitude,category,month\n" + rows + "\n")
        files.append(path)
    analyst = OFFICERS[0].__class__(username="ana", role="analyst")
    errors, saved = [], []
    start = threading.Barrier(6)

    def importer(path):
        start.wait()
        try:
            imports.import_files(engine, [path])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    def editor(actor):
        start.wait()
        for n in range(3):
            while True:
                with Session(engine) as session:
                    current = records.get_assessment(session, assessment_id)
                    data = records.AssessmentIn(
                        site_id=current.site_id,
                        assessed_on=current.assessed_on,
                        organisation=current.organisation,
                        officer=current.officer,
                        findings=(current.findings + f"\n{actor.username}:{n}").strip(),
                    )
                    try:
                        records.save_assessment(
                            session,
                            actor=actor,
                            assessment_id=assessment_id,
                            expected_version=current.version,
                            data=data,
                        )
                        session.commit()
                        saved.append(1)
                        break
                    except ConflictError:
                        session.rollback()

    def recompute():
        start.wait()
        for _ in range(2):
            try:
                hotspot_runs.register_run(engine, actor=analyst, min_samples=20)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(repr(exc))

    threads = [threading.Thread(target=importer, args=(p,)) for p in files]
    threads += [threading.Thread(target=editor, args=(a,)) for a in OFFICERS[:2]]
    threads.append(threading.Thread(target=recompute))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == 3
        final = records.get_assessment(session, assessment_id)
        active = session.scalar(select(func.count()).select_from(Hotspot).where(Hotspot.is_active))
    assert len(final.findings.splitlines()) == len(saved) == 6  # no lost update
    assert active <= 1  # one place, one active hotspot, whatever order the runs saw the data
    summary = hotspot_runs.register_run(engine, actor=analyst, min_samples=20)
    # The final run keeps the identity the concurrent runs gave the place (or creates it once).
    assert summary.n_hotspots == 1
    assert (summary.new, summary.continued) == ((0, 1) if active else (1, 0))
