"""hotspot key sums: the register's counts carry their records' keys

A hotspot's counts (its incidents, by month, by category and its profiles) are kept with the
sums of the record keys of the incidents behind them (``key_sums``), and each run's observation
of it with the key sum of its incidents (``keysum``), so pages, packs and the CLI perturb them
by the cell key method (``geo.disclosure``) like every other count instead of rounding them.
Existing hotspots get their key sums at the next ``hotspots compute``; until then their counts
are rounded.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("hotspot", sa.Column("key_sums", sa.JSON(), nullable=True))
    op.add_column("hotspot_observation", sa.Column("keysum", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 or newer): a batch copy of ``hotspot`` could
    # not drop the table the other register tables refer to
    op.drop_column("hotspot_observation", "keysum")
    op.drop_column("hotspot", "key_sums")
