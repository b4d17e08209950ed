"""`wikibot sync` commands (being written)."""
