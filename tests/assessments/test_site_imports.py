"""Councils' spreadsheets of sites and assessments: per-row report, idempotent, safe exports."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy.orm import Session

from assessments import site_imports
from cli.identity import OPERATOR
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
