"""Sites, assessments and actions through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessments import site_assessments as sa_
from assessments import sites
from assessments.models import AuditEvent, District
from cli.identity import Operator
from geo import ConflictError, InputError, PermissionDeniedError

TODAY = dt.date.today()
ANALYST = Operator(username="ana", role="analyst")
NORTH_OFFICER = Operator(username="nora", role="district", districts=["N1"])
SOUTH_OFFICER = Operator(username="sid", role="district", districts=["S1"])
VIEWER = Operator(username="vic", role="viewer")
PARK = {"name": "Riverside Park", "site_type": "park", "lat": 52.75, "lon": -2.0}


@pytest.fixture
def store(engine):
    """Two square districts: N1 north of latitude 52.5, S1 south of it."""
    with Session(engine) as session, session.begin():
        for code, (south, north) in {"N1": (52.5, 53.0), "S1": (52.0, 52.5)}.items():
            box = shapely.box(-2.5, south, -1.5, north)
            session.add(
                District(
                    code=code,
                    name=f"District {code}",
                    boundary_wkb=box.wkb,
                    min_lon=-2.5,
                    min_lat=south,
                    max_lon=-1.5,
                    max_lat=north,
                )
            )
    return engine


def _site(engine, actor=NORTH_OFFICER, **overrides):
    with Session(engine) as session, session.begin():
        site = sites.create_site(session, actor=actor, data=sites.SiteIn(**{**PARK, **overrides}))
        return site.id, site.district_code


def _complete_answers():
    return {q.key: q.options[0] for q in sa_.QUESTIONS if q.kind == "choice"}


def _draft(engine, site_id, actor=NORTH_OFFICER, **overrides):
    data = sa_.AssessmentIn(
        site_id=site_id,
        assessed_on=TODAY - dt.timedelta(days=3),
        organisation="Northbrook DC",
        officer="J. Officer",
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    with Session(engine) as session, session.begin():
        assessment = sa_.create_assessment(session, actor=actor, data=data)
        return assessment.id, assessment.version, data


def test_site_gets_its_district_from_the_boundaries(store):
    _, district = _site(store)
    assert district == "N1"
    with Session(store) as session:
        frame = sites.list_sites(session, districts=["N1"], statuses=["not assessed"])
    assert frame["name"].tolist() == ["Riverside Park"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lat": 55.9, "lon": -2.0}, "outside every district"),
        ({"lat": 40.0, "lon": -2.0}, "not in the United Kingdom"),
        ({"site_type": "castle"}, "unknown site type"),
        ({"name": "12 Acacia Avenue (private house)"}, "private home"),
        ({"name": ""}, "give the place a name"),
        ({"district_code": "S1"}, "lies in district N1, not S1"),
    ],
)
def test_bad_sites_are_refused_with_the_reason(store, overrides, message):
    with pytest.raises(InputError, match=message):
        _site(store, actor=ANALYST, **overrides)


def test_dwelling_site_types_cannot_be_added(store):
    admin = Operator()
    with Session(store) as session, pytest.raises(InputError, match="dwelling"):
        sites.add_site_type(session, actor=admin, code="flat", label="Flat or bedsit")
    with Session(store) as session, session.begin():
        sites.add_site_type(session, actor=admin, code="skate_park", label="Skate park")
        assert "skate_park" in sites.list_site_types(session)
    with Session(store) as session, pytest.raises(PermissionDeniedError):
        sites.add_site_type(session, actor=ANALYST, code="pier", label="Pier")


def test_district_officers_work_only_in_their_district(store):
    with pytest.raises(PermissionDeniedError, match="in district N1"):
        _site(store, actor=SOUTH_OFFICER)
    with pytest.raises(PermissionDeniedError):
        _site(store, actor=VIEWER)
    site_id, _ = _site(store)
    with pytest.raises(PermissionDeniedError):
        _draft(store, site_id, actor=SOUTH_OFFICER)


def test_assessment_lifecycle_draft_submit_review(store):
    site_id, _ = _site(store)
    assessment_id, version, data = _draft(store, site_id)
    with Session(store) as session, pytest.raises(sa_.FieldError) as info:
        sa_.submit_assessment(
            session, actor=NORTH_OFFICER, assessment_id=assessment_id, expected_version=version
        )
    assert {"risk_rating", "findings", "answers"} <= set(info.value.errors)

    data.answers = _complete_answers()
    data.risk_rating, data.risk_reasons, data.findings = "high", "Dealing seen", "Poor lighting"
    with Session(store) as session, session.begin():
        saved = sa_.save_assessment(
            session,
            actor=NORTH_OFFICER,
            assessment_id=assessment_id,
            expected_version=version,
            data=data,
        )
        # The review date follows the policy for a high risk (3 months).
        assert saved.next_review_on == sa_.next_review_date(data.assessed_on, "high")
        version = saved.version
    with Session(store) as session, session.begin():
        version = sa_.submit_assessment(
            session, actor=NORTH_OFFICER, assessment_id=assessment_id, expected_version=version
        ).version
    with Session(store) as session, pytest.raises(InputError, match="someone other than"):
        sa_.review_assessment(
            session, actor=NORTH_OFFICER, assessment_id=assessment_id, expected_version=version
        )
    with Session(store) as session, session.begin():
        reviewed = sa_.review_assessment(
            session, actor=ANALYST, assessment_id=assessment_id, expected_version=version
        )
        assert reviewed.status == "reviewed"
        assert reviewed.reviewed_by == "ana"
    with Session(store) as session:
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.entity == "assessment").order_by(AuditEvent.id)
            )
        ]
    assert actions == ["create", "update", "submit", "review"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"risk_rating": "catastrophic"}, "risk_rating"),
        ({"next_review_on": TODAY - dt.timedelta(days=30)}, "next_review_on"),
        ({"assessed_on": TODAY + dt.timedelta(days=2)}, "assessed_on"),
        ({"answers": {"lighting": "dazzling"}}, "lighting"),
        ({"answers": {"favourite_colour": "blue"}}, "favourite_colour"),
        ({"organisation": " "}, "organisation"),
    ],
)
def test_bad_assessments_name_the_field(store, overrides, field):
    site_id, _ = _site(store)
    with pytest.raises(sa_.FieldError) as info:
        _draft(store, site_id, **overrides)
    assert field in info.value.errors


def test_assessment_for_a_missing_site_is_refused(store):
    with pytest.raises(sa_.FieldError, match="no site 999"):
        _draft(store, 999)


def test_two_officers_saving_the_same_assessment_do_not_overwrite(store):
    site_id, _ = _site(store)
    assessment_id, version, data = _draft(store, site_id)
    first = sa_.AssessmentIn(**{**data.__dict__, "findings": "First officer's findings"})
    second = sa_.AssessmentIn(**{**data.__dict__, "findings": "Second officer's findings"})
    with Session(store) as session, session.begin():
        sa_.save_assessment(
            session,
            actor=NORTH_OFFICER,
            assessment_id=assessment_id,
            expected_version=version,
            data=first,
        )
    with (
        Session(store) as session,
        pytest.raises(ConflictError, match="since you opened it") as info,
    ):
        sa_.save_assessment(
            session,
            actor=ANALYST,
            assessment_id=assessment_id,
            expected_version=version,
            data=second,
        )
    assert info.value.current["findings"] == "First officer's findings"
    assert info.value.attempted["findings"] == "Second officer's findings"
    with Session(store) as session:
        assert sa_.get_assessment(session, assessment_id).findings == "First officer's findings"


def test_actions_late_first_and_completion_rules(store):
    site_id, _ = _site(store)
    assessment_id, _, _ = _draft(store, site_id)
    with Session(store) as session, session.begin():
        sa_.add_action(
            session,
            actor=NORTH_OFFICER,
            assessment_id=assessment_id,
            data=sa_.ActionIn("Fix lighting", "Highways", due_on=TODAY + dt.timedelta(10)),
        )
        late = sa_.add_action(
            session,
            actor=NORTH_OFFICER,
            assessment_id=assessment_id,
            data=sa_.ActionIn("CCTV review", "Police", due_on=TODAY - dt.timedelta(5)),
        )
        late_id, late_version = late.id, late.version
    with Session(store) as session:
        frame = sa_.list_actions(session)
    assert frame["description"].tolist() == ["CCTV review", "Fix lighting"]
    assert frame["late"].tolist() == [True, False]
    done = sa_.ActionIn("CCTV review", "Police", due_on=TODAY - dt.timedelta(5), status="done")
    with Session(store) as session, pytest.raises(sa_.FieldError, match="completed"):
        sa_.update_action(
            session,
            actor=NORTH_OFFICER,
            action_id=late_id,
            expected_version=late_version,
            data=done,
        )
    done.completed_on = TODAY
    with Session(store) as session, session.begin():
        sa_.update_action(
            session,
            actor=NORTH_OFFICER,
            action_id=late_id,
            expected_version=late_version,
            data=done,
        )
    with Session(store) as session:
        assert not sa_.list_actions(session)["late"].any()
        assert len(sa_.list_actions(session, open_only=True)) == 1


def test_the_same_place_is_not_added_twice(store):
    first, _ = _site(store)
    with pytest.raises(InputError, match=f"already a site at this place \\(site {first}\\)"):
        _site(store, name="  riverside   PARK ", lat=52.7501, lon=-2.0001)  # ~13 m away
    other, _ = _site(store, lat=52.76)  # the same name 1 km away is another place
    assert other != first
    assert _site(store, name="Riverside Park car park")[0] not in (first, other)
    with Session(store) as session:
        assert len(sites.list_sites(session)) == 3
