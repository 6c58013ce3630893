"""incident record keys for the cell key method of disclosure control

Every incident gets a fixed random record key from 0 to 255 (``geo.disclosure``: a count's cell
key is the sum of its records' keys modulo 256, and its perturbation is read from a fixed table
by count and cell key). Existing rows are filled with random keys by the database itself. The
map's covering index gains the key, so the map's ``GROUP BY`` sums keys without reading rows.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_key", sa.SmallInteger(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("UPDATE incident SET record_key = floor(random() * 256)::smallint")
    else:
        op.execute("UPDATE incident SET record_key = abs(random() % 256)")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.alter_column("record_key", existing_type=sa.SmallInteger(), nullable=False)
        batch_op.drop_index("ix_incident_month_kind_cell")
        batch_op.create_index(
            "ix_incident_month_kind_cell", ["month", "kind", "h3_cell", "record_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_month_kind_cell")
        batch_op.create_index(
            "ix_incident_month_kind_cell", ["month", "kind", "h3_cell"], unique=False
        )
        batch_op.drop_column("record_key")
