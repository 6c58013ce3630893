"""`saferplaces import` and `saferplaces batches` with the real police.uk months (both backends)."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessments.models import ImportBatch, Incident
from cli.main import main


def _count(engine, model=Incident):
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_import_reports_every_row_as_json_and_imports_a_file_once(
    configured, police_uk_files, capsys, tmp_path
):
    rejects = tmp_path / "rejects.csv"
    folder = str(police_uk_files[0].parent)
    assert main(["import", folder, "--json", "--rejects", str(rejects)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"batches", "rejected_by_reason"}
    assert len(report["batches"]) == 5
    for batch in report["batches"]:
        assert {"batch_id", "file", "read", "stored", "rejected", "duplicate"} <= set(batch)
        assert batch["read"] == batch["stored"] + batch["rejected"]
    assert report["rejected_by_reason"] == {"no location": 5_570}
    assert _count(configured) == 47_968 - 5_570

    # Every rejected line, with its file, line number and reason.
    rows = list(csv.DictReader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 5_570
    assert {r["reason"] for r in rows} == {"no location"}
    assert all(int(r["line"]) >= 2 for r in rows)

    assert main(["import", folder, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert all(b["duplicate"] and b["stored"] == 0 for b in again["batches"])
    assert _count(configured) == 47_968 - 5_570


def test_import_in_words_names_the_batches_to_ask_for_rejects(configured, police_uk_files, capsys):
    assert main(["import", str(police_uk_files[1])]) == 0
    out = capsys.readouterr().out
    batch_id = _one_batch_id(configured)
    assert f"batch {batch_id}: read " in out
    assert "no location" in out
    assert f"saferplaces batches rejects {batch_id}" in out

    assert main(["batches", "rejects", str(batch_id)]) == 0
    listed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert listed
    assert {r["reason"] for r in listed} == {"no location"}

    assert main(["batches", "delete", str(batch_id), "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["batch_id"] == batch_id
    assert _count(configured) == 0


def test_a_file_with_personal_data_is_refused_and_nothing_is_stored(configured, capsys, tmp_path):
    path = tmp_path / "referrals.csv"
    path.write_text(
        "latitude,longitude,category,month,Full name,Date of birth\n"
        "52.8,-2.1,Drugs,2025-01,Jane Example,2009-03-04\n"
    )
    assert main(["import", str(path), "--json"]) == 2
    error = json.loads(capsys.readouterr().out)
    assert "Full name" in error["error"]
    assert "Date of birth" in error["error"]
    assert "Jane" not in error["error"]  # the message names columns, never values
    assert _count(configured) == 0
    assert _count(configured, ImportBatch) == 0

    assert main(["import", str(path), "--drop", "Full name", "--drop", "Date of birth"]) == 0
    assert _count(configured) == 1


def _one_batch_id(engine) -> int:
    with Session(engine) as session:
        return int(session.scalars(select(ImportBatch.id)).one())


def test_import_episodes_stores_a_file_and_refuses_bad_rows(configured, capsys, tmp_path):
    from assessments.models import Episode
    from assessments.settings import SAMPLES_DIR

    assert main(["import", "episodes", str(SAMPLES_DIR / "synthetic_episodes.csv"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["batches"][0]["stored"] == _count(configured, Episode) > 1500
    bad = tmp_path / "bad.csv"
    bad.write_text("episode_ref,child_ref,start_date\nN1,C1,2025-01-01\nN2,,2025-01-02\n")
    rejects = tmp_path / "rejects.csv"
    assert main(["import", "episodes", str(bad), "--rejects", str(rejects)]) == 2
    assert "line 3: no child reference" in capsys.readouterr().err
    assert "no child reference" in rejects.read_text()
    assert _count(configured, Episode) == out["batches"][0]["stored"]
