"""Missing-episode import: hashed references, optional points, all or nothing, personal data."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessments.episodes import EpisodeRowsError, import_episodes, load_episodes
from assessments.imports import delete_batch
from assessments.models import Episode, ImportBatch
from assessments.settings import SAMPLES_DIR
from geo._errors import InputError, PersonalDataError
from tests.conftest import add_north_district

KEY = b"k" * 32
HEADER = (
    "Episode ID,Child ref,Missing from lat,Missing from lon,Found at easting,Found at northing,"
    "Start date,End date,Age,RHI offered,RHI accepted,RHI within 72h\n"
)


def _write(tmp_path, body, name="episodes.csv", header=HEADER):
    path = tmp_path / name
    path.write_text(header + body)
    return path


def test_episodes_are_stored_with_keyed_hashes_only(engine, tmp_path):
    with Session(engine) as session, session.begin():
        add_north_district(session)
    path = _write(
        tmp_path,
        "E1,C1,52.8,-2.1,389000,351000,2025-03-02,2025-03-03,14,yes,yes,yes\n"
        "E2,C1,,,,,02/04/2025,,15-16,yes,no,\n"
        "E3,C2,52.81,-2.11,,,2025-04-10,2025-04-10,,no,,\n",
    )
    report = import_episodes(engine, path, key=KEY, actor="test")
    assert (report.read, report.stored) == (3, 3)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Episode).order_by(Episode.start_date)).all()
        batch = conn.execute(sa.select(ImportBatch.kind, ImportBatch.rows_stored)).one()
    assert tuple(batch) == ("episode", 3)
    first = rows[0]
    expected = hmac.new(KEY, b"child:C1", hashlib.sha256).hexdigest()
    assert first.child_key == expected
    assert first.episode_key == hmac.new(KEY, b"episode:E1", hashlib.sha256).hexdigest()
    assert rows[1].child_key == expected  # the same child, counted together
    assert first.age_band == "13-14"  # the exact age is never kept
    assert first.from_district == "N1"
    assert first.found_lat == pytest.approx(53.056, abs=0.001)  # BNG converted to WGS84
    assert (first.rhi_offered, first.rhi_accepted, first.rhi_within_72h) == (True, True, True)
    assert rows[1].from_lat is None
    assert rows[1].found_cell is None
    assert rows[1].start_date.isoformat() == "2025-04-02"
    assert (rows[1].rhi_accepted, rows[1].rhi_within_72h) == (False, None)
    # nothing of the references as given is anywhere in the store
    with engine.connect() as conn:
        dumped = " ".join(str(r) for r in conn.execute(sa.select(Episode)).all())
    assert "'C1'" not in dumped
    assert "'E1'" not in dumped
    frame = load_episodes(engine)
    assert len(frame) == 3
    assert "episode_key" not in frame
    assert frame["child_key"].nunique() == 2
    # the same file again stores nothing
    again = import_episodes(engine, path, key=KEY, actor="test")
    assert again.duplicate
    assert again.stored == 0
    # undoing the import deletes the episodes
    assert delete_batch(engine, report.batch_id, actor="test") == 3
    assert load_episodes(engine).empty


def test_one_bad_row_refuses_the_whole_file_with_line_numbers(engine, tmp_path):
    path = _write(
        tmp_path,
        "E1,C1,52.8,-2.1,,,2025-03-02,2025-03-03,14,yes,yes,yes\n"
        "E2,C2,52.8,,,,2025-03-02,,14,yes,no,\n"
        ",C3,,,,,2025-03-02,,14,,,\n"
        "E4,C4,,,,,2025-03-05,2025-03-01,14,,,\n"
        "E5,C5,,,,,2025-03-05,,14,no,yes,\n"
        "E1,C6,,,,,2025-03-05,,14,maybe,,\n"
        "E7,,,,,,,,,,,\n",
    )
    with pytest.raises(EpisodeRowsError, match="line 3: only one coordinate") as caught:
        import_episodes(engine, path, key=KEY)
    rejects = caught.value.rejects
    assert rejects.to_dict("records") == [
        {"line": 3, "reason": "only one coordinate of a point"},
        {"line": 4, "reason": "no episode reference"},
        {"line": 5, "reason": "end date before the start date"},
        {"line": 6, "reason": "interview accepted but not offered"},
        {"line": 7, "reason": "episode reference repeated in the file"},
        {"line": 8, "reason": "no child reference"},
    ]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Episode)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(ImportBatch)).scalar() == 0


def test_an_episode_already_stored_refuses_the_new_file(engine, tmp_path):
    import_episodes(engine, _write(tmp_path, "E1,C1,,,,,2025-03-02,,,,,\n"), key=KEY)
    second = _write(tmp_path, "E2,C1,,,,,2025-04-02,,,,,\nE1,C1,,,,,2025-03-02,,,,,\n", "b.csv")
    with pytest.raises(EpisodeRowsError, match="line 3: episode already imported"):
        import_episodes(engine, second, key=KEY)
    assert len(load_episodes(engine)) == 1


def test_personal_data_refuses_an_episode_file(engine, tmp_path):
    named = _write(
        tmp_path,
        "E1,C1,,,,,2025-03-02,,,,,,Jo Bloggs\n",
        header=HEADER.replace("\n", ",Child name\n"),
    )
    with pytest.raises(PersonalDataError, match="'Child name' looks like names"):
        import_episodes(engine, named, key=KEY)
    dob = _write(
        tmp_path,
        "E1,C1,,,,,2025-03-02,,,,,,2010-01-01\n",
        "dob.csv",
        header=HEADER.replace("\n", ",DOB\n"),
    )
    with pytest.raises(PersonalDataError, match="date of birth"):
        import_episodes(engine, dob, key=KEY)
    nhs = _write(tmp_path, "E1,943 476 5919,,,,,2025-03-02,,,,,\n", "nhs.csv")
    with pytest.raises(PersonalDataError, match="NHS numbers"):
        import_episodes(engine, nhs, key=KEY)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ImportBatch)).scalar() == 0


def test_a_file_without_a_child_reference_is_refused(engine, tmp_path):
    path = _write(tmp_path, "E1,2025-03-02\n", header="Episode ID,Start date\n")
    with pytest.raises(InputError, match="a child reference"):
        import_episodes(engine, path, key=KEY)


def test_xlsx_episodes_import(engine, tmp_path):
    frame = pd.DataFrame(
        {
            "episode_ref": ["A", "B"],
            "child_ref": ["X", "X"],
            "found_at_latitude": [52.8, None],
            "found_at_longitude": [-2.1, None],
            "start_date": ["2025-01-05", "2025-02-07"],
            "rhi_offered": ["Yes", "No"],
        }
    )
    path = tmp_path / "episodes.xlsx"
    frame.to_excel(path, index=False)
    report = import_episodes(engine, path, key=KEY)
    assert report.stored == 2
    loaded = load_episodes(engine).sort_values("start_date")
    assert loaded["rhi_offered"].tolist() == [True, False]
    assert loaded["found_cell"].isna().tolist() == [False, True]


def test_the_sample_episodes_import_with_repeat_children(engine):
    report = import_episodes(engine, SAMPLES_DIR / "synthetic_episodes.csv", key=KEY)
    assert report.stored > 1500
    frame = load_episodes(engine)
    per_child = frame.groupby("child_key").size()
    assert (per_child >= 3).sum() > 50  # repeat missing
    assert frame["from_lat"].isna().any()
    assert frame["found_lat"].isna().any()
