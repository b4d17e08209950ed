"""Telling people: the wiki report page, page labels, footer comments, the chat summary, shares.

Each step is optional per configuration, and a failing step becomes an error of the run, never
the end of it. Steps are written so that repeating a run repeats nothing:

* the report page is rewritten only when its rendered body differs from what is stored (or from
  what wikibot last wrote, when Confluence has not changed the page since: Confluence normalises
  storage on save, so byte comparison alone would rewrite it every night);
* the ``postmortem-incomplete`` label is added or removed only when the page's labels disagree;
* a footer comment is posted only when a page's *set* of findings (kinds and what they concern,
  not the wording, which says "5 days" today and "6 days" tomorrow) differs from the last one;
* a Published page is shared once (``wikibot.audit.share``).

Publishing runs under a database lease, so two replicas (or a manual ``--publish`` during the
nightly run) never both comment.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from wikibot.atlassian.confluence import ConfluenceGateway, VersionConflict
from wikibot.atlassian.content import WikiPage
from wikibot.audit.checks import PageAudit
from wikibot.audit.facts import Finding
from wikibot.audit.kinds import kind_label
from wikibot.audit.report import AuditReport, render_template
from wikibot.audit.share import AlreadyShared, NotPublished, share_page
from wikibot.errors import WikibotError
from wikibot.notify import slack_escape, slack_link
from wikibot.store.audits import AuditStore

if TYPE_CHECKING:
    from wikibot.services import Services

T = TypeVar("T")

INCOMPLETE_LABEL = "postmortem-incomplete"
PUBLISH_LEASE = "audit-publish"
LEASE_TTL = timedelta(minutes=15)
CHAT_PAGES = 10


def publish_report(services: Services, store: AuditStore, report: AuditReport) -> list[str]:
    """Run every configured publishing step for ``report``; the errors, one line each."""
    owner = services.db.leases.acquire(PUBLISH_LEASE, LEASE_TTL)
    if owner is None:
        return ["publish: another audit is publishing right now; skipped"]
    config = services.config
    errors: list[str] = []
    try:
        report_url = None
        if report.scope is None:
            report_url = _step(errors, "report page", lambda: update_report_page(services, store, report))
        if config.audit.label_incomplete:
            errors += _step(errors, "labels", lambda: update_labels(services.confluence, report)) or []
        if config.audit.comment_findings:
            errors += _step(errors, "comments", lambda: post_comments(services.confluence, store, report)) or []
        if report.newly_published and (config.notify.share_webhook_url or config.slack.company_channel):
            errors += share_published(services, store, report.newly_published)
        if report.scope is None and config.notify.slack_webhook_url:
            services.notifier.send(chat_summary(report, report_url, config.audit.report_page))
    finally:
        services.db.leases.release(PUBLISH_LEASE, owner)
    return errors


def _step(errors: list[str], name: str, step: Callable[[], T]) -> T | None:
    """Run one step; a failure is recorded as one line and the next step still runs."""
    try:
        return step()
    except WikibotError as exc:
        errors.append(f"{name}: {exc}")
        return None


# -- the report page ---------------------------------------------------------------------------------
def render_report_page(report: AuditReport) -> str:
    """The report page's storage format; the same audit always renders the same bytes."""
    summary = report.summary()
    kinds = ", ".join(f"{kind_label(k, capital=False)} {n}" for k, n in summary["findings_by_kind"].items())
    return render_template("report_page.xml", pages=report.pages, summary=summary, kinds=kinds,
                           now=report.generated_at).strip()


def update_report_page(services: Services, store: AuditStore, report: AuditReport) -> str:
    """Create or update the report page (one write at most, none if unchanged); returns its URL."""
    config = services.config
    title = config.audit.report_page
    body = render_report_page(report)
    digest = hashlib.sha256(body.encode()).hexdigest()
    confluence = services.confluence
    for _attempt in range(2):
        page = confluence.page_titled(title)
        if page is None:
            created = _create_page(confluence, title, body, services.parent_page.page_id())
            store.save_report_page(title, created.id, created.version, digest)
            return created.url
        if store.report_page(title) == (page.id, page.version, digest) or page.body.strip() == body:
            store.save_report_page(title, page.id, page.version, digest)
            return page.url
        try:
            updated = confluence.update_body(page, body, message="wikibot audit")
        except VersionConflict:
            continue  # someone saved meanwhile: read again, then write once more
        store.save_report_page(title, page.id, updated.version or page.version + 1, digest)
        return page.url
    raise VersionConflict(f"Confluence: the page {title!r} keeps changing; not updated this time", status=409)


def _create_page(confluence: ConfluenceGateway, title: str, body: str, parent_id: str) -> WikiPage:
    """Not retried blindly (a create is not idempotent): a lost answer is found by title next run."""
    return confluence.create_page(title, body, parent_id)


# -- labels and comments ------------------------------------------------------------------------------
def update_labels(confluence: ConfluenceGateway, report: AuditReport) -> list[str]:
    """``postmortem-incomplete`` on exactly the readable pages with an unfinished required section."""
    errors = []
    for page in report.pages:
        if not page.readable:
            continue
        has = INCOMPLETE_LABEL in page.labels
        try:
            if page.incomplete and not has:
                confluence.add_label(page.page_id, INCOMPLETE_LABEL)
            elif has and not page.incomplete:
                confluence.remove_label(page.page_id, INCOMPLETE_LABEL)
        except WikibotError as exc:
            errors.append(f"labels: page {page.page_id}: {exc}")
    return errors


def findings_fingerprint(findings: tuple[Finding, ...] | list[Finding]) -> str:
    """Identifies a *set* of findings by kind, section and ``ref``; "" for none."""
    if not findings:
        return ""
    keys = sorted({f"{f.kind}\x1f{f.section or ''}\x1f{f.ref}" for f in findings})
    return hashlib.sha256("\x1e".join(keys).encode()).hexdigest()


def post_comments(confluence: ConfluenceGateway, store: AuditStore, report: AuditReport) -> list[str]:
    """One footer comment per page per new finding set."""
    known = store.comment_fingerprints()
    errors = []
    for page in report.pages:
        fingerprint = findings_fingerprint(page.findings)
        if fingerprint == known.get(page.page_id, ""):
            continue
        if page.findings:
            try:
                confluence.add_comment(page.page_id, render_template("comment.xml", findings=page.findings).strip())
            except WikibotError as exc:
                errors.append(f"comments: page {page.page_id}: {exc}")
                continue
        store.save_comment_fingerprint(page.page_id, fingerprint)
    return errors


def share_published(services: Services, store: AuditStore, page_ids: list[str]) -> list[str]:
    errors = []
    for page_id in page_ids:
        try:
            share_page(services, page_id, store=store)
        except (AlreadyShared, NotPublished):  # shared before, or un-published since the audit read it
            continue
        except WikibotError as exc:
            errors.append(f"share: page {page_id}: {exc}")
    return errors


# -- chat ------------------------------------------------------------------------------------------
def chat_summary(report: AuditReport, report_url: str | None, report_title: str) -> str:
    """The night's summary for chat: counts, the pages that need attention (linked), the report."""
    summary = report.summary()
    lines = [(f":clipboard: Post-mortem audit: {summary['pages']} post-mortems, "
              f"{summary['pages_with_findings']} need attention ({summary['findings']} findings).")]
    flagged = sorted((p for p in report.pages if p.findings), key=lambda p: -len(p.findings))
    for page in flagged[:CHAT_PAGES]:
        lead = f" · lead {slack_escape(page.lead)}" if page.lead else ""
        lines.append(f"• {slack_link(page.url, page.title)}: {slack_escape(_describe(page))}{lead}")
    if len(flagged) > CHAT_PAGES:
        lines.append(f"… and {len(flagged) - CHAT_PAGES} more.")
    if report_url:
        lines.append(f"Full report: {slack_link(report_url, report_title)}")
    if report.errors:
        lines.append(f":warning: {len(report.errors)} problem(s) during the audit: {slack_escape(report.errors[0])}")
    return "\n".join(lines)


def _describe(page: PageAudit) -> str:
    counts = Counter(f.kind for f in page.findings)
    return ", ".join(f"{kind_label(kind, capital=False)}{f' ×{n}' if n > 1 else ''}" for kind, n in counts.items())
