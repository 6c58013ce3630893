"""incident indexes that a bulk load can set aside and rebuild

The row fingerprint's uniqueness moves from a table constraint to a unique index (SQLite cannot
drop a table constraint, but can drop and rebuild an index inside the import's transaction), and
the index on ``h3_cell`` alone goes: no query uses it (the map aggregates through
``ix_incident_month_kind_cell``) and every import paid for it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 09:10:00
"""

from __future__ import annotations

from alembic import op


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_constraint("uq_incident_row_key", type_="unique")
        batch_op.drop_index("ix_incident_h3_cell")
        batch_op.create_index("ix_incident_row_key", ["row_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_row_key")
        batch_op.create_index("ix_incident_h3_cell", ["h3_cell"], unique=False)
        batch_op.create_unique_constraint("uq_incident_row_key", ["row_key"])
