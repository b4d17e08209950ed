"""Signed webhook calls already seen: a replay inside the signature window is refused.

A signature (``t=...,v1=...``) is valid for five minutes, so a captured request could be sent
again within that window and start the same work twice. Each accepted signature is recorded in
the database — shared by every replica, unlike memory — and a second use is refused. Rows older
than the window can never match a valid signature again and are deleted as new ones arrive.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import Column, DateTime, Index, String, Table, delete, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from wikibot.store.schema import metadata, utcnow

webhook_signatures = Table(
    "webhook_signatures",
    metadata,
    Column("digest", String(64), primary_key=True),  # SHA-256 of the signature header value
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Index("ix_webhook_signatures_seen_at", "seen_at"),
)


class Replays:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def first_use(self, signature: str, window: timedelta) -> bool:
        """Record ``signature``; False when it was already used within ``window`` (a replay)."""
        now = utcnow()
        digest = hashlib.sha256(signature.strip().lower().encode()).hexdigest()
        with self.engine.begin() as conn:
            conn.execute(delete(webhook_signatures).where(webhook_signatures.c.seen_at < now - 2 * window))
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(webhook_signatures).values(digest=digest, seen_at=now))
        except IntegrityError:
            return False
        return True
