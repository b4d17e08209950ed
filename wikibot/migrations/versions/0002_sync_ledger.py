"""The Jira sync ledger.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("page_id", sa.String(32), nullable=False),
        sa.Column("issue_key", sa.String(64)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("origin_identity", sa.String(128), nullable=False),
        sa.Column("identity", sa.String(128), nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("base_page", sa.Text, nullable=False),
        sa.Column("base_jira", sa.Text, nullable=False),
        sa.Column("linked", sa.Boolean, nullable=False),
        sa.Column("want_done", sa.Boolean, nullable=False),
        sa.Column("written", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("page_id", "issue_key", name="uq_sync_ledger_page_issue"),
    )
    op.create_index("ix_sync_ledger_page", "sync_ledger", ["page_id"])


def downgrade() -> None:
    op.drop_index("ix_sync_ledger_page", "sync_ledger")
    op.drop_table("sync_ledger")
