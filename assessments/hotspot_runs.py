"""Hotspot runs: compute DBSCAN hotspots over a filter and fold them into the register.

A new run is matched to the register by shared member cells (``geo.register``): matched
hotspots keep their id and history, splits and merges are recorded as lineage, unmatched old ones
become "not currently active" (never deleted). Runs are serialised by a database lock, so two
analysts recomputing at once leave one consistent register.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session

from assessments.audit import record_event
from assessments.db import is_postgres
from assessments.incidents import load_incidents
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
from assessments.store import data_version
from geo.filters import IncidentFilter
from geo.hotspots import DEFAULT_EPS_M, DEFAULT_MIN_SAMPLES, find_hotspots
from geo.register import DEFAULT_MATCH_THRESHOLD, match_to_register

__all__ = ["RunSummary", "register_run", "run_history"]

_LOCK_KEY = 73_010_501  # PostgreSQL advisory lock for register runs


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

    def as_json(self) -> dict[str, Any]:
        """Return the summary for ``--json``."""
        return asdict(self)


def _lock(conn: Connection) -> None:
    """Serialise register runs: an advisory lock on PostgreSQL, the write lock on SQLite."""
    if is_postgres(conn.engine):
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    else:
        conn.execute(text("UPDATE hotspot_run SET ran_by = ran_by WHERE 1 = 0"))


def _json_months(value: dict[Any, Any]) -> dict[str, int]:
    return {str(k)[:7]: int(v) for k, v in (value or {}).items()}


def register_run(
    engine: Engine,
    *,
    actor: Actor,
    filt: IncidentFilter | None = None,
    eps_m: float = DEFAULT_EPS_M,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    threshold: float = DEFAULT_MATCH_THRESHOLD,
) -> RunSummary:
    """Compute hotspots for ``filt`` and update the register; return what changed."""
    require(actor, "compute_hotspots")
    filt = filt or IncidentFilter(kinds=("incident",))
    incidents = load_incidents(engine, filt)
    found = find_hotspots(incidents, eps_m=eps_m, min_samples=min_samples, cell_res=REGISTER_RES)
    params = {
        "eps_m": eps_m,
        "min_samples": min_samples,
        "cell_res": REGISTER_RES,
        "match_threshold": threshold,
        "filter": filt.describe(),
        "incidents": len(incidents),
    }
    version = data_version(engine)
    now = utcnow()
    with engine.begin() as conn:
        _lock(conn)
        session = Session(bind=conn)
        existing = session.scalars(
            select(Hotspot)
            .where(Hotspot.is_active, Hotspot.source == "dbscan")
            .order_by(Hotspot.id)
        ).all()
        by_id = {h.id: h for h in existing}
        new_cells = pd.Series(
            {i: np.asarray(c, dtype=np.int64) for i, c in enumerate(found["cells"])}, dtype=object
        )
        old_cells = pd.Series(
            {h.id: np.asarray([int(c) for c in h.cells], dtype=np.int64) for h in existing},
            dtype=object,
        )
        result = match_to_register(new_cells, old_cells, threshold=threshold)
        run = HotspotRun(ran_at=now, ran_by=actor.username, params=params, data_version=version)
        session.add(run)
        session.flush()
        assigned: dict[int, int] = {}
        for key, row in found.reset_index(drop=True).iterrows():
            match = result.new.loc[key]
            matched = match["matched_id"]
            hotspot = by_id.get(int(matched)) if matched is not None and pd.notna(matched) else None
            if hotspot is None:
                hotspot = Hotspot(
                    source="dbscan",
                    status="new",
                    first_run_id=run.id,
                    first_seen_at=now,
                    created_by=actor.username,
                )
                session.add(hotspot)
            hotspot.is_active = True
            hotspot.last_run_id = run.id
            hotspot.last_seen_at = now
            hotspot.cells = [str(int(c)) for c in row["cells"]]
            hotspot.boundary_wkb = shapely.to_wkb(row["geometry"])
            hotspot.centroid_lat = float(row["centroid_lat"])
            hotspot.centroid_lon = float(row["centroid_lon"])
            hotspot.area_m2 = float(row["area_m2"])
            hotspot.n_incidents = int(row["n_incidents"])
            hotspot.districts = sorted(str(d) for d in (row["districts"] or []))
            hotspot.by_category = {str(k): int(v) for k, v in row["by_category"].items()}
            hotspot.by_month = _json_months(row["by_month"])
            hotspot.first_month = pd.Timestamp(row["first_month"]).date()
            hotspot.last_month = pd.Timestamp(row["last_month"]).date()
            hotspot.trend_direction = str(row["trend_direction"])
            p = row["trend_p"]
            hotspot.trend_p = None if p is None or pd.isna(p) else float(p)
            session.flush()
            if hotspot.first_run_id == run.id:
                session.add(
                    HotspotStatusChange(
                        hotspot_id=hotspot.id,
                        at=now,
                        by=actor.username,
                        from_status=None,
                        to_status="new",
                        reason=f"found by run {run.id}",
                    )
                )
            assigned[int(key)] = hotspot.id
            session.add(
                HotspotObservation(
                    run_id=run.id,
                    hotspot_id=hotspot.id,
                    n_incidents=hotspot.n_incidents,
                    n_cells=len(hotspot.cells),
                    area_m2=hotspot.area_m2,
                    trend_direction=hotspot.trend_direction,
                )
            )
        for edge in result.lineage.itertuples():
            kind = "merged" if edge.kind == "merge" else "split"
            child = assigned[int(edge.child)]
            if int(edge.parent_id) != child:
                session.add(
                    HotspotLineage(
                        run_id=run.id,
                        parent_id=int(edge.parent_id),
                        child_id=child,
                        kind=kind,
                        overlap=float(edge.similarity),
                    )
                )
        kept = set(assigned.values())
        inactive = [h for h in existing if h.id not in kept]
        for hotspot in inactive:
            hotspot.is_active = False
        relations = result.new["relation"].value_counts().to_dict()
        summary = RunSummary(
            run_id=run.id,
            n_hotspots=len(found),
            new=int(relations.get("new", 0)),
            continued=int(relations.get("continued", 0)),
            split=int(relations.get("split-from", 0)),
            merged=int(relations.get("merged-from", 0)),
            inactive=len(inactive),
            params=params,
        )
        run.summary = {k: v for k, v in summary.as_json().items() if k != "params"}
        record_event(
            session,
            actor=actor,
            action="compute",
            entity="hotspot_run",
            entity_id=run.id,
            after=run.summary,
            detail=params,
        )
        session.flush()
        session.close()
    return summary


def run_history(engine: Engine) -> pd.DataFrame:
    """Return every run, newest first: when, who, parameters and what changed."""
    with Session(engine) as session:
        runs = session.scalars(select(HotspotRun).order_by(HotspotRun.id.desc())).all()
        return pd.DataFrame(
            [
                {
                    "run": r.id,
                    "at": r.ran_at,
                    "by": r.ran_by,
                    **(r.summary or {}),
                    "parameters": r.params,
                }
                for r in runs
            ]
        )
