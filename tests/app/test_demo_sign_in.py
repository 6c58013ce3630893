"""AppTest: the demo signs in only while every record in the store is a sample (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from assessments import sites, users
from assessments.imports import import_districts
from assessments.models import District, Site
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
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    assert not _signed_in_as_demo(at)


def _add_site_in_the_app(at: AppTest, name: str) -> AppTest:
    at.switch_page("app_pages/sites.py").run()
    assert not at.exception
    next(t for t in at.text_input if t.label == "Name of the place").input(name)
    next(n for n in at.number_input if n.label == "Latitude").set_value(52.85)
    next(n for n in at.number_input if n.label == "Longitude").set_value(-2.05)
    next(b for b in at.button if b.label == "Add site").click()
    at.run()
    assert not at.exception
    return at


def test_a_real_site_is_refused_while_the_samples_are_there(sampled):
    """Samples and real data never mix: a hand-made real site waits for the real districts."""
    from assessments.store import real_records
    from tests.app.signin import add_and_sign_in

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    add_and_sign_in(at, sampled, "ana", "analyst")
    at = _add_site_in_the_app(at.run(), "Bus station")
    assert any("still holds the synthetic sample data" in e.value for e in at.error)
    with Session(sampled) as session:
        assert "Bus station" not in sites.list_sites(session)["name"].tolist()
    assert real_records(sampled) == {"users": 1}  # the analyst's account; no real site


def test_the_demos_own_site_stays_part_of_the_demo(sampled):
    from assessments.store import store_has_only_samples

    at = _add_site_in_the_app(
        AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run(), "Demo bus station"
    )
    assert store_has_only_samples(sampled)
    at.run()
    assert _signed_in_as_demo(at)
