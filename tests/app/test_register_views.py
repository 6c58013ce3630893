"""The register's scopes, profiles and runs on the Hotspots page, and repeat locations on
Performance (the samples: a whole-area register of incidents and a missing-from register)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from assessments import register as reg
from assessments.samples import load_samples
from geo.disclosure import INTERNAL, protect_counts

ROOT = Path(__file__).resolve().parents[2]
WHOLE_AREA = "incidents; all districts; last 12 months"
MISSING = "missing-from locations; all districts; last 12 months"


@pytest.fixture
def sample_store(configured):
    load_samples(configured)
    return configured


def _hotspots_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/hotspots.py").run()
    assert not at.exception
    return at


def test_every_hotspot_shows_its_scope_in_the_table_and_the_csv(sample_store):
    at = _hotspots_page()
    table = at.dataframe[0].value
    assert set(table["scope"]) == {WHOLE_AREA, MISSING, "named by the panel (not from a run)"}
    assert "times back" in table.columns
    # the CSV download is this table (to_safe_csv of it), scope column included
    assert any(b.label == "Download the list (CSV)" for b in at.get("download_button"))


def test_the_register_can_be_narrowed_to_one_scope(sample_store):
    at = _hotspots_page()
    choose = next(s for s in at.selectbox if s.label.startswith("Scope"))
    assert choose.options[0] == "every scope"
    assert {WHOLE_AREA, MISSING} <= set(choose.options)
    choose.select(MISSING).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["scope"]) == {MISSING}
    assert len(table) == 6


def test_hotspot_detail_shows_protected_profiles_and_the_runs_that_found_it(sample_store):
    at = _hotspots_page()
    assert any(t.value.startswith("Scope: ") for t in at.text)
    labels = [t.label for t in at.tabs]
    # the synthetic incidents record ages, flags, hours and dates: every profile is there
    assert labels[:5] == [
        "Age bands",
        "Exploitation flags",
        "Hour of day",
        "Day of the week",
        "Kinds",
    ]
    frames = [d.value for d in at.dataframe]
    profile_tables = [f for f in frames if list(f.columns) == ["incidents"]]
    # Each profile is perturbed by the cell key method with the key sums kept by the run, the
    # same numbers a service call gives (not rounded: the samples' runs kept their keys).
    chosen = int(next(s for s in at.selectbox if s.label == "Hotspot").value)
    with Session(sample_store) as session:
        counts = reg.hotspot_profiles(session, chosen)
        keys = reg.hotspot_profile_keys(session, chosen)
    assert all(k.notna().all() for k in keys.values())
    expected = [
        protect_counts(counts[dim], INTERNAL, keys=keys[dim])["label"].tolist() for dim in counts
    ]
    shown = [f["incidents"].tolist() for f in profile_tables]
    for labels in expected:
        assert labels in shown
    assert any(label.isdigit() and int(label) % 5 for labels in shown for label in labels)
    runs = next(f for f in frames if "relation" in f.columns)
    assert set(runs["relation"]) <= {"new", "continued", "split-from", "merged-from", "recurred"}
    assert "keysum" not in runs.columns  # key sums are never shown


def test_performance_shows_the_repeat_location_rate(sample_store):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/performance.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Places found by runs"] == "12"  # 6 places of incidents, 6 of missing-from
    assert metrics["Places that recurred"] == "0"
    assert metrics["Repeat-location rate (%)"] == "0.0"
    # Workflow counts (hotspots, assessments, actions) are exact, as on the Coverage page.
    for label in ("Hotspots identified", "Assessments completed", "Actions open and late"):
        assert metrics[label].replace(",", "").isdigit(), (label, metrics[label])
    assert any(
        0 < int(v.replace(",", "")) < 5 or int(v.replace(",", "")) % 5
        for v in (
            metrics[label]
            for label in (
                "Assessments completed",
                "Actions completed",
                "Actions open and late",
                "Hotspots assessed",
            )
        )
    )  # at least one figure a rounding or suppression would have changed
    repeats = next(d.value for d in at.dataframe if "recurred" in d.value.columns)
    assert repeats["scope"].tolist() == [WHOLE_AREA, MISSING, "all scopes"]
    assert repeats["places"].tolist() == [6, 6, 12]


def test_performance_figures_agree_between_page_and_cli(sample_store, capsys):
    """The same headline on the page and in `saferplaces performance --json` (workflow: exact)."""
    import datetime as dt
    import json

    import pandas as pd

    from cli.main import main

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/performance.py").run()
    assert not at.exception
    page = {m.label: m.value for m in at.metric}
    start, end = (d.value for d in at.date_input[:2])
    assert main(["performance", "--from", str(start), "--to", str(end), "--json"]) == 0
    cli = {row["measure"]: row["shown"] for row in json.loads(capsys.readouterr().out)["headline"]}
    for measure in ("Hotspots identified", "Assessments completed", "Actions open and late"):
        assert page[measure] == cli[measure], measure
    # the month-by-month workflow table adds up to the headline (exact counts, never hidden)
    months = next(d.value for d in at.dataframe if "assessments completed" in d.value.columns)
    assert pd.api.types.is_integer_dtype(months["assessments completed"])
    assert isinstance(start, dt.date)
