"""A plain-text rendering of a page model, for ``wikibot parse`` without ``--json``."""

from __future__ import annotations

from collections.abc import Sequence

from wikibot.pages.model import PageModel

_MAX_WIDTH = 60


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return text if len(text) <= _MAX_WIDTH else text[: _MAX_WIDTH - 1] + "\u2026"


def _grid(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines.extend("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells)
    return lines


def format_table(model: PageModel) -> str:
    """Sections with their status, the action items, the deferred items, the page properties and what
    was not read as items, as aligned text.

    Built from ``model.to_dict()`` so the readable and the JSON output can never disagree.
    """
    data = model.to_dict()
    lines = ["Sections"]
    lines += _grid(["Status", "Title", "Section"],
                   [[s["status"], s["title"], s["name"] if s["name"] != s["title"] else ""] for s in data["sections"]])
    fields = ["summary", "owner", "due", "priority", "jira_key", "done"]
    lines += ["", f"Action items ({len(data['action_items'])})"]
    lines += _grid(["Summary", "Owner", "Due", "Priority", "Ticket", "Done"],
                   [[item[f] for f in fields] for item in data["action_items"]])
    lines += ["", f"Deferred ({len(data['deferred'])})"]
    lines += [f"- {_cell(item['summary'])}" for item in data["deferred"]]
    if data["properties"]:
        lines += ["", "Page properties"]
        lines += _grid(["Key", "Value"], list(data["properties"].items()))
    if data["unrecognised"]:
        lines += ["", f"Not read as action items ({len(data['unrecognised'])})"]
        lines += _grid(["Section", "Kind", "Text"], [[u["section"], u["kind"], u["text"]]
                                                     for u in data["unrecognised"]])
    return "\n".join(lines)
