"""Accessibility: axe-core (WCAG 2.2 A and AA rules) over every page of the app, in Chromium.

An administrator signs in (the sign-in page is checked too) and walks the whole navigation in one
browser session, as a person would. A serious or critical violation fails the test unless every
element it names lies inside markup Streamlit itself draws (listed in ``STREAMLIT_OWN`` and in the
README), which the app cannot change. axe-core comes bundled in the ``axe-playwright-python``
package (MPL-2.0); nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from assessments import db
from assessments.samples import load_samples
from assessments.users import add_user
from cli.identity import OPERATOR
from tests.browser.server import (
    CHROMIUM,
    goto,
    launch_browser,
    make_samples_real,
    serve_app,
    wait_until_idle,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "accessibility"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not at /usr/bin/chromium"),
]
PASSWORD = "correct horse battery staple 42"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

#: Markup Streamlit draws itself, which an app cannot change: (rule, container of every node).
#: Its sidebar navigation puts section headers (``div``) straight inside a ``ul``.
STREAMLIT_OWN = {
    ("list", '[data-testid="stSidebarNav"]'),
    ("listitem", '[data-testid="stSidebarNav"]'),
}
#: Every page of the navigation an administrator sees: its link text and its heading.
PAGES = {
    "Home": "Safer Places",
    "Map": "Map",
    "Hotspots": "Hotspots",
    "Meeting pack": "Meeting pack",
    "Sites & assessments": "Sites & assessments",
    "Actions": "Actions",
    "Coverage": "Coverage",
    "Performance": "Performance",
    "Import": "Import",
    "Account": "account",
    "Glossary": "Glossary",
    "Users": "Users",
    "Audit trail": "Audit trail",
}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("axe")
    url = f"sqlite:///{folder / 'store.db'}"
    engine = db.get_engine(url)
    db.migrate(engine)
    load_samples(engine)
    # The council's own store (the samples as real records): the demo sign-in is off, so the
    # sign-in page is shown (a first real import would remove the samples instead).
    make_samples_real(engine)
    with Session(engine) as session, session.begin():
        add_user(session, actor=OPERATOR, username="axe-admin", role="admin", password=PASSWORD)
    engine.dispose()
    db.clear_engines()
    with serve_app(url, folder) as base:
        yield base


def _serious(page, axe) -> list[str]:
    """Serious and critical violations on the page, less those inside Streamlit's own markup."""
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": TAGS}})
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        nodes = [n for n in violation["nodes"] if not _streamlit_own(page, violation["id"], n)]
        found += [
            f"{violation['id']} ({violation['impact']}): {n['html'][:160]}"
            f" — {n.get('failureSummary', '')[:200]}"
            for n in nodes
        ]
    return found


def _streamlit_own(page, rule: str, node: dict) -> bool:
    target = node["target"][0]
    if not isinstance(target, str):
        return False
    return any(
        rule == own_rule
        and page.evaluate(
            "([t, c]) => { const e = document.querySelector(t); return !!(e && e.closest(c)); }",
            [target, container],
        )
        for own_rule, container in STREAMLIT_OWN
    )


def _settle(page, title: str) -> None:
    """Wait for the page and for the app to stay idle for 3 s.

    A map reports its view once drawn, which runs the script again; while a run is under way
    Streamlit fades the page (contrast 2.1:1), so checking then would measure the fade.
    """
    page.get_by_role("heading", name=title, level=1).first.wait_for(timeout=120_000)
    wait_until_idle(page)
    page.wait_for_timeout(1000)  # charts and maps draw after the script ends


def test_every_page_has_no_serious_accessibility_violation(app_url):
    from axe_playwright_python.sync_playwright import Axe

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    problems: dict[str, list[str]] = {}
    with launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        goto(page, app_url)
        _settle(page, "Safer Places")
        problems["Sign in"] = _serious(page, axe)
        page.get_by_role("textbox", name="User name").fill("axe-admin")
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=120_000)
        for link, title in PAGES.items():
            page.locator('[data-testid="stSidebarNav"]').get_by_role(
                "link", name=link, exact=True
            ).click()
            _settle(page, title)
            page.screenshot(path=str(ARTIFACTS / f"{link.split()[0].lower()}.png"))
            problems[link] = _serious(page, axe)
    failing = {page: found for page, found in problems.items() if found}
    assert not failing, "\n".join(f"{p}: {v}" for p, found in failing.items() for v in found)
    assert set(problems) == {"Sign in", *PAGES}  # every page was checked


def test_the_check_finds_what_the_theme_fixed(app_url):
    """The check can fail: a caption in Streamlit's default grey (3.8:1 on white) is caught."""
    from axe_playwright_python.sync_playwright import Axe

    with launch_browser() as browser:
        page = browser.new_page()
        page.set_content(
            '<html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
            '<p style="color:#828180;background:#ffffff;font-size:14px">caption</p>'
            "</main></body></html>"
        )
        found = _serious(page, Axe())
    assert any(v.startswith("color-contrast") for v in found)
