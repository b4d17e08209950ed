"""wikibot: incident post-mortems on Confluence and Jira."""

__version__ = "0.1.0"
