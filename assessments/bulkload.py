"""Writing incident rows fast, on both backends, without giving up all-or-nothing.

- PostgreSQL takes rows through ``COPY ... FROM STDIN`` as CSV written by Arrow (C++), SQLite
  through multi-row ``INSERT`` statements on the driver connection (hundreds of rows to one
  statement: the driver lets go of the GIL once a statement, and a row-at-a-time
  ``executemany`` crawls when another thread, such as another Streamlit session, is busy).
- A *bulk* load (a file at least :data:`BULK_MIN_ROWS` rows long and at least as big as what the
  store already holds: typically the first load of several years of data) sets the incident
  table's secondary indexes aside, and on PostgreSQL its foreign key, and rebuilds them once
  before the import commits, in the same transaction. Building an index from sorted data is
  several times cheaper than updating it row by row. The unique row-fingerprint index is rebuilt
  too, so a row stored twice still fails the whole import, and a failure anywhere rolls the
  indexes back with the rows.
- On PostgreSQL a bulk load locks the incident table for its duration (pages that read incidents
  wait for it); on SQLite readers keep their snapshot and are never blocked.
- Memory is bounded by the chunk, not the file. SQLite works inside this process: during a bulk
  load its page cache (256 MB for readers' sake) would fill with table pages that are never read
  again, and with ``temp_store=MEMORY`` each index rebuild would sort the whole table in memory.
  :func:`bounded_memory` caps the cache at :data:`BULK_CACHE_MB` and lets the sorts spill to
  temporary files for the load, then gives the connection its settings back.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, Engine, Index, Table, func, select, text
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from assessments.db import is_postgres
from assessments.models import Incident
from geo.schema import INCIDENT_COLUMNS

__all__ = [
    "BULK_MIN_ROWS",
    "COLUMNS",
    "StoredKeys",
    "bounded_memory",
    "insert_incidents",
    "is_bulk",
    "rebuild_indexes",
    "set_indexes_aside",
]

#: A file shorter than this always loads with the indexes in place.
BULK_MIN_ROWS = 100_000

#: SQLite's page cache during a bulk load, in MB (the connection's own is restored after).
BULK_CACHE_MB = 64

#: SQLite's page cache while a bulk load rebuilds the indexes, in MB: the sorter's memory.
SORT_CACHE_MB = 8

#: The incident columns an import writes, in order.
COLUMNS = ["batch_id", *INCIDENT_COLUMNS, "source_ref", "row_key", "record_key"]

#: How COPY's CSV is typed (every other column is text).
_ARROW_TYPES = {
    "batch_id": pa.int64(),
    "month": pa.date32(),
    "date": pa.date32(),
    "hour": pa.int16(),
    "lat": pa.float64(),
    "lon": pa.float64(),
    "h3_cell": pa.int64(),
    "row_key": pa.int64(),
    "record_key": pa.int16(),
}
_ARROW_SCHEMA = pa.schema([(name, _ARROW_TYPES.get(name, pa.string())) for name in COLUMNS])

_TABLE: Table = Incident.__table__  # type: ignore[assignment]


def _indexes() -> list[Index]:
    return sorted(_TABLE.indexes, key=lambda index: str(index.name))


def is_bulk(engine: Engine, expected_rows: int | None) -> bool:
    """Whether a file of about ``expected_rows`` rows should load with the indexes set aside."""
    if expected_rows is None or expected_rows < BULK_MIN_ROWS:
        return False
    with engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(Incident)).scalar_one()
        if is_postgres(engine) and not _owns_incident(conn):
            return False  # the app's role (owning nothing) cannot drop indexes: load in place
    return expected_rows >= held


#: Rows stored by one import from which PostgreSQL's statistics are refreshed at once.
ANALYZE_MIN_ROWS = 10_000


def refresh_statistics(engine: Engine, stored: int) -> None:
    """``ANALYZE`` the incident table after an import of ``stored`` rows (PostgreSQL).

    Until autovacuum comes by, the planner estimates the rows of the table as it was before the
    load: after a first large import it takes a million incidents for two thousand, and a hotspot
    run's first scan of them sorts where hashing is four times faster. ``ANALYZE`` samples a
    fixed number of rows (a fraction of a second at any size); a role that does not own the
    table gets PostgreSQL's warning and autovacuum's statistics later, nothing fails.
    """
    if stored < ANALYZE_MIN_ROWS or not is_postgres(engine):
        return
    with engine.connect() as conn:
        conn.execute(text("ANALYZE incident"))
        conn.commit()


def _owns_incident(conn: Connection) -> bool:
    owner = text(
        "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c "
        "WHERE c.oid = 'incident'::regclass"
    )
    return bool(conn.execute(owner).scalar())


def lock_for_bulk(conn: Connection) -> None:
    """PostgreSQL: take the bulk load's locks first, always in the same order (no deadlock).

    Must be the transaction's first statement. Other imports wait; readers of ``import_batch``
    do not; readers of ``incident`` wait until the load commits.
    """
    if is_postgres(conn.engine):
        conn.execute(text("LOCK TABLE import_batch IN SHARE ROW EXCLUSIVE MODE"))
        conn.execute(text("LOCK TABLE incident IN ACCESS EXCLUSIVE MODE"))


@contextmanager
def bounded_memory(conn: Connection, *, enabled: bool = True) -> Iterator[None]:
    """SQLite: for a bulk load, cap the page cache and let index builds sort on disk.

    Enter it before the load's transaction begins and leave it after that ends (SQLite changes
    ``temp_store`` only outside a transaction). The connection's ``cache_size`` and
    ``temp_store`` are given back afterwards, whatever happened: the connection returns to the
    pool. PostgreSQL works in its own processes: nothing to do.
    """
    if not enabled or is_postgres(conn.engine):
        yield
        return
    raw = conn.connection.driver_connection
    cache = raw.execute("PRAGMA cache_size").fetchone()[0]  # type: ignore[union-attr]
    temp = raw.execute("PRAGMA temp_store").fetchone()[0]  # type: ignore[union-attr]
    raw.execute(f"PRAGMA cache_size = -{BULK_CACHE_MB * 1024}")  # type: ignore[union-attr]
    raw.execute("PRAGMA temp_store = FILE")  # type: ignore[union-attr]
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {int(cache)}")  # type: ignore[union-attr]
        raw.execute(f"PRAGMA temp_store = {int(temp)}")  # type: ignore[union-attr]


def set_indexes_aside(conn: Connection) -> None:
    """Drop the incident table's secondary indexes (and PostgreSQL foreign key) for a load."""
    for index in _indexes():
        conn.execute(DropIndex(index, if_exists=True))
    if is_postgres(conn.engine):
        for constraint in _TABLE.foreign_key_constraints:
            conn.execute(DropConstraint(constraint))


def rebuild_indexes(conn: Connection) -> None:
    """Build again what :func:`set_indexes_aside` dropped (fails on a duplicate fingerprint)."""
    postgres = is_postgres(conn.engine)
    if postgres:  # a bigger sort buffer for this transaction's index builds only
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    else:
        # SQLite sorts each index with helper threads and small in-memory runs merged from
        # temporary files. One index over 4.4M rows (month, kind, cell, key): 8.3 s with the
        # load's 64 MB cache and no helper; 6.4 s with two threads; 4.2 s with two threads
        # and an 8 MB cache (the runs fit the CPU's caches).
        driver: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
        saved = [driver.execute(f"PRAGMA {p}").fetchone()[0] for p in ("threads", "cache_size")]
        driver.execute(f"PRAGMA threads = {max(1, min(4, os.cpu_count() or 1))}")
        driver.execute(f"PRAGMA cache_size = -{SORT_CACHE_MB * 1024}")
    try:
        for index in _indexes():
            conn.execute(CreateIndex(index))
    finally:
        if not postgres:
            driver.execute(f"PRAGMA threads = {int(saved[0])}")
            driver.execute(f"PRAGMA cache_size = {int(saved[1])}")
    if postgres:
        for constraint in _TABLE.foreign_key_constraints:
            conn.execute(AddConstraint(constraint))


class StoredKeys:
    """Answers "which of these row fingerprints are stored already?" for one import.

    With the indexes in place each chunk's fingerprints are looked up through the unique index
    (only the duplicates come back). During a bulk load, when that index is set aside, every
    stored fingerprint is read once before the load instead (a bulk load is at least as big as
    the store, so this is bounded by the file itself).
    """

    def __init__(self, conn: Connection, *, preload: bool) -> None:
        self._conn = conn
        self._all: np.ndarray | None = None
        if preload:
            rows = conn.execute(select(Incident.row_key)).scalars().all()
            self._all = np.sort(np.asarray(rows, dtype=np.int64))

    def stored(self, keys: np.ndarray) -> np.ndarray:
        """Return a mask over ``keys``: True where that fingerprint is already stored."""
        keys = np.asarray(keys, dtype=np.int64)
        if len(keys) == 0:
            return np.zeros(0, dtype=bool)
        if self._all is not None:
            return np.isin(keys, self._all, assume_unique=False)
        if is_postgres(self._conn.engine):
            rows = self._conn.execute(
                text("SELECT row_key FROM incident WHERE row_key = ANY(:keys)"),
                {"keys": keys.tolist()},
            ).scalars()
        else:
            rows = self._conn.execute(
                text(
                    "SELECT row_key FROM incident WHERE row_key IN "
                    "(SELECT value FROM json_each(:keys))"
                ),
                {"keys": json.dumps(keys.tolist())},
            ).scalars()
        return np.isin(keys, np.fromiter(rows, dtype=np.int64))


def insert_incidents(conn: Connection, frame: pd.DataFrame) -> None:
    """Append incident rows (``COLUMNS``) on the connection's open transaction."""
    if frame.empty:
        return
    if is_postgres(conn.engine):
        _copy_postgres(conn, frame)
    else:
        _insert_sqlite(conn, frame)


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    columns = {}
    for name in COLUMNS:
        values = frame[name]
        kind = _ARROW_SCHEMA.field(name).type
        if pa.types.is_date32(kind):
            values = pd.to_datetime(values).to_numpy(dtype="datetime64[D]")
            mask = np.isnat(values)
            columns[name] = pa.array(values, type=kind, mask=mask if mask.any() else None)
        elif pa.types.is_string(kind):
            columns[name] = pa.array(values.astype("string"), type=kind, from_pandas=True)
        else:
            columns[name] = pa.array(values, type=kind, from_pandas=True)
    return pa.table(columns, schema=_ARROW_SCHEMA)


def _copy_postgres(conn: Connection, frame: pd.DataFrame) -> None:
    # Arrow writes NULL as an empty unquoted field and an empty string as "", which is how
    # PostgreSQL's CSV COPY tells them apart.
    buffer = io.BytesIO()
    pa_csv.write_csv(
        _arrow_table(frame), buffer, write_options=pa_csv.WriteOptions(include_header=False)
    )
    sql = f"COPY incident ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)"
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        view = buffer.getbuffer()
        for start in range(0, len(view), 1 << 22):
            copy.write(view[start : start + (1 << 22)])
        del view


#: Rows bound to one SQLite ``INSERT`` (fewer if the build allows fewer variables).
SQLITE_ROWS_PER_STATEMENT = 500


def _insert_sqlite(conn: Connection, frame: pd.DataFrame) -> None:
    # Columns as plain Python lists, flattened row by row; columns empty in this chunk are left
    # out (they are NULL), so there is less to bind.
    columns = [c for c in COLUMNS if not frame[c].isna().all()]
    width, rows = len(columns), len(frame)
    flat = list(chain.from_iterable(zip(*(_python_values(frame[c]) for c in columns), strict=True)))
    raw = conn.connection.driver_connection
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # type: ignore[union-attr]
    per = max(1, min(SQLITE_ROWS_PER_STATEMENT, limit // width))
    one = f"({', '.join('?' for _ in columns)})"
    head = f"INSERT INTO incident ({', '.join(columns)}) VALUES "  # noqa: S608

    def values(count: int) -> str:
        return head + ", ".join([one] * count)

    whole = rows - rows % per
    step = per * width
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        if whole:
            cursor.executemany(
                values(per), (flat[start : start + step] for start in range(0, whole * width, step))
            )
        if whole < rows:
            cursor.execute(values(rows - whole), flat[whole * width :])
    finally:
        cursor.close()


def _python_values(values: pd.Series) -> list[object]:
    """Return a column as Python values for the SQLite driver: NA as None, dates as ISO text."""
    if values.name in ("month", "date"):  # few distinct values: format each once
        cells = values.to_numpy(dtype=object, na_value=None)
        text = {d: d.isoformat() for d in pd.unique(cells) if d is not None}
        return [None if d is None else text[d] for d in cells.tolist()]
    if values.dtype.kind in "iuf" and not values.hasnans:
        return values.to_numpy().tolist()
    return values.to_numpy(dtype=object, na_value=None).tolist()
