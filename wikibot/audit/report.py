"""The audit's result and its renderings: a terminal table, the JSON contract, and HTML.

HTML (and the wiki page's storage format in ``publish``) is rendered by jinja2 with autoescape on
and ``StrictUndefined``, from templates in ``wikibot/audit/templates/``: every page-derived string
(titles, quoted sentences, names) is escaped, so a title like ``<script>`` or ``]]>`` is text.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import jinja2

from wikibot import xmlchars
from wikibot.audit.checks import PageAudit, kind_rank
from wikibot.audit.kinds import kind_label
from wikibot.status import ExitStatus

FORMATS = ("table", "json", "html")


@dataclass
class AuditReport:
    """One audit run: every page judged, plus what went wrong around it."""

    generated_at: datetime
    pages: list[PageAudit]
    errors: list[str] = field(default_factory=list)
    """Run-level problems (Jira unreadable, a publish step failed); a page that cannot be read is a
    finding of that page (kind ``unreadable``), not an error of the run."""
    parsed: int = 0
    reused: int = 0
    scope: str | None = None
    """The page id of a one-page audit (``--page``); None when every post-mortem was audited."""
    newly_published: list[str] = field(default_factory=list)
    """Pages whose status became Published since the audit first saw them and that were never shared."""
    figures: list[dict[str, Any]] | None = None
    """The headline figures (``wikibot.figures``) as of this run, when computed."""

    def findings_by_kind(self) -> dict[str, int]:
        counts = Counter(f.kind for page in self.pages for f in page.findings)
        return {kind: counts[kind] for kind in sorted(counts, key=kind_rank)}

    def summary(self) -> dict[str, Any]:
        """The JSON-able summary the scheduler records and the dashboard charts."""
        by_kind = self.findings_by_kind()
        return {"pages": len(self.pages), "pages_with_findings": sum(1 for p in self.pages if p.findings),
                "findings": sum(by_kind.values()), "findings_by_kind": by_kind, "errors": list(self.errors),
                "parsed": self.parsed, "reused": self.reused}

    def to_dict(self) -> dict[str, Any]:
        data = {"generated_at": self.generated_at.isoformat(), "pages": [p.to_dict() for p in self.pages],
                "summary": self.summary()}
        if self.figures is not None:
            data["figures"] = self.figures
        return data

    @property
    def exit_code(self) -> ExitStatus:
        """OK: all good; FINDINGS: something to fix (cron or CI alerts); INCOMPLETE: the audit itself hit errors,
        so its findings may be partial (errors outrank findings)."""
        if self.errors:
            return ExitStatus.INCOMPLETE
        return ExitStatus.FINDINGS if any(p.findings for p in self.pages) else ExitStatus.OK


def render(report: AuditReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return render_template("report.html", report=report, now=report.generated_at)
    if fmt == "table":
        return render_table(report)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def render_table(report: AuditReport) -> str:
    """A fixed-width table of pages, each followed by its findings, then a one-line summary."""
    header = ("Page", "Status", "Lead", "Done", "Age", "Findings")
    rows = [(_cut(p.title, 48), _cut(p.status or "-", 12), _cut(p.lead or "-", 18), p.completeness if p.readable
             else "-", _age(p, report.generated_at), str(len(p.findings))) for p in report.pages]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(header)).rstrip(),
             "  ".join("-" * w for w in widths)] if rows else ["No post-mortems found."]
    for page, row in zip(report.pages, rows, strict=True):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        lines.extend(f"    {kind_label(f.kind)}: {f.message}" for f in page.findings)
        if page.debrief_note:
            lines.append(f"    note: {page.debrief_note}")
    summary = report.summary()
    kinds = ", ".join(f"{kind_label(k, capital=False)} {n}" for k, n in summary["findings_by_kind"].items())
    count = summary["findings"]
    lines.append("")
    lines.append(f"{summary['pages']} page{'s' if summary['pages'] != 1 else ''}, "
                 f"{summary['pages_with_findings']} with findings"
                 + (f" ({count} finding{'s' if count != 1 else ''}: {kinds})" if count else ""))
    lines.extend(f"error: {e}" for e in report.errors)
    return "\n".join(lines) + "\n"


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _age(page: PageAudit, now: datetime) -> str:
    days = page.age_days(now)
    return "-" if days is None else f"{days}d"


@cache
def environment() -> jinja2.Environment:
    """The jinja environment for the audit's HTML and storage-format templates (always autoescaped)."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("wikibot.audit", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             finalize=xmlchars.finalize)
    env.filters["age"] = _age
    env.filters["kind_label"] = kind_label
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
