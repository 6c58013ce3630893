"""Page downloads: only for users who may export, through the audited helper; no table toolbar."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from app_pages.styles import _CSS
from assessments.models import AuditEvent
from assessments.samples import load_samples
from assessments.users import SignedInUser
from tests.app.signin import add_and_sign_in

ROOT = Path(__file__).resolve().parents[2]
PAGES = {
    "sites": "Download the site list (CSV)",
    "actions": "Download (CSV)",
    "hotspots": "Download the list (CSV)",
    "coverage": "Download (CSV)",
    "performance": "Download the framework (XLSX)",
}


def _user(role: str) -> SignedInUser:
    return SignedInUser(
        id=0,
        username=f"a-{role}",
        display_name=role,
        role=role,
        districts=[],
        is_active=True,
        is_demo=False,
        must_change_password=False,
    )


def _downloads(at: AppTest) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


@pytest.fixture
def sample_store(configured):
    load_samples(configured)
    return configured


def test_a_viewer_gets_no_download_button_and_an_analyst_does(sample_store):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for role, expected in (("viewer", False), ("analyst", True)):
        add_and_sign_in(at, sample_store, f"a-{role}", role)
        at.run()
        for page, label in PAGES.items():
            at.switch_page(f"app_pages/{page}.py").run()
            assert not at.exception, (role, page, at.exception)
            assert (label in _downloads(at)) is expected, (role, page, _downloads(at))


def test_a_download_click_writes_an_export_event(sample_store):
    from app_pages import common

    user = _user("analyst")
    common._record_download(user, "sites", 12, {"districts": ["N1"]}, "csv", "export")
    with Session(sample_store) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.entity == "sites")
        ).one()
    assert event.actor == "a-analyst"
    assert event.detail["rows"] == 12


def test_the_table_toolbar_and_its_csv_download_are_hidden():
    assert '[data-testid="stElementToolbar"] { display: none !important; }' in _CSS
