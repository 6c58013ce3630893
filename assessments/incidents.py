"""Reading incidents from the store: filters as SQL, points for hotspots, counts for maps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Engine,
    Float,
    Integer,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    or_,
    select,
)

from assessments.categories import shown_categories
from assessments.models import Incident
from geo.disclosure import KEY_RANGE
from geo.filters import IncidentFilter

__all__ = [
    "filter_clauses",
    "load_hotspot_points",
    "load_incidents",
    "month_range",
    "taxonomy_in_store",
]


def filter_clauses(
    filt: IncidentFilter, *, month: ColumnElement[Any] | None = None
) -> list[ColumnElement[bool]]:
    """Return the filter as SQL conditions on ``incident`` (bound parameters only).

    ``month`` replaces the month column in the month window (see :func:`_scan_month`).
    """
    clauses: list[ColumnElement[bool]] = []
    month = Incident.month if month is None else month
    if filt.start_month:
        clauses.append(month >= filt.start_month)
    if filt.end_month:
        clauses.append(month <= filt.end_month)
    if filt.kinds:
        clauses.append(Incident.kind.in_(filt.kinds))
    if filt.categories:
        clauses.append(Incident.category.in_(filt.categories))
    if filt.age_bands:
        clauses.append(Incident.age_band.in_(filt.age_bands))
    if filt.districts:
        clauses.append(Incident.district_code.in_(filt.districts))
    if filt.flags:
        clauses.append(
            or_(*(Incident.flags.contains(f",{f},", autoescape=True) for f in filt.flags))
        )
    return clauses


def load_incidents(
    engine: Engine,
    filt: IncidentFilter | None = None,
    *,
    columns: tuple[str, ...] = (
        "kind",
        "category",
        "month",
        "lat",
        "lon",
        "h3_cell",
        "district_code",
        "flags",
        "age_band",
    ),
) -> pd.DataFrame:
    """Load the matching incidents (points: for hotspot runs and outcomes, never for display)."""
    filt = filt or IncidentFilter()
    query = select(*(getattr(Incident, c) for c in columns)).where(*filter_clauses(filt))
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(), columns=list(columns))
    if "month" in frame:
        frame["month"] = pd.to_datetime(frame["month"])
    if "h3_cell" in frame:
        frame["h3_cell"] = frame["h3_cell"].astype("int64")
    return frame


#: Rows fetched from the driver at a time by :func:`load_hotspot_points`.
_FETCH_ROWS = 100_000
#: SQLite page cache while a run scans the incidents once (negative: KiB), 16 MB.
_SCAN_CACHE_KB = -16_384

#: Text columns read as integer codes (dictionary-encoded in SQL) and the value of a missing one.
_CODED = {"category": "", "district_code": "", "age_band": "", "flags": "", "kind": ""}


def _month_number(postgres: bool) -> ColumnElement[int]:
    if postgres:
        # date_part is a double; EXTRACT a numeric since PostgreSQL 14 (a third slower a row)
        return (
            cast(func.date_part("year", Incident.month), Integer) * 12
            + cast(func.date_part("month", Incident.month), Integer)
            - 1
        )
    # dates are ISO text in SQLite
    return (
        cast(func.substr(Incident.month, 1, 4), Integer) * 12
        + cast(func.substr(Incident.month, 6, 2), Integer)
        - 1
    )


#: Month numbers (year x 12 + month - 1) a stored month can take: pandas' dates, 1677 to 2262.
_FIRST_MONTH = 1677 * 12
_MONTHS = (2262 - 1677 + 1) * 12
#: Packed integers stay below this (64-bit signed arithmetic in both databases, with room).
_WORD = 2**62


def _pack(
    fields: list[tuple[str, Any, int, int, str]],
) -> list[tuple[Any, list[tuple[str, int, int, int, str]]]]:
    """Pack small integer fields into as few 64-bit SQL integers as hold them (mixed radix).

    ``fields`` are ``(name, SQL, lowest value, number of values, dtype)``. Each packed word is
    ``sum((value - lowest) * scale)``, computed in SQL; the driver then builds one Python integer
    per word and row instead of one per field (the row-by-row cost of reading 5M incidents).
    Returns each word's SQL and its layout ``(name, lowest, size, scale, dtype)``; a field is
    read back as ``word // scale % size + lowest``.
    """
    words: list[tuple[Any, list[tuple[str, int, int, int, str]]]] = []
    expression: Any = None
    layout: list[tuple[str, int, int, int, str]] = []
    scale = 1
    for name, sql, lowest, size, dtype in fields:
        if expression is not None and scale * size >= _WORD:
            words.append((expression, layout))
            expression, layout, scale = None, [], 1
        term = (
            cast(sql - lowest, BigInteger) * scale if scale > 1 else cast(sql - lowest, BigInteger)
        )
        expression = term if expression is None else expression + term
        layout.append((name, lowest, size, scale, dtype))
        scale *= size
    if expression is not None:
        words.append((expression, layout))
    return words


def _weekday(postgres: bool) -> ColumnElement[int]:
    """Day of the week, Sunday = 0 (both databases count so), -1 without a date."""
    if postgres:
        return func.coalesce(cast(extract("dow", Incident.date), Integer), -1)
    return func.coalesce(cast(func.strftime("%w", Incident.date), Integer), -1)


def _compiled(engine: Engine, query: Any) -> tuple[str, Any]:
    """Return the SQL text and bound parameters of ``query``, in the driver's own style."""
    compiled = query.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    if compiled.positiontup is not None:
        bound = compiled.construct_params()
        return str(compiled), tuple(bound[name] for name in compiled.positiontup)
    return str(compiled), compiled.construct_params()


def _scan_month(engine: Engine, filt: IncidentFilter) -> ColumnElement[Any] | None:
    """On SQLite, the month column as ``+month`` when the window holds most months.

    SQLite answers a month window through the month index, then looks each row up in the table:
    right for a few months, several times slower than reading the table straight through when
    the window covers most of the store (a "last 12 months" run over a year's data). ``+month``
    compares the same text but keeps the index out of the plan; ``None`` keeps the plain column.
    """
    if not (filt.start_month or filt.end_month):
        return None
    first, last = month_range(engine)
    if first is None or last is None:
        return None

    def number(month: dt.date) -> int:
        return month.year * 12 + month.month

    start = max(number(first), number(filt.start_month) if filt.start_month else 0)
    end = min(number(last), number(filt.end_month) if filt.end_month else number(last))
    if (end - start + 1) * 4 < number(last) - number(first) + 1:
        return None
    return literal_column("+incident.month", type_=Date)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Any]:
    """Give the raw driver connection, reading one consistent snapshot with a small page cache.

    Queries run on the driver's own connection (SQLite's or psycopg's), skipping SQLAlchemy's
    result rows. SQLite's page cache is shrunk for a one-off scan (the store's connections keep
    256 MB for imports) and restored afterwards; PostgreSQL reads in a repeatable-read snapshot.
    """
    postgres = engine.url.get_backend_name() == "postgresql"
    raw = engine.raw_connection()
    driver: Any = raw.driver_connection
    try:
        if postgres:
            driver.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield driver
        else:
            cache = driver.execute("PRAGMA cache_size").fetchone()[0]
            driver.execute(f"PRAGMA cache_size = {_SCAN_CACHE_KB}")
            try:
                if not driver.in_transaction:
                    driver.execute("BEGIN")
                yield driver
            finally:
                driver.execute(f"PRAGMA cache_size = {int(cache)}")
    finally:
        driver.rollback()
        raw.close()


def _chunks(driver: Any, sql: str, params: Any, *, postgres: bool) -> Iterator[list[Any]]:
    """Rows of a query in lists of at most ``_FETCH_ROWS`` (server-side cursor on PostgreSQL)."""
    cursor = driver.cursor(name="saferplaces_points") if postgres else driver.cursor()
    try:
        if postgres:
            cursor.itersize = _FETCH_ROWS
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_FETCH_ROWS):
            yield rows
    finally:
        cursor.close()


#: Incidents (a range of ids) per PostgreSQL array: a block is at most 12 MB a column.
_ARRAY_ROWS = 1 << 20


def _array_columns(driver: Any, statements: list[tuple[str, Any]], record: Any) -> dict[str, Any]:
    """Run ``statements`` on PostgreSQL; return one native array per field, blocks in order.

    Each statement (one ``array_send(array_agg(...))`` per field of ``record``, over one block
    of incidents) gives one row, each column a bytea: the array's binary form, a 20-byte
    header and, per element, a 4-byte length and 8 big-endian bytes, read with
    ``numpy.frombuffer``. The driver makes no Python object per incident (a cursor or COPY makes
    one or more per row: 2 s at 1M rows), and its buffers hold one block at a time. Every field
    must be a non-NULL 8-byte number (``f8`` or ``i8``); a block without incidents gives NULLs.
    """
    import numpy as np

    blocks: dict[str, list[Any]] = {name: [] for name in record.names}
    with driver.cursor(binary=True) as cursor:
        for sql, params in statements:
            row = cursor.execute(sql, params).fetchone()
            if row is None or row[0] is None:
                continue  # no incident in this block
            blobs = list(row)
            del row
            for i, name in enumerate(record.names):
                blob, blobs[i] = blobs[i], None
                ndim = int.from_bytes(blob[0:4], "big")
                has_null = int.from_bytes(blob[4:8], "big")
                size = int.from_bytes(blob[12:16], "big")
                if ndim != 1 or has_null:
                    msg = f"PostgreSQL gave an unexpected array for {name}"
                    raise RuntimeError(msg)
                wire = np.dtype([("size", ">i4"), ("value", record[name].newbyteorder(">"))])
                elements = np.frombuffer(blob, dtype=wire, count=size, offset=20)
                if (elements["size"] != 8).any():
                    msg = f"PostgreSQL gave a value of unexpected size for {name}"
                    raise RuntimeError(msg)
                blocks[name].append(elements["value"].astype(record[name]))
                del elements, blob
    return {
        name: np.concatenate(parts) if parts else np.empty(0, dtype=record[name])
        for name, parts in blocks.items()
    }


def load_hotspot_points(engine: Engine, filt: IncidentFilter | None = None) -> pd.DataFrame:
    """Load the matching incidents for a hotspot run: only the columns it needs, as arrays.

    Text columns (category, district, age band, flags, kind) are dictionary-encoded in SQL: one
    small query finds the values held, and the main query returns each row's integer code. The
    integer fields (month, record key, codes, hour, weekday) are packed into one number a row
    (:func:`_pack`). SQLite's rows go straight into numpy record arrays (three Python values a
    row, no ORM); PostgreSQL sends each column as one array per block of ids
    (:func:`_array_columns`, no Python object per row). Columns that hold nothing for these
    incidents (no age band, flag, hour or date anywhere) are not read at all. Both queries read
    one snapshot, on the driver's own connection (for SQLite, the same library as every other
    connection: two copies of SQLite in one process would break its file locks).

    Returns
    -------
    pandas.DataFrame
        ``lat``, ``lon`` (float64); ``month`` (int32 month number, year x 12 + month - 1);
        ``record_key`` (int16, for the cell key method; never shown);
        ``category``, ``district_code``, ``age_band``, ``flags``, ``kind`` (categoricals; a
        missing district, age band or flag set is ``""``); ``hour`` and ``weekday`` (int8,
        weekday 0 = Monday; -1 where the source gave no time or date). Profile columns that hold
        nothing for these incidents are left out.
    """
    import numpy as np

    filt = filt or IncidentFilter()
    postgres = engine.url.get_backend_name() == "postgresql"
    where = filter_clauses(filt, month=None if postgres else _scan_month(engine, filt))
    # One scan finds the categories and districts held and which optional columns hold anything
    # (cheap: a DISTINCT over two short texts and four booleans); other text columns are read
    # only when they hold something.
    held = (
        select(
            Incident.category,
            Incident.district_code,
            or_(Incident.age_band.is_(None), Incident.age_band == ""),
            or_(Incident.flags.is_(None), Incident.flags == ""),
            Incident.hour.is_(None),
            Incident.date.is_(None),
        )
        .where(*where)
        .distinct()
    )
    with _snapshot(engine) as driver:

        def fetch(query: Any) -> list[Any]:
            sql, params = _compiled(engine, query)
            return [row for rows in _chunks(driver, sql, params, postgres=False) for row in rows]

        combos = fetch(held)
        values: dict[str, list[str]] = {
            name: sorted({str(r[i]) if r[i] is not None else "" for r in combos})
            for i, name in enumerate(("category", "district_code"))
        }
        ages, flags, hours, dates = (any(not r[i] for r in combos) for i in range(2, 6))
        wanted = ["category", "district_code"]
        wanted += [c for c, present in (("age_band", ages), ("flags", flags)) if present]
        kinds = sorted(set(filt.kinds)) if len(set(filt.kinds)) == 1 else None
        if kinds is None:
            wanted.append("kind")
        values["kind"] = kinds or []
        for name in wanted[2:]:
            stored = getattr(Incident, name)
            held_values = fetch(select(stored).where(*where).distinct())
            values[name] = sorted({str(v) if v is not None else "" for (v,) in held_values})
        if kinds is None and len(values["kind"]) == 1:
            wanted.remove("kind")

        # integer fields as (name, SQL, lowest value, number of values, dtype)
        fields: list[tuple[str, Any, int, int, str]] = [
            ("month", _month_number(postgres), _FIRST_MONTH, _MONTHS, "i4"),
            ("record_key", func.coalesce(Incident.record_key, 0), 0, KEY_RANGE, "i2"),
        ]
        for name in wanted:
            mapping = {v: i for i, v in enumerate(values[name]) if v != ""}
            missing = values[name].index("") if "" in values[name] else -1
            stored = getattr(Incident, name)
            code = case(mapping, value=stored, else_=missing) if mapping else literal(missing)
            fields.append((name, code, -1, len(values[name]) + 1, "i4"))
        if hours:
            fields.append(("hour", func.coalesce(Incident.hour, -1), -1, 25, "i1"))
        if dates:
            fields.append(("weekday", _weekday(postgres), -1, 8, "i1"))
        words = _pack(fields)
        record = np.dtype(
            [("lat", "f8"), ("lon", "f8")] + [(f"word{i}", "i8") for i in range(len(words))]
        )
        packed = [expression.label(f"word{i}") for i, (expression, _) in enumerate(words)]
        if postgres:
            # one array per column, in one scan (so in the same row order); an unlocated row
            # reads NaN, so no array holds a NULL
            nan = literal(float("nan"), Float)
            lat, lon = func.coalesce(Incident.lat, nan), func.coalesce(Incident.lon, nan)
            arrays = [func.array_send(func.array_agg(c)) for c in (lat, lon, *packed)]
            low, high = driver.execute("SELECT min(id), max(id) FROM incident").fetchone()
            blocks = range(low, high + 1, _ARRAY_ROWS) if low is not None else range(0)
            statements = [
                _compiled(
                    engine,
                    select(*arrays).where(
                        *where, Incident.id >= start, Incident.id < start + _ARRAY_ROWS
                    ),
                )
                for start in blocks
            ]
            columns = _array_columns(driver, statements, record)
        else:
            query = select(Incident.lat, Incident.lon, *packed).where(*where)
            sql, params = _compiled(engine, query)
            parts = [
                np.fromiter(rows, dtype=record, count=len(rows))
                for rows in _chunks(driver, sql, params, postgres=postgres)
            ]

    def whole(name: str) -> Any:
        if postgres:
            return columns[name]
        if not parts:
            return np.empty(0, dtype=record[name])
        return np.concatenate([part[name] for part in parts])

    unpacked: dict[str, Any] = {}
    for i, (_, layout) in enumerate(words):
        word = whole(f"word{i}")
        for name, lowest, size, scale, dtype in layout:
            unpacked[name] = ((word // scale) % size + lowest).astype(dtype)
        del word
        if postgres:
            del columns[f"word{i}"]  # unpacked: let it go

    def column(name: str) -> Any:
        return whole(name) if name in ("lat", "lon") else unpacked[name]

    frame = pd.DataFrame(
        {
            "lat": column("lat"),
            "lon": column("lon"),
            "month": column("month"),
            # for the cell key method: the register's counts carry their key sums
            "record_key": column("record_key"),
        }
    )
    for name in _CODED:
        if name in wanted:
            frame[name] = pd.Categorical.from_codes(column(name), categories=values[name])
        elif name == "kind" and len(values["kind"]) == 1:
            frame[name] = pd.Categorical.from_codes(
                np.zeros(len(frame), dtype=np.int8), categories=values["kind"]
            )
    if hours:
        frame["hour"] = column("hour")
    if dates:
        # SQL counts days from Sunday = 0; Python and pandas from Monday = 0
        weekday = column("weekday")
        frame["weekday"] = np.where(weekday < 0, -1, (weekday + 6) % 7).astype(np.int8)
    return frame


def month_range(engine: Engine) -> tuple[dt.date | None, dt.date | None]:
    """First and last month held.

    Two scalar subqueries, not one ``SELECT MIN(), MAX()``: SQLite answers a lone ``MIN`` or
    ``MAX`` from the end of the month index at once, but scans the whole index for the pair.
    """
    first_q = select(func.min(Incident.month)).scalar_subquery()
    last_q = select(func.max(Incident.month)).scalar_subquery()
    with engine.connect() as conn:
        first, last = conn.execute(select(first_q, last_q)).one()
    return _as_date(first), _as_date(last)


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def taxonomy_in_store(engine: Engine) -> dict[str, list[str]]:
    """Return the kinds, categories, age bands, flags and districts held, for filters."""
    with engine.connect() as conn:
        kinds = sorted(conn.execute(select(Incident.kind).distinct()).scalars())
        categories = sorted(conn.execute(select(Incident.category).distinct()).scalars())
        ages = sorted(a for a in conn.execute(select(Incident.age_band).distinct()).scalars() if a)
        flag_strings = conn.execute(select(Incident.flags).distinct()).scalars()
        districts = sorted(
            d for d in conn.execute(select(Incident.district_code).distinct()).scalars() if d
        )
    flags = sorted({f for s in flag_strings if s for f in s.strip(",").split(",") if f})
    return {
        "kinds": kinds,
        # New categories wait for an administrator's approval before they are offered.
        "categories": shown_categories(engine, categories),
        "age_bands": ages,
        "flags": flags,
        "districts": districts,
    }
