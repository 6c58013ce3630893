"""The data commands on the samples: status, hexes, hotspots, coverage, pack, with profiles."""

from __future__ import annotations

import csv
import io
import json

import pypdf
import pytest

from assessments.samples import load_samples
from cli.main import main

pytestmark = pytest.mark.slow


@pytest.fixture
def sample_store(configured):
    load_samples(configured)
    return configured


def test_data_commands_on_the_samples(sample_store, capsys, tmp_path, monkeypatch):
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["samples"] is True
    assert int(status["by_kind"]["incident"]) > 45_000
    assert not any(k.endswith("keysum") for k in status)  # record keys never leave the store
    assert all("keysum" not in row for row in status["by_district"] + status["by_month"])
    assert not any(k.endswith("keysum") for k in status["last_import"])
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == status  # asked again: the same figures

    assert main(["hexes", "--res", "8", "--from", "2026-01", "--profile", "publication"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff"))))
    assert rows
    assert {r["profile"] for r in rows} == {"publication"}
    for row in rows:
        if row["suppressed"] == "True":
            assert row["count"] == "c"  # the DfE symbol the README promises
        else:
            assert int(row["count"]) >= 10
    assert any(r["suppressed"] == "True" for r in rows)

    assert main(["hotspots", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed["hotspots"]) >= 6
    assert listed["last_run"]["eps_m"] == 150.0  # the parameters travel with every output
    # The run's number of incidents goes through the cell key method like every count; its key
    # sum never leaves the store.
    assert "incidents_keysum" not in listed["last_run"]
    run_incidents = listed["last_run"]["incidents"]
    assert isinstance(run_incidents, str)

    monkeypatch.setenv("SAFERPLACES_CUSTOM_PROFILE", "threshold=20,rounding=10,symbol=*")
    assert main(["coverage", "--profile", "custom", "--json"]) == 0
    covered = json.loads(capsys.readouterr().out)
    assert covered["profile"].startswith("custom disclosure profile: counts below 20")
    for row in covered["hotspots"]:
        assert row["incidents"] == "*" or int(row["incidents"]) == 0 or int(row["incidents"]) >= 20

    out = tmp_path / "pack.pdf"
    assert main(["pack", "--date", "2026-11-20", "--format", "pdf", "--out", str(out)]) == 0
    pdf = pypdf.PdfReader(out)
    assert len(pdf.pages) > 5
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert f"The latest run used {run_incidents} incidents." in text  # the CLI's figure
    assert main(["pack", "--date", "20-11-2026", "--out", str(out)]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_text_output_speaks_plain_words(sample_store, capsys):
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "missing from" in out
    assert "missing_from" not in out
    assert main(["hotspots", "list"]) == 0
    out = capsys.readouterr().out
    assert "(synthetic)" in out  # district names
    assert "X0000" not in out
    for raw in ("n_incidents", "first_month", "trend_p", "nan", "NaN"):
        assert raw not in out
    assert "rising" in out or "steady" in out or "falling" in out
    assert main(["coverage"]) == 0
    out = capsys.readouterr().out
    assert "not assessed" in out or "assessed" in out
    assert "unassessed" not in out
