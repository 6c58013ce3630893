"""Imports through the store, on SQLite and PostgreSQL, with the real police.uk data."""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessments import imports
from assessments.models import AuditEvent, District, ImportBatch, Incident
from geo import InputError, PersonalDataError


def _count(engine, model=Incident):
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_five_staffordshire_months_report_every_row_and_import_once(
    engine, police_uk_files, ltla_geojson
):
    imports.import_districts(
        engine,
        ltla_geojson,
        only_codes=[
            "E06000021",
            "E07000192",
            "E07000193",
            "E07000194",
            "E07000195",
            "E07000196",
            "E07000197",
            "E07000198",
            "E07000199",
        ],
    )
    report = imports.import_files(engine, [police_uk_files[0].parent])
    totals = report.as_json()
    assert len(totals["batches"]) == 5
    for batch in totals["batches"]:
        assert batch["read"] == batch["stored"] + batch["rejected"]
        assert not batch["duplicate"]
    assert sum(b["read"] for b in totals["batches"]) == 47_968
    assert totals["rejected_by_reason"] == {"no location": 5_570}
    assert _count(engine) == 47_968 - 5_570
    # Districts were assigned by point in polygon: 42,264 inside the nine LADs (SOURCES.md).
    with Session(engine) as session:
        inside = session.scalar(select(func.count()).where(Incident.district_code.is_not(None)))
    assert inside == 42_264

    again = imports.import_files(engine, police_uk_files)
    assert [b["duplicate"] for b in again.as_json()["batches"]] == [True] * 5
    assert sum(b["stored"] for b in again.as_json()["batches"]) == 0
    assert _count(engine) == 47_968 - 5_570


def test_republished_month_does_not_double_count(engine, police_uk_files, tmp_path):
    first = police_uk_files[0]
    imports.import_files(engine, [first])
    stored = _count(engine)
    # The same month re-published with one extra row: a different file (new checksum).
    lines = first.read_text().splitlines()
    extra = "," + ",".join(lines[1].split(",")[1:])  # same ASB row again: a genuine repeat
    republished = tmp_path / first.name.replace(".csv", "-v2.csv")
    republished.write_text("\n".join([*lines, extra]) + "\n")
    report = imports.import_files(engine, [republished]).as_json()
    batch = report["batches"][0]
    assert batch["stored"] == 1  # only the new row
    assert report["rejected_by_reason"]["already stored (duplicate row)"] == stored
    assert batch["read"] == batch["stored"] + batch["rejected"]
    assert _count(engine) == stored + 1


def test_personal_data_is_refused_and_nothing_is_stored(engine, tmp_path):
    path = tmp_path / "extract.csv"
    path.write_text(
        "Forename,DOB,latitude,longitude,category,month\nSam,2010-01-01,52.8,-2.1,Drugs,2025-01\n"
    )
    with pytest.raises(PersonalDataError, match="'Forename' looks like names") as info:
        imports.import_files(engine, [path])
    assert set(info.value.columns) == {"Forename", "DOB"}
    assert "--drop" in str(info.value)
    assert _count(engine) == 0
    assert _count(engine, ImportBatch) == 0
    # Named to be discarded unread, the same file imports.
    report = imports.import_files(engine, [path], drop=["Forename", "DOB"])
    assert report.batches[0].stored == 1


def test_a_personal_value_late_in_the_file_rolls_back_everything(engine, tmp_path):
    rows = [f"52.8,-2.1,Drugs,2025-01,ok {i}" for i in range(2_000)]
    rows.append("52.8,-2.1,Drugs,2025-01,ring me at someone@example.org")
    path = tmp_path / "late.csv"
    path.write_text("latitude,longitude,category,month,notes\n" + "\n".join(rows) + "\n")
    with pytest.raises(PersonalDataError, match=r"e-mail addresses \(line 2002\)"):
        imports.import_files(engine, [path], chunk_rows=500)  # the e-mail is in chunk 5
    assert _count(engine) == 0
    assert _count(engine, ImportBatch) == 0


def test_batches_can_be_listed_and_deleted_with_an_audit_trail(engine, police_uk_files):
    report = imports.import_files(engine, [police_uk_files[1]])
    batch_id = report.batches[0].batch_id
    listed = imports.list_batches(engine)
    assert listed["id"].tolist() == [batch_id]
    rejects = imports.batch_rejects(engine, batch_id)
    assert set(rejects["reason"]) == {"no location"}
    assert imports.delete_batch(engine, batch_id, actor="ana") == report.batches[0].stored
    assert _count(engine) == 0
    with Session(engine) as session:
        actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert actions == ["import", "delete"]
    with pytest.raises(InputError, match="no import batch"):
        imports.delete_batch(engine, batch_id)
    # Undone, the file can be imported again.
    assert imports.import_files(engine, [police_uk_files[1]]).batches[0].stored > 0


def test_only_my_districts(engine, police_uk_files, ltla_geojson):
    imports.import_districts(engine, ltla_geojson, only_codes=["E07000199"])
    report = imports.import_files(engine, [police_uk_files[4]], only_districts={"E07000199"})
    reasons = report.rejected_by_reason
    assert reasons["outside your districts"] > 7_000
    with Session(engine) as session:
        codes = set(session.scalars(select(Incident.district_code).distinct()))
    assert codes == {"E07000199"}


def test_topojson_and_geojson_boundaries(engine, ltla_geojson):
    topo = ltla_geojson.parents[1] / "lad_england_2013_topojson" / "topo_lad.json"
    stored = imports.import_districts(engine, topo)
    assert len(stored) == 326
    assert "E07000199" in set(stored["code"])
    districts = imports.load_districts(engine)
    tamworth = districts.set_index("code").loc["E07000199"]
    assert tamworth["name"] == "Tamworth"
    assert tamworth.geometry.contains(shapely.Point(-1.695, 52.633))
    # Importing the 2019 file updates the same codes rather than duplicating them.
    imports.import_districts(engine, ltla_geojson, only_codes=["E07000199"])
    assert _count(engine, District) == 326


def test_saved_mappings(engine, tmp_path):
    imports.save_mapping(engine, "partner A", {"latitude": "Y", "longitude": "X"}, drop=["Officer"])
    assert imports.get_mapping(engine, "partner A") == (
        {"latitude": "Y", "longitude": "X"},
        ["Officer"],
    )
    with pytest.raises(InputError, match="no saved mapping"):
        imports.get_mapping(engine, "partner B")


def test_the_same_file_imported_twice_at_once_is_stored_once(engine, police_uk_files):
    import threading

    from geo import ConflictError

    outcomes = []

    def run():
        try:
            report = imports.import_files(engine, [police_uk_files[2]])
            outcomes.append("duplicate" if report.batches[0].duplicate else "stored")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert outcomes.count("stored") == 1  # the others were told: duplicate, or a conflict
    assert set(outcomes) <= {"stored", "duplicate", "conflict"}
    assert _count(engine, ImportBatch) == 1
    with Session(engine) as session:
        stored = session.scalar(select(ImportBatch.rows_stored))
    assert _count(engine) == stored
