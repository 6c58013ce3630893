"""The hotspot register: status lifecycle, meeting notes, places of concern (both backends)."""

from __future__ import annotations

import datetime as dt

import h3
import pytest
from sqlalchemy.orm import Session

from assessments import register
from cli.identity import Operator
from geo import ConflictError, InputError, PermissionDeniedError
from tests.conftest import add_north_district

ANALYST = Operator(username="ana", role="analyst")
DISTRICT = Operator(username="dee", role="district", districts=["N1"])


@pytest.fixture
def place(engine):
    with Session(engine) as session, session.begin():
        add_north_district(session)
        hotspot = register.add_place_of_concern(
            session,
            actor=ANALYST,
            name="Bus station underpass",
            lat=52.75,
            lon=-2.0,
            radius_m=150,
            reason="Named in three referrals to the MACE panel",
        )
        return hotspot.id, hotspot.version


def test_place_of_concern_is_added_by_hand_with_cells_and_district(engine, place):
    hotspot_id, _ = place
    with Session(engine) as session:
        hotspot = register.get_hotspot(session, hotspot_id)
        assert hotspot.source == "manual"
        assert hotspot.status == "under review"
        assert hotspot.districts == ["N1"]
        centre = h3.latlng_to_cell(52.75, -2.0, register.REGISTER_RES)
        assert str(h3.str_to_int(centre)) in hotspot.cells
        assert 3 <= len(hotspot.cells) <= 8  # a 150 m circle ~ 70,700 m2 ~ 4.7 res-10 cells
        frame = register.list_register(session, districts=["N1"])
        assert frame["name"].tolist() == ["Bus station underpass"]


def test_status_changes_keep_who_when_why(engine, place):
    hotspot_id, version = place
    with Session(engine) as session, session.begin():
        register.set_status(
            session,
            actor=ANALYST,
            hotspot_id=hotspot_id,
            expected_version=version,
            status="assessment requested",
            reason="Panel asked the district for a site assessment",
        )
    with Session(engine) as session:
        history = register.hotspot_history(session, hotspot_id)["status_changes"]
    assert history["to"].tolist() == ["assessment requested", "under review"]
    assert history["by"].tolist() == ["ana", "ana"]
    assert "site assessment" in history["reason"].iloc[0]


def test_status_needs_a_reason_a_known_status_and_the_right_role(engine, place):
    hotspot_id, version = place
    with Session(engine) as session:
        with pytest.raises(InputError, match="say why"):
            register.set_status(
                session,
                actor=ANALYST,
                hotspot_id=hotspot_id,
                expected_version=version,
                status="closed",
                reason=" ",
            )
        with pytest.raises(InputError, match="unknown status"):
            register.set_status(
                session,
                actor=ANALYST,
                hotspot_id=hotspot_id,
                expected_version=version,
                status="solved",
                reason="x",
            )
        with pytest.raises(PermissionDeniedError):
            register.set_status(
                session,
                actor=DISTRICT,
                hotspot_id=hotspot_id,
                expected_version=version,
                status="closed",
                reason="x",
            )


def test_concurrent_status_changes_conflict(engine, place):
    hotspot_id, version = place
    with Session(engine) as session, session.begin():
        register.set_status(
            session,
            actor=ANALYST,
            hotspot_id=hotspot_id,
            expected_version=version,
            status="monitoring",
            reason="first",
        )
    with Session(engine) as session, pytest.raises(ConflictError, match="since you opened it"):
        register.set_status(
            session,
            actor=ANALYST,
            hotspot_id=hotspot_id,
            expected_version=version,
            status="closed",
            reason="second",
        )


def test_meeting_notes(engine, place):
    hotspot_id, _ = place
    meeting = dt.date(2026, 11, 20)
    with Session(engine) as session, session.begin():
        register.add_meeting_note(
            session,
            actor=ANALYST,
            hotspot_id=hotspot_id,
            meeting_date=meeting,
            decision="Request lighting survey",
            owner="Highways",
            due_on=meeting + dt.timedelta(days=28),
        )
    with Session(engine) as session:
        notes = register.hotspot_history(session, hotspot_id)["meeting_notes"]
        assert notes["decision"].tolist() == ["Request lighting survey"]
        with pytest.raises(InputError, match="before the meeting"):
            register.add_meeting_note(
                session,
                actor=ANALYST,
                hotspot_id=hotspot_id,
                meeting_date=meeting,
                decision="x",
                due_on=meeting - dt.timedelta(days=1),
            )


def test_a_status_that_does_not_change_is_refused(engine, place):
    hotspot_id, version = place
    with Session(engine) as session:
        with pytest.raises(InputError, match="already 'under review'"):
            register.set_status(
                session,
                actor=ANALYST,
                hotspot_id=hotspot_id,
                expected_version=version,
                status="under review",
                reason="Panel looked again",
            )
        history = register.hotspot_history(session, hotspot_id)["status_changes"]
    assert history["to"].tolist() == ["under review"]  # only the creation


def test_the_same_decision_saved_twice_is_stored_once(engine, place):
    hotspot_id, _ = place
    meeting = dt.date(2026, 11, 20)
    decision = {
        "meeting_date": meeting,
        "decision": "Request lighting survey",
        "owner": "Highways",
        "due_on": None,
    }
    with Session(engine) as session, session.begin():
        register.add_meeting_note(session, actor=ANALYST, hotspot_id=hotspot_id, **decision)
    with Session(engine) as session, session.begin():
        with pytest.raises(InputError, match="already recorded"):
            register.add_meeting_note(session, actor=ANALYST, hotspot_id=hotspot_id, **decision)
        # another decision, or the same one at another meeting, is new
        register.add_meeting_note(
            session, actor=ANALYST, hotspot_id=hotspot_id, **{**decision, "owner": "Police"}
        )
        register.add_meeting_note(
            session,
            actor=ANALYST,
            hotspot_id=hotspot_id,
            **{**decision, "meeting_date": meeting + dt.timedelta(days=28)},
        )
    with Session(engine) as session:
        notes = register.hotspot_history(session, hotspot_id)["meeting_notes"]
    assert len(notes) == 3
