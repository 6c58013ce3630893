"""safe file labels, keyed partner references, categories awaiting approval

- ``import_batch.file_name`` becomes a safe label ("police.uk street file, 2025-03", or "upload
  N" with the batch's id): a file's own name may be personal. The name is kept only as its
  HMAC-SHA-256 under the install secret, in the new ``name_hash``.
- Partner references become HMAC-SHA-256 under the install secret. police.uk Crime IDs were
  stored as given, so they are re-keyed, and the rows' fingerprints (``row_key``) recomputed
  the way an import computes them (so a re-published month still finds them). References of
  other files were stored as an unsalted SHA-256 of the partner's value; that value is not
  known, so those hashes cannot be re-keyed and are dropped (set to NULL): a reference could
  be matched by hashing guesses, which is what keying prevents.
- ``category_approval`` holds categories outside the taxonomy. Those already stored are
  recorded as pending: the Map's filters offer them once an administrator approves.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import hashlib
import hmac
import re

import pandas as pd
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Frozen copies: migrations must not change with the code.
_TAXONOMY = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
    "Child sexual exploitation",
    "Child criminal exploitation",
    "County lines",
    "Serious youth violence",
    "Missing episode",
)
_POLICE_UK_NAME = re.compile(r"(?:^|[/:\\])(\d{4}-\d{2})-[a-z0-9-]+-street\.csv$", re.IGNORECASE)
_CHUNK = 50_000


def _label(name: str, number: int) -> str:
    match = _POLICE_UK_NAME.search(name)
    return f"police.uk street file, {match.group(1)}" if match else f"upload {number}"


def _key(value: str, secret: bytes) -> str:
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


def upgrade() -> None:
    op.create_table(
        "category_approval",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_batch_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_approval")),
        sa.UniqueConstraint("name", name=op.f("uq_category_approval_name")),
    )
    # plain ALTER TABLE (no batch copy: copying import_batch would cascade to its incidents)
    op.add_column("import_batch", sa.Column("name_hash", sa.String(length=64), nullable=True))

    conn = op.get_bind()
    batches = conn.execute(sa.text("SELECT id, file_name, format FROM import_batch")).all()
    if not batches:
        return
    from assessments.settings import install_secret

    secret = install_secret()
    for batch_id, name, _fmt in batches:
        conn.execute(
            sa.text("UPDATE import_batch SET file_name = :label, name_hash = :hash WHERE id = :id"),
            {"label": _label(str(name), int(batch_id)), "hash": _key(str(name), secret), "id": batch_id},
        )

    # Categories already stored outside the taxonomy wait for an administrator.
    stored = conn.execute(sa.text("SELECT DISTINCT category FROM incident")).scalars().all()
    now = pd.Timestamp.now(tz="UTC").to_pydatetime()
    for name in sorted(c for c in stored if c and c not in _TAXONOMY):
        conn.execute(
            sa.text(
                "INSERT INTO category_approval (name, status, created_at) "
                "VALUES (:name, 'pending', :now)"
            ),
            {"name": name, "now": now},
        )

    # References of other files: unsalted hashes of unknown values, dropped.
    conn.execute(
        sa.text(
            "UPDATE incident SET source_ref = NULL WHERE source_ref IS NOT NULL AND batch_id IN "
            "(SELECT id FROM import_batch WHERE format <> 'police_uk')"
        )
    )
    # police.uk Crime IDs: keyed, and the fingerprints recomputed as an import computes them.
    from geo.ingest.normalise import SeenCounts, row_keys

    for batch_id, _name, fmt in batches:
        if fmt != "police_uk":
            continue
        seen = SeenCounts()
        last_id = 0
        while True:
            rows = conn.execute(
                sa.text(
                    "SELECT id, kind, category, month, date, source_ref, lat, lon FROM incident "
                    "WHERE batch_id = :batch AND id > :last ORDER BY id LIMIT :n"
                ),
                {"batch": batch_id, "last": last_id, "n": _CHUNK},
            ).all()
            if not rows:
                break
            last_id = int(rows[-1][0])
            frame = pd.DataFrame(
                rows, columns=["id", "kind", "category", "month", "date", "source_ref", "lat", "lon"]
            )
            frame["month"] = frame["month"].map(lambda v: str(v)[:10])
            frame["date"] = frame["date"].map(lambda v: None if v is None else str(v)[:10])
            has_ref = frame["source_ref"].notna().to_numpy()
            frame["source_ref"] = frame["source_ref"].map(
                lambda v: None if v is None else _key(str(v), secret)
            )
            frame["lat"] = frame["lat"].astype(float)
            frame["lon"] = frame["lon"].astype(float)
            keys = row_keys(frame, seen)
            updates = [
                {"id": int(i), "ref": ref, "key": int(k)}
                for i, ref, k, keep in zip(
                    frame["id"], frame["source_ref"], keys, has_ref, strict=True
                )
                if keep
            ]
            if updates:
                conn.execute(
                    sa.text("UPDATE incident SET source_ref = :ref, row_key = :key WHERE id = :id"),
                    updates,
                )


def downgrade() -> None:
    op.drop_column("import_batch", "name_hash")
    op.drop_table("category_approval")
