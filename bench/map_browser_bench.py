"""Map page in headless Chromium: from click to drawn map, beside plain folium in the same browser.

    uv run python bench/map_browser_bench.py [--runs 5] [--rows 1000000]

Starts the app on a store with the synthetic samples (or, with ``--rows``, a police.uk-shaped
file of that many rows imported through the real importer), opens the Map page once (warm-up),
then clicks "Map" in the navigation from the Home page several times and measures the time until
every hexagon is drawn. Beside it, in turn with each click, the anchor: the same hexagons (same
cells, colours and tooltips, the page's default filters) as a plain folium HTML file, style in
each feature, with the same local Leaflet, opened in the same Chromium. Prints medians and the
median of the paired ratios. Target: under 3 s, at most 1.5x the plain folium page.
Needs Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, police_uk_csv

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


_COUNT = "() => document.querySelectorAll('path.leaflet-interactive').length"


def _hexagons_drawn(page, expected: int, timeout_s: float = 120) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``expected`` hexagons (or more: district outlines) are drawn in any frame."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate(_COUNT) >= expected:
                    return
            except Exception:
                continue
        page.wait_for_timeout(20)
    raise TimeoutError("the map did not draw")


def _default_view(engine):  # type: ignore[no-untyped-def]
    """The hexagons the Map page shows by default: last 12 months, incidents, resolution 8."""
    import datetime as dt

    import pandas as pd

    from assessments import maps
    from assessments.incidents import month_range
    from geo.disclosure import INTERNAL, protect_counts
    from geo.filters import IncidentFilter

    first, last = month_range(engine)
    months = pd.date_range(first, last, freq="MS")
    filt = IncidentFilter(
        start_month=months[max(0, len(months) - 12)].date(),
        end_month=dt.date.fromisoformat(str(last)[:10]),
        kinds=("incident",),
    )
    raw = maps.count_cells(engine, filt, res=8)
    protected = protect_counts(raw["count"], INTERNAL, keys=raw["keysum"])  # as the page does
    return pd.concat([raw[["h3_cell"]], protected], axis=1)


def _plain_folium(protected, base: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Write the same hexagons as a plain folium page (style carried in each feature)."""
    import folium
    import h3
    import pandas as pd

    from geo.cells import cell_to_str
    from geo.disclosure import INTERNAL
    from layers.hexes import _colormap, hexes_geojson

    scale = _colormap(protected["count"], INTERNAL.threshold)
    colours = [
        "#bdbdbd" if pd.isna(c) else scale(max(c, scale.vmin))[:7]
        for c in protected["count"].tolist()
    ]
    data = hexes_geojson(protected)
    for feature, colour in zip(data["features"], colours, strict=True):
        feature["properties"] = {
            "label": feature["properties"]["label"],
            "style": {"fillColor": colour, "color": "#555555", "weight": 0.4, "fillOpacity": 0.65},
        }
    centres = [h3.cell_to_latlng(cell_to_str(c)) for c in protected["h3_cell"]]
    fmap = folium.Map(tiles="OpenStreetMap", control_scale=True)
    fmap.default_js = [("leaflet", f"{base}/app/static/leaflet/leaflet.js")]
    fmap.default_css = [("leaflet_css", f"{base}/app/static/leaflet/leaflet.css")]
    fmap.fit_bounds(
        [
            [min(c[0] for c in centres), min(c[1] for c in centres)],
            [max(c[0] for c in centres), max(c[1] for c in centres)],
        ]
    )
    folium.GeoJson(
        data, tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=["Incidents"])
    ).add_to(fmap)
    fmap.save(str(path))


def _children(pid: int) -> list[int]:
    """The process ids whose parent is ``pid`` (Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--rows", type=int, default=0, help="a police.uk-shaped store of this many rows"
    )
    parser.add_argument(
        "--store", type=Path, help="keep the store in this SQLite file (reused when it exists)"
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="SVG",
        help="run the server under py-spy and write its profile here: a flame graph (.svg) or "
        "collapsed stacks (any other suffix); pip install py-spy",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        path = args.store or Path(folder) / "store.db"
        fresh = not path.exists()
        url = f"sqlite:///{path}"
        engine = db.get_engine(url)
        db.migrate(engine)
        if fresh and args.rows:
            from assessments.imports import import_files

            # marked as samples so the demo sign-in lets the browser in (the page's work is
            # the same: it never looks at the flag)
            import_files(engine, [police_uk_csv(args.rows)], actor="bench", is_sample=True)
        elif fresh:
            load_samples(engine)
        protected = _default_view(engine)
        expected = len(protected)
        engine.dispose()
        plain = Path(folder) / "plain.html"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        spy = (
            [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--rate",
                "50",
                "--format",
                "flamegraph" if args.py_spy.suffix == ".svg" else "raw",
                "--output",
                str(args.py_spy),
                "--",
            ]
            if args.py_spy
            else []
        )
        process = subprocess.Popen(
            [
                *spy,
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
            _plain_folium(protected, base, plain)
            plain_mb = plain.stat().st_size / 2**20
            time.sleep(3)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                anchor = browser.new_page(viewport={"width": 1400, "height": 1000})
                started = time.perf_counter()
                page.goto(f"{base}/map", wait_until="domcontentloaded")
                _hexagons_drawn(page, expected, timeout_s=600)
                cold = time.perf_counter() - started
                anchor.goto(plain.as_uri())  # warm-up: Leaflet in the browser's cache
                _hexagons_drawn(anchor, expected)
                times, plain_times = [], []
                for _ in range(args.runs):
                    page.get_by_role("link", name="Home", exact=True).click()
                    page.get_by_text("Incidents by month").wait_for()
                    started = time.perf_counter()
                    page.get_by_role("link", name="Map", exact=True).click()
                    _hexagons_drawn(page, expected)
                    times.append(time.perf_counter() - started)
                    anchor.goto("about:blank")
                    started = time.perf_counter()
                    anchor.goto(plain.as_uri(), wait_until="commit")
                    _hexagons_drawn(anchor, expected)
                    plain_times.append(time.perf_counter() - started)
                browser.close()
        finally:
            if args.py_spy:  # py-spy writes its graph when the server ends on SIGINT
                for child in _children(process.pid):
                    os.kill(child, signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=60)
            process.terminate()
            process.wait(timeout=60)
    store = f"{args.rows:,} police.uk-shaped rows" if args.rows else "samples"
    ratios = [a / b for a, b in zip(times, plain_times, strict=True)]
    print(
        f"map page, {store}, default filters at res 8 ({expected:,} hexagons): first open "
        f"{cold:.2f} s; Home to drawn map: median {statistics.median(times):.2f} s "
        f"(max {max(times):.2f} s); plain folium, same hexagons, same Chromium: median "
        f"{statistics.median(plain_times):.2f} s; ratio (paired, median) "
        f"{statistics.median(ratios):.2f}x over {len(times)} runs; plain HTML {plain_mb:.1f} MB"
    )


if __name__ == "__main__":
    main()
