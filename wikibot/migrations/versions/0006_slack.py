"""The Slack app: incident channels, reminders and what people answered.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('slack_channels',
    sa.Column('incident_id', sa.String(length=128), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('page_id', sa.String(length=32), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('incident_id')
    )
    op.create_index(op.f('ix_slack_channels_page_id'), 'slack_channels', ['page_id'], unique=False)
    op.create_table('reminders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('slack_user', sa.String(length=32), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('local_day', sa.String(length=10), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('items', sa.Text(), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_reminders_slack_user'), 'reminders', ['slack_user'], unique=False)
    op.create_table('reminder_holds',
    sa.Column('slack_user', sa.String(length=32), nullable=False),
    sa.Column('item', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('slack_user', 'item')
    )


def downgrade() -> None:
    op.drop_table('reminder_holds')
    op.drop_index(op.f('ix_reminders_slack_user'), table_name='reminders')
    op.drop_table('reminders')
    op.drop_index(op.f('ix_slack_channels_page_id'), table_name='slack_channels')
    op.drop_table('slack_channels')
