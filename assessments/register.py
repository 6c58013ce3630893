"""The hotspot register: status lifecycle, meeting decisions and places of concern added by hand.

Hotspots found by DBSCAN enter the register through :func:`assessments.hotspot_runs.register_run`,
which keeps their identity across runs. Panels also name vulnerable places from referrals, not
only from data: :func:`add_place_of_concern` adds one by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import h3
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from assessments.audit import record_event, snapshot
from assessments.models import (
    District,
    Hotspot,
    HotspotLineage,
    HotspotObservation,
    HotspotRun,
    HotspotStatusChange,
    MeetingNote,
    utcnow,
)
from assessments.permissions import Actor, require
from assessments.sites import district_of_point
from geo._errors import ConflictError, InputError
from geo.ingest.personal import personal_text_message, personal_text_problem
from geo.profiles import PROFILE_DIMENSIONS, ordered_profile
from geo.schema import UK_BOUNDS
from geo.scope import RunScope

__all__ = [
    "NAMED_BY_HAND",
    "REGISTER_COLUMNS",
    "REGISTER_RES",
    "STATUSES",
    "add_meeting_note",
    "add_place_of_concern",
    "describe_scope",
    "district_names",
    "get_hotspot",
    "hotspot_history",
    "hotspot_profile_keys",
    "hotspot_profiles",
    "incidents_keysum",
    "key_sums",
    "list_register",
    "set_status",
]

#: Lifecycle of a hotspot in the register, in order.
STATUSES: Final[tuple[str, ...]] = (
    "new",
    "under review",
    "assessment requested",
    "assessed",
    "monitoring",
    "closed",
)

#: H3 resolution of the member cells kept in the register (edge about 66 m).
REGISTER_RES: Final[int] = 10

_TO_BNG = Transformer.from_crs(4326, 27700, always_xy=True)
_TO_WGS = Transformer.from_crs(27700, 4326, always_xy=True)


def incidents_keysum() -> Any:
    """Return SQL for a hotspot's incidents' key sum (``keysum``; NULL before keys were kept)."""
    return Hotspot.key_sums["n_incidents"].as_integer().label("keysum")


def key_sums(hotspot: Hotspot, part: str) -> dict[str, int]:
    """Return the key sums of one of a hotspot's count dictionaries (``by_month``, ``by_category``).

    Empty when the hotspot was stored before key sums were kept: its counts are then rounded.
    """
    return dict((hotspot.key_sums or {}).get(part) or {})


def get_hotspot(session: Session, hotspot_id: int) -> Hotspot:
    """Return a register entry or raise :class:`InputError`."""
    hotspot = session.get(Hotspot, hotspot_id)
    if hotspot is None:
        msg = f"there is no hotspot {hotspot_id} in the register"
        raise InputError(msg)
    return hotspot


def set_status(
    session: Session,
    *,
    actor: Actor,
    hotspot_id: int,
    expected_version: int,
    status: str,
    reason: str,
) -> Hotspot:
    """Move a hotspot to ``status``, saying why; refused if it changed since it was opened."""
    require(actor, "edit_register")
    if status not in STATUSES:
        msg = f"unknown status {status!r}; choose one of: {', '.join(STATUSES)}"
        raise InputError(msg)
    if not reason.strip():
        msg = "say why the status changes (the meeting's reason)"
        raise InputError(msg)
    _refuse_personal(("reason", reason, False))
    hotspot = get_hotspot(session, hotspot_id)
    if hotspot.version != expected_version:
        raise ConflictError(
            f"hotspot {hotspot_id} was changed by someone else since you opened it",
            current=snapshot(hotspot, exclude=("boundary_wkb", "cells")),
            attempted={"status": status, "reason": reason},
        )
    if hotspot.status == status:
        msg = f"the status is already {status!r}: choose another status to record a change"
        raise InputError(msg)
    before = hotspot.status
    hotspot.status = status
    session.add(
        HotspotStatusChange(
            hotspot_id=hotspot.id,
            at=utcnow(),
            by=actor.username,
            from_status=before,
            to_status=status,
            reason=reason.strip(),
        )
    )
    try:
        session.flush()
    except StaleDataError as exc:
        msg = f"hotspot {hotspot_id} was changed by someone else while you saved it"
        raise ConflictError(msg) from exc
    record_event(
        session,
        actor=actor,
        action="status",
        entity="hotspot",
        entity_id=hotspot.id,
        before={"status": before},
        after={"status": status, "reason": reason},
    )
    return hotspot


def _refuse_personal(*fields: tuple[str, str, bool]) -> None:
    """Refuse typed text holding personal data: (label, text, whether addresses are allowed)."""
    for label, text, addresses in fields:
        problem = personal_text_problem(text, addresses=addresses)
        if problem:
            msg = f"{label}: {personal_text_message(problem)}"
            raise InputError(msg)


def add_meeting_note(
    session: Session,
    *,
    actor: Actor,
    hotspot_id: int,
    meeting_date: dt.date,
    decision: str,
    owner: str = "",
    due_on: dt.date | None = None,
) -> MeetingNote:
    """Record a strategy meeting's decision about a hotspot."""
    require(actor, "edit_register")
    get_hotspot(session, hotspot_id)
    if not decision.strip():
        msg = "write the meeting's decision"
        raise InputError(msg)
    if len(decision) > 4000:
        msg = "a decision is 4000 characters at most"
        raise InputError(msg)
    _refuse_personal(("decision", decision, False))
    if due_on is not None and due_on < meeting_date:
        msg = "the due date is before the meeting"
        raise InputError(msg)
    duplicate = session.scalar(
        select(MeetingNote.id).where(
            MeetingNote.hotspot_id == hotspot_id,
            MeetingNote.meeting_date == meeting_date,
            MeetingNote.decision == decision.strip(),
            MeetingNote.owner == owner.strip(),
            MeetingNote.due_on.is_(None) if due_on is None else MeetingNote.due_on == due_on,
        )
    )
    if duplicate is not None:
        msg = "this decision is already recorded for that meeting (nothing new was saved)"
        raise InputError(msg)
    note = MeetingNote(
        hotspot_id=hotspot_id,
        meeting_date=meeting_date,
        decision=decision.strip(),
        owner=owner.strip(),
        due_on=due_on,
        created_by=actor.username,
    )
    session.add(note)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="create",
        entity="meeting_note",
        entity_id=note.id,
        after=snapshot(note),
    )
    return note


def add_place_of_concern(
    session: Session,
    *,
    actor: Actor,
    name: str,
    lat: float,
    lon: float,
    radius_m: float = 150.0,
    reason: str,
) -> Hotspot:
    """Add a place named by a panel from referrals (not from data) to the register by hand."""
    require(actor, "edit_register")
    lon_min, lat_min, lon_max, lat_max = UK_BOUNDS
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        msg = "the point is not in the United Kingdom (latitude, longitude)"
        raise InputError(msg)
    if not 25 <= radius_m <= 2000:
        msg = "the radius is between 25 and 2000 metres"
        raise InputError(msg)
    if not name.strip() or not reason.strip():
        msg = "give the place a name and say why the panel is concerned (no personal details)"
        raise InputError(msg)
    _refuse_personal(("name", name, True), ("reason", reason, False))
    x, y = _TO_BNG.transform(lon, lat)
    circle = shapely.transform(
        shapely.Point(x, y).buffer(radius_m), _TO_WGS.transform, interleaved=False
    )
    cells = sorted(h3.str_to_int(c) for c in h3.geo_to_cells(circle, REGISTER_RES))
    district = district_of_point(session, lat, lon)
    hotspot = Hotspot(
        name=name.strip(),
        source="manual",
        status="under review",
        is_active=True,
        cells=[str(c) for c in cells],
        boundary_wkb=shapely.to_wkb(circle),
        centroid_lat=lat,
        centroid_lon=lon,
        area_m2=float(np.pi * radius_m**2),
        districts=[district] if district else [],
        reason=reason.strip(),
        created_by=actor.username,
    )
    session.add(hotspot)
    session.flush()
    session.add(
        HotspotStatusChange(
            hotspot_id=hotspot.id,
            at=utcnow(),
            by=actor.username,
            from_status=None,
            to_status="under review",
            reason=f"added by hand: {reason.strip()}",
        )
    )
    record_event(
        session,
        actor=actor,
        action="create",
        entity="hotspot",
        entity_id=hotspot.id,
        after=snapshot(hotspot, exclude=("boundary_wkb", "cells")),
    )
    return hotspot


#: The register's columns, in order (one row per hotspot, no geometry).
REGISTER_COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "name",
    "source",
    "scope",
    "status",
    "active",
    "n_incidents",
    "keysum",
    "area_m2",
    "districts",
    "first_month",
    "last_month",
    "trend",
    "trend_p",
    "recurred",
    "centroid_lat",
    "centroid_lon",
    "first_seen_at",
    "last_seen_at",
    "version",
    "scope_key",
)

#: What the scope column says of a place named by hand.
NAMED_BY_HAND: Final[str] = "named by the panel (not from a run)"


def describe_scope(scope: dict[str, Any] | None, names: dict[str, str] | None = None) -> str:
    """Say a hotspot's scope in plain words (places named by hand have none)."""
    if not scope:
        return NAMED_BY_HAND
    return RunScope.from_json(scope).describe(names)


def district_names(session: Session) -> dict[str, str]:
    """District names by code, for scopes and tables."""
    return dict(session.execute(select(District.code, District.name)).all())


def list_register(
    session: Session,
    *,
    active_only: bool = False,
    statuses: list[str] | None = None,
    districts: list[str] | None = None,
    scope_key: str | None = None,
) -> pd.DataFrame:
    """Return the register as a frame (one row per hotspot, no geometry).

    ``scope`` says in words which runs find the place (kinds, districts, filters, months);
    ``recurred`` counts the times it came back after dropping out of its scope's runs.
    """
    columns = (
        Hotspot.id,
        Hotspot.name,
        Hotspot.source,
        Hotspot.scope,
        Hotspot.status,
        Hotspot.is_active,
        Hotspot.n_incidents,
        incidents_keysum(),
        Hotspot.area_m2,
        Hotspot.districts,
        Hotspot.first_month,
        Hotspot.last_month,
        Hotspot.trend_direction,
        Hotspot.trend_p,
        Hotspot.centroid_lat,
        Hotspot.centroid_lon,
        Hotspot.first_seen_at,
        Hotspot.last_seen_at,
        Hotspot.version,
        Hotspot.scope_key,
    )
    query = select(*columns).order_by(Hotspot.id)
    if active_only:
        query = query.where(Hotspot.is_active)
    if statuses:
        query = query.where(Hotspot.status.in_(statuses))
    if scope_key:
        query = query.where(Hotspot.scope_key == scope_key)
    recurred = dict(
        session.execute(
            select(HotspotLineage.child_id, func.count())
            .where(HotspotLineage.kind == "recurred")
            .group_by(HotspotLineage.child_id)
        ).all()
    )
    names = district_names(session)
    described: dict[str, str] = {}
    rows = []
    for h in session.execute(query):
        if districts and not set(h.districts or []) & set(districts):
            continue
        key = h.scope_key or ""
        if key not in described:
            described[key] = describe_scope(h.scope if h.scope_key else None, names)
        rows.append(
            {
                "id": h.id,
                "name": h.name or f"Hotspot {h.id}",
                "source": h.source,
                "scope": described[key],
                "status": h.status,
                "active": h.is_active,
                "n_incidents": h.n_incidents,
                "keysum": h.keysum,
                "area_m2": h.area_m2,
                "districts": list(h.districts or []),
                "first_month": h.first_month,
                "last_month": h.last_month,
                "trend": h.trend_direction,
                "trend_p": h.trend_p,
                "recurred": int(recurred.get(h.id, 0)),
                "centroid_lat": h.centroid_lat,
                "centroid_lon": h.centroid_lon,
                "first_seen_at": h.first_seen_at,
                "last_seen_at": h.last_seen_at,
                "version": h.version,
                "scope_key": h.scope_key,
            }
        )
    return pd.DataFrame(rows, columns=list(REGISTER_COLUMNS))


def hotspot_profiles(session: Session, hotspot_id: int) -> dict[str, pd.Series]:
    """Raw counts of one hotspot's incidents by age band, flag, hour, weekday and kind.

    Only the dimensions its sources recorded, each in its natural order ("not recorded" last).
    Counts are raw: protect them (``geo.disclosure``) before showing.
    """
    hotspot = get_hotspot(session, hotspot_id)
    profiles = hotspot.profiles or {}
    return {
        dim: ordered_profile(dim, profiles[dim]) for dim in PROFILE_DIMENSIONS if profiles.get(dim)
    }


def hotspot_profile_keys(session: Session, hotspot_id: int) -> dict[str, pd.Series]:
    """Return the key sums behind :func:`hotspot_profiles`, aligned (missing: rounded)."""
    hotspot = get_hotspot(session, hotspot_id)
    profiles = hotspot.profiles or {}
    keys = (hotspot.key_sums or {}).get("profiles") or {}
    return {
        dim: pd.Series(keys.get(dim) or {}, dtype="float64").reindex(
            ordered_profile(dim, profiles[dim]).index
        )
        for dim in PROFILE_DIMENSIONS
        if profiles.get(dim)
    }


def hotspot_history(session: Session, hotspot_id: int) -> dict[str, pd.DataFrame]:
    """Return the status changes, meeting notes, lineage and runs of one hotspot, newest first.

    ``runs`` lists every run that found it: when, how it met it (new, continued, split-from,
    merged-from, recurred) and its raw size then (protect ``n_incidents`` before showing).
    """
    get_hotspot(session, hotspot_id)
    changes = session.scalars(
        select(HotspotStatusChange)
        .where(HotspotStatusChange.hotspot_id == hotspot_id)
        .order_by(HotspotStatusChange.id.desc())
    )
    notes = session.scalars(
        select(MeetingNote)
        .where(MeetingNote.hotspot_id == hotspot_id)
        .order_by(MeetingNote.meeting_date.desc(), MeetingNote.id.desc())
    )
    lineage = session.scalars(
        select(HotspotLineage)
        .where((HotspotLineage.parent_id == hotspot_id) | (HotspotLineage.child_id == hotspot_id))
        .order_by(HotspotLineage.id.desc())
    )
    runs = session.execute(
        select(
            HotspotObservation.run_id,
            HotspotRun.ran_at,
            HotspotObservation.relation,
            HotspotObservation.n_incidents,
            HotspotObservation.keysum,
            HotspotObservation.n_cells,
        )
        .join(HotspotRun, HotspotRun.id == HotspotObservation.run_id)
        .where(HotspotObservation.hotspot_id == hotspot_id)
        .order_by(HotspotObservation.run_id.desc())
    ).all()
    return {
        "status_changes": pd.DataFrame(
            [
                {
                    "at": c.at,
                    "by": c.by,
                    "from": c.from_status,
                    "to": c.to_status,
                    "reason": c.reason,
                }
                for c in changes
            ],
            columns=["at", "by", "from", "to", "reason"],
        ),
        "meeting_notes": pd.DataFrame(
            [
                {
                    "meeting": n.meeting_date,
                    "decision": n.decision,
                    "owner": n.owner,
                    "due": n.due_on,
                    "by": n.created_by,
                }
                for n in notes
            ],
            columns=["meeting", "decision", "owner", "due", "by"],
        ),
        "lineage": pd.DataFrame(
            [
                {
                    "run": x.run_id,
                    "parent": x.parent_id,
                    "child": x.child_id,
                    "kind": x.kind,
                    "overlap": x.overlap,
                }
                for x in lineage
            ],
            columns=["run", "parent", "child", "kind", "overlap"],
        ),
        "runs": pd.DataFrame(
            [
                {
                    "run": r.run_id,
                    "at": r.ran_at,
                    "relation": r.relation or "",
                    "n_incidents": r.n_incidents,
                    "keysum": r.keysum,
                    "cells": r.n_cells,
                }
                for r in runs
            ],
            columns=["run", "at", "relation", "n_incidents", "keysum", "cells"],
        ),
    }
