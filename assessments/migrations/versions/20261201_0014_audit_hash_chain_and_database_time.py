"""audit events: a hash chain, times set by the database

Each audit event gains ``prev_hash`` (the SHA-256 of the event before it) and ``hash`` (its own,
over the previous hash and its content, time included); the one-row table ``audit_chain`` holds
the tip of the chain and is locked by every writer, so events form one chain. Existing events are
chained in id order. ``at`` defaults to the database clock, and a trigger refuses an insert whose
time is not the database's own (PostgreSQL: between the transaction's start and now; SQLite:
within a minute before now), so a back-dated insert is refused.

The canonical form hashed is frozen here (``_event_hash``), exactly as
``assessments.audit.event_hash`` makes it: migrations must not change with the code.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 14:20:00
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
_SQLITE_NOW = "(strftime('%Y-%m-%d %H:%M:%f','now'))"


def _time_text(at: dt.datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(sep=" ", timespec="microseconds")


def _event_hash(prev: str, row: Any) -> str:
    payload = json.dumps(
        [
            prev,
            _time_text(row.at),
            row.actor,
            row.actor_role,
            row.action,
            row.entity,
            row.entity_id,
            row.before,
            row.after,
            row.detail,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


_EVENTS = sa.table(
    "audit_event",
    sa.column("id", sa.BigInteger),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("actor_role", sa.String),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
    sa.column("detail", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.add_column("audit_event", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_event", sa.Column("hash", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )

    # Chain the events already held, in id order (the append-only triggers step aside).
    if postgres:
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
    prev, count = GENESIS, 0
    rows = bind.execute(sa.select(_EVENTS).order_by(_EVENTS.c.id)).all()
    for row in rows:
        digest = _event_hash(prev, row)
        bind.execute(
            _EVENTS.update()
            .where(_EVENTS.c.id == row.id)
            .values(prev_hash=prev, hash=digest)
        )
        prev, count = digest, count + 1
    bind.execute(
        sa.text("INSERT INTO audit_chain (id, last_hash, events) VALUES (1, :h, :n)"),
        {"h": prev, "n": count},
    )

    if postgres:
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change")
        op.execute("ALTER TABLE audit_event ALTER COLUMN at SET DEFAULT now()")
        op.execute(
            """
            CREATE FUNCTION audit_event_database_time() RETURNS trigger AS $$
            BEGIN
                IF NEW.at < now() OR NEW.at > clock_timestamp() THEN
                    RAISE EXCEPTION 'audit event times are set by the database';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_event_database_time BEFORE INSERT ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_database_time()"
        )
    else:
        # SQLite changes a column default only by rebuilding the table, which drops its
        # triggers: rebuild, then create every trigger again.
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        with op.batch_alter_table("audit_event", recreate="always") as batch_op:
            batch_op.alter_column(
                "at",
                existing_type=sa.DateTime(timezone=True),
                existing_nullable=False,
                server_default=sa.text(_SQLITE_NOW),
            )
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
        )
    op.execute(
        "CREATE TRIGGER audit_event_database_time BEFORE INSERT ON audit_event "
        "WHEN NEW.at IS NULL OR julianday(NEW.at) < julianday('now') - 60.0 / 86400 "
        "OR julianday(NEW.at) > julianday('now') + 1.0 / 86400 "
        "BEGIN SELECT RAISE(ABORT, 'audit event times are set by the database'); END"
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS audit_event_database_time ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_database_time()")
        op.execute("ALTER TABLE audit_event ALTER COLUMN at DROP DEFAULT")
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change")
        op.drop_column("audit_event", "hash")
        op.drop_column("audit_event", "prev_hash")
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change")
    else:
        for name in ("database_time", "no_update", "no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_event_{name}")
        with op.batch_alter_table("audit_event", recreate="always") as batch_op:
            batch_op.alter_column("at", server_default=None)
            batch_op.drop_column("hash")
            batch_op.drop_column("prev_hash")
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
            )
    op.drop_table("audit_chain")
