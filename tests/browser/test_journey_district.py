"""The district council officer's job in real headless Chromium, and the maps of their pages.

A district officer signs in, adds a site by clicking the map, fills in and submits an
assessment, adds an action; a second officer of the same district signs in and reviews it.
Before that, the Sites, Coverage and Hotspots maps must draw (they once stopped at
"$ is not defined" with a frame of height 0). Screenshots go to ``test-artifacts/district/``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from assessments import db
from assessments.imports import load_districts
from assessments.models import Action, Assessment, Site
from assessments.questionnaire import QUESTIONS
from assessments.samples import load_samples
from assessments.users import add_user
from cli.identity import OPERATOR
from tests.browser.server import (
    CHROMIUM,
    goto,
    launch_browser,
    make_samples_real,
    serve_app,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "district"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not at /usr/bin/chromium"),
]
PASSWORD = "correct horse battery staple 42"
DISTRICT = "X00000001"  # Northbrook (synthetic), in the samples
SITE = "Journey Rec Ground"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("district")
    url = f"sqlite:///{folder / 'store.db'}"
    engine = db.get_engine(url)
    db.migrate(engine)
    load_samples(engine)
    # The council's own store (the samples as real records): the demo sign-in is off, so the
    # sign-in page is shown (a first real import would remove the samples instead).
    make_samples_real(engine)
    with Session(engine) as session, session.begin():
        for name, display in (("nora", "Nora North"), ("olu", "Olu Okafor")):
            add_user(
                session,
                actor=OPERATOR,
                username=name,
                role="district",
                districts=[DISTRICT],
                display_name=display,
                password=PASSWORD,
            )
    inside = load_districts(engine).set_index("code").loc[DISTRICT, "geometry"]
    point = inside.representative_point()
    engine.dispose()
    db.clear_engines()
    with serve_app(url, folder) as base:
        yield {"url": base, "db": url, "inside": (point.y, point.x)}


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with launch_browser() as chromium:
        yield chromium


def _page(browser, errors: list[str]):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(120_000)  # a shared machine may be busy; nothing here is timed
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    return page


def _settled(page) -> None:
    page.wait_for_timeout(800)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and page.locator('[data-testid="stStatusWidget"]').count():
        page.wait_for_timeout(300)
    page.wait_for_timeout(1200)


def _sign_in(page, base: str, username: str) -> None:
    goto(page, base)
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator('[data-testid="stSidebarNav"]').wait_for()


def _open(page, link: str, heading: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", name=heading, level=1).first.wait_for()
    _settled(page)


def _leaflet_frame(page, *, min_shapes: int = 1, nth_map: int = 0):
    """The folium document inside the nth streamlit-folium iframe that shows, once drawn."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        visible = []
        for frame in page.frames:
            try:  # a rerun may detach a frame while it is looked at: look again
                if (
                    frame.locator(".leaflet-map-pane").count()
                    and frame.locator("path.leaflet-interactive").count() >= min_shapes
                    and (frame.frame_element().bounding_box() or {}).get("height", 0)
                ):
                    visible.append(frame)
            except Exception:
                continue
        if len(visible) > nth_map:
            return visible[nth_map]
        page.wait_for_timeout(500)
    return None


def _frame_height(frame) -> float:
    """The height of the streamlit-folium component iframe holding ``frame``."""
    outer = frame.parent_frame.frame_element() if frame.parent_frame.parent_frame else None
    box = (outer or frame.frame_element()).bounding_box()
    return float(box["height"]) if box else 0.0


def test_sites_coverage_and_hotspots_maps_draw(store, browser):
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, store["url"], "nora")
    for link, heading, slug in (
        ("Sites & assessments", "Sites & assessments", "sites"),
        ("Coverage", "Coverage", "coverage"),
        ("Hotspots", "Hotspots", "hotspots"),
    ):
        _open(page, link, heading)
        frame = _leaflet_frame(page)
        page.screenshot(path=str(ARTIFACTS / f"map_{slug}.png"), full_page=True)
        assert frame is not None, f"{link}: no Leaflet shapes drawn; errors: {errors}"
        assert _frame_height(frame) > 200, f"{link}: the map frame has no height"
        assert frame.locator(".leaflet-overlay-pane, .leaflet-marker-pane").count() >= 2
        assert frame.evaluate("() => typeof L") == "object"
        # The "No tiles (offline)" switch draws the same map without OpenStreetMap.
        page.get_by_role("radiogroup", name="Background").get_by_text(
            "No tiles (offline)"
        ).first.click()
        _settled(page)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            offline = _leaflet_frame(page)
            if offline is not None and offline.locator(".leaflet-tile-pane img").count() == 0:
                break
            page.wait_for_timeout(500)
        else:
            raise AssertionError(f"{link}: the map kept its OpenStreetMap tiles")
        page.screenshot(path=str(ARTIFACTS / f"map_{slug}_offline.png"), full_page=True)
        page.get_by_role("radiogroup", name="Background").get_by_text("OpenStreetMap").first.click()
        _settled(page)
    jquery = [e for e in errors if "$ is not defined" in e or "ReferenceError" in e]
    assert not jquery, jquery
    page.close()


def _panel(page):
    return page.locator('[role="tabpanel"]:visible').first


def _choose(page, scope, label: str, option: str) -> None:
    box = scope.get_by_role("combobox", name=label, exact=True)
    for _ in range(6):  # a rerun may close the list as it opens: open it again
        box.click()
        choice = page.get_by_role("option", name=option, exact=True).first
        try:
            choice.wait_for(timeout=10_000)
            choice.click(timeout=10_000)
        except Exception:
            page.keyboard.press("Escape")
            page.wait_for_timeout(500)
            continue
        page.wait_for_timeout(150)
        return
    raise AssertionError(f"could not choose {option!r} in {label!r}")


def _click_map_at(page, frame, lat: float, lon: float) -> None:
    point = frame.evaluate(
        """([lat, lon]) => {
            const map = Object.values(window).find(v => v instanceof L.Map);
            const p = map.latLngToContainerPoint([lat, lon]);
            return [p.x, p.y];
        }""",
        [lat, lon],
    )
    box = frame.locator(".leaflet-container").first.bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])


def test_district_officer_adds_a_site_assesses_it_and_a_colleague_reviews(store, browser):
    errors: list[str] = []
    page = _page(browser, errors)
    _sign_in(page, store["url"], "nora")
    _open(page, "Sites & assessments", "Sites & assessments")

    # 1. A new site, placed by clicking the map: nothing is assumed until the officer chooses.
    page.get_by_role("tab", name="New site").click()
    panel = _panel(page)
    panel.get_by_text("No place chosen yet").wait_for()
    frame = _leaflet_frame(page, nth_map=0)
    assert frame is not None
    page.screenshot(path=str(ARTIFACTS / "1_new_site_before_click.png"))
    _click_map_at(page, frame, *store["inside"])
    panel.get_by_text("Chosen place:").wait_for()
    _settled(page)
    panel = _panel(page)
    panel.get_by_role("textbox", name="Name of the place").fill(SITE)
    panel.get_by_role("textbox", name=re.compile("^Address of the place")).fill("Mill Lane")
    panel.get_by_role("button", name="Add site").click()
    page.get_by_text(f"Added {SITE}").wait_for()
    _settled(page)
    page.screenshot(path=str(ARTIFACTS / "2_site_added.png"))
    assert _panel(page).get_by_text("No place chosen yet").is_visible()  # the choice is spent
    # Sending the same place again is refused, with a clear message.
    _click_map_at(page, _leaflet_frame(page), *store["inside"])
    _panel(page).get_by_text("Chosen place:").wait_for()
    _settled(page)
    _panel(page).get_by_role("textbox", name="Name of the place").fill(SITE)
    _panel(page).get_by_role("button", name="Add site").click()
    page.get_by_text(f"{SITE} is already a site at this place").wait_for()
    page.screenshot(path=str(ARTIFACTS / "3_duplicate_refused.png"))
    with Session(db.get_engine(store["db"])) as session:
        assert session.query(Site).filter_by(name=SITE).count() == 1

    # 2. The assessment: submitted incomplete first, then completed; the red banner goes.
    page.get_by_role("tab", name="Site", exact=True).click()
    _settled(page)
    panel = _panel(page)
    assert panel.get_by_role("heading", name=SITE).is_visible()
    panel.get_by_role("button", name="Save and submit for review").click()
    page.get_by_text("Some answers need attention").wait_for()
    _settled(page)
    panel = _panel(page)
    panel.get_by_role("textbox", name="Assessing organisation").fill("Northbrook District Council")
    for question in QUESTIONS:
        if question.kind == "choice":
            _choose(page, panel, question.label, question.options[1])
    _choose(page, panel, "Risk rating", "high")
    panel.get_by_role("textbox", name="Reasons for the risk rating").fill("Dark, hidden corners")
    panel.get_by_role("textbox", name="Findings").fill("Few guardians after dark; lights broken")
    page.screenshot(path=str(ARTIFACTS / "4_assessment_filled.png"), full_page=True)
    panel.get_by_role("button", name="Save and submit for review").click()
    page.get_by_text("submitted for review").first.wait_for()
    _settled(page)
    page.screenshot(path=str(ARTIFACTS / "5_assessment_submitted.png"), full_page=True)
    assert page.get_by_text("Some answers need attention").count() == 0
    panel = _panel(page)
    assert panel.get_by_text("You wrote this assessment: a colleague reviews it.").is_visible()
    assert panel.get_by_role("button", name="Mark reviewed").count() == 0

    # 3. Actions agreed in the assessment.
    for text, agency in (
        ("Repair the lights on the north path", "Highways"),
        ("Cut back the hedges by the gate", "Parks"),
    ):
        panel = _panel(page)
        panel.get_by_role("textbox", name="What will be done").fill(text)
        panel.get_by_role("textbox", name="Owning agency").fill(agency)
        panel.get_by_role("button", name="Add action").click()
        page.get_by_text(f"Action added for {agency}").wait_for()
        _settled(page)
    page.screenshot(path=str(ARTIFACTS / "6_actions_added.png"), full_page=True)
    assert _panel(page).get_by_text("Repair the lights on the north path").count() >= 1
    page.close()

    # 4. A colleague of the same district reads it and reviews it.
    page = _page(browser, errors)
    _sign_in(page, store["url"], "olu")
    _open(page, "Sites & assessments", "Sites & assessments")
    page.get_by_role("tab", name="Site", exact=True).click()
    _settled(page)
    with Session(db.get_engine(store["db"])) as session:
        site = session.query(Site).filter_by(name=SITE).one()
        assessment = session.query(Assessment).filter_by(site_id=site.id).one()
        assert assessment.status == "submitted"
        assert session.query(Action).filter_by(assessment_id=assessment.id).count() == 2
    _choose(page, _panel(page), "Site", SITE)
    _settled(page)
    _choose(page, _panel(page), "Assessment", f"Assessment {assessment.id} (submitted)")
    _settled(page)
    panel = _panel(page)
    # The read-out draws once the chosen assessment's rerun ends: wait for it, then check.
    panel.get_by_text("Few guardians after dark; lights broken").first.wait_for(timeout=120_000)
    assert panel.get_by_text("Natural guardians and staff").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "7_colleague_reads.png"), full_page=True)
    panel.get_by_role("button", name="Mark reviewed").click()
    page.get_by_text(f"Assessment {assessment.id} marked reviewed by Olu Okafor").wait_for()
    _settled(page)
    page.screenshot(path=str(ARTIFACTS / "8_reviewed.png"), full_page=True)
    assert _panel(page).get_by_text(re.compile(r"^Reviewed by olu on \d")).is_visible()
    with Session(db.get_engine(store["db"])) as session:
        done = session.get(Assessment, assessment.id)
        assert (done.status, done.reviewed_by) == ("reviewed", "olu")
    assert not [e for e in errors if "pageerror" in e], errors
    page.close()
