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
