"""user session epoch: signing out or disabling a user revokes their session tokens

A signed session token (``assessments.sessions``) names the user and the session epoch it was
issued in; signing out or disabling the user moves the epoch on, so every older token is refused.
Existing users start at epoch 0 (the server default fills the column for old rows).

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-01 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("session_epoch")
