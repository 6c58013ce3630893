"""sites, assessments and actions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 04:39:16.312820
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    site_type = op.create_table(
        "site_type",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_site_type")),
    )
    op.create_table(
        "site",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("site_type", sa.String(length=40), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("boundary_wkb", sa.LargeBinary(), nullable=True),
        sa.Column("district_code", sa.String(length=16), nullable=False),
        sa.Column("address_line", sa.String(length=300), nullable=False),
        sa.Column("external_ref", sa.String(length=120), nullable=True),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_type"], ["site_type.code"], name=op.f("fk_site_site_type_site_type")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("external_ref", name=op.f("uq_site_external_ref")),
    )
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_district_code"), ["district_code"], unique=False)
        batch_op.create_index("ix_site_district_type", ["district_code", "site_type"], unique=False)

    op.create_table(
        "assessment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("site_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("officer", sa.String(length=200), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("risk_rating", sa.String(length=16), nullable=True),
        sa.Column("risk_reasons", sa.String(length=4000), nullable=False),
        sa.Column("findings", sa.String(length=8000), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=120), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("external_ref", sa.String(length=120), nullable=True),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_assessment_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint("external_ref", name=op.f("uq_assessment_external_ref")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_next_review_on"), ["next_review_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assessment_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_status"), ["status"], unique=False)

    op.create_table(
        "assessment_action",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "assessment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("completion_note", sa.String(length=2000), nullable=False),
        sa.Column("external_ref", sa.String(length=120), nullable=True),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_assessment_action_assessment_id_assessment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_action")),
        sa.UniqueConstraint("external_ref", name=op.f("uq_assessment_action_external_ref")),
    )
    with op.batch_alter_table("assessment_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_action_agency"), ["agency"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_assessment_action_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assessment_action_due_on"), ["due_on"], unique=False)

    # The starting list of public place types; administrators can add more (never dwellings).
    op.bulk_insert(
        site_type,
        [
            {"code": code, "label": label, "is_active": True}
            for code, label in [
                ("park", "Park or open space"),
                ("transport_hub", "Transport hub (bus or railway station, interchange)"),
                ("bus_stop", "Bus stop or shelter"),
                ("takeaway", "Takeaway or fast-food outlet"),
                ("shopping_centre", "Shopping centre or retail park"),
                ("shop", "Shop or convenience store"),
                ("hotel", "Hotel, motel or short-let premises"),
                ("car_park", "Car park"),
                ("underpass", "Underpass, alleyway or footbridge"),
                ("school_vicinity", "School or college vicinity"),
                ("leisure", "Leisure centre, cinema, arcade or gym"),
                ("licensed_premises", "Pub, bar, club or off-licence"),
                ("youth_venue", "Youth club or community centre"),
                ("waterside", "Canal towpath, riverside or waterside"),
                ("derelict", "Derelict or vacant land or building"),
                ("other_public", "Other public place"),
            ]
        ],
    )


def downgrade() -> None:

    with op.batch_alter_table("assessment_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_action_due_on"))
        batch_op.drop_index(batch_op.f("ix_assessment_action_assessment_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_action_agency"))

    op.drop_table("assessment_action")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_status"))
        batch_op.drop_index(batch_op.f("ix_assessment_site_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_next_review_on"))

    op.drop_table("assessment")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_index("ix_site_district_type")
        batch_op.drop_index(batch_op.f("ix_site_district_code"))

    op.drop_table("site")
    op.drop_table("site_type")
