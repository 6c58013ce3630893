"""Personal data in incident files: every text column is checked, whatever it is called.

Each test reproduces a leak found in issue 14 (values stored despite the refusal rule) and fails
on the code before the fix.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import openpyxl
import pytest

from geo import PersonalDataError
from geo.ingest import POLICE_UK_COLUMNS, expand_sources, read_incidents
from geo.ingest.normalise import hmac_sha256

POLICE_HEADER = ",".join(POLICE_UK_COLUMNS)
KEY = b"k" * 32


def _police_row(crime_id: str = "", crime_type: str = "Burglary", month: str = "2025-01") -> str:
    return (
        f"{crime_id},{month},Staffordshire Police,Staffordshire Police,-2.116700,52.806700,"
        f"On or near Victoria Road,E01029368,Stafford 001A,{crime_type},,"
    )


def _police_file(tmp_path, rows: list[str], name: str = "2025-01-staffordshire-street.csv"):
    path = tmp_path / name
    path.write_text(POLICE_HEADER + "\n" + "\n".join(rows) + "\n")
    return path


def _read(path, **kwargs):
    reader, chunks = read_incidents(expand_sources([path])[0], ref_key=KEY, **kwargs)
    return reader, list(chunks)


def _refused(path, **kwargs) -> PersonalDataError:
    with pytest.raises(PersonalDataError) as info:
        _read(path, **kwargs)
    return info.value


@pytest.mark.parametrize(
    ("crime_id", "looks_like"),
    [
        ("943 476 5919", "NHS numbers"),
        ("jane.smith@example.org", "e-mail addresses"),
        # among real Crime IDs (hexadecimal, digits in every one) a name is still found: the
        # name lists are searched only for values without a digit, and a name has none
        ("Chloe Smith", "names"),
    ],
)
def test_police_uk_crime_id_holding_personal_values_is_refused(tmp_path, crime_id, looks_like):
    ids = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(20)]  # Crime ID shape
    rows = [_police_row(crime_id=i) for i in ids] + [_police_row(crime_id=crime_id)]
    error = _refused(_police_file(tmp_path, rows))
    assert looks_like in str(error)
    assert "line 22" in str(error)
    assert crime_id not in str(error)


@pytest.mark.parametrize(
    "value",
    [
        "Chloe Smith",
        "jane.smith@example.org",
        "07700 900123",
        "Theft near ST17 4AP",
        "Jane Smith (14) seen with older male at Stafford bus station",
        "Smith",
    ],
)
def test_police_uk_crime_type_holding_personal_values_is_refused(tmp_path, value):
    rows = [_police_row() for _ in range(49)]
    rows.insert(30, _police_row(crime_type=f'"{value}"'))
    error = _refused(_police_file(tmp_path, rows))
    assert "'Crime type'" in str(error)
    assert error.rows == [(32, error.rows[0][1])]
    assert value not in str(error)


@pytest.mark.parametrize(
    "header", ["Nm", "Child", "CRN", "Child's name", "Young person's name", "Pupil"]
)
def test_personal_headers_are_refused(tmp_path, header):
    path = tmp_path / "file.csv"
    path.write_text(f'latitude,longitude,category,month,"{header}"\n52.8,-2.1,Drugs,2025-01,x\n')
    error = _refused(path)
    assert error.columns == [header]


def test_a_surname_mapped_as_the_category_is_refused(tmp_path):
    path = tmp_path / "file.csv"
    path.write_text("latitude,longitude,Surname,month\n52.8,-2.1,Smith,2025-01\n")
    _refused(path, mapping={"category": "Surname"})
    path.write_text("latitude,longitude,Kategorie,month\n52.8,-2.1,Jones,2025-01\n")
    assert "names" in str(_refused(path, mapping={"category": "Kategorie"}))


def test_a_column_of_first_names_is_refused_whatever_its_header(tmp_path):
    path = tmp_path / "file.csv"
    lines = [f"52.8,-2.1,Drugs,2025-01,{n}" for n in ("Jane", "Chloe", "Oliver", "Amelia")]
    path.write_text("latitude,longitude,category,month,Who\n" + "\n".join(lines) + "\n")
    assert "names" in str(_refused(path))


def test_a_narrative_on_one_row_in_fifty_is_refused(tmp_path):
    path = tmp_path / "file.csv"
    rows = ["52.8,-2.1,Drugs,2025-01,ok"] * 49
    rows.insert(
        7, "52.8,-2.1,Drugs,2025-01,seen near the park late at night with older males in a car"
    )
    path.write_text("latitude,longitude,category,month,Remarks\n" + "\n".join(rows) + "\n")
    error = _refused(path)
    assert "free-text narratives (line 9)" in str(error)


def test_an_extra_date_column_of_births_is_refused_not_stored(tmp_path):
    path = tmp_path / "file.csv"
    path.write_text(
        "latitude,longitude,category,month,Date\n"
        "52.8,-2.1,Drugs,2025-01,2025-01-14\n"
        "52.8,-2.1,Drugs,2025-01,2009-04-12\n"
    )
    error = _refused(path)
    assert "dates of birth" in str(error)
    assert error.rows[0][0] == 3


def test_a_date_of_birth_mapped_as_the_date_is_refused(tmp_path):
    path = tmp_path / "file.csv"
    path.write_text("latitude,longitude,category,month,D.O.B\n52.8,-2.1,Drugs,2025-01,2011-02-03\n")
    _refused(path, mapping={"date": "D.O.B"})
    path.write_text("latitude,longitude,category,month,When\n52.8,-2.1,Drugs,2025-01,1998-02-03\n")
    assert "dates of birth" in str(_refused(path, mapping={"date": "When"}))


def test_dates_of_birth_in_an_xlsx_date_column_are_refused(tmp_path):
    import datetime as dt

    path = tmp_path / "file.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["latitude", "longitude", "category", "month", "date"])
    sheet.append([52.8, -2.1, "Drugs", "2025-01", dt.datetime(2010, 5, 6)])
    book.save(path)
    assert "dates of birth" in str(_refused(path))


def test_a_date_keeps_its_row_month_and_must_fall_in_it(tmp_path):
    path = tmp_path / "file.csv"
    path.write_text(
        "latitude,longitude,category,month,date\n"
        "52.8,-2.1,Drugs,2025-01,2025-01-14\n"
        "52.8,-2.1,Drugs,2025-01,2024-11-30\n"
    )
    _, chunks = _read(path)
    assert [str(m) for m in chunks[0].valid["month"]] == ["2025-01-01"]
    assert chunks[0].rejected.to_dict("records") == [{"line": 3, "reason": "date not in the month"}]


@pytest.mark.parametrize("month", ["0001-01", "1900-01", "1999-12"])
def test_months_before_2000_are_rejected(tmp_path, month):
    path = tmp_path / "file.csv"
    path.write_text(f"latitude,longitude,category,month\n52.8,-2.1,Drugs,{month}\n")
    _, chunks = _read(path)
    assert chunks[0].valid.empty
    assert chunks[0].rejected["reason"].tolist() == ["month before 2000"]


def test_references_are_stored_as_hmac_under_the_install_key(tmp_path):
    path = tmp_path / "file.csv"
    path.write_text("latitude,longitude,category,month,ref\n52.8,-2.1,Drugs,2025-01,9434765919\n")
    with pytest.raises(PersonalDataError):  # an NHS number is refused outright
        _read(path)
    path.write_text("latitude,longitude,category,month,ref\n52.8,-2.1,Drugs,2025-01,AB-123\n")
    _, chunks = _read(path)
    stored = chunks[0].valid["source_ref"].tolist()
    assert stored == [hmac.new(KEY, b"AB-123", hashlib.sha256).hexdigest()]
    assert stored[0] != hashlib.sha256(b"AB-123").hexdigest()[:40]
    _, unkeyed = read_incidents(expand_sources([path])[0])
    assert next(iter(unkeyed)).valid["source_ref"].tolist() == [None]


def test_police_uk_crime_ids_are_keyed_too(tmp_path):
    crime_id = "a" * 64
    _, chunks = _read(_police_file(tmp_path, [_police_row(crime_id=crime_id)]))
    stored = chunks[0].valid["source_ref"].iloc[0]
    assert stored == hmac.new(KEY, crime_id.encode(), hashlib.sha256).hexdigest()


def test_real_police_uk_files_pass_every_value_check(police_uk_files):
    """The checks must not refuse real street data: every file reads whole."""
    for path in police_uk_files:
        _, chunks = _read(path)
        assert sum(c.read for c in chunks) == sum(len(c.valid) + len(c.rejected) for c in chunks)
        assert sum(len(c.valid) for c in chunks) > 7000


@pytest.mark.parametrize("key_length", [0, 1, 32, 63, 64, 65, 200])
def test_the_fast_keyed_hash_is_hmac_sha256(key_length):
    """References are stored as HMAC-SHA-256 computed with the key's states reused: the values
    must be the standard library's, for every key length (longer than a block: hashed first)."""
    rng = np.random.default_rng(key_length)
    key = rng.bytes(key_length)
    keyed = hmac_sha256(key)
    messages = [b"", b"AB-123", "Crème brûlée 9".encode(), rng.bytes(500), *(rng.bytes(64),) * 2]
    for message in messages:
        assert keyed(message) == hmac.new(key, message, hashlib.sha256).hexdigest()
