"""The missing-episode pages on the samples: import, hotspot links, flows, performance."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assessments.episodes import load_episodes
from assessments.samples import load_samples

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sample_store(configured):
    load_samples(configured)
    return configured


def test_import_page_imports_episodes_all_or_nothing(sample_store):
    before = len(load_episodes(sample_store))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/import_data.py").run()
    at.radio(key="import_what").set_value("Missing episodes").run()
    assert not at.exception

    def upload(name, text):
        at.file_uploader(key="import_episode_file").set_value((name, text.encode(), "text/csv"))
        at.run()
        next(b for b in at.button if b.label == "Import episodes").click()
        at.run()
        assert not at.exception

    upload("bad.csv", "episode_ref,child_ref,start_date\nQ1,C1,2025-01-01\nQ2,,2025-01-02\n")
    assert any("line 3: no child reference" in e.value for e in at.error)
    assert len(load_episodes(sample_store)) == before
    upload("good.csv", "episode_ref,child_ref,start_date\nQ1,C1,2025-01-01\nQ2,C1,2025-01-02\n")
    assert any("2 episodes stored" in s.value for s in at.success)
    assert len(load_episodes(sample_store)) == before + 2


def test_hotspot_detail_shows_missing_episode_links(sample_store):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("app_pages/hotspots.py").run()
    assert not at.exception
    assert any("Missing episodes and exploitation" in m.value for m in at.markdown)
    tables = [t.value for t in at.dataframe if "co-location quotient" in t.value.columns]
    assert len(tables) == 1
    assert tables[0]["co-location quotient"].iloc[0] != ""
    assert any("Spearman" in m.value or "Too few" in m.value for m in at.markdown)
    assert any("Leslie & Kronenfeld" in c.value for c in at.caption)


def test_map_draws_the_flow_layer_with_protected_counts(sample_store):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("app_pages/map.py").run()
    at.checkbox(key="map_flows").check().run()
    assert not at.exception
    note = next(c.value for c in at.caption if c.value.startswith("Missing-episode flows"))
    drawn = int(note.split(": ")[1].split(" ")[0])
    assert drawn > 0
    table = next(t.value for t in at.dataframe if "went missing from" in t.value.columns)
    assert len(table) > 0
    # perturbed by the cell key method (not rounded): never shown below the threshold
    assert all(v == "fewer than 5" or int(v) >= 5 for v in table["episodes"])


def test_performance_page_shows_rhi_re_referrals_and_trends(sample_store):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("app_pages/performance.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Missing episodes (notifications)"]) > 100
    assert metrics["Re-referral rate"].endswith("%")
    assert metrics["Repeat-location rate (%)"] is not None
    monthly = next(t.value for t in at.dataframe if "re-referral rate" in t.value.columns)
    assert len(monthly) >= 12
    rhi = next(
        t.value
        for t in at.dataframe
        if "within 72 hours" in t.value.columns and "district" in t.value.columns
    )
    assert set(rhi["district"]) & {"Northbrook (synthetic)"}
    assert any(b.label == "Download the framework (XLSX)" for b in at.get("download_button"))
    work = next(t.value for t in at.dataframe if "hotspots identified" in t.value.columns)
    assert len(work) >= 12


def test_performance_command_prints_protected_json(sample_store, capsys):
    import json

    from cli.main import main

    assert main(["performance", "--json", "--profile", "publication"]) == 0
    out = json.loads(capsys.readouterr().out)
    measures = {r["measure"]: r["shown"] for r in out["missing_episodes"]}
    assert int(measures["Missing episodes (notifications)"]) >= 10
    assert measures["Re-referral rate"].endswith("%")
    assert out["episodes_by_month"]
    for row in out["rhi_by_month_and_district"]:
        for column in ("notifications", "offered", "accepted", "within 72 hours"):
            value = row[column]
            assert value == "c" or int(value) == 0 or int(value) >= 10  # perturbed, not rounded
    assert any(r["measure"] == "Repeat-location rate (%)" for r in out["headline"])


def test_workflow_trends_add_up_to_the_headline(sample_store):
    import datetime as dt

    from assessments.episode_performance import workflow_trends
    from assessments.performance import performance_report

    start = (dt.date.today().replace(day=1) - dt.timedelta(days=365)).replace(day=1)
    end = dt.date.today()
    trends = workflow_trends(sample_store, start=start, end=end)
    headline = performance_report(sample_store, start=start, end=end).headline.set_index("measure")[
        "value"
    ]
    assert len(trends) >= 12
    for column, measure in (
        ("hotspots assessed", "Hotspots assessed"),
        ("assessments completed", "Assessments completed"),
    ):
        assert trends[column].sum() == headline[measure], column
    assert trends["hotspots identified"].sum() > 0
