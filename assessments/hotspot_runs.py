"""Hotspot runs: compute DBSCAN hotspots over a scope and fold them into the register.

Every run has a scope (``geo.scope``): the kinds, districts, categories, flags, age bands and
month window it looked at. A run is matched only to hotspots of its own scope, in two steps:

1. against the scope's **active** hotspots by shared member cells (``geo.register``): matched
   hotspots keep their id and history, splits and merges are recorded as lineage;
2. the run's hotspots still without an id against the scope's **retired** hotspots: a place that
   returns after dropping out keeps its old id, decisions and status history, with a
   ``recurred`` lineage edge.

Only active hotspots of the same scope that nobody continued are retired ("not currently
active", never deleted); hotspots of other scopes are untouched. Missing-from and found-at
scopes are built on resolution-7 cells that reach the suppression threshold (``geo.hotspots``).

Incidents are read column by column and the register is written in bulk (the driver's own
``executemany``, values through each column's bind processor): no ORM object per hotspot. Runs
are serialised by a database lock, so two analysts recomputing at once leave one consistent
register.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from itertools import repeat
from typing import Any, cast

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    LargeBinary,
    Table,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from assessments import bulkload
from assessments.audit import record_event
from assessments.db import is_postgres
from assessments.incidents import load_hotspot_points, month_range
from assessments.models import (
    Hotspot,
    HotspotLineage,
    HotspotObservation,
    HotspotRun,
    HotspotStatusChange,
    utcnow,
)
from assessments.permissions import Actor, require
from assessments.register import REGISTER_RES
from assessments.settings import get_settings
from assessments.store import data_version
from geo.disclosure import INTERNAL, DisclosureProfile, shown_count
from geo.filters import IncidentFilter
from geo.hotspots import DEFAULT_EPS_M, DEFAULT_MIN_SAMPLES, find_hotspots
from geo.register import DEFAULT_MATCH_THRESHOLD, match_to_register
from geo.scope import RunScope, scope_of

__all__ = ["RunSummary", "register_run", "run_history", "shown_params"]

_LOCK_KEY = 73_010_501  # PostgreSQL advisory lock for register runs
#: Rows per multi-row statement or executemany batch.
_BATCH = 2_000


@dataclass
class RunSummary:
    """What a run found and how it changed the register."""

    run_id: int
    n_hotspots: int
    new: int
    continued: int
    split: int
    merged: int
    inactive: int
    params: dict[str, Any]
    recurred: int = 0
    scope: str = ""

    def as_json(self) -> dict[str, Any]:
        """Return the summary for ``--json``."""
        return asdict(self)


def _lock(conn: Connection) -> None:
    """Serialise register runs: an advisory lock on PostgreSQL, the write lock on SQLite."""
    if is_postgres(conn.engine):
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    else:
        conn.execute(text("UPDATE hotspot_run SET ran_by = ran_by WHERE 1 = 0"))


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _first_of_month(value: dt.date | None) -> dt.date | None:
    return value.replace(day=1) if value else None


def _month_date(text_month: str) -> dt.date:
    return dt.date(int(text_month[:4]), int(text_month[5:7]), 1)


def _cell_sets(rows: list[Any]) -> pd.Series:
    """Register cells (JSON lists of cell ids as text) as int64 arrays by hotspot id."""
    ids = [int(r[0]) for r in rows]
    lists = [r[1] or [] for r in rows]
    lengths = np.fromiter((len(c) for c in lists), dtype=np.int64, count=len(lists))
    flat = np.array([c for cells in lists for c in cells], dtype=np.int64)
    parts = np.split(flat, np.cumsum(lengths)[:-1]) if len(lists) else []
    return pd.Series(dict(zip(ids, parts, strict=True)), dtype=object)


def _match(
    found_cells: pd.Series, active: pd.Series, retired: pd.Series, threshold: float
) -> tuple[pd.DataFrame, pd.DataFrame, list[int]]:
    """Match a run to its scope's register: active hotspots first, then retired ones.

    Returns the per-new-hotspot frame (``matched_id``, ``relation``), the split and merge
    lineage, and the ids of active hotspots nobody kept.
    """
    result = match_to_register(found_cells, active, threshold=threshold)
    new = result.new[["matched_id", "relation"]].copy()
    unmatched = new.index[new["matched_id"].isna()]
    if len(unmatched) and len(retired):
        back = match_to_register(found_cells.loc[unmatched], retired, threshold=threshold)
        returned = back.new[back.new["matched_id"].notna()]
        new.loc[returned.index, "matched_id"] = returned["matched_id"]
        new.loc[returned.index, "relation"] = "recurred"
    kept = {int(i) for i in new["matched_id"].dropna()}
    retire = [int(i) for i in active.index if int(i) not in kept]
    return new, result.lineage, retire


def _rows_for(found: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the register columns of each found hotspot, in the order of ``found``."""
    wkb = shapely.to_wkb(found.geometry.to_numpy())
    rows = []
    for i, (
        cells,
        districts,
        by_category,
        by_month,
        first,
        last,
        direction,
        p,
        profiles,
    ) in enumerate(
        zip(
            found["cells"],
            found["districts"],
            found["by_category"],
            found["by_month"],
            found["first_month"],
            found["last_month"],
            found["trend_direction"],
            found["trend_p"],
            found["profiles"],
            strict=True,
        )
    ):
        rows.append(
            {
                "cells": [str(c) for c in cells.tolist()],
                "boundary_wkb": wkb[i],
                "districts": sorted(str(d) for d in districts),
                "by_category": by_category,
                "by_month": by_month,
                "first_month": _month_date(first),
                "last_month": _month_date(last),
                "trend_direction": str(direction),
                "trend_p": None if p is None or pd.isna(p) else float(p),
                "profiles": profiles,
            }
        )
    if "key_sums" in found.columns:
        for row, sums in zip(rows, found["key_sums"], strict=True):
            # numpy numbers in them are written as numbers (assessments.db.json_text)
            row["key_sums"] = sums or None
    numbers = found[["centroid_lat", "centroid_lon", "area_m2", "n_incidents"]]
    for row, (lat, lon, area, n) in zip(rows, numbers.itertuples(index=False), strict=True):
        row.update(
            centroid_lat=float(lat),
            centroid_lon=float(lon),
            area_m2=float(area),
            n_incidents=int(n),
        )
    return rows


def _driver_rows(
    conn: Connection, table: Table, rows: list[dict[str, Any]]
) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
    """Column names, placeholders and value tuples of ``rows`` for the driver's ``executemany``.

    Each value goes through its column type's bind processor for this database (JSON to text,
    dates to ISO text on SQLite), so the stored values are those an ORM write stores, without
    SQLAlchemy's per-row statement machinery. Columns whose value is the same in every row are
    processed once.
    """
    dialect = conn.dialect
    names = list(rows[0])
    postgres = is_postgres(conn.engine)
    marks = []
    columns: list[Any] = []
    for name in names:
        column = table.c[name]
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(column.type, LargeBinary):
            process = None  # both drivers take bytes as they are (outlines' WKB)
        first = rows[0][name]
        if all(row[name] is first for row in rows):
            value = process(first) if process and first is not None else first
            columns.append(repeat(value, len(rows)))
        elif process is None:
            columns.append([row[name] for row in rows])
        else:
            given = [row[name] for row in rows]
            columns.append([None if v is None else process(v) for v in given])
        json_column = postgres and isinstance(column.type, JSON)
        marks.append("CAST(%s AS JSON)" if json_column else ("%s" if postgres else "?"))
    # converted a column at a time, then zipped into the driver's row tuples
    values = list(zip(*columns, strict=True))
    return names, marks, values


def _slices(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Yield ``rows`` in slices of ``_BATCH``, converted (JSON text...) one slice at a time.

    Memory then holds one slice's text, not the whole register's (300 MB at 5M rows).
    """
    for start in range(0, len(rows), _BATCH):
        yield rows[start : start + _BATCH]


def _insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) with the driver's own ``executemany``."""
    quote = conn.dialect.identifier_preparer.quote
    for part in _slices(rows):
        names, marks, values = _driver_rows(conn, table, part)
        # names come from the table's own columns, never from input
        columns = ", ".join(quote(n) for n in names)
        sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({', '.join(marks)})"  # noqa: S608
        conn.exec_driver_sql(sql, values)


def _update_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Update rows by ``id`` (the last key of each row) and add one to their ``version``."""
    quote = conn.dialect.identifier_preparer.quote
    for part in _slices(rows):
        names, marks, values = _driver_rows(conn, table, part)
        # names come from the table's own columns, never from input
        sets = ", ".join(f"{quote(n)} = {m}" for n, m in zip(names[:-1], marks[:-1], strict=True))
        sql = (
            f"UPDATE {quote(table.name)} SET {sets}, version = version + 1 "  # noqa: S608
            f"WHERE id = {marks[-1]}"
        )
        conn.exec_driver_sql(sql, values)


def _new_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """Reserve ``n`` ids for new rows of ``table``, in increasing order (run lock held).

    PostgreSQL takes them from the column's sequence; SQLite, whose writer holds the database
    lock, continues after the largest id (what it would choose itself, row by row).
    """
    if is_postgres(conn.engine):
        taken = conn.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": table.name, "n": n},
        ).scalars()
        return sorted(int(i) for i in taken)
    largest = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(int(largest) + 1, int(largest) + 1 + n))


def register_run(
    engine: Engine,
    *,
    actor: Actor,
    filt: IncidentFilter | None = None,
    eps_m: float = DEFAULT_EPS_M,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    threshold: float = DEFAULT_MATCH_THRESHOLD,
    as_of: dt.date | None = None,
) -> RunSummary:
    """Compute hotspots for ``filt`` and update the register of its scope; return what changed.

    Parameters
    ----------
    engine
        The store.
    actor
        Who runs it (needs ``compute_hotspots``).
    filt
        The incidents to look at (default: every incident of kind ``incident``). Its scope
        (``geo.scope.scope_of``) decides which register hotspots the run may continue or retire.
    eps_m, min_samples
        DBSCAN parameters (not part of the scope).
    threshold
        Overlap that links a new hotspot to a register hotspot.
    as_of
        Treat this month as the newest one held (default: the newest month in the store): a
        rolling window ("the last 12 months") then ends there, and later months are not read.
        For rebuilding a register's history month by month.
    """
    require(actor, "compute_hotspots")
    filt = filt or IncidentFilter(kinds=("incident",))
    newest = _first_of_month(as_of) or _first_of_month(month_range(engine)[1])
    scope = scope_of(filt, newest=newest)
    applied = scope.to_filter(newest)
    coarse = INTERNAL.coarse_res if scope.sensitive else None
    threshold_cell = get_settings().suppression_threshold
    points = load_hotspot_points(engine, applied)
    found = find_hotspots(
        points,
        eps_m=eps_m,
        min_samples=min_samples,
        cell_res=REGISTER_RES,
        coarse_res=coarse,
        min_cell_count=threshold_cell,
        slopes=False,  # the register keeps the trend's direction and p-value only
    )
    # The key sum of the run's incidents: their number is shown perturbed (cell key method).
    incidents_keysum = int(points["record_key"].sum())
    del points
    cell_res = coarse or REGISTER_RES
    params: dict[str, Any] = {
        "eps_m": eps_m,
        "min_samples": min_samples,
        "cell_res": cell_res,
        "match_threshold": threshold,
        "filter": applied.describe(),
        "scope": scope.describe(),
        "scope_key": scope.key(),
        "incidents": int(found.attrs["parameters"]["n_input"]),
        "incidents_keysum": incidents_keysum,
    }

    if coarse is not None:
        params["neighbourhood"] = f"adjacent resolution-{coarse} cells"
        params["min_cell_count"] = threshold_cell
    version = data_version(engine)
    now = utcnow()
    key = scope.key()
    scope_json = scope.as_json()
    rows = _rows_for(found)
    found_cells = pd.Series(
        {i: np.asarray(c, dtype=np.int64) for i, c in enumerate(found["cells"])}, dtype=object
    )
    hotspot = _table(Hotspot)
    # SQLite: a page cache of 64 MB, not the store's 256 MB, while a large register is written
    # (5M incidents, 55,000 places: 230 MB of cache that would be filled once and never read).
    with engine.connect() as conn, bulkload.bounded_memory(conn), conn.begin():
        _lock(conn)
        register = conn.execute(
            select(hotspot.c.id, hotspot.c.cells, hotspot.c.is_active)
            .where(hotspot.c.source == "dbscan", hotspot.c.scope_key == key)
            .order_by(hotspot.c.id)
        ).all()
        active = _cell_sets([r for r in register if r[2]])
        retired = _cell_sets([r for r in register if not r[2]])
        matched, lineage, retire = _match(found_cells, active, retired, threshold)
        run_id = int(
            conn.execute(
                insert(_table(HotspotRun)).returning(_table(HotspotRun).c.id),
                {
                    "ran_at": now,
                    "ran_by": actor.username,
                    "params": params,
                    "data_version": version,
                    "summary": {},
                    "scope": scope_json,
                    "scope_key": key,
                },
            ).scalar_one()
        )
        ids = matched["matched_id"].to_numpy(dtype=object)
        relation = matched["relation"].to_numpy(dtype=object)
        old = [i for i in range(len(rows)) if ids[i] is not None and not pd.isna(ids[i])]
        kept = set(old)
        fresh = [i for i in range(len(rows)) if i not in kept]
        assigned: dict[int, int] = {i: int(ids[i]) for i in old}

        if old:
            fixed = {"is_active": True, "last_run_id": run_id, "last_seen_at": now}
            _update_rows(
                conn,
                hotspot,
                [{**fixed, "updated_at": now, **rows[i], "id": assigned[i]} for i in old],
            )
        if fresh:
            common = {
                "name": "",
                "source": "dbscan",
                "status": "new",
                "is_active": True,
                "first_run_id": run_id,
                "last_run_id": run_id,
                "first_seen_at": now,
                "last_seen_at": now,
                "reason": "",
                "created_by": actor.username,
                "updated_at": now,
                "version": 1,
                "scope": scope_json,
                "scope_key": key,
            }
            new_ids = _new_ids(conn, hotspot, len(fresh))
            assigned.update(zip(fresh, new_ids, strict=True))
            _insert_rows(
                conn,
                hotspot,
                [{"id": assigned[i], **common, **rows[i]} for i in fresh],
            )
            _insert_rows(
                conn,
                _table(HotspotStatusChange),
                [
                    {
                        "hotspot_id": assigned[i],
                        "at": now,
                        "by": actor.username,
                        "from_status": None,
                        "to_status": "new",
                        "reason": f"found by run {run_id}",
                    }
                    for i in fresh
                ],
            )
        _insert_rows(
            conn,
            _table(HotspotObservation),
            [
                {
                    "run_id": run_id,
                    "hotspot_id": assigned[i],
                    "n_incidents": rows[i]["n_incidents"],
                    "keysum": (rows[i].get("key_sums") or {}).get("n_incidents"),
                    "n_cells": len(rows[i]["cells"]),
                    "area_m2": rows[i]["area_m2"],
                    "trend_direction": rows[i]["trend_direction"],
                    "relation": relation[i],
                }
                for i in range(len(rows))
            ],
        )
        edges: list[dict[str, Any]] = [
            {
                "run_id": run_id,
                "parent_id": int(edge.parent_id),
                "child_id": assigned[int(edge.child)],
                "kind": "merged" if edge.kind == "merge" else "split",
                "overlap": float(edge.similarity),
            }
            for edge in lineage.itertuples()
            if int(edge.parent_id) != assigned[int(edge.child)]
        ]
        edges += [
            {
                "run_id": run_id,
                "parent_id": assigned[i],
                "child_id": assigned[i],
                "kind": "recurred",
                "overlap": None,
            }
            for i in range(len(rows))
            if relation[i] == "recurred"
        ]
        _insert_rows(conn, _table(HotspotLineage), edges)
        for start in range(0, len(retire), _BATCH):
            conn.execute(
                update(hotspot)
                .where(hotspot.c.id.in_(retire[start : start + _BATCH]))
                .values(is_active=False, updated_at=now, version=hotspot.c.version + 1)
            )
        counts = pd.Series(relation, dtype=object).value_counts().to_dict()
        summary = RunSummary(
            run_id=run_id,
            n_hotspots=len(rows),
            new=int(counts.get("new", 0)),
            continued=int(counts.get("continued", 0)),
            split=int(counts.get("split-from", 0)),
            merged=int(counts.get("merged-from", 0)),
            inactive=len(retire),
            params=params,
            recurred=int(counts.get("recurred", 0)),
            scope=scope.describe(),
        )
        stored = {k: v for k, v in summary.as_json().items() if k != "params"}
        conn.execute(
            update(_table(HotspotRun))
            .where(_table(HotspotRun).c.id == run_id)
            .values(summary=stored)
        )
        with Session(bind=conn) as session:
            record_event(
                session,
                actor=actor,
                action="compute",
                entity="hotspot_run",
                entity_id=run_id,
                after=stored,
                detail=params,
            )
            session.flush()
    return summary


def shown_params(params: dict[str, Any] | None, profile: DisclosureProfile) -> dict[str, Any]:
    """Return a run's parameters as anyone may see them: ``incidents`` perturbed, no key sum."""
    shown = dict(params or {})
    keysum = shown.pop("incidents_keysum", None)
    if "incidents" in shown:
        shown["incidents"] = shown_count(shown["incidents"], profile, key=keysum)
    return shown


def run_history(engine: Engine) -> pd.DataFrame:
    """Return every run, newest first: when, who, scope, parameters and what changed."""
    with engine.connect() as conn:
        runs = conn.execute(
            select(
                HotspotRun.id,
                HotspotRun.ran_at,
                HotspotRun.ran_by,
                HotspotRun.summary,
                HotspotRun.params,
                HotspotRun.scope,
                HotspotRun.scope_key,
            ).order_by(HotspotRun.id.desc())
        ).all()
        counted = dict(
            conn.execute(
                select(HotspotObservation.run_id, func.count()).group_by(HotspotObservation.run_id)
            ).all()
        )
    return pd.DataFrame(
        [
            {
                "run": r.id,
                "at": r.ran_at,
                "by": r.ran_by,
                **(r.summary or {}),
                "scope": RunScope.from_json(r.scope).describe() if r.scope_key else "",
                "scope_key": r.scope_key,
                "observed": int(counted.get(r.id, 0)),
                "parameters": r.params,
            }
            for r in runs
        ]
    )
