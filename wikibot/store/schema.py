"""The one SQLAlchemy ``MetaData`` every table of wikibot's database is declared on."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData

metadata = MetaData()


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite drops the zone of stored timestamps; everything wikibot stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
