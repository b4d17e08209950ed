"""Audit history (tables on ``wikibot.store.schema.metadata``). Filled in by the audit work."""
