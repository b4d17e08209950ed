"""Realistic example post-mortem pages in Confluence storage format, for seeding the sandbox.

They exist so the sandbox (and every test or demo built on it) starts with the kind of pages a
real space holds — finished, half-filled, stale, differently templated — rather than tidy fixtures
that only exercise the happy path. Bodies live in ``*.xml`` files beside this module so they read
like what Confluence stores; the metadata that Confluence keeps outside the body lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

__all__ = ["EXAMPLE_PAGES", "SRE_SECTIONS", "STANDARD_SECTIONS", "ExamplePage"]

# Section headings of wikibot's post-mortem template, in page order.
STANDARD_SECTIONS: tuple[str, ...] = (
    "Impact and Scope", "Trigger", "Resolution", "Timeline of events", "Root Cause", "What went well",
    "What didn't go well", "Action items", "Things we should do if we have time", "Data & Analysis",
)
# Headings of the Google SRE book's example post-mortem, which some teams use instead.
SRE_SECTIONS: tuple[str, ...] = (
    "Summary", "Impact", "Root Causes", "Trigger", "Resolution", "Detection", "Action Items",
    "Lessons Learned", "What went well", "What went wrong", "Where we got lucky", "Timeline",
    "Supporting information",
)


@dataclass(frozen=True)
class ExamplePage:
    """One example page.

    ``status`` is the post-mortem's own stage as written in its Page Properties (Draft, In review,
    Debriefed, Published), not Confluence's content status: every example is a ``current`` page.
    Ages are in days before "now" so a seeded sandbox always has a page that is stale *today*.
    """

    title: str
    body: str
    labels: tuple[str, ...]
    created_days_ago: int
    modified_days_ago: int
    status: str


# file name -> (title, labels, created_days_ago, modified_days_ago, status)
_METADATA: dict[str, tuple[str, tuple[str, ...], int, int, str]] = {
    "checkout_502s_published.xml": (
        "PM-2026-10-14 Checkout API 502s after PgBouncer pool change",
        ("postmortem", "sev-2", "checkout", "database"), 43, 20, "Published"),
    "webhook_delays_draft.xml": (
        "PM-2026-11-24 Delayed webhook deliveries",
        ("postmortem", "sev-3", "webhooks"), 2, 1, "Draft"),
    "search_reindex_debriefed.xml": (
        "PM-2026-11-05 EU search results hours out of date",
        ("postmortem", "sev-2", "search", "eu"), 21, 6, "Debriefed"),
    "sso_certificate_sre.xml": (
        "PM-2026-09-22 SSO login outage: expired SAML signing certificate",
        ("postmortem", "sev-1", "auth", "sso"), 64, 50, "Published"),
    "export_failures_stale.xml": (
        "PM-2026-11-14 Nightly export failed for large accounts",
        ("postmortem", "sev-3", "exports"), 12, 9, "Draft"),
    "cdn_stale_assets_in_review.xml": (
        "PM-2026-11-19 Stale CDN assets broke the reporting dashboard",
        ("postmortem", "sev-2", "cdn", "frontend"), 7, 1, "In review"),
}


def _load() -> list[ExamplePage]:
    folder = resources.files(__name__)
    return [
        ExamplePage(title, folder.joinpath(name).read_text(encoding="utf-8"), labels, created, modified, status)
        for name, (title, labels, created, modified, status) in _METADATA.items()
    ]


EXAMPLE_PAGES: list[ExamplePage] = _load()
