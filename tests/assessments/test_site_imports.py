"""Councils' spreadsheets of sites and assessments: per-row report, idempotent, safe exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessments import site_imports
from assessments.models import Assessment
from assessments.users import add_user
from cli.identity import OPERATOR, Operator
from geo import InputError
from tests.conftest import add_north_district


@pytest.fixture
def north(engine):
    with Session(engine) as session, session.begin():
        add_north_district(session)
    return engine


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_sites_report_every_bad_row_and_store_the_rest(north, tmp_path):
    path = _write(
        tmp_path,
        "sites.csv",
        "ref,name,type,latitude,longitude,address\n"
        "S1,Riverside Park,park,52.75,-2.0,Riverside Road\n"
        "S2,Lost place,park,55.9,-2.0,\n"
        "S3,Somewhere,castle,52.7,-2.0,\n"
        '"S4","=HYPERLINK(""http://x"",""y"")",park,52.71,-2.01,\n'
        "S5,12 Acacia Avenue (private house),park,52.7,-2.0,\n",
    )
    report = site_imports.import_sites(north, path, actor=OPERATOR)
    assert (report.read, report.stored, report.rejected) == (5, 2, 3)
    reasons = dict(report.rejects)
    assert "outside every district" in reasons[3]
    assert "unknown site type" in reasons[4]
    assert "private home" in reasons[6]
    again = site_imports.import_sites(north, path, actor=OPERATOR)
    assert again.stored == 0  # idempotent by ref
    assert dict(again.rejects)[2] == "already imported (same ref)"
    exported = site_imports.export_records(north, fmt="csv", actor=OPERATOR)["sites"]
    names = [row["name"] for row in csv.DictReader(io.StringIO(exported.decode("utf-8-sig")))]
    assert '\'=HYPERLINK("http://x","y")' in names  # neutralised, never a formula


def test_assessments_check_dates_sites_and_duplicates(north, tmp_path):
    site_imports.import_sites(
        north,
        _write(tmp_path, "s.csv", "ref,name,type,latitude,longitude\nS1,Park,park,52.75,-2.0\n"),
        actor=OPERATOR,
    )
    path = _write(
        tmp_path,
        "a.csv",
        "ref,site_ref,assessed_on,organisation,officer,risk_rating,next_review_on\n"
        "A1,S1,2026-03-01,North DC,Officer A,high,2026-06-01\n"
        "A2,S9,2026-03-01,North DC,Officer A,high,2026-06-01\n"
        "A3,S1,2026-03-01,North DC,Officer A,high,2026-01-01\n"
        "A4,S1,2026-03-01,North DC,Officer A,catastrophic,\n"
        "A1,S1,2026-03-01,North DC,Officer A,high,2026-06-01\n",
    )
    report = site_imports.import_assessments(north, path, actor=OPERATOR)
    assert report.stored == 1
    reasons = dict(report.rejects)
    assert "no site with ref 'S9'" in reasons[3]
    assert "review date must be after" in reasons[4]
    assert "unknown risk rating" in reasons[5]
    assert reasons[6] == "already imported (same ref)"


def test_merged_header_cells_are_explained(north, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Site", None, "Location", None])
    sheet.merge_cells("A1:B1")
    sheet.append(["ref", "name", "latitude", "longitude"])
    path = tmp_path / "merged.xlsx"
    book.save(path)
    with pytest.raises(InputError, match="merged header"):
        site_imports.import_sites(north, path, actor=OPERATOR)


def _park(north, tmp_path):
    site_imports.import_sites(
        north,
        _write(tmp_path, "s.csv", "ref,name,type,latitude,longitude\nS1,Park,park,52.75,-2.0\n"),
        actor=OPERATOR,
    )


def test_iso_dates_are_never_swapped_and_uk_dates_are_read_day_first(north, tmp_path):
    _park(north, tmp_path)
    path = _write(
        tmp_path,
        "a.csv",
        "ref,site_ref,assessed_on,organisation,officer,next_review_on\n"
        "A1,S1,2025-03-01,North DC,Officer A,2025-04-02\n"
        "A2,S1,02/03/2025,North DC,Officer A,01/04/2025\n"
        "A3,S1,03/25/2025,North DC,Officer A,\n",
    )
    report = site_imports.import_assessments(north, path, actor=OPERATOR)
    assert report.stored == 2
    assert "write it as 2025-03-01 or as day/month/year" in dict(report.rejects)[4]
    with Session(north) as session:
        dates = dict(session.execute(select(Assessment.external_ref, Assessment.assessed_on)).all())
        reviews = dict(
            session.execute(select(Assessment.external_ref, Assessment.next_review_on)).all()
        )
    assert dates == {"A1": dt.date(2025, 3, 1), "A2": dt.date(2025, 3, 2)}
    assert reviews == {"A1": dt.date(2025, 4, 2), "A2": dt.date(2025, 4, 1)}


_COMPLETE = (
    "lighting,cctv,signs_of_exploitation,sightlines,entrances_exits,natural_guardians,"
    "community_guardians,drug_activity,weapon_activity"
)
_ANSWERS = 'poor,none,seen,many hidden areas,"many, unmonitored",poor,none,suspected,not seen'


def _reviewed_rows(tmp_path, reviewer=""):
    return _write(
        tmp_path,
        "reviewed.csv",
        "ref,site_ref,assessed_on,organisation,officer,status,reviewed_by,risk_rating,"
        f"risk_reasons,findings,{_COMPLETE}\n"
        f"R1,S1,2025-03-01,North DC,Nora,reviewed,{reviewer},high,Dark,Lighting poor,{_ANSWERS}\n",
    )


def test_a_district_officer_cannot_import_their_own_assessment_as_reviewed(north, tmp_path):
    _park(north, tmp_path)
    with Session(north) as session, session.begin():
        add_user(session, actor=OPERATOR, username="nora", role="district", districts=["N1"])
    nora = Operator(username="nora", role="district", districts=["N1"])
    report = site_imports.import_assessments(north, _reviewed_rows(tmp_path, "nora"), actor=nora)
    assert report.stored == 0
    assert "cannot import an assessment as reviewed" in report.rejects[0][1]
    report = site_imports.import_assessments(north, _reviewed_rows(tmp_path), actor=nora)
    assert report.stored == 0
    with Session(north) as session:
        assert session.scalar(select(Assessment.id)) is None


def test_imported_reviews_name_a_reviewer_other_than_the_importer(north, tmp_path):
    _park(north, tmp_path)
    report = site_imports.import_assessments(north, _reviewed_rows(tmp_path, "cli"), actor=OPERATOR)
    assert "someone other than its author" in report.rejects[0][1]
    report = site_imports.import_assessments(
        north, _reviewed_rows(tmp_path, "Priya (North DC)"), actor=OPERATOR
    )
    assert report.stored == 1
    with Session(north) as session:
        assert session.scalar(select(Assessment.reviewed_by)) == "Priya (North DC)"


def test_export_carries_the_answers_and_findings(north, tmp_path):
    _park(north, tmp_path)
    site_imports.import_assessments(north, _reviewed_rows(tmp_path, "Priya"), actor=OPERATOR)
    exported = site_imports.export_records(north, fmt="csv", actor=OPERATOR)["assessments"]
    row = next(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert row["findings"] == "Lighting poor"
    assert row["risk_reasons"] == "Dark"
    assert row["natural_guardians"] == "poor"
    assert row["community_guardians"] == "none"
    assert row["entrances_exits"] == "many, unmonitored"
    assert row["reviewed_by"] == "Priya"
