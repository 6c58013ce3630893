"""saved import mappings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 05:15:50.164761
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('saved_mapping',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('drop', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_mapping')),
    sa.UniqueConstraint('name', name=op.f('uq_saved_mapping_name'))
    )
    


def downgrade() -> None:
    
    op.drop_table('saved_mapping')
    
