"""AppTest: the demo signs in only while every record in the store is a sample (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from assessments import sites, users
from assessments.imports import import_districts
from assessments.settings import SAMPLES_DIR
from cli.identity import OPERATOR
from tests.conftest import import_frame

pytestmark = pytest.mark.usefixtures("configured")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sampled(configured, tmp_path):
    import_districts(configured, SAMPLES_DIR / "synthetic_districts.geojson", is_sample=True)
    frame = pd.DataFrame(
        {
            "lat": [52.85] * 12,
            "lon": [-2.05] * 12,
            "month": ["2026-10"] * 12,
            "category": ["Drugs"] * 12,
        }
    )
    import_frame(configured, frame, tmp_path / "sample.csv", is_sample=True)
    return configured


def _signed_in_as_demo(at: AppTest) -> bool:
    return any("Demo analyst" in c.value for c in at.sidebar.caption)


def test_samples_only_sign_the_demo_in(sampled):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    assert _signed_in_as_demo(at)


def test_a_real_user_turns_the_demo_off(sampled):
    with Session(sampled) as session, session.begin():
        users.add_user(session, actor=OPERATOR, username="ana", role="analyst")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    assert not _signed_in_as_demo(at)
    assert [b.label for b in at.button] == ["Sign in"]


def test_a_real_site_turns_the_demo_off(sampled):
    with Session(sampled) as session, session.begin():
        sites.create_site(
            session,
            actor=OPERATOR,
            data=sites.SiteIn(name="Bus station", site_type="transport_hub", lat=52.85, lon=-2.05),
        )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    assert not _signed_in_as_demo(at)
