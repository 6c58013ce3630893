"""The audit trail: append-only events for every change, import, export and sign-in.

Events name who, when, what, and the record before and after; never incident content. The table
refuses UPDATE and DELETE at the database level (migration 0002), and an insert whose time is not
the database's clock (migration 0014). Each event carries the SHA-256 of the event before it and
its own (:func:`event_hash`, over the previous hash, the time and the content), written when the
event is flushed (:func:`_chain_event`) while the one-row ``audit_chain`` tip is locked, so the
events form a single chain. :func:`verify_chain` (``saferplaces audit verify``, and the Audit
page) recomputes it: an edited, deleted or back-dated event breaks it, even on SQLite where
whoever holds the database file can drop the triggers. The chain is tamper evidence, not a
signature: someone who rewrites every later event too is caught only by a copy of a past tip
(``audit_chain``, or an exported verification).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, event, select, text
from sqlalchemy.orm import Mapper, Session

from assessments.models import AuditChain, AuditEvent
from assessments.permissions import Actor, require

__all__ = [
    "GENESIS",
    "ChainCheck",
    "event_hash",
    "list_events",
    "record_event",
    "snapshot",
    "verify_chain",
]

#: The ``prev_hash`` of the first event.
GENESIS = "0" * 64


def _time_text(at: dt.datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(sep=" ", timespec="microseconds")


def event_hash(prev: str, e: Any) -> str:
    """Return the SHA-256 of an event (its time and content) chained to ``prev``.

    Examples
    --------
    >>> from types import SimpleNamespace as E
    >>> e = E(at=dt.datetime(2026, 1, 1), actor="cli", actor_role="admin", action="x",
    ...       entity="", entity_id="", before=None, after=None, detail={})
    >>> event_hash(GENESIS, e)[:12]
    '5927999947dc'
    """
    payload = json.dumps(
        [
            prev,
            _time_text(e.at),
            e.actor,
            e.actor_role,
            e.action,
            e.entity,
            e.entity_id,
            e.before,
            e.after,
            e.detail,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


#: Move the chain's tip on and read it with the database's clock, one constant statement per
#: dialect (no SQL is built from strings).
_BUMP = {
    "postgresql": text(
        "UPDATE audit_chain SET events = events + 1 WHERE id = 1 "
        "RETURNING last_hash, clock_timestamp()"
    ),
    "sqlite": text(
        "UPDATE audit_chain SET events = events + 1 WHERE id = 1 "
        "RETURNING last_hash, strftime('%Y-%m-%d %H:%M:%f','now')"
    ),
}
_BUMP_ANY = text(
    "UPDATE audit_chain SET events = events + 1 WHERE id = 1 RETURNING last_hash, CURRENT_TIMESTAMP"
)


_START_TIP = {
    "sqlite": text("INSERT OR IGNORE INTO audit_chain (id, last_hash, events) VALUES (1, :h, 0)"),
    "postgresql": text(
        "INSERT INTO audit_chain (id, last_hash, events) VALUES (1, :h, 0) ON CONFLICT DO NOTHING"
    ),
}


@event.listens_for(AuditEvent, "before_insert")
def _chain_event(_mapper: Mapper[Any], connection: Connection, target: AuditEvent) -> None:
    """Lock the chain's tip, take the time from the database, and chain ``target`` to the tip.

    The tip's row lock (PostgreSQL) or the write lock (SQLite) is held until the transaction
    ends, so concurrent writers queue and every event follows the one committed before it. The
    tip is read inside the transaction, so a savepoint rolled back takes its events' tip with it.
    """
    dialect = connection.dialect.name
    bump = _BUMP.get(dialect, _BUMP_ANY)
    row = connection.execute(bump).first()
    if row is None:  # an emptied store: start the tip from the newest event, if any
        newest = connection.execute(
            select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        ).scalar()
        connection.execute(_START_TIP[dialect], {"h": newest or GENESIS})
        row = connection.execute(bump).one()
    prev, at = row
    if isinstance(at, str):  # SQLite answers in text
        at = dt.datetime.fromisoformat(at)
    target.at = at
    target.prev_hash = prev
    target.hash = event_hash(prev, target)
    connection.execute(
        text("UPDATE audit_chain SET last_hash = :h WHERE id = 1"), {"h": target.hash}
    )


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


@dataclass(frozen=True)
class ChainCheck:
    """What :func:`verify_chain` found: how many events it checked and the first broken one."""

    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether every event is where the chain says it should be, unchanged."""
        return self.broken_id is None and not self.reason

    def describe(self) -> str:
        """Say the result in one sentence."""
        if self.ok:
            return f"the audit trail is intact: {self.checked:,} events, each chained to the last"
        where = f"event {self.broken_id}" if self.broken_id is not None else "the trail"
        return f"the audit trail is broken at {where}: {self.reason}"


def verify_chain(engine: Engine, *, actor: Actor | None = None) -> ChainCheck:
    """Recompute the chain over every event, in id order; name the first broken event.

    An event is broken when its ``prev_hash`` is not the hash of the event before it (an event
    was deleted, or one inserted with a forged link), when its own hash does not match its
    content (it was edited, back-dated included), or when its time runs backwards. The tip kept
    in ``audit_chain`` must be the last event's hash, with the same number of events (the newest
    events deleted). ``actor``, when given, must be allowed to read the audit trail.
    """
    if actor is not None:
        require(actor, "view_audit")
    prev, previous_at, count = GENESIS, None, 0
    with Session(engine) as session:
        events = session.execute(
            select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000)
        ).scalars()
        for e in events:
            count += 1
            at = _time_text(e.at)
            if e.prev_hash != prev:
                reason = (
                    "it does not follow the event before it (an event was deleted or inserted "
                    "outside the app)"
                )
                return ChainCheck(count, e.id, reason)
            if e.hash != event_hash(prev, e):
                edited = "its content or time was changed after it was written"
                return ChainCheck(count, e.id, edited)
            if previous_at is not None and at < previous_at:
                return ChainCheck(count, e.id, "its time is earlier than the event before it")
            prev, previous_at = e.hash, at
        tip = session.get(AuditChain, 1)
    if tip is not None and (tip.last_hash != prev or tip.events != count):
        return ChainCheck(count, None, "the newest events were removed (the chain's tip is gone)")
    return ChainCheck(count)
