"""'What changed since the last meeting': a known-answer case built run by run (both backends)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from assessments import register
from assessments.changes import changes_since
from assessments.models import (
    Hotspot,
    HotspotLineage,
    HotspotObservation,
    HotspotRun,
    HotspotStatusChange,
)
from cli.identity import Operator

ANALYST = Operator(username="ana", role="analyst")
MEETING = dt.datetime(2026, 10, 1, 10, tzinfo=dt.UTC)
BEFORE = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
AFTER = dt.datetime(2026, 10, 15, tzinfo=dt.UTC)


def test_changes_since_the_previous_meeting(engine):
    with Session(engine) as session, session.begin():
        run1 = HotspotRun(ran_at=BEFORE, ran_by="ana")
        run2 = HotspotRun(ran_at=AFTER, ran_by="ana")
        session.add_all([run1, run2])
        session.flush()

        def hotspot(name, first_seen, active=True, last_run=run2):
            h = Hotspot(
                name=name,
                first_seen_at=first_seen,
                is_active=active,
                last_run_id=last_run.id,
                first_run_id=run1.id,
            )
            session.add(h)
            session.flush()
            return h

        growing = hotspot("Growing", BEFORE)
        steady = hotspot("Steady", BEFORE)
        fading = hotspot("Fading", BEFORE)
        gone = hotspot("Gone", BEFORE, active=False, last_run=run1)
        parent_a, parent_b = hotspot("Part A", BEFORE), hotspot("Part B", BEFORE)
        fresh = hotspot("Fresh", AFTER)
        for h, then, now in (
            (growing, 20, 30),
            (steady, 20, 21),
            (fading, 40, 10),
            (gone, 15, None),
            (parent_a, 12, None),
            (parent_b, 11, 30),
            (fresh, None, 18),
        ):
            for run, n in ((run1, then), (run2, now)):
                if n is not None:
                    session.add(
                        HotspotObservation(run_id=run.id, hotspot_id=h.id, n_incidents=n, n_cells=3)
                    )
        session.add(
            HotspotLineage(
                run_id=run2.id,
                parent_id=parent_a.id,
                child_id=parent_b.id,
                kind="merged",
                overlap=0.6,
            )
        )
        session.flush()
        register.set_status(
            session,
            actor=ANALYST,
            hotspot_id=steady.id,
            expected_version=steady.version,
            status="monitoring",
            reason="quieter",
        )
        session.add(
            HotspotStatusChange(
                hotspot_id=fading.id,
                at=BEFORE,
                by="ana",
                from_status="new",
                to_status="under review",
                reason="before the meeting",
            )
        )
        register.add_meeting_note(
            session,
            actor=ANALYST,
            hotspot_id=growing.id,
            meeting_date=dt.date(2026, 10, 1),
            decision="Assess it",
        )
    with Session(engine) as session:
        changes = changes_since(session, MEETING)
    assert changes["new"]["name"].tolist() == ["Fresh"]
    assert changes["grown"]["name"].tolist() == ["Growing", "Part B"]
    assert changes["shrunk"]["name"].tolist() == ["Fading"]
    assert changes["inactive"]["name"].tolist() == ["Gone"]
    assert changes["merged"][["parent_id", "child_id"]].values.tolist() == [[5, 6]]
    assert changes["split"].empty
    assert changes["status"]["to"].tolist() == ["monitoring"]  # not the one before the meeting
    assert changes["decisions"]["decision"].tolist() == ["Assess it"]
