"""episode record keys for the cell key method of disclosure control

Every missing episode gets a fixed random record key from 0 to 255, as incidents did in 0012
(``geo.disclosure``): flows, RHI and repeat-missing counts carry the sum of their episodes' keys
and are perturbed by the cell key method rather than rounded. Existing rows are filled with
random keys by the database itself.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_key", sa.SmallInteger(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("UPDATE episode SET record_key = floor(random() * 256)::smallint")
    else:
        op.execute("UPDATE episode SET record_key = abs(random() % 256)")
    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.alter_column("record_key", existing_type=sa.SmallInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.drop_column("record_key")
