"""Every page on the bundled samples, as the demo analyst a zero-configuration start signs in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from assessments.models import District
from assessments.samples import load_samples

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "home",
    "map",
    "hotspots",
    "sites",
    "actions",
    "coverage",
    "performance",
    "import_data",
    "account",
    "glossary",
]


@pytest.fixture
def sample_store(configured):
    load_samples(configured)
    return configured


def test_every_page_renders_on_the_samples(sample_store):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert any("Synthetic sample data" in i.value for i in at.info)  # the banner
    assert any("Demo analyst" in c.value for c in at.caption)
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert at.title[0].value  # every page says what it is
    at.switch_page("app_pages/home.py").run()
    assert [m.label for m in at.metric][:3] == ["Incidents", "Missing-from / found-at", "Districts"]
    # Home's totals are the protected ones `saferplaces status` prints (one disclosure path).
    from assessments.store import shown_summary, store_summary
    from geo.disclosure import INTERNAL

    shown = shown_summary(store_summary(sample_store), INTERNAL)["by_kind"]
    assert at.metric[0].value == f"{int(shown['incident']):,}"
    assert at.metric[1].value.replace(",", "") == f"{shown['missing_from']} / {shown['found_at']}"
    # By district: each district once, under its own code, with its own counts.
    with Session(sample_store) as session:
        stored = dict(session.execute(select(District.code, District.name)).all())
    table = at.dataframe[0].value
    named = table[table["code"].notna()]
    assert dict(zip(named["code"], named["name"], strict=True)) == stored
    assert len(named) == len(stored)
    assert (named["incident"].str.replace(",", "").astype(int) > 1_000).all()


def test_map_filters_and_missing_from_coarsening(sample_store):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception
    assert any("kinds: incident" in c.value.replace("\\", "") for c in at.caption)
    at.multiselect(key="map_kinds").set_value(["missing_from"])
    at.select_slider(key="map_res").set_value(9)
    at.run()
    assert not at.exception
    assert any("never shown finer than H3 resolution 7" in w.value for w in at.warning)
    assert at.query_params["kind"] in ("missing_from", ["missing_from"])  # shareable URL
    at.multiselect(key="map_flags").set_value(["cse"])
    at.multiselect(key="map_kinds").set_value(["incident"])
    at.run()
    assert not at.exception
    assert any("flags: child sexual exploitation" in c.value.replace("\\", "") for c in at.caption)
    at.radio(key="map_analysis").set_value("Gi* (whole period)")
    at.run()
    assert not at.exception
    assert any("Hot spot analysis (Gi*" in c.value for c in at.caption)
    at.radio(key="map_analysis").set_value("emerging (month by month)")
    at.run()
    assert not at.exception
    assert any("Hot spot analysis" in c.value for c in at.caption)
    at.radio(key="disclosure_profile").set_value("publication")
    at.run()
    assert not at.exception
    assert any("Publication profile:" in c.value and "not shown" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Prepare a map image (PNG)").click()
    at.run()
    assert not at.exception


def test_hotspots_page_lists_the_register_with_priorities(sample_store):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/hotspots.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) >= 6
    assert table["priority"].is_monotonic_decreasing
    assert "Old quarry lane (named by the MACE panel)" in table["name"].tolist()
    # Plain words: district names, trends as arrows and words, no parameter names in captions;
    # the parameters and the formula wait in an expander.
    assert not table["districts"].str.contains("X0000").any()
    assert set(table["trend"]) <= {
        "↑ rising",
        "↓ falling",
        "→ steady",
        "no data",
        "· too few months to tell",
    }
    assert not any(re.search(r"\beps\b|min_samples", c.value) for c in at.caption)
    assert any("priority = log2" in m.value for m in at.markdown)
    assert any("150 metres" in m.value for m in at.markdown)


def test_import_page_reports_each_file_and_ends_the_demo_when_real_data_arrives(
    sample_store, police_uk_files
):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/import_data.py").run()
    assert not at.exception

    def upload(path):
        at.file_uploader(key="import_files").set_value((path.name, path.read_bytes(), "text/csv"))
        at.run()
        next(b for b in at.button if b.label == "Import").click()
        at.run()
        assert not at.exception
        return at.dataframe[0].value

    # The samples file again: a duplicate, and the page says which batch holds it.
    report = upload(ROOT / "data" / "samples" / "synthetic_incidents.csv")
    assert report["duplicate"].tolist() == [True]
    assert any("already imported as batch" in c.value for c in at.caption)
    assert not at.warning

    # A real police.uk month: stored, its "no location" rows listed and downloadable.
    report = upload(police_uk_files[0])
    row = report.iloc[0]
    assert row["stored"] > 0
    assert row["read"] == row["stored"] + row["rejected"]
    assert any(b.label == "Download every rejected row (CSV)" for b in at.get("download_button"))
    assert any("demo sign-in ends with your next click" in w.value for w in at.warning)

    at.run()  # the next click: real data is in, so the demo analyst is signed out
    assert not any("Demo analyst" in c.value for c in at.caption)
    assert at.text_input  # the sign-in form


def test_map_and_home_follow_new_data_at_once(sample_store, tmp_path):
    """The data version is part of every cache key: new incidents show on the next run.

    The cached loaders took it as ``_version``, and Streamlit leaves ``_``-prefixed arguments
    out of the key, so a page went on showing the store as it was for up to an hour.
    """
    from assessments.imports import import_files

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/home.py").run()
    before = next(m.value for m in at.metric if m.label == "Incidents")
    at.switch_page("app_pages/map.py").run()
    months = next(s for s in at.select_slider if s.label == "Months")
    assert months.options[-1] == "Oct 2026"
    path = tmp_path / "november.csv"
    rows = ["latitude,longitude,category,month"] + ["52.80,-2.10,Drugs,2026-11"] * 25
    path.write_text("\n".join(rows) + "\n")
    import_files(sample_store, [path], is_sample=True)
    at.run()
    assert not at.exception
    months = next(s for s in at.select_slider if s.label == "Months")
    assert months.options[-1] == "Nov 2026"
    at.switch_page("app_pages/home.py").run()
    assert next(m.value for m in at.metric if m.label == "Incidents") != before


def test_map_is_built_once_per_data_version_and_parameters(sample_store, monkeypatch):
    """Going back to the Map with the same filters serves the whole map from the data cache.

    Building the hexagon layer (outlines, colours, JSON) was most of the page's server time for
    thousands of hexagons, and the page rebuilt it on every visit and every click.
    """
    import layers.hexes

    built: list[int] = []
    real = layers.hexes.hex_layer

    def counting(cells, **kwargs):  # type: ignore[no-untyped-def]
        built.append(len(cells))
        return real(cells, **kwargs)

    monkeypatch.setattr(layers.hexes, "hex_layer", counting)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception
    assert len(built) == 1
    at.switch_page("app_pages/home.py").run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception
    assert len(built) == 1  # from the cache
    at.select_slider(key="map_res").set_value(9).run()
    assert not at.exception
    assert len(built) == 2  # new parameters: a new map
