"""Large loads set the incident indexes aside and rebuild them, on SQLite and PostgreSQL.

The real police.uk files are small, so these tests lower the bulk threshold: the same code path
as a first load of millions of rows, with real data flowing through it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessments import bulkload, imports, maps
from assessments.models import ImportBatch, Incident
from geo import PersonalDataError
from geo.filters import IncidentFilter

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
BULK_NOTE = "a large load: the incident indexes were rebuilt once at the end"


def _count(engine, model=Incident):
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def _schema(engine):
    """Return the incident table's indexes and foreign keys, as the store has them."""
    inspector = inspect(engine)
    indexes = {
        (i["name"], tuple(i["column_names"]), bool(i["unique"]))
        for i in inspector.get_indexes("incident")
    }
    keys = {
        (tuple(k["constrained_columns"]), k["referred_table"])
        for k in inspector.get_foreign_keys("incident")
    }
    return indexes, keys


def _combined(files, path):
    """Several police.uk months in one new file (as a force's multi-month extract would be)."""
    frame = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def small_bulk(monkeypatch):
    """Make any file of 1,000 rows or more a bulk load."""
    monkeypatch.setattr(bulkload, "BULK_MIN_ROWS", 1_000)


def test_a_bulk_first_load_stores_every_row_and_rebuilds_the_indexes(
    engine, police_uk_files, small_bulk
):
    before = _schema(engine)
    report = imports.import_files(engine, police_uk_files)
    # The first file meets an empty store: bulk. The last meets a store four times its size:
    # the indexes stay in place.
    bulk = [BULK_NOTE in b.notes for b in report.batches]
    assert bulk[0]
    assert not bulk[-1]
    totals = report.as_json()
    assert sum(b["read"] for b in totals["batches"]) == 47_968
    assert totals["rejected_by_reason"] == {"no location": 5_570}
    assert _count(engine) == 47_968 - 5_570
    assert _schema(engine) == before  # every index and foreign key is back, as migrated
    # The rebuilt fingerprint index is unique again: a repeated row cannot slip in.
    with Session(engine) as session:
        row = session.execute(select(Incident).limit(1)).scalar_one()
        copy = {c.name: getattr(row, c.name) for c in Incident.__table__.columns if c.name != "id"}
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(Incident).values(**copy))


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "indexed"])
def test_rows_already_stored_are_found_whether_or_not_the_indexes_are_set_aside(
    engine, police_uk_files, tmp_path, monkeypatch, bulk
):
    monkeypatch.setattr(bulkload, "BULK_MIN_ROWS", 1_000 if bulk else 10**9)
    first = imports.import_files(engine, [police_uk_files[0]]).batches[0]
    # Two months in one new file, the first of them already stored: only the second is new.
    both = _combined(police_uk_files[:2], tmp_path / "two-months.csv")
    report = imports.import_files(engine, [both])
    batch = report.batches[0]
    assert (BULK_NOTE in batch.notes) is bulk
    assert batch.rejected_by_reason["already stored (duplicate row)"] == first.stored
    second = imports.import_files(engine, [police_uk_files[1]]).batches[0]
    assert second.stored == 0  # everything in it came with the combined file
    assert batch.stored == second.rejected_by_reason["already stored (duplicate row)"]
    assert _count(engine) == first.stored + batch.stored


def test_a_bulk_load_that_fails_leaves_the_store_and_its_indexes_as_they_were(
    engine, police_uk_files, tmp_path, small_bulk
):
    imports.import_files(engine, [police_uk_files[0]])
    stored, schema = _count(engine), _schema(engine)
    rows = [f"52.8,-2.1,Drugs,2025-01,ok {i}" for i in range(12_000)]
    rows.append("52.8,-2.1,Drugs,2025-01,ring me at someone@example.org")
    path = tmp_path / "late.csv"
    path.write_text("latitude,longitude,category,month,notes\n" + "\n".join(rows) + "\n")
    with pytest.raises(PersonalDataError, match="e-mail addresses"):
        imports.import_files(engine, [path], chunk_rows=2_000)  # found in the last chunk
    assert _count(engine) == stored
    assert _count(engine, ImportBatch) == 1
    assert _schema(engine) == schema
    # The unique index still stops a repeat of what is stored.
    again = imports.import_files(engine, [_combined(police_uk_files[:1], tmp_path / "a.csv")])
    assert again.batches[0].stored == 0


def test_bulk_loads_deletes_and_readers_at_once_neither_fail_nor_lose_rows(
    engine, police_uk_files, tmp_path, small_bulk
):
    """Two loads race (one surely bulk), an older batch is undone and a map reader runs."""
    old = imports.import_files(engine, [police_uk_files[4]]).batches[0].batch_id
    combined = _combined(police_uk_files[:2], tmp_path / "two-months.csv")
    errors: list[BaseException] = []
    stored: list[int] = []
    done = threading.Event()

    def guarded(work):
        def run():
            try:
                work()
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        return threading.Thread(target=run)

    def read():
        # As busy as many users at once, but not a spin: a thread running thousands of trivial
        # queries a second (the store is empty once the old batch is gone) would starve the
        # loaders of the GIL, a Python artefact no page produces.
        while not done.wait(0.005):
            maps.count_cells(engine, IncidentFilter(), res=7)

    def load(path):
        stored.extend(b.stored for b in imports.import_files(engine, [path]).batches)

    workers = [
        guarded(lambda: load(combined)),
        guarded(lambda: load(police_uk_files[2])),
        guarded(lambda: imports.delete_batch(engine, old)),
    ]
    reader = guarded(read)
    reader.start()
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=300)
    done.set()
    reader.join(timeout=60)
    assert errors == []
    assert len(stored) == 2
    assert _count(engine) == sum(stored)
    assert _count(engine, ImportBatch) == 2
    cells = maps.count_cells(engine, IncidentFilter(), res=7)
    assert int(cells["count"].sum()) == sum(stored)


@pytest.mark.parametrize("rows", [8, 10])
def test_stored_rows_are_the_rows_read_field_for_field(engine, tmp_path, monkeypatch, rows):
    """SQLite binds several rows to one statement: whole statements and a remainder alike."""
    from geo.ingest import read_incidents
    from geo.ingest.read import expand_sources

    monkeypatch.setattr(bulkload, "SQLITE_ROWS_PER_STATEMENT", 4)
    sample = SAMPLES / "synthetic_incidents.csv"
    lines = sample.read_text().splitlines()
    path = tmp_path / "some.csv"
    path.write_text("\n".join(lines[: rows + 1]) + "\n")
    _, chunks = read_incidents(expand_sources([path])[0])
    expected = pd.concat([c.valid for c in chunks], ignore_index=True)
    assert expected["hour"].isna().any()  # NULLs go in too
    assert expected["date"].isna().any()

    imports.import_files(engine, [path])
    fields = ["kind", "category", "month", "date", "hour", "age_band", "flags", "lat", "lon"]
    fields += ["h3_cell", "row_key"]
    with Session(engine) as session:
        stored = pd.DataFrame(
            session.execute(select(*(getattr(Incident, f) for f in fields))).all(), columns=fields
        )
    want = expected[fields].sort_values("row_key", ignore_index=True)
    got = stored.sort_values("row_key", ignore_index=True)
    assert len(got) == rows
    for field in fields:
        left = [None if pd.isna(v) else v for v in got[field]]
        right = [None if pd.isna(v) else v for v in want[field]]
        if field in {"date", "month"}:
            left = [None if v is None else str(v)[:10] for v in left]
            right = [None if v is None else str(v)[:10] for v in right]
        assert left == right, field


def test_a_writer_kept_waiting_on_sqlite_is_told_the_store_is_busy(tmp_path, monkeypatch, capsys):
    """Another writer holds the SQLite store too long: a clear message, nothing stored."""
    import sqlite3

    from assessments import db
    from cli.main import main

    monkeypatch.setattr(db, "SQLITE_BUSY_SECONDS", 0.3)
    path = tmp_path / "store.db"
    url = f"sqlite:///{path}"
    engine = db.get_engine(url)
    db.migrate(engine)
    sample = SAMPLES / "synthetic_incidents.csv"
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # a long import elsewhere holds the write lock
        with pytest.raises(db.StoreBusyError, match=r"0\.3 seconds, so nothing was changed"):
            imports.import_files(engine, [sample])
        monkeypatch.setenv("SAFERPLACES_DATABASE_URL", url)
        assert main(["import", str(sample)]) == 2  # the CLI says so, without a traceback
        assert "The store is busy" in capsys.readouterr().err
    finally:
        holder.rollback()
        holder.close()
    assert _count(engine, ImportBatch) == 0
    assert imports.import_files(engine, [sample]).batches[0].stored > 0  # and later it works
    engine.dispose()
    db.clear_engines()


def test_a_bulk_load_on_sqlite_bounds_its_memory_and_gives_the_connection_back(
    engine, police_uk_files, small_bulk, monkeypatch
):
    """The page cache is capped and index builds sort on disk during the load, then restored.

    Without this SQLite kept up to 256 MB of table pages and sorted every rebuilt index in
    memory: the import's peak grew with the file (1.13 GB at 5M rows).
    """
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL works in its own processes")
    seen = []
    rebuild = bulkload.rebuild_indexes

    def watch(conn):
        raw = conn.connection.driver_connection
        seen.append(
            (
                raw.execute("PRAGMA cache_size").fetchone()[0],
                raw.execute("PRAGMA temp_store").fetchone()[0],
            )
        )
        rebuild(conn)
        # the rebuild's own sort settings are given back once the indexes are built
        assert raw.execute("PRAGMA cache_size").fetchone()[0] == -bulkload.BULK_CACHE_MB * 1024
        assert raw.execute("PRAGMA threads").fetchone()[0] == 0

    monkeypatch.setattr(bulkload, "rebuild_indexes", watch)
    report = imports.import_files(engine, police_uk_files[:1])
    assert BULK_NOTE in report.batches[0].notes
    assert seen == [(-bulkload.BULK_CACHE_MB * 1024, 1)]  # 1 = FILE
    with engine.connect() as conn:  # the pool's connection has its own settings again
        raw = conn.connection.driver_connection
        assert raw.execute("PRAGMA cache_size").fetchone()[0] == -262144
        assert raw.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY, for readers


def test_a_large_import_leaves_postgresql_with_fresh_statistics(engine, monkeypatch):
    """The planner must not take a million incidents for the empty table's estimate."""
    if engine.dialect.name != "postgresql":
        pytest.skip("statistics are refreshed on PostgreSQL (SQLite plans from its indexes)")
    from sqlalchemy import text

    def estimate():
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT reltuples FROM pg_class WHERE relname = 'incident'")
            ).scalar_one()

    assert estimate() <= 0  # never analysed
    monkeypatch.setattr(bulkload, "ANALYZE_MIN_ROWS", 10**9)
    imports.import_files(engine, [SAMPLES / "synthetic_missing_episodes.csv"], actor="t")
    assert estimate() <= 0  # a small import leaves it to autovacuum
    monkeypatch.setattr(bulkload, "ANALYZE_MIN_ROWS", 1)
    report = imports.import_files(engine, [SAMPLES / "synthetic_incidents.csv"], actor="t")
    assert estimate() == _count(engine) > report.batches[0].stored
