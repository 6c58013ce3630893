"""User text is shown as text in real Chromium: a Markdown image in it fetches nothing (issue 14).

A place of concern's name and reason, a site's name and a user's full name all hold
``![b](http://127.0.0.1:PORT/...)`` pointing at a small HTTP server of the test. The test signs in,
opens the pages that show those texts, and asserts that server never received a request.
"""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import geopandas as gpd
import pytest
from sqlalchemy.orm import Session

from assessments import db, register, sites
from assessments.imports import import_districts
from assessments.samples import SAMPLES_DIR
from assessments.users import add_user
from cli.identity import OPERATOR
from geo.text import WORD_JOINER
from tests.browser.server import (
    CHROMIUM,
    goto,
    launch_browser,
    serve_app,
    wait_until_idle,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "a long pass phrase for the browser"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def recorder():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, recorder):
    base, _ = recorder
    folder = tmp_path_factory.mktemp("usertext")
    url = f"sqlite:///{folder / 'store.db'}"
    engine = db.get_engine(url)
    db.migrate(engine)
    boundaries = SAMPLES_DIR / "synthetic_districts.geojson"
    import_districts(engine, boundaries, actor=OPERATOR)
    centre = gpd.read_file(boundaries).geometry.iloc[0].representative_point()
    with Session(engine) as session, session.begin():
        add_user(
            session,
            actor=OPERATOR,
            username="texts",
            role="admin",
            password=PASSWORD,
            display_name=f"![u]({base}/user.png)",
        )
        register.add_place_of_concern(
            session,
            actor=OPERATOR,
            name=f"![n]({base}/place-name.png)",
            lat=centre.y,
            lon=centre.x,
            reason=f'![r]({base}/reason.png) <img src="{base}/reason-html.png">',
        )
        sites.create_site(
            session,
            actor=OPERATOR,
            data=sites.SiteIn(
                name=f"![s]({base}/site.png)",
                site_type=next(iter(sites.list_site_types(session))),
                lat=centre.y,
                lon=centre.x,
            ),
        )
    engine.dispose()
    db.clear_engines()
    with serve_app(url, folder) as base:
        yield base


def _settle(page, title: str) -> None:
    page.get_by_role("heading", name=title, level=1).first.wait_for(timeout=120_000)
    wait_until_idle(page)
    page.wait_for_timeout(2500)  # images would load by now


def test_markdown_in_user_text_makes_the_browser_fetch_nothing(app_url, recorder):
    base, hits = recorder
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        goto(page, app_url)
        _settle(page, "Safer Places")
        page.get_by_role("textbox", name="User name").fill("texts")
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        nav = page.locator('[data-testid="stSidebarNav"]')
        nav.wait_for(timeout=120_000)
        seen, links = {}, {}
        for link, title in {"Hotspots": "Hotspots", "Sites & assessments": "Sites"}.items():
            nav.get_by_role("link", name=link, exact=True).click()
            _settle(page, title)
            if title == "Sites":
                page.get_by_role("tab", name="Site", exact=True).click()
                page.wait_for_timeout(2500)
            shot = ARTIFACTS / f"user_text_{title.lower()}.png"
            page.screenshot(path=str(shot), full_page=True, timeout=120_000)
            seen[title] = page.locator("body").inner_text().replace(WORD_JOINER, "")
            links[title] = page.locator(f'a[href^="{base}"]').count()
    assert hits == [], f"the browser fetched {hits} from user text"
    assert links == {"Hotspots": 0, "Sites": 0}  # not even a link to click
    # The texts are on the pages, as typed.
    assert f"Added by hand: ![r]({base}/reason.png)" in seen["Hotspots"]
    assert f"![u]({base}/user.png)" in seen["Hotspots"]
    assert f"![s]({base}/site.png)" in seen["Sites"]
