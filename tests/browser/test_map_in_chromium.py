"""The Map page in real headless Chromium: hexagons, legend, escaped tooltips, a screenshot.

Runs the app as a subprocess on a prepared SQLite store, drives Debian's /usr/bin/chromium with
Playwright (no browser download), and keeps screenshots under ``test-artifacts/``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from assessments import db
from assessments.samples import load_samples
from layers.hexes import _RAMP, _SUPPRESSED_FILL
from tests.browser.server import (
    CHROMIUM,
    launch_browser,
    serve_app,
)
from tests.conftest import import_frame

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]
EVIL = '<img src=x onerror="window.__pwned=1">Drugs'


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'store.db'}"
    engine = db.get_engine(url)
    db.migrate(engine)
    load_samples(engine)
    # A malicious category name must reach the page only as text.
    evil = pd.DataFrame(
        {
            "lat": [52.78] * 12,
            "lon": [-2.02] * 12,
            "month": ["2026-10"] * 12,
            "category": [EVIL] * 12,
            "kind": ["incident"] * 12,
        }
    )
    import_frame(engine, evil, folder / "evil.csv", is_sample=True)
    engine.dispose()
    db.clear_engines()
    with serve_app(url, folder) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with launch_browser() as chromium:
        yield chromium


def _map_frame(page):
    """The folium map lives in an iframe inside the streamlit-folium component iframe."""
    deadline = time.monotonic() + 180  # generous: a shared machine may be busy (no timing test)
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                if frame.locator("path.leaflet-interactive").count() > 0:
                    return frame
            except Exception:
                continue
        page.wait_for_timeout(500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map_failure.png"))
    raise AssertionError(f"no Leaflet hexagons appeared; frames: {[f.url for f in page.frames]}")


def test_map_page_draws_hexagons_legend_and_escaped_tooltips(app_url, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    started = time.monotonic()
    page.goto(
        f"{app_url}/map?from=2026-05-01&to=2026-10-01&kind=incident&res=9",
        wait_until="domcontentloaded",
    )
    frame = _map_frame(page)
    seconds = time.monotonic() - started
    hexagons = frame.locator("path.leaflet-interactive")
    assert hexagons.count() > 50
    legend = frame.locator("#saferplaces-legend")
    assert legend.count() == 1
    # The key starts as one line out of the way (not a quarter of the map), and opens on a
    # click to show every bin, the suppressed grey and the disclosure rule.
    key_box = legend.bounding_box()
    map_box = frame.locator(".leaflet-container").first.bounding_box()
    assert key_box
    assert map_box
    assert key_box["width"] * key_box["height"] < 0.06 * map_box["width"] * map_box["height"]
    assert "incidents" in legend.inner_text()
    legend.locator("summary").click()
    assert "fewer than 5" in legend.inner_text()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "map_page.png"), full_page=False)
    # Hover every hexagon until one shows the malicious category... the tooltip only shows
    # counts, so look at the page's DOM instead: no injected <img> anywhere, nothing executed.
    assert frame.locator("img[src='x']").count() == 0
    assert frame.evaluate("() => window.__pwned === undefined")
    # Each hexagon is coloured from its own feature (no per-feature switch in the page): the
    # fills drawn are the legend's colours, several of them, and grey for suppressed cells.
    fills = set(
        frame.evaluate(
            "() => [...document.querySelectorAll('path.leaflet-interactive')]"
            ".map(p => p.getAttribute('fill'))"
        )
    ) - {"none"}
    assert fills <= {*_RAMP, _SUPPRESSED_FILL}
    assert len(fills) >= 2
    target = hexagons.nth(hexagons.count() // 2)
    box = target.bounding_box()
    assert box is not None
    frame.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(800)
    assert frame.locator(".leaflet-tooltip").first.inner_text().startswith("Incidents")
    assert target.get_attribute("stroke-width") == "2"  # highlighted under the pointer
    page.screenshot(path=str(ARTIFACTS / "map_tooltip.png"))
    (ARTIFACTS / "map_timing.txt").write_text(f"map drawn in {seconds:.1f} s\n")
    page.close()


def test_malicious_category_is_text_in_the_hexagon_detail(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(
        f"{app_url}/map?from=2026-10-01&to=2026-10-01&kind=incident&res=10",
        wait_until="domcontentloaded",
    )
    frame = _map_frame(page)
    page.wait_for_timeout(1000)
    # The Streamlit multiselect offers the category as plain text, never as markup.
    assert page.locator("img[src='x']").count() == 0
    assert frame.evaluate("() => window.__pwned === undefined")
    assert page.evaluate("() => window.__pwned === undefined")
    page.close()


def test_clicking_a_hexagon_shows_its_counts(app_url, browser):
    """The map hands clicks back to the page (the component is fed pre-rendered, cached maps)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(
        f"{app_url}/map?from=2026-05-01&to=2026-10-01&kind=incident&res=8",
        wait_until="domcontentloaded",
    )
    frame = _map_frame(page)
    hint = page.get_by_text("Click a hexagon on the map to see its counts")
    hint.wait_for()
    tables = page.locator("[data-testid='stDataFrame']")
    before = tables.count()
    hexagons = frame.locator("path.leaflet-interactive")
    box = hexagons.nth(hexagons.count() // 2).bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hint.wait_for(state="detached", timeout=180_000)
    # its counts by category and by month: two more tables
    tables.nth(before + 1).wait_for(timeout=60_000)
    assert page.get_by_text("No matching incidents in that hexagon.").count() == 0
    page.close()
