"""Reading and validating incident files: every kind of bad input gets a clear message."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geo import InputError, PersonalDataError
from geo.ingest import expand_sources, read_incidents

HEADER = "latitude,longitude,category,month"


def _read(path, **kwargs):
    """All chunks of one file: (read, valid, rejected)."""
    reader, chunks = read_incidents(expand_sources([path])[0], **kwargs)
    parts = list(chunks)
    valid = pd.concat([c.valid for c in parts], ignore_index=True)
    rejected = pd.concat([c.rejected for c in parts], ignore_index=True)
    return sum(c.read for c in parts), valid, rejected, reader


def _csv(tmp_path, text, name="file.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_known_rows_cells_and_reasons(tmp_path):
    path = _csv(
        tmp_path,
        HEADER + "\n52.806700,-2.116700,Drugs,2025-01\n"
        ",,Drugs,2025-01\n52.8,abc,Drugs,2025-01\n52.8,-2.1,Drugs,2025-13\n"
        "40.0,-2.1,Drugs,2025-01\n52.8,-2.1,,2025-01\n52.8,-2.1,Drugs,2999-01\n",
    )
    read, valid, rejected, _ = _read(path)
    assert read == 7
    assert len(valid) == 1
    assert valid.loc[0, "h3_cell"] == int("8c195c1a3c013ff", 16)
    assert str(valid.loc[0, "month"]) == "2025-01-01"
    assert rejected.set_index("line")["reason"].to_dict() == {
        3: "no location",
        4: "coordinates are not numbers",
        5: "unknown month or date",
        6: "coordinates off the map (outside the UK)",
        7: "no category",
        8: "month in the future",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "is empty"), (HEADER + "\n", "header but no rows")],
)
def test_empty_and_header_only(tmp_path, content, message):
    with pytest.raises(InputError, match=message):
        _read(_csv(tmp_path, content))


def test_semicolons_bom_and_cp1252_are_read(tmp_path):
    semi = _csv(
        tmp_path,
        "\ufefflatitude;longitude;category;month\n52.8;-2.1;Drugs;2025-01\n",
        name="semi.csv",
    )
    assert len(_read(semi)[1]) == 1
    cp = _csv(
        tmp_path,
        HEADER + "\n52.8,-2.1,Caf\u00e9 disorder \u2013 street,2025-01\n",
        name="cp.csv",
        encoding="cp1252",
    )
    _, valid, _, reader = _read(cp)
    assert valid.loc[0, "category"] == "Caf\u00e9 disorder \u2013 street"
    assert "cp1252" in reader.notes[0]


def test_unseparated_file_is_explained(tmp_path):
    path = _csv(tmp_path, "latitude longitude category month\n52.8 -2.1 Drugs 2025-01\n")
    with pytest.raises(InputError, match="cannot find a location"):
        _read(path)


def test_xlsx_with_several_sheets_needs_a_choice(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Incidents"
    book.active.append(["latitude", "longitude", "category", "month"])
    book.active.append([52.8, -2.1, "Drugs", "2025-01"])
    other = book.create_sheet("Notes")
    other.append(["anything"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"several sheets \(Incidents, Notes\)"):
        _read(path)
    assert len(_read(path, sheet="Incidents")[1]) == 1


def test_swapped_coordinates_and_grid_references_are_caught(tmp_path):
    swapped = _csv(tmp_path, HEADER + "\n-2.1,52.8,Drugs,2025-01\n-2.0,52.7,Drugs,2025-01\n")
    with pytest.raises(InputError, match="look swapped"):
        _read(swapped)
    grid = _csv(tmp_path, HEADER + "\n312345,398765,Drugs,2025-01\n", name="grid.csv")
    with pytest.raises(InputError, match="British National Grid"):
        _read(grid)


def test_easting_northing_are_converted(tmp_path):
    # Ordnance Survey's worked example (Caister water tower): E 651409.903, N 313177.270 is
    # 52 deg 39' 27.2531" N, 1 deg 43' 4.5177" E on OSGB36; WGS84 differs by well under 0.002 deg.
    path = _csv(
        tmp_path, "Easting,Northing,Crime type,Month\n651409.903,313177.270,Drugs,2025-01\n"
    )
    valid = _read(path)[1]
    assert valid.loc[0, "lat"] == pytest.approx(52 + 39 / 60 + 27.2531 / 3600, abs=0.002)
    assert valid.loc[0, "lon"] == pytest.approx(1 + 43 / 60 + 4.5177 / 3600, abs=0.002)


def test_formula_cells_are_kept_as_text(tmp_path):
    path = _csv(tmp_path, HEADER + '\n52.8,-2.1,"=HYPERLINK(""http://x"",""y"")",2025-01\n')
    valid = _read(path)[1]
    assert valid.loc[0, "category"] == '=HYPERLINK("http://x","y")'


def test_truncated_zip_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("2025-01/2025-01-force-street.csv", HEADER + "\n52.8,-2.1,Drugs,2025-01\n")
    path = tmp_path / "download.zip"
    path.write_bytes(buffer.getvalue()[:-30])
    with pytest.raises(InputError, match="truncated download"):
        expand_sources([path])


def test_police_uk_zip_takes_the_street_files(tmp_path, police_uk_files):
    path = tmp_path / "police.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(police_uk_files[0], f"2018-10/{police_uk_files[0].name}")
        archive.writestr("2018-10/2018-10-staffordshire-outcomes.csv", "Crime ID,Month\n")
    sources = expand_sources([path])
    assert [s.name for s in sources] == [f"police.zip:2018-10/{police_uk_files[0].name}"]
    read, _, rejected, reader = _read(path)
    assert reader.format == "police_uk"
    assert (read, len(rejected)) == (10_938, int((rejected["reason"] == "no location").sum()))


def test_geojson_points_yes_polygons_no(tmp_path):
    points = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [-2.1, 52.8]},
                "properties": {"category": "Drugs", "month": "2025-01"},
            }
        ],
    }
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps(points))
    assert len(_read(path)[1]) == 1
    polygon = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[-2.1, 52.8], [-2.0, 52.8], [-2.0, 52.9], [-2.1, 52.8]]],
                },
                "properties": {"category": "Drugs", "month": "2025-01"},
            }
        ],
    }
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(polygon))
    with pytest.raises(InputError, match="Polygon features where points are expected"):
        _read(path)


@pytest.mark.parametrize(
    ("extra_header", "value", "looks_like"),
    [
        ("notes", "call 07700 900123 after school", "phone numbers"),
        ("notes", "contact: someone@example.org", "e-mail addresses"),
        ("ref_code", "943 476 5919", "NHS numbers"),
        (
            "notes",
            "seen with an older male who gave her a lift home from the park again",
            "free-text",
        ),
        ("where", "ST16 2AB", "full postcodes"),
    ],
)
def test_personal_values_are_found_whatever_the_header(tmp_path, extra_header, value, looks_like):
    rows = "\n".join(
        f'52.8,-2.1,Drugs,2025-01,"{value if i == 3 else "code " + str(i)}"' for i in range(6)
    )
    path = _csv(tmp_path, f"{HEADER},{extra_header}\n{rows}\n")
    with pytest.raises(PersonalDataError, match=looks_like) as info:
        _read(path)
    assert info.value.columns == [extra_header]
    assert value not in str(info.value)  # the message never repeats the personal value
    assert "line 5" in str(info.value)


@pytest.mark.parametrize(
    "header",
    ["Surname", "Date of Birth", "Home Address", "Mobile", "Email", "NHS Number", "Child Name"],
)
def test_personal_headers_are_refused_before_reading(tmp_path, header):
    path = _csv(tmp_path, f"{HEADER},{header}\n52.8,-2.1,Drugs,2025-01,x\n")
    with pytest.raises(PersonalDataError, match=header):
        _read(path)


def test_ages_become_bands_and_flags_are_checked(tmp_path):
    path = _csv(
        tmp_path,
        HEADER + ",age,flags\n52.8,-2.1,Drugs,2025-01,14,CSE; drugs\n"
        "52.8,-2.1,Drugs,2025-01,13-14,\n52.8,-2.1,Drugs,2025-01,,telepathy\n",
    )
    _, valid, rejected, _ = _read(path)
    assert valid["age_band"].tolist() == ["13-14", "13-14"]
    assert valid["flags"].tolist() == [",cse,drugs,", ""]
    assert rejected.to_dict("records") == [{"line": 4, "reason": "unknown flag"}]


def test_identical_rows_get_distinct_keys_across_chunks(tmp_path):
    path = _csv(tmp_path, HEADER + "\n" + "52.8,-2.1,Anti-social behaviour,2025-01\n" * 7)
    valid = _read(path, chunk_rows=3)[1]
    assert valid["row_key"].nunique() == 7
    again = _read(path, chunk_rows=7)[1]
    assert sorted(valid["row_key"]) == sorted(again["row_key"])  # stable whatever the chunking


def test_row_keys_do_not_change_between_versions(tmp_path):
    """Fingerprints stored by earlier releases must match: a re-published month is not recounted.

    The values were produced by the first release's algorithm (text of each field, hashed);
    faster ways of computing them must give exactly these.
    """
    path = _csv(
        tmp_path,
        "latitude,longitude,category,month,date,ref\n"
        "52.806700,-2.116700,Drugs,2025-01,,A1\n"
        "52.8,-0.0000001,Drugs,2025-01,,\n"
        "52.8,-0.0000001,Drugs,2025-01,,\n"
        "51.5,0,Anti-social behaviour,,2025-02-03,B7\n",
    )
    keys = _read(path)[1]["row_key"].tolist()
    # Rows without a reference keep the first release's fingerprints exactly.
    assert keys[1:3] == [-5440081789035663558, 3625863536236064056]
    # Rows with one are fingerprinted over its keyed hash (HMAC), so they differ from the first
    # release's (an unsalted SHA-256 of the reference) and from one install to another.
    assert keys[0] != 8535145301502189885
    assert keys[3] != 7508116096731170865
    keyed = _read(path, ref_key=b"a" * 32)[1]["row_key"].tolist()
    other = _read(path, ref_key=b"b" * 32)[1]["row_key"].tolist()
    assert keyed[1:3] == keys[1:3]
    # and those of this release under a given key, pinned (a faster hashing of the keyed
    # references must keep them: stores hold them)
    assert keyed[0] == -5539068736226380905
    assert keyed[3] == 6776380638197392658
    assert keyed[0] != other[0]
    assert keyed[3] != other[3]


def test_memory_stays_bounded_for_a_large_file(tmp_path):
    """Streaming: peak memory is set by the chunk size, not by the size of the file."""
    rng = np.random.default_rng(0)
    n = 250_000
    frame = pd.DataFrame(
        {
            "latitude": rng.uniform(52, 53, n).round(6),
            "longitude": rng.uniform(-2.5, -1.5, n).round(6),
            "category": "Drugs",
            "month": "2025-01",
        }
    )
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)

    def peak(rows_per_chunk):
        tracemalloc.start()
        _, chunks = read_incidents(expand_sources([path])[0], chunk_rows=rows_per_chunk)
        total = 0
        for chunk in chunks:
            assert chunk.read <= rows_per_chunk
            total += len(chunk.valid)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert total == n
        return top

    small, whole = peak(10_000), peak(n)
    assert small < whole / 3


def test_prefetching_keeps_order_and_raises_errors_where_they_happen():
    from geo.ingest import prefetched

    def chunks():
        yield from range(3)
        raise InputError("personal data on line 9")

    seen: list[int] = []

    def consume():
        for item in prefetched(chunks()):
            seen.append(item)

    with pytest.raises(InputError, match="line 9"):
        consume()
    assert seen == [0, 1, 2]


def test_a_consumer_that_stops_early_stops_the_reader_too():
    import threading

    from geo.ingest import prefetched

    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    items = prefetched(endless(), depth=2)
    assert [next(items) for _ in range(5)] == [0, 1, 2, 3, 4]
    items.close()  # as when storing a chunk fails: the reading thread ends, the file is closed
    assert closed.wait(5)
    assert not any(t.name == "saferplaces-prefetch" for t in threading.enumerate())


def test_row_counts_are_estimated_from_the_file_size(police_uk_files):
    from geo.ingest import open_table

    for path in police_uk_files:
        reader = open_table(expand_sources([path])[0])
        rows = sum(1 for _ in path.open()) - 1
        assert reader.expected_rows == pytest.approx(rows, rel=0.1)


def test_the_fast_and_the_forgiving_csv_readers_agree(tmp_path):
    """Arrow reads most files; pandas those with spaces before quotes. Same frames, same lines."""
    from geo.ingest import read as reading

    text = (
        "\ufefflatitude,longitude,category,month,notes\n"
        '52.8,-2.1,"Drugs",2025-01,"quoted, with a comma"\n'
        '52.81,-2.11,Public order,2025-02,"two\nlines"\n'
        "\n"
        '52.82,-2.12,"",2025-03,\n'
        "52.83,-2.13,Burglary,2025-04,plain\n"
    )
    path = _csv(tmp_path, text)
    source = expand_sources([path])[0]
    columns = ["latitude", "longitude", "category", "month", "notes"]
    file = reading._CsvFile(source, "utf-8-sig", ",", columns)
    fast = pd.concat(list(file.arrow_chunks(2, None)), ignore_index=True)
    forgiving = pd.concat(list(file.pandas_chunks(2, None)), ignore_index=True)
    assert [len(f) for f in file.arrow_chunks(2, None)] == [2, 2]
    pd.testing.assert_frame_equal(fast, forgiving, check_dtype=False)
    assert fast["notes"].tolist()[:2] == ["quoted, with a comma", "two\nlines"]
    assert pd.isna(fast.loc[2, "category"])

    spaced = _csv(tmp_path, HEADER + ',notes\n52.8, -2.1, Drugs, 2025-01, "a, b"\n', "spaced.csv")
    _, valid, rejected, _ = _read(spaced)
    assert rejected.empty
    assert valid["category"].tolist() == ["Drugs"]


def test_a_short_row_late_in_a_file_is_rejected_not_fatal(tmp_path, monkeypatch):
    """Arrow refuses a row with missing fields; pandas takes over where Arrow stopped."""
    from geo.ingest import read as reading

    monkeypatch.setattr(reading, "_ARROW_BLOCK_BYTES", 128)  # Arrow yields frames before failing
    good = "52.8,-2.1,Drugs,2025-01\n"
    text = HEADER + "\n" + good * 25 + "52.8,-2.1\n" + good * 4
    read, valid, rejected, _ = _read(_csv(tmp_path, text), chunk_rows=10)
    assert read == 30
    assert len(valid) == 29
    assert rejected.to_dict("records") == [{"line": 27, "reason": "no month or date"}]


def test_a_row_with_more_fields_than_the_header_stops_the_file_with_its_line(tmp_path):
    good = "52.8,-2.1,Drugs,2025-01\n"
    text = HEADER + "\n" + good * 3 + "52.9,-2.2,Theft, from a shop,2025-02\n" + good
    with pytest.raises(InputError, match=r"do not match the header.*line 5"):
        _read(_csv(tmp_path, text))
