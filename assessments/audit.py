"""The audit trail: append-only events for every change, import, export and sign-in.

Events name who, when, what, and the record before and after; never incident content. The table
refuses UPDATE and DELETE at the database level (see migration 0004).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assessments.models import AuditEvent, utcnow
from assessments.permissions import Actor, require

__all__ = ["list_events", "record_event", "snapshot"]


def _actor_name(actor: Actor | str | None) -> tuple[str, str]:
    if actor is None:
        return "anonymous", ""
    if isinstance(actor, str):
        return actor, ""
    return actor.username, actor.role


def record_event(
    session: Session,
    *,
    actor: Actor | str | None,
    action: str,
    entity: str = "",
    entity_id: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to ``session`` (it commits with the change it records)."""
    name, role = _actor_name(actor)
    event = AuditEvent(
        at=utcnow(),
        actor=name,
        actor_role=role,
        action=action,
        entity=entity,
        entity_id=str(entity_id) if entity_id is not None else "",
        before=_jsonable(before),
        after=_jsonable(after),
        detail=_jsonable(detail) or {},
    )
    session.add(event)
    return event


def snapshot(record: object, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return the column values of an ORM ``record`` as a JSON-ready dict (secrets excluded)."""
    hidden = {"password_hash", *exclude}
    table = record.__table__  # type: ignore[attr-defined]
    return _jsonable({c.key: getattr(record, c.key) for c in table.columns if c.key not in hidden})


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def list_events(
    engine: Engine,
    *,
    actor: Actor,
    since: dt.date | None = None,
    until: dt.date | None = None,
    who: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """Return audit events, newest first, filtered; only admins may read them."""
    require(actor, "view_audit")
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if since:
        query = query.where(AuditEvent.at >= dt.datetime.combine(since, dt.time(), dt.UTC))
    if until:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
        query = query.where(AuditEvent.at < end)
    if who:
        query = query.where(AuditEvent.actor == who)
    if action:
        query = query.where(AuditEvent.action == action)
    if entity:
        query = query.where(AuditEvent.entity == entity)
    with Session(engine) as session:
        rows = session.scalars(query).all()
        return pd.DataFrame(
            [
                {
                    "id": e.id,
                    "at": e.at,
                    "actor": e.actor,
                    "role": e.actor_role,
                    "action": e.action,
                    "entity": e.entity,
                    "entity_id": e.entity_id,
                    "before": e.before,
                    "after": e.after,
                    "detail": e.detail,
                }
                for e in rows
            ],
            columns=[
                "id",
                "at",
                "actor",
                "role",
                "action",
                "entity",
                "entity_id",
                "before",
                "after",
                "detail",
            ],
        )
