"""Each user's job, end to end, in real headless Chromium (issue 15).

One app server on a prepared SQLite store (the synthetic samples plus one real batch, so the demo
sign-in is off and everyone signs in). Each journey is what a person does, with screenshots under
``test-artifacts/journeys/`` and assertions on what they would see:

- the community safety officer browses the Map, filters, zooms, clicks a hexagon, reloads (still
  signed in), and shares the address: a colleague opening it signs in and sees the same view;
- the analyst imports a new month on the Import page and sees it at once on Map and Home;
- the panel sorts the register, records a status and a decision once, and downloads a pack;
- the administrator adds, re-roles and disables a user, who can then no longer sign in.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessments import db
from assessments import register as reg
from assessments.models import Hotspot
from assessments.permissions import ROLES
from assessments.samples import load_samples
from assessments.users import add_user
from cli.identity import OPERATOR
from tests.browser.server import (
    CHROMIUM,
    goto,
    launch_browser,
    serve_app,
    wait_until_idle,
)
from tests.browser.test_map_in_chromium import _map_frame
from tests.conftest import import_frame

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "journeys"
PASSWORD = "correct horse battery staple 42"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("journeys")
    url = f"sqlite:///{folder / 'store.db'}"
    engine = db.get_engine(url)
    db.migrate(engine)
    load_samples(engine)
    # A real batch (the first real import removes the samples, and the demo sign-in is off):
    # 600 incidents over a few kilometres and six months, so the map has hexagons to zoom into.
    rng = np.random.default_rng(15)
    n = 600
    real = pd.DataFrame(
        {
            "lat": np.round(52.80 + rng.normal(0, 0.012, n), 5),
            "lon": np.round(-2.11 + rng.normal(0, 0.018, n), 5),
            "month": rng.choice([f"2026-{m:02d}" for m in range(5, 11)], n),
            "category": rng.choice(["Drugs", "Burglary", "Robbery", "Shoplifting"], n),
        }
    )
    import_frame(engine, real, folder / "real.csv")
    with Session(engine) as session, session.begin():
        for username, role in (("ada", "admin"), ("ana", "analyst"), ("vic", "viewer")):
            add_user(session, actor=OPERATOR, username=username, role=role, password=PASSWORD)
    engine.dispose()
    db.clear_engines()
    with serve_app(url, folder) as base:
        yield {"url": base, "folder": folder}


@pytest.fixture(scope="module")
def browser():
    with launch_browser() as chromium:
        yield chromium


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _settle(page, seconds: float = 1.5) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_timeout(300)
    wait_until_idle(page)
    page.wait_for_timeout(int(seconds * 1000))


def _heading(page, name: str) -> None:
    page.get_by_role("heading", name=name, level=1).first.wait_for(timeout=120_000)
    _settle(page)


def _sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.get_by_role("textbox", name="User name").wait_for(timeout=120_000)
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _open_signed_in(browser, url: str, username: str, password: str = PASSWORD, **options):
    """A new browser context on ``url``, signed in as ``username``: return (context, page)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, **options)
    page = context.new_page()
    goto(page, url)
    _sign_in(page, username, password)
    return context, page


def _nav(page, link: str, heading: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=link, exact=True).click()
    _heading(page, heading)


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_officer_filters_zooms_clicks_and_shares_the_view(app_url, browser):
    base = app_url["url"]
    officer = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = officer.new_page()
    goto(page, base)
    _heading(page, "Safer Places")
    _sign_in(page, "ana")
    page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=120_000)
    _nav(page, "Map", "Map")
    frame = _map_frame(page)
    _settle(page)  # the map reports its view once drawn: let that run end before filtering
    # Filter: one category.
    sidebar = page.locator('[data-testid="stSidebar"]')
    for attempt in range(5):  # a rerun (the map reporting its view) may close the list
        sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Categories").click()
        try:
            page.get_by_role("option", name="Drugs", exact=True).click(timeout=15_000)
            break
        except Exception:
            if attempt == 4:
                raise
            page.keyboard.press("Escape")
            _settle(page)
    page.keyboard.press("Escape")
    _settle(page)
    assert _query(page.url)["category"] == ["Drugs"]
    # Zoom in twice (the map is redrawn after the filter: find it again if it was replaced).
    for _ in range(2):
        for attempt in range(5):
            frame = _map_frame(page)
            try:
                frame.locator(".leaflet-control-zoom-in").click(timeout=10_000)
                break
            except Exception:
                if attempt == 4:
                    raise
                page.wait_for_timeout(1000)
        _settle(page)
    frame = _map_frame(page)
    hexagons = frame.locator("path.leaflet-interactive")
    target = hexagons.nth(hexagons.count() // 2)
    box = target.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    _settle(page, 2.5)
    caption = page.get_by_text(re.compile(r"The hexagon around -?\d")).first
    caption.wait_for(timeout=60_000)
    chosen = caption.inner_text()
    shared = page.url
    query = _query(shared)
    assert {"zoom", "lat", "lon", "cell"} <= set(query), shared
    assert query["category"] == ["Drugs"]
    _shot(page, "officer_view")
    # Reloading keeps the officer signed in, on the same view.
    page.reload(wait_until="domcontentloaded")
    _heading(page, "Map")
    assert page.get_by_role("textbox", name="Password").count() == 0
    page.get_by_text(chosen).first.wait_for(timeout=60_000)
    _shot(page, "officer_after_reload")

    # A colleague opens the shared address in their own browser: sign-in first, same page.
    colleague = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = colleague.new_page()
    goto(other, shared)
    _heading(other, "Safer Places")
    other.get_by_role("textbox", name="User name").wait_for(timeout=120_000)
    assert other.get_by_text("Page not found").count() == 0
    _shot(other, "colleague_sign_in_at_shared_link")
    _sign_in(other, "vic")
    _heading(other, "Map")
    _map_frame(other)
    _settle(other, 2.5)
    assert other.get_by_text("Page not found").count() == 0
    deadline = time.monotonic() + 60  # the view's address is written after the map reports
    while time.monotonic() < deadline and "zoom" not in _query(other.url):
        other.wait_for_timeout(500)
    seen = _query(other.url)
    for key in ("from", "to", "kind", "category", "res", "zoom", "cell"):
        assert seen.get(key) == query[key], (key, other.url)
    chips = other.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text="Categories"
    )
    assert "Drugs" in chips.inner_text()
    other.get_by_text(chosen).first.wait_for(timeout=60_000)
    zoom_seen = _map_frame(other).evaluate(
        "() => { for (const k in window) { const v = window[k]; "
        "if (v && v._container && v.getZoom) return v.getZoom(); } return null; }"
    )
    assert zoom_seen == int(query["zoom"][0])
    _shot(other, "colleague_sees_the_same_view")
    colleague.close()
    officer.close()


def _select(page, label: str, option: str, *, scope=None) -> None:
    """Choose ``option`` in the Streamlit selectbox labelled ``label``."""
    box = (scope or page).locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    page.get_by_role("option", name=option, exact=True).first.click()
    page.wait_for_timeout(300)


def _metric(page, label: str) -> int:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    value = metric.locator('[data-testid="stMetricValue"]').inner_text()
    return int(value.replace(",", ""))


def test_analyst_imports_a_month_and_sees_it_at_once(app_url, browser):
    base = app_url["url"]
    context, page = _open_signed_in(browser, base, "ana")
    _heading(page, "Safer Places")
    before = _metric(page, "Incidents")
    _nav(page, "Map", "Map")
    _map_frame(page)
    months = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').first
    assert "Oct 2026" in months.inner_text()
    assert "Nov 2026" not in months.inner_text()
    new = app_url["folder"] / "november.csv"
    pd.DataFrame(
        {
            "latitude": [52.80 + 0.001 * i for i in range(25)],
            "longitude": [-2.10] * 25,
            "month": ["2026-11"] * 25,
            "category": ["Drugs"] * 25,
        }
    ).to_csv(new, index=False)
    _nav(page, "Import", "Import data")
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Incident files")
    uploader.locator('input[type="file"]').first.set_input_files(str(new))
    page.get_by_role("button", name="Import", exact=True).wait_for(timeout=60_000)
    _settle(page)
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_role("heading", name="Import report").wait_for(timeout=120_000)
    _settle(page)
    _shot(page, "analyst_import_report")
    _nav(page, "Map", "Map")
    _map_frame(page)
    months = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').first
    assert "Nov 2026" in months.inner_text()  # the range now ends at the new month
    assert "to Nov 2026" in page.get_by_text(re.compile(r"to Nov 2026; kinds")).first.inner_text()
    _shot(page, "analyst_map_has_the_new_month")
    _nav(page, "Home", "Safer Places")
    after = _metric(page, "Incidents")  # totals carry the cell-key method's small noise
    assert abs(after - (before + 25)) <= 6, (before, after)
    _shot(page, "analyst_home_counts_it")
    context.close()


#: Places a panel named from referrals: the fixture's real batch removed the samples' register.
PANEL_PLACES = (
    ("Market Square", 52.801, -2.101),
    ("Bus station", 52.805, -2.095),
    ("Canal towpath", 52.798, -2.11),
)


def _panel_register(folder: Path) -> tuple[str, int]:
    """Put the panel's places on the register (once); return the first (name, id) by name."""
    engine = db.get_engine(f"sqlite:///{folder / 'store.db'}")
    try:
        with Session(engine) as session, session.begin():
            held = set(session.scalars(select(Hotspot.name)))
            for name, lat, lon in PANEL_PLACES:
                if name not in held:
                    reg.add_place_of_concern(
                        session,
                        actor=OPERATOR,
                        name=name,
                        lat=lat,
                        lon=lon,
                        reason="Referrals to the panel",
                    )
        with Session(engine) as session:
            rows = session.execute(select(Hotspot.name, Hotspot.id).where(Hotspot.is_active))
            return min(tuple(row) for row in rows)
    finally:
        engine.dispose()
        db.clear_engines()


def test_panel_sorts_records_a_status_and_a_decision_once_and_downloads_a_pack(app_url, browser):
    base = app_url["url"]
    first = _panel_register(app_url["folder"])
    assert first[0] == "Bus station"  # not the first by priority (ties go by number)
    context, page = _open_signed_in(browser, base, "ana", accept_downloads=True)
    page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=120_000)
    _nav(page, "Hotspots", "Hotspots")
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    # Sort the register by name: the hotspot list below follows the table's order.
    _select(page, "Sort the register by", "name")
    _settle(page)
    page.get_by_text(re.compile(r"Sorted by name\.")).first.wait_for(timeout=60_000)
    # The detail opens on the first place of the sorted list: the first name alphabetically.
    _shot(page, "panel_register_sorted")
    # The chosen option is shown in the box itself (an input in current Streamlit, not text).
    page.wait_for_function(
        """(want) => [...document.querySelectorAll('[data-testid="stSelectbox"]')].some(
            (box) => box.textContent.includes("Hotspot") && (box.textContent.includes(want)
              || [...box.querySelectorAll("input")].some((i) => i.value.includes(want))))""",
        arg=f"#{first[1]} {first[0]}",
        timeout=60_000,
    )
    page.get_by_role("heading", name="Hotspot detail").scroll_into_view_if_needed()
    _shot(page, "panel_detail_opens_on_the_first_by_name")
    # Record a status once; the same status again is refused with a message.
    form = page.locator('[data-testid="stForm"]').filter(has_text="Change status").first
    form.scroll_into_view_if_needed()
    _select(page, "Status", "closed", scope=form)
    form.get_by_role("textbox", name="Why (the meeting's reason)").fill("No incidents since June")
    form.get_by_role("button", name="Save status").click()
    _settle(page)
    page.get_by_text(re.compile(r"Status of #\d+ saved: closed")).wait_for(timeout=60_000)
    _shot(page, "panel_status_saved")
    form = page.locator('[data-testid="stForm"]').filter(has_text="Change status").first
    form.get_by_role("textbox", name="Why (the meeting's reason)").fill("Again")
    form.get_by_role("button", name="Save status").click()
    _settle(page)
    page.get_by_text("the status is already 'closed'").wait_for(timeout=60_000)
    # A decision once: the form clears; the same decision again is refused.
    notes = page.locator('[data-testid="stForm"]').filter(has_text="Record a meeting decision")
    decision = notes.get_by_role("textbox", name="Decision")
    decision.fill("Ask licensing to visit the late-night takeaways")
    notes.get_by_role("textbox", name="Owner").fill("Licensing")
    notes.get_by_role("button", name="Save decision").click()
    _settle(page)
    page.get_by_text(re.compile(r"Decision recorded for #\d+")).wait_for(timeout=60_000)
    notes = page.locator('[data-testid="stForm"]').filter(has_text="Record a meeting decision")
    assert notes.get_by_role("textbox", name="Decision").input_value() == ""
    _shot(page, "panel_decision_recorded")
    notes.get_by_role("textbox", name="Decision").fill(
        "Ask licensing to visit the late-night takeaways"
    )
    notes.get_by_role("textbox", name="Owner").fill("Licensing")
    notes.get_by_role("button", name="Save decision").click()
    _settle(page)
    page.get_by_text("this decision is already recorded for that meeting").wait_for(timeout=60_000)
    _shot(page, "panel_same_decision_refused")
    # The pack.
    _nav(page, "Meeting pack", "Meeting pack")
    page.get_by_role("button", name="Make the pack").click()
    download_button = page.get_by_role("button", name="Download the PDF")
    download_button.wait_for(timeout=240_000)
    _settle(page)
    _shot(page, "panel_pack_ready")
    with page.expect_download(timeout=60_000) as info:
        download_button.click()
    path = ARTIFACTS / "panel_pack.pdf"
    info.value.save_as(str(path))
    assert path.read_bytes().startswith(b"%PDF")
    first_page = PdfReader(path).pages[0].extract_text()
    assert "Strategy meeting pack" in first_page
    context.close()


VIEWER = f"viewer: {ROLES['viewer']}"


def test_administrator_adds_re_roles_and_disables_a_user(app_url, browser):
    base = app_url["url"]
    admin, page = _open_signed_in(browser, f"{base}/users", "ada")  # a deep link
    _heading(page, "Users")
    add = page.locator('[data-testid="stForm"]').filter(has_text="Add a user").first
    add.get_by_role("textbox", name="User name").fill("dora")
    add.get_by_role("textbox", name="Full name").fill("Dora Example")
    _select(
        page,
        "Role",
        "analyst: Community safety officer: imports, hotspots, all districts",
        scope=add,
    )
    add.get_by_role("button", name="Add user").click()
    _settle(page)
    added = page.get_by_text("Added dora.")
    added.wait_for(timeout=60_000)
    one_time = page.locator('[data-testid="stAlert"] code').first.inner_text().strip()
    assert len(one_time) >= 15
    _shot(page, "admin_added_a_user")

    # Dora signs in with the one-time password: she must choose her own first.
    dora, her = _open_signed_in(browser, base, "dora", one_time)
    her.get_by_role("textbox", name="New password").first.wait_for(timeout=120_000)

    # The change form starts from the chosen user's current role: the new one is chosen.
    _select(page, "User", "dora")
    change = page.locator('[data-testid="stForm"]').filter(has_text="Save changes").first
    _select(page, "Role", VIEWER, scope=change)
    change.get_by_role("button", name="Save changes").click()
    _settle(page)
    page.get_by_text("Saved dora: viewer, active.").wait_for(timeout=60_000)
    _shot(page, "admin_re_roled_a_user")
    _select(page, "User", "dora")
    change = page.locator('[data-testid="stForm"]').filter(has_text="Save changes").first
    change.get_by_text("disabled", exact=True).click()
    change.get_by_role("button", name="Save changes").click()
    _settle(page)
    page.get_by_text("Saved dora: viewer, disabled").wait_for(timeout=60_000)
    _shot(page, "admin_disabled_a_user")

    # Her open session ends at once, and she cannot sign in again.
    her.reload(wait_until="domcontentloaded")
    her.get_by_role("textbox", name="User name").wait_for(timeout=120_000)
    _sign_in(her, "dora", one_time)
    her.get_by_text("this account is disabled").wait_for(timeout=60_000)
    _shot(her, "disabled_user_cannot_sign_in")
    dora.close()
    admin.close()


def test_analyst_recomputes_hotspots_and_the_register_and_map_show_them(app_url, browser):
    """The run a panel asks for before a meeting: DBSCAN over the last 12 months, from the page."""
    base = app_url["url"]
    context, page = _open_signed_in(browser, base, "ana")
    page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=120_000)
    _nav(page, "Hotspots", "Hotspots")
    page.get_by_text("Recompute hotspots").first.click()
    form = page.locator('[data-testid="stForm"]').filter(has_text="Distance (metres)").first
    form.wait_for(timeout=60_000)
    _shot(page, "hotspots_recompute_form")
    form.get_by_role("button", name="Compute and update the register").click()
    done = page.get_by_text(re.compile(r"Run \d+ \(.*\): \d+ hotspots? \(\d+ new")).first
    done.wait_for(timeout=180_000)
    _settle(page)
    found = int(re.search(r": (\d+) hotspots?", done.inner_text()).group(1))
    assert found > 0, done.inner_text()
    # the register lists them and the map draws their outlines
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    _shot(page, "hotspots_after_recompute")
    page.locator("iframe").first.scroll_into_view_if_needed()
    frame = page.frame_locator("iframe").first
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    _shot(page, "hotspots_map_after_recompute")
    text = page.locator("body").inner_text()
    assert "Traceback" not in text
    assert "The register is empty" not in text
    context.close()
