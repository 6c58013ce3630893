"""hotspot register: runs, hotspots, observations, lineage, status changes, meeting notes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 04:45:35.206836
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "hotspot_run",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ran_by", sa.String(length=120), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("data_version", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotspot_run")),
    )
    op.create_table(
        "hotspot",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "first_run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "last_run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_month", sa.Date(), nullable=True),
        sa.Column("last_month", sa.Date(), nullable=True),
        sa.Column("n_incidents", sa.Integer(), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("boundary_wkb", sa.LargeBinary(), nullable=True),
        sa.Column("centroid_lat", sa.Float(), nullable=True),
        sa.Column("centroid_lon", sa.Float(), nullable=True),
        sa.Column("area_m2", sa.Float(), nullable=True),
        sa.Column("districts", sa.JSON(), nullable=False),
        sa.Column("by_category", sa.JSON(), nullable=False),
        sa.Column("by_month", sa.JSON(), nullable=False),
        sa.Column("trend_direction", sa.String(length=16), nullable=True),
        sa.Column("trend_p", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_run_id"], ["hotspot_run.id"], name=op.f("fk_hotspot_first_run_id_hotspot_run")
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"], ["hotspot_run.id"], name=op.f("fk_hotspot_last_run_id_hotspot_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotspot")),
    )
    with op.batch_alter_table("hotspot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hotspot_is_active"), ["is_active"], unique=False)
        batch_op.create_index(batch_op.f("ix_hotspot_status"), ["status"], unique=False)

    op.create_table(
        "hotspot_lineage",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("child_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("overlap", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["hotspot.id"], name=op.f("fk_hotspot_lineage_child_id_hotspot")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["hotspot.id"], name=op.f("fk_hotspot_lineage_parent_id_hotspot")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["hotspot_run.id"], name=op.f("fk_hotspot_lineage_run_id_hotspot_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotspot_lineage")),
    )
    with op.batch_alter_table("hotspot_lineage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hotspot_lineage_child_id"), ["child_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_hotspot_lineage_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_hotspot_lineage_run_id"), ["run_id"], unique=False)

    op.create_table(
        "hotspot_observation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "hotspot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("n_incidents", sa.Integer(), nullable=False),
        sa.Column("n_cells", sa.Integer(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=True),
        sa.Column("trend_direction", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["hotspot_id"], ["hotspot.id"], name=op.f("fk_hotspot_observation_hotspot_id_hotspot")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["hotspot_run.id"], name=op.f("fk_hotspot_observation_run_id_hotspot_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotspot_observation")),
    )
    with op.batch_alter_table("hotspot_observation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hotspot_observation_hotspot_id"), ["hotspot_id"], unique=False
        )
        batch_op.create_index(
            "ix_hotspot_observation_run_hotspot", ["run_id", "hotspot_id"], unique=False
        )

    op.create_table(
        "hotspot_status_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "hotspot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["hotspot_id"], ["hotspot.id"], name=op.f("fk_hotspot_status_change_hotspot_id_hotspot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotspot_status_change")),
    )
    with op.batch_alter_table("hotspot_status_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hotspot_status_change_hotspot_id"), ["hotspot_id"], unique=False
        )

    op.create_table(
        "meeting_note",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "hotspot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(length=4000), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hotspot_id"], ["hotspot.id"], name=op.f("fk_meeting_note_hotspot_id_hotspot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_note")),
    )
    with op.batch_alter_table("meeting_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_note_hotspot_id"), ["hotspot_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_note_meeting_date"), ["meeting_date"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("meeting_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_note_meeting_date"))
        batch_op.drop_index(batch_op.f("ix_meeting_note_hotspot_id"))

    op.drop_table("meeting_note")
    with op.batch_alter_table("hotspot_status_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotspot_status_change_hotspot_id"))

    op.drop_table("hotspot_status_change")
    with op.batch_alter_table("hotspot_observation", schema=None) as batch_op:
        batch_op.drop_index("ix_hotspot_observation_run_hotspot")
        batch_op.drop_index(batch_op.f("ix_hotspot_observation_hotspot_id"))

    op.drop_table("hotspot_observation")
    with op.batch_alter_table("hotspot_lineage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotspot_lineage_run_id"))
        batch_op.drop_index(batch_op.f("ix_hotspot_lineage_parent_id"))
        batch_op.drop_index(batch_op.f("ix_hotspot_lineage_child_id"))

    op.drop_table("hotspot_lineage")
    with op.batch_alter_table("hotspot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotspot_status"))
        batch_op.drop_index(batch_op.f("ix_hotspot_is_active"))

    op.drop_table("hotspot")
    op.drop_table("hotspot_run")
