"""In Chromium: no table shows Streamlit's toolbar, so its own "Download as CSV" is out of reach.

That download would bypass the export permission, the audit event and the formula neutralising;
every download goes through a page's own button instead (``assessments/exports.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from assessments import db
from assessments.users import add_user
from cli.identity import OPERATOR
from tests.browser.server import (
    CHROMIUM,
    goto,
    launch_browser,
    serve_app,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "toolbar"
PASSWORD = "correct horse battery staple 42"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toolbar")
    url = f"sqlite:///{folder / 'store.db'}"
    engine = db.get_engine(url)
    db.migrate(engine)
    with Session(engine) as session, session.begin():
        add_user(session, actor=OPERATOR, username="tb-admin", role="admin", password=PASSWORD)
    engine.dispose()
    db.clear_engines()
    with serve_app(url, folder) as base:
        yield base


def test_hovering_a_table_shows_no_toolbar_and_no_csv_download(app_url):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        goto(page, app_url)
        name = page.get_by_role("textbox", name="User name")
        name.wait_for(timeout=180_000)  # a shared machine may be slow to start the app
        name.fill("tb-admin")
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        nav = page.locator('[data-testid="stSidebarNav"]')
        nav.wait_for(timeout=120_000)
        nav.get_by_role("link", name="Glossary", exact=True).click()
        table = page.locator('[data-testid="stDataFrame"]').first
        table.wait_for(timeout=120_000)
        table.hover()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "glossary-table-hovered.png"))
        toolbar = page.locator('[data-testid="stElementToolbar"]')
        assert toolbar.count() >= 1  # Streamlit drew it ...
        assert not toolbar.first.is_visible()  # ... and the page styles hide it
        assert not page.get_by_role("button", name="Download as CSV").is_visible()
