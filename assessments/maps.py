"""Map aggregation in the database: counts per H3 cell with a GROUP BY, never loading points.

Every count comes with ``keysum``, the sum of its records' keys from the same ``GROUP BY``
(``SUM(record_key)``): sums of counts and sums of key sums add up together, and
``geo.disclosure.protect_counts(counts, profile, keys=keysums)`` turns them into what is shown.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, literal_column, select

from assessments.incidents import filter_clauses
from assessments.models import Incident
from geo.cells import parent_sql
from geo.filters import IncidentFilter

__all__ = ["cell_detail", "count_cells", "count_cells_by_month", "monthly_counts"]


def _parent(res: int):  # type: ignore[no-untyped-def]
    return literal_column(parent_sql("incident.h3_cell", res)).label("h3_cell")


def _keysum():  # type: ignore[no-untyped-def]
    return func.coalesce(func.sum(Incident.record_key), 0).label("keysum")


def count_cells(engine: Engine, filt: IncidentFilter, *, res: int) -> pd.DataFrame:
    """Count matching incidents per cell at ``res`` (``h3_cell``, ``count``, ``keysum``), in SQL."""
    cell = _parent(res)
    query = (
        select(cell, func.count().label("count"), _keysum())
        .select_from(Incident)
        .where(*filter_clauses(filt))
        .group_by(cell)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame(
        {
            "h3_cell": np.array([r[0] for r in rows], dtype=np.int64),
            "count": np.array([r[1] for r in rows], dtype=np.int64),
            "keysum": np.array([r[2] for r in rows], dtype=np.int64),
        }
    )


def monthly_counts(engine: Engine, filt: IncidentFilter, *, by: str | None = None) -> pd.DataFrame:
    """Count matching incidents per month (and per ``by`` column), with ``keysum``."""
    columns = [Incident.month] + ([getattr(Incident, by)] if by else [])
    query = (
        select(*columns, func.count().label("count"), _keysum())
        .where(*filter_clauses(filt))
        .group_by(*columns)
        .order_by(Incident.month)
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(query).all(), columns=["month", *([by] if by else []), "count", "keysum"]
        )
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def cell_detail(engine: Engine, filt: IncidentFilter, *, cell: int, res: int) -> pd.DataFrame:
    """Count by category and month inside one cell (raw: protect them before showing)."""
    parent: Any = literal_column(parent_sql("incident.h3_cell", res))
    query = (
        select(Incident.category, Incident.month, func.count().label("count"), _keysum())
        .where(*filter_clauses(filt), parent == int(cell))
        .group_by(Incident.category, Incident.month)
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(query).all(), columns=["category", "month", "count", "keysum"]
        )
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def count_cells_by_month(engine: Engine, filt: IncidentFilter, *, res: int) -> pd.DataFrame:
    """Count matching incidents per cell and month, as cells x months (zeros filled), in SQL."""
    cell = _parent(res)
    query = (
        select(cell, Incident.month, func.count().label("count"))
        .select_from(Incident)
        .where(*filter_clauses(filt))
        .group_by(cell, Incident.month)
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(), columns=["h3_cell", "month", "count"])
    if frame.empty:
        return pd.DataFrame()
    frame["month"] = pd.to_datetime(frame["month"])
    wide = frame.pivot_table(
        index="h3_cell", columns="month", values="count", aggfunc="sum", fill_value=0
    )
    months = pd.date_range(wide.columns.min(), wide.columns.max(), freq="MS")
    wide = wide.reindex(columns=months, fill_value=0)
    wide.index = wide.index.astype("int64")
    return wide
