"""Reading incidents from the store: filters as SQL, points for hotspots, counts for maps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, func, or_, select

from assessments.models import Incident
from geo.filters import IncidentFilter

__all__ = ["filter_clauses", "load_incidents", "month_range", "taxonomy_in_store"]


def filter_clauses(filt: IncidentFilter) -> list[ColumnElement[bool]]:
    """Return the filter as SQL conditions on ``incident`` (bound parameters only)."""
    clauses: list[ColumnElement[bool]] = []
    if filt.start_month:
        clauses.append(Incident.month >= filt.start_month)
    if filt.end_month:
        clauses.append(Incident.month <= filt.end_month)
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
        "categories": categories,
        "age_bands": ages,
        "flags": flags,
        "districts": districts,
    }
