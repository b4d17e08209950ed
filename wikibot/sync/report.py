"""The outcome of one sync run: counts, and one entry per skipped item, warning and error.

``to_dict()`` is the ``wikibot sync --json`` contract (also the scheduled job's stored summary):
``pages``, ``created``, ``already_synced``, ``written_back``, ``skipped``, ``errors`` always, plus
``updated``, ``transitioned``, ``warnings`` and ``dry_run``, and ``planned`` on a dry run. Entries
name the page (id and title) and, when there is one, the item identity, its summary and the issue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wikibot.sync.issues import PageInfo
from wikibot.sync.plan import Note

Entry = dict[str, Any]


@dataclass
class SyncReport:
    dry_run: bool = False
    pages: int = 0
    created: int = 0
    already_synced: int = 0
    written_back: int = 0
    updated: int = 0
    transitioned: int = 0
    skipped: list[Entry] = field(default_factory=list)
    warnings: list[Entry] = field(default_factory=list)
    errors: list[Entry] = field(default_factory=list)
    planned: list[Entry] = field(default_factory=list)
    incomplete: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unfinished(self) -> bool:
        """Errors remain or a page was skipped busy: ``wikibot sync`` exits 5, ``"incomplete": true``."""
        return bool(self.errors) or self.incomplete

    def skip(self, page: PageInfo | None, note: Note | str, *, unsynced: bool = False) -> None:
        """A page or item left out. ``unsynced``: one that should have been synced and was not (a
        busy page): the run is then incomplete, and ``wikibot sync`` exits non-zero so cron notices."""
        self.skipped.append(_entry(page, note, "reason"))
        self.incomplete = self.incomplete or unsynced

    def warn(self, page: PageInfo | None, note: Note | str) -> None:
        self.warnings.append(_entry(page, note, "reason"))

    def error(self, page: PageInfo | None, note: Note | str | Exception) -> None:
        self.errors.append(_entry(page, note if isinstance(note, Note) else str(note), "error"))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "pages": self.pages, "created": self.created, "already_synced": self.already_synced,
            "written_back": self.written_back, "skipped": self.skipped, "errors": self.errors,
            "updated": self.updated, "transitioned": self.transitioned, "warnings": self.warnings,
            "dry_run": self.dry_run, "incomplete": self.unfinished,
        }
        if self.dry_run:
            data["planned"] = self.planned
        return data

    def summary(self) -> str:
        """The human report: one headline, then one line per planned action, skip, warning and error."""
        verb = "would be " if self.dry_run else ""
        headline = (f"{'Dry run (nothing changed): ' if self.dry_run else ''}{self.pages} post-mortem page(s): "
                    f"{self.created} issue(s) {verb}created, {self.already_synced} already synced, "
                    f"{self.written_back} key(s) {verb}written back, {self.updated} issue(s) {verb}updated, "
                    f"{self.transitioned} {verb}moved to Done")
        lines = [headline]
        for entry in self.planned:
            what = entry.get("summary") or f"{entry.get('key')} ({entry.get('item')})"
            lines.append(f"  would {entry['action']}: {_page(entry)}: {what}")
        for label, entries, key in (("skipped", self.skipped, "reason"), ("warning", self.warnings, "reason"),
                                    ("error", self.errors, "error")):
            lines.extend(f"  {label}: {_where(entry)}{entry[key]}" for entry in entries)
        return "\n".join(lines)


def _entry(page: PageInfo | None, note: Note | str, field_name: str) -> Entry:
    entry: Entry = {"page": page.id if page else None, "title": page.title if page else None}
    if isinstance(note, Note):
        entry.update({k: v for k, v in (("item", note.item), ("key", note.key), ("summary", note.summary)) if v})
        entry[field_name] = note.reason
    else:
        entry[field_name] = note
    return entry


def _page(entry: Entry) -> str:
    return f"{entry['title']!r} ({entry['page']})" if entry.get("title") else f"page {entry['page']}"


def _where(entry: Entry) -> str:
    parts = [_page(entry) if entry.get("page") else ""]
    parts.append(entry.get("key") or entry.get("item") or "")
    if entry.get("summary"):
        parts.append(repr(entry["summary"][:60]))
    text = " ".join(p for p in parts if p)
    return f"{text}: " if text else ""
