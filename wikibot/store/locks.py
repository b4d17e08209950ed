"""Leases: "only one of us does this now", across threads, processes and replicas.

A lease is a row keyed by name with an owner token and an expiry. Taking it is one atomic
statement (insert, or update where expired), so two replicas can never both hold it; a holder
that dies simply lets the lease expire, and another takes over. The row also names its holder
process (``store.holders``): a lease whose holder ran on this host and no longer exists (``kill
-9``, a crash) is taken over at once instead of after its expiry.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import Column, DateTime, String, Table, delete, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from wikibot.store.holders import is_gone, this_process
from wikibot.store.schema import metadata, utcnow

leases = Table(
    "leases",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("holder", String(64), nullable=True),
)


class Leases:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def acquire(self, name: str, ttl: timedelta, owner: str | None = None) -> str | None:
        """Take the lease ``name`` for ``ttl``; the owner token on success, ``None`` if someone holds it."""
        owner = owner or uuid.uuid4().hex
        now = utcnow()
        values = {"owner": owner, "expires_at": now + ttl, "acquired_at": now, "holder": this_process()}
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(leases)
                .where(leases.c.name == name, or_(leases.c.expires_at < now, leases.c.owner == owner))
                .values(**values)
            ).rowcount
            if not taken:
                held = conn.execute(select(leases.c.owner, leases.c.holder).where(leases.c.name == name)).first()
                if held is not None and is_gone(held.holder):
                    # Compare-and-swap on the dead holder's token: of two takers, one wins.
                    taken = conn.execute(update(leases).where(leases.c.name == name, leases.c.owner == held.owner)
                                         .values(**values)).rowcount
        if taken:
            return owner
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(leases).values(name=name, **values))
        except IntegrityError:
            return None
        return owner

    def renew(self, name: str, owner: str, ttl: timedelta) -> bool:
        """Extend a lease we hold; False if it expired and someone else took it."""
        with self.engine.begin() as conn:
            return bool(conn.execute(
                update(leases).where(leases.c.name == name, leases.c.owner == owner)
                .values(expires_at=utcnow() + ttl)
            ).rowcount)

    def release(self, name: str, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(leases).where(leases.c.name == name, leases.c.owner == owner))
