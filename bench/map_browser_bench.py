"""Map page in headless Chromium: from click to drawn map, on the samples.

    uv run python bench/map_browser_bench.py [--runs 5]

Starts the app on a store with the synthetic samples, opens the Map page once (warm-up), then
clicks "Map" in the navigation from the Home page several times and measures the time until the
hexagons are drawn. Target: under 3 s. Needs Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT

from assessments import db
from assessments.samples import load_samples

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _hexagons_drawn(page, timeout_s: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                if frame.locator("path.leaflet-interactive").count() > 20:
                    return
            except Exception:
                continue
        page.wait_for_timeout(50)
    raise TimeoutError("the map did not draw")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'store.db'}"
        engine = db.get_engine(url)
        db.migrate(engine)
        load_samples(engine)
        engine.dispose()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "app.py"),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
            ],
            cwd=ROOT,
            env={**os.environ, "SAFERPLACES_DATABASE_URL": url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            time.sleep(3)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                started = time.perf_counter()
                page.goto(f"{base}/map", wait_until="domcontentloaded")
                _hexagons_drawn(page)
                cold = time.perf_counter() - started
                times = []
                for _ in range(args.runs):
                    page.get_by_role("link", name="Home", exact=True).click()
                    page.get_by_text("Incidents by month").wait_for()
                    started = time.perf_counter()
                    page.get_by_role("link", name="Map", exact=True).click()
                    _hexagons_drawn(page)
                    times.append(time.perf_counter() - started)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=20)
    print(
        f"map page, samples (default filters, res 8): first open {cold:.2f} s; click to drawn "
        f"map: median {statistics.median(times):.2f} s, max {max(times):.2f} s "
        f"over {len(times)} clicks"
    )


if __name__ == "__main__":
    main()
