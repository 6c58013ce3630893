"""Bad bytes: every undecodable, binary or oddly encoded file gets a clear message or is read right.

Each test reproduces a failure of issue 14 (a ``UnicodeDecodeError`` traceback, garbled UTF-16
headers, a NUL byte silently cutting a category, a streaming-mode XLSX refused as empty).
"""

from __future__ import annotations

import os

import openpyxl
import pytest

from geo import InputError
from geo.ingest import expand_sources, read_incidents

HEADER = "latitude,longitude,category,month\n"


def _read(path):
    reader, chunks = read_incidents(expand_sources([path])[0])
    return reader, list(chunks)


def test_an_undecodable_byte_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(HEADER.encode() + b"52.8,-2.1,Caf\xe9 \x81,2025-01\n")
    with pytest.raises(InputError, match=r"neither UTF-8 nor Windows-1252 \(e\.g\. byte 0x81"):
        _read(path)


def test_random_bytes_are_a_clear_error(tmp_path):
    path = tmp_path / "random.csv"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(InputError):
        _read(path)


def test_utf16_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "utf16.csv"
    rows = "52.8,-2.1,Drugs,2025-01\n52.7,-2.0,Café crime,2025-02\n"
    path.write_bytes((HEADER + rows).encode("utf-16"))
    reader, chunks = _read(path)
    assert reader.columns == ["latitude", "longitude", "category", "month"]
    assert chunks[0].valid["category"].tolist() == ["Drugs", "Café crime"]
    assert "UTF-16" in reader.notes[0]


def test_a_nul_byte_is_refused_with_its_line(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(HEADER.encode() + b"52.8,-2.1,Drugs,2025-01\n52.8,-2.1,Dru\x00gs,2025-01\n")
    with pytest.raises(InputError, match="line 3 holds a NUL byte"):
        _read(path)


def test_an_xlsx_written_in_streaming_mode_is_read(tmp_path):
    path = tmp_path / "stream.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Incidents")
    sheet.append(["latitude", "longitude", "category", "month"])
    for _ in range(3):
        sheet.append([52.8, -2.1, "Drugs", "2025-01"])
    book.save(path)
    _, chunks = _read(path)
    assert sum(len(c.valid) for c in chunks) == 3


def test_the_cli_says_what_is_wrong_and_exits_non_zero(tmp_path, monkeypatch, capsys):
    from cli.main import main

    monkeypatch.setenv("SAFERPLACES_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("SAFERPLACES_DATA_DIR", str(tmp_path / "var"))
    path = tmp_path / "bad.csv"
    path.write_bytes(HEADER.encode() + b"52.8,-2.1,Caf\xe9 \x81,2025-01\n")
    monkeypatch.setattr("sys.argv", ["saferplaces", "import", str(path)])
    assert main() != 0
    err = capsys.readouterr().err
    assert "neither UTF-8 nor Windows-1252" in err
    assert "Traceback" not in err
