"""Remember what drafting from Slack put on each page, so what a person deleted is not drafted again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('slack_drafted',
    sa.Column('page_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('page_id', 'key')
    )


def downgrade() -> None:
    op.drop_table('slack_drafted')
