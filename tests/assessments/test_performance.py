"""The performance framework on a hand-built case (both backends)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from assessments import register, sites
from assessments import site_assessments as records
from assessments.models import Hotspot, HotspotStatusChange
from assessments.performance import performance_report
from cli.identity import Operator
from tests.conftest import add_north_district

ANALYST = Operator(username="ana", role="analyst")
START, END = dt.date(2026, 1, 1), dt.date(2026, 6, 30)


@pytest.fixture
def worked_case(engine):
    with Session(engine) as session, session.begin():
        add_north_district(session)
        hot = register.add_place_of_concern(
            session,
            actor=ANALYST,
            name="Precinct",
            lat=52.75,
            lon=-2.0,
            radius_m=200,
            reason="referrals",
        )
        register.set_status(
            session,
            actor=ANALYST,
            hotspot_id=hot.id,
            expected_version=hot.version,
            status="assessed",
            reason="done",
        )
        session.execute(
            update(Hotspot).values(first_seen_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
        )
        session.execute(
            update(HotspotStatusChange).values(at=dt.datetime(2026, 3, 20, tzinfo=dt.UTC))
        )
        site = sites.create_site(
            session,
            actor=ANALYST,
            data=sites.SiteIn(name="Precinct shops", site_type="shop", lat=52.7501, lon=-2.0),
        )
        answers = {q.key: q.options[0] for q in records.QUESTIONS if q.kind == "choice"}
        for assessed_on, review in (
            (dt.date(2026, 2, 15), dt.date(2026, 3, 15)),
            (dt.date(2026, 3, 10), dt.date(2026, 9, 10)),
        ):
            a = records.create_assessment(
                session,
                actor=ANALYST,
                data=records.AssessmentIn(
                    site_id=site.id,
                    assessed_on=assessed_on,
                    organisation="NDC",
                    officer="O",
                    answers=answers,
                    risk_rating="high",
                    risk_reasons="r",
                    findings="f",
                    next_review_on=review,
                ),
            )
            records.submit_assessment(
                session, actor=ANALYST, assessment_id=a.id, expected_version=a.version
            )
            a.submitted_at = dt.datetime.combine(assessed_on, dt.time(12), dt.UTC)
        records.add_action(
            session,
            actor=ANALYST,
            assessment_id=a.id,
            data=records.ActionIn(
                "Lighting",
                "Highways",
                due_on=dt.date(2026, 4, 1),
                status="done",
                completed_on=dt.date(2026, 4, 20),
            ),
        )
        records.add_action(
            session,
            actor=ANALYST,
            assessment_id=a.id,
            data=records.ActionIn("CCTV", "Police", due_on=dt.date(2026, 5, 1)),
        )
    return engine


def test_performance_framework_known_answers(worked_case):
    report = performance_report(worked_case, start=START, end=END)
    headline = dict(zip(report.headline["measure"], report.headline["value"], strict=True))
    assert headline["Hotspots identified"] == 1
    assert headline["Hotspots assessed"] == 1
    assert headline["Hotspots closed"] == 0
    assert headline["Assessments completed"] == 2
    assert headline["Assessments with a deadline"] == 1  # the repeat assessment
    assert headline["Assessments on time"] == 1  # 10 March, before the 15 March review
    assert headline["Median days from hotspot to assessment"] == 14  # 1 Feb -> 15 Feb
    agencies = report.actions_by_agency.set_index("agency")
    assert agencies.loc["Highways", "completed late"] == 1
    assert agencies.loc["Police", "open and late"] == 1
    assert report.by_district.set_index("district").loc["N1", "assessments completed"] == 2
    elsewhere = performance_report(worked_case, start=START, end=END, districts=["S9"])
    values = dict(zip(elsewhere.headline["measure"], elsewhere.headline["value"], strict=True))
    assert values["Assessments completed"] == 0
    assert isinstance(report.outcomes_by_site, pd.DataFrame)
