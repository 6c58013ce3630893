"""Samples and real data never mix; the demo signs in only while every record is a sample.

Issue 14: the demo sign-in stayed on while real sites, assessments and users existed (only batches
were checked) and came back after deleting the real batch; real imports were counted into the
synthetic districts. Both backends.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessments import sites, users
from assessments.imports import delete_batch, import_districts
from assessments.models import District, ImportBatch, Site
from assessments.sample_removal import REMOVED_NOTE
from assessments.settings import SAMPLES_DIR
from assessments.store import real_records, store_has_only_samples, store_uses_samples
from cli.identity import OPERATOR
from geo import InputError
from tests.conftest import import_frame


def _frame(n: int = 12, category: str = "Drugs") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lat": [52.85] * n,
            "lon": [-2.05] * n,
            "month": ["2026-10"] * n,
            "category": [category] * n,
        }
    )


@pytest.fixture
def sampled(engine, tmp_path):
    """A store holding only (a few) samples: districts and one batch, plus the first admin."""
    import_districts(engine, SAMPLES_DIR / "synthetic_districts.geojson", is_sample=True)
    import_frame(engine, _frame(), tmp_path / "sample.csv", is_sample=True)
    with Session(engine) as session, session.begin():
        users.add_user(session, actor=OPERATOR, username="admin", role="admin")
    users.ensure_demo_user(engine)
    assert store_has_only_samples(engine)
    return engine


def test_a_real_user_ends_the_demo(sampled):
    with Session(sampled) as session, session.begin():
        users.add_user(session, actor=OPERATOR, username="ana", role="analyst")
    assert real_records(sampled) == {"users": 1}
    assert not store_has_only_samples(sampled)


def test_a_real_site_ends_the_demo(sampled):
    """A real site beside samples (a store from before the rule below): no demo sign-in."""
    with Session(sampled) as session, session.begin():
        code = session.scalars(select(District.code)).first()
        session.add(
            Site(
                name="Bus station",
                site_type="transport_hub",
                lat=52.85,
                lon=-2.05,
                district_code=code,
            )
        )
    assert real_records(sampled) == {"sites": 1}
    assert not store_has_only_samples(sampled)


def test_a_real_site_is_refused_beside_the_samples_and_a_demo_site_is_a_sample(sampled):
    data = sites.SiteIn(name="Bus station", site_type="transport_hub", lat=52.85, lon=-2.05)
    with Session(sampled) as session, session.begin():
        with pytest.raises(InputError, match="still holds the synthetic sample data"):
            sites.create_site(session, actor=OPERATOR, data=data)
        sites.create_site(session, actor=OPERATOR, data=data, is_sample=True)
    assert store_has_only_samples(sampled)


def test_the_first_real_import_removes_the_samples_and_says_so(sampled, tmp_path):
    report = import_frame(sampled, _frame(7, "Burglary"), tmp_path / "real.csv")
    assert report.batches[0].stored == 7
    assert report.batches[0].notes[0] == REMOVED_NOTE
    assert not store_uses_samples(sampled)
    with Session(sampled) as session:
        assert session.scalar(select(func.count()).where(District.is_sample)) == 0
        batches = session.scalars(select(ImportBatch)).all()
        assert [b.is_sample for b in batches] == [False]
        # No real incident was counted into a synthetic district.
        real_id = batches[0].id
    # Deleting the real batch does not bring the demo back: the samples are gone.
    delete_batch(sampled, real_id, actor=OPERATOR)
    assert not store_has_only_samples(sampled)


def test_re_importing_a_sample_file_removes_nothing(sampled, tmp_path):
    report = import_frame(sampled, _frame(), tmp_path / "sample-again.csv")
    assert report.batches[0].duplicate
    assert store_has_only_samples(sampled)


def test_real_boundaries_replace_the_sample_districts(sampled):
    import_districts(sampled, SAMPLES_DIR / "synthetic_districts.geojson", actor=OPERATOR)
    with Session(sampled) as session:
        districts = session.scalars(select(District)).all()
    assert districts
    assert not any(d.is_sample for d in districts)
    assert not store_uses_samples(sampled)
