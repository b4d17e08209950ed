"""The audit's cache, notification memory and run history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_comments',
    sa.Column('page_id', sa.String(length=32), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('commented_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('page_id')
    )
    op.create_table('audit_first_seen',
    sa.Column('page_id', sa.String(length=32), nullable=False),
    sa.Column('identity', sa.String(length=128), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('page_id', 'identity')
    )
    op.create_table('audit_page_cache',
    sa.Column('page_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('facts_key', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=128), nullable=True),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('page_id')
    )
    op.create_table('audit_report_pages',
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('page_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('title')
    )
    op.create_table('audit_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('trigger', sa.String(length=32), nullable=False),
    sa.Column('scope', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('pages_with_findings', sa.Integer(), nullable=False),
    sa.Column('findings', sa.Integer(), nullable=False),
    sa.Column('parsed', sa.Integer(), nullable=False),
    sa.Column('reused', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('audit_shares',
    sa.Column('page_id', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('page_id')
    )
    op.create_table('audit_templates',
    sa.Column('page_id', sa.String(length=32), nullable=False),
    sa.Column('template', sa.String(length=128), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('page_id')
    )
    op.create_table('audit_users',
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('display_name', sa.Text(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id')
    )
    op.create_table('audit_run_kinds',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['audit_runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'kind')
    )


def downgrade() -> None:
    op.drop_table('audit_run_kinds')
    op.drop_table('audit_users')
    op.drop_table('audit_templates')
    op.drop_table('audit_shares')
    op.drop_table('audit_runs')
    op.drop_table('audit_report_pages')
    op.drop_table('audit_page_cache')
    op.drop_table('audit_first_seen')
    op.drop_table('audit_comments')
