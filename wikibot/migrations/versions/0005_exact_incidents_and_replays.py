"""Exact incident identity (a unique label per incident, the claim's holder) and seen webhook signatures.

Existing claims get their label. A claim whose label another (earlier) claim already has was made by
the old slug-folding lookup: if it points at the earlier incident's page it was a wrong answer and is
dropped (the next call for that id is refused with 409); if it has a page of its own it is kept with
no label, so nothing a person relies on disappears.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NOT_LABEL = re.compile(r"[^a-z0-9-]+")


def _label(incident_id: str) -> str | None:
    """``wikibot.incident.incident_label`` as of this revision (migrations never import app code)."""
    slug = _NOT_LABEL.sub("-", incident_id.lower()).strip("-")
    return f"incident-{slug}"[:255] if slug else None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("label", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("holder", sa.String(length=128), nullable=True))
    incidents = sa.table("incidents", sa.column("incident_id", sa.String), sa.column("page_id", sa.String),
                         sa.column("label", sa.String), sa.column("claimed_at", sa.DateTime))
    conn = op.get_bind()
    first: dict[str, str | None] = {}  # label -> page id of the first claim that has it
    rows = conn.execute(sa.select(incidents.c.incident_id, incidents.c.page_id)
                        .order_by(incidents.c.claimed_at, incidents.c.incident_id)).all()
    for incident_id, page_id in rows:
        label = _label(incident_id)
        if label is None:
            continue
        if label not in first:
            first[label] = page_id
            conn.execute(sa.update(incidents).where(incidents.c.incident_id == incident_id).values(label=label))
        elif page_id is None or page_id == first[label]:
            conn.execute(sa.delete(incidents).where(incidents.c.incident_id == incident_id))
    with op.batch_alter_table("incidents") as batch:
        batch.create_unique_constraint("uq_incidents_label", ["label"])
    op.create_table(
        "webhook_signatures",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_webhook_signatures_seen_at", "webhook_signatures", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_signatures_seen_at", table_name="webhook_signatures")
    op.drop_table("webhook_signatures")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_constraint("uq_incidents_label", type_="unique")
        batch.drop_column("holder")
        batch.drop_column("label")
