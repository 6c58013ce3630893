"""Coverage and outcomes through the store (both backends)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from assessments import coverage, register, sites
from assessments import site_assessments as records
from assessments.models import ImportBatch, Incident
from cli.identity import Operator
from geo.cells import points_to_cells
from tests.conftest import add_north_district

ANALYST = Operator(username="ana", role="analyst")
REVIEWER = Operator(username="rev", role="analyst")
TODAY = dt.date.today()


def _store_incidents(engine, frame: pd.DataFrame) -> None:
    """Insert incidents as the importer would (one batch), for services that read them."""
    with Session(engine) as session, session.begin():
        batch = ImportBatch(
            file_name="test.csv",
            checksum="t" * 64,
            format="test",
            kind="incident",
            rows_read=len(frame),
            rows_stored=len(frame),
        )
        session.add(batch)
        session.flush()
        cells = points_to_cells(frame["lat"].to_numpy(), frame["lon"].to_numpy())
        session.execute(
            insert(Incident),
            [
                {
                    "batch_id": batch.id,
                    "kind": "incident",
                    "category": "Anti-social behaviour",
                    "month": month,
                    "flags": "",
                    "lat": lat,
                    "lon": lon,
                    "h3_cell": int(cell),
                    "district_code": "N1",
                    "row_key": i,
                }
                for i, (lat, lon, month, cell) in enumerate(
                    zip(frame["lat"], frame["lon"], frame["month"], cells, strict=True)
                )
            ],
        )


@pytest.fixture
def area(engine):
    with Session(engine) as session, session.begin():
        add_north_district(session)
        covered = register.add_place_of_concern(
            session,
            actor=ANALYST,
            name="Park",
            lat=52.75,
            lon=-2.0,
            radius_m=200,
            reason="referrals",
        )
        bare = register.add_place_of_concern(
            session,
            actor=ANALYST,
            name="Car park",
            lat=52.6,
            lon=-1.7,
            radius_m=200,
            reason="referrals",
        )
        site = sites.create_site(
            session,
            actor=ANALYST,
            data=sites.SiteIn(name="Riverside Park", site_type="park", lat=52.7501, lon=-2.0001),
        )
        assessed_on = (pd.Timestamp(TODAY) - pd.DateOffset(months=8)).date()
        data = records.AssessmentIn(
            site_id=site.id,
            assessed_on=assessed_on,
            organisation="NDC",
            officer="O",
            answers={q.key: q.options[0] for q in records.QUESTIONS if q.kind == "choice"},
            risk_rating="low",
            risk_reasons="r",
            findings="f",
        )
        a = records.create_assessment(session, actor=ANALYST, data=data)
        records.submit_assessment(
            session, actor=ANALYST, assessment_id=a.id, expected_version=a.version
        )
        return {
            "covered": covered.id,
            "bare": bare.id,
            "site": site.id,
            "start": pd.Timestamp(assessed_on).to_period("M").to_timestamp(),
        }


def test_hotspot_coverage_states_from_the_store(engine, area):
    states = coverage.hotspot_coverage(engine).set_index("id")
    assert states.loc[area["covered"], "state"] == "assessed"  # low risk: review in 12 months
    assert states.loc[area["bare"], "state"] == "unassessed"
    assert states.iloc[0]["state"] == "unassessed"  # most urgent first
    later = coverage.hotspot_coverage(engine, today=TODAY + dt.timedelta(days=400)).set_index("id")
    assert later.loc[area["covered"], "state"] == "overdue"


def test_outcomes_and_neighbourhood_counts(engine, area):
    rng = np.random.default_rng(3)
    start = area["start"]
    frames = []
    for offset in range(-6, 7):
        month = start + pd.DateOffset(months=offset)
        n_site = 0 if offset == 0 else (30 if offset < 0 else 10)
        frames.append(
            pd.DataFrame(
                {
                    "lat": 52.75 + rng.uniform(-4e-4, 4e-4, n_site),
                    "lon": -2.0 + rng.uniform(-6e-4, 6e-4, n_site),
                    "month": month.date(),
                }
            )
        )
        frames.append(
            pd.DataFrame(
                {
                    "lat": 52.6 + rng.uniform(-0.05, 0.05, 50),
                    "lon": -1.8 + rng.uniform(-0.05, 0.05, 50),
                    "month": month.date(),
                }
            )
        )
    _store_incidents(engine, pd.concat(frames, ignore_index=True))
    per_site, per_district = coverage.outcomes_for_sites(engine, radius_m=250, window_months=6)
    row = per_site.iloc[0]
    assert (row.site_before, row.site_after) == (180, 60)
    assert row.effect == pytest.approx((60 / 180) / (row.rest_after / row.rest_before))
    assert row.ci_high < 1
    assert per_district.loc[0, "district_code"] == "N1"
    counts = coverage.site_neighbourhood_counts(engine, radius_m=250)
    assert counts.set_index("site_id").loc[area["site"], "incidents"] == 240
