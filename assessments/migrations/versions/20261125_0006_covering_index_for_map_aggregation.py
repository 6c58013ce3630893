"""covering index for map aggregation

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 05:54:08.308267
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_month_kind"))
        batch_op.create_index(
            "ix_incident_month_kind_cell", ["month", "kind", "h3_cell"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_month_kind_cell")
        batch_op.create_index(batch_op.f("ix_incident_month_kind"), ["month", "kind"], unique=False)
