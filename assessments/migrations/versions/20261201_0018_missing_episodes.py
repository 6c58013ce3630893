"""missing episodes: hashed references, missing-from and found-at points, dates, RHI

One row per missing episode. The episode and child references are stored only as keyed hashes
(HMAC-SHA-256 under the installation's secret); either point may be absent. A new table: no
existing row needs filling.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "episode",
        sa.Column("id", _ID, primary_key=True),
        sa.Column(
            "batch_id",
            _ID,
            sa.ForeignKey(
                "import_batch.id", name="fk_episode_batch_id_import_batch", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("episode_key", sa.String(64), nullable=False),
        sa.Column("child_key", sa.String(64), nullable=False),
        sa.Column("from_lat", sa.Float(), nullable=True),
        sa.Column("from_lon", sa.Float(), nullable=True),
        sa.Column("from_cell", sa.BigInteger(), nullable=True),
        sa.Column("from_district", sa.String(16), nullable=True),
        sa.Column("found_lat", sa.Float(), nullable=True),
        sa.Column("found_lon", sa.Float(), nullable=True),
        sa.Column("found_cell", sa.BigInteger(), nullable=True),
        sa.Column("found_district", sa.String(16), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("age_band", sa.String(16), nullable=True),
        sa.Column("rhi_offered", sa.Boolean(), nullable=True),
        sa.Column("rhi_accepted", sa.Boolean(), nullable=True),
        sa.Column("rhi_within_72h", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_episode"),
        sa.UniqueConstraint("episode_key", name="uq_episode_episode_key"),
    )
    op.create_index("ix_episode_batch_id", "episode", ["batch_id"])
    op.create_index("ix_episode_child_key", "episode", ["child_key"])
    op.create_index("ix_episode_month", "episode", ["month"])
    op.create_index("ix_episode_from_district_month", "episode", ["from_district", "month"])


def downgrade() -> None:
    op.drop_table("episode")
