"""The Jira sync ledger (tables on ``wikibot.store.schema.metadata``). Filled in by the sync work."""
