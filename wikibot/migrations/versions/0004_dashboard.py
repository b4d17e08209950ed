"""The dashboard's snapshot and post-mortem completion dates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dashboard_snapshots',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('postmortem_milestones',
    sa.Column('page_id', sa.String(length=32), nullable=False),
    sa.Column('completed_on', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('page_id')
    )


def downgrade() -> None:
    op.drop_table('postmortem_milestones')
    op.drop_table('dashboard_snapshots')
