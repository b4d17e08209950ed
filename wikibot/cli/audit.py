"""`wikibot audit` commands (being written)."""
