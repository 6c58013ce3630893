"""Newly imported or recorded data reaches every page at once (the cache keys carry versions).

Streamlit leaves arguments whose names start with ``_`` out of a ``st.cache_data`` key, so a data
version passed as ``_version`` keeps stale results for the whole ``ttl``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from assessments import register
from assessments.samples import load_samples
from cli.identity import Operator
from tests.conftest import import_frame

ROOT = Path(__file__).resolve().parents[2]
ANALYST = Operator(username="ana", role="analyst")


def _cached_functions():
    for path in [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                "cache_data" in ast.unparse(d) for d in node.decorator_list
            ):
                yield path.name, node


def test_every_cached_function_keys_on_a_visible_version():
    found = list(_cached_functions())
    assert len(found) >= 5  # hotspots, home, map, words
    for name, function in found:
        params = [a.arg for a in function.args.args + function.args.kwonlyargs]
        hidden = [p for p in params if p.startswith("_")]
        assert not hidden, f"{name}:{function.name} leaves {hidden} out of its cache key"
        assert any("version" in p for p in params), f"{name}:{function.name} has no version"


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def test_a_new_month_reaches_map_and_home_at_once(configured, tmp_path):
    load_samples(configured)  # the demo analyst signs in on samples only
    at = _app().run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception
    months = next(s for s in at.select_slider if s.label == "Months")
    last = months.value[1]  # values are ISO months, options their labels ("Oct 2026")
    assert months.options[-1] == pd.Timestamp(last).strftime("%b %Y")
    at.switch_page("app_pages/home.py").run()
    before = next(m for m in at.metric if m.label == "Incidents").value
    new_month = (pd.Timestamp(last) + pd.DateOffset(months=1)).strftime("%Y-%m")
    frame = pd.DataFrame(
        {
            "lat": [52.8] * 7,
            "lon": [-2.1] * 7,
            "month": [new_month] * 7,
            "category": ["Drugs"] * 7,
            "kind": ["incident"] * 7,
        }
    )
    import_frame(configured, frame, tmp_path / "new.csv", is_sample=True)
    at.run()
    after = next(m for m in at.metric if m.label == "Incidents").value
    # Totals carry the cell-key method's small noise (at most 3 either way).
    gained = int(after.replace(",", "")) - int(before.replace(",", ""))
    assert 1 <= gained <= 13, (before, after)
    at.switch_page("app_pages/map.py").run()
    assert not at.exception
    months = next(s for s in at.select_slider if s.label == "Months")
    assert months.options[-1] == pd.Timestamp(new_month).strftime("%b %Y")
    assert months.value[1] == f"{new_month}-01"  # the range follows the newest month


def test_a_new_place_gets_its_coverage_on_the_hotspots_page_at_once(configured):
    load_samples(configured)
    at = _app().run()
    at.switch_page("app_pages/hotspots.py").run()
    assert not at.exception
    with Session(configured) as session, session.begin():
        register.add_place_of_concern(
            session,
            actor=ANALYST,
            name="Canal towpath",
            lat=52.8,
            lon=-2.1,
            radius_m=150,
            reason="Named by the panel",
        )
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    row = table[table["name"] == "Canal towpath"]
    assert len(row) == 1
    assert row["assessment coverage"].notna().all()
    assert row["assessment coverage"].iloc[0] != "nan"
