"""Stable identities for action items, and finding items again in a changed page.

People reorder rows, insert rows above, fix typos and add owners between two syncs, and sync must
still write each ticket into the row it was created for. An item is therefore identified by two
things that fail independently:

* ``fingerprint``: a hash of the summary's words (case, punctuation and spacing ignored), which
  survives reordering and insertions;
* ``position``: ``t<table>r<row>`` for table rows (1-based among the section's action tables and the
  table's data rows), ``task-<ac:task-id>`` for tasks (Confluence keeps task ids stable) or
  ``l<list>i<item>`` for list items, which survives edits of the summary.

:func:`locate` matches a batch of items, each pass only among the items still unmatched:

1. exact identity (same position and fingerprint);
2. same fingerprint (the nearest position wins among duplicates such as two "TBD" rows);
3. same Jira key, when the item already had one;
4. same position, if the summary is still recognisably the same (similarity >= 0.5), so that a row
   deleted above does not make us write into its unrelated neighbour.

An item that none of these finds raises :class:`ItemNotFound`: writing into the wrong row is worse than
asking the caller to re-read the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from wikibot.pages.errors import ItemNotFound
from wikibot.pages.model import ActionItem
from wikibot.pages.wording import normalised_words

_TASK_ID = re.compile(r"[^A-Za-z0-9]")
_SIMILAR_ENOUGH = 0.5


def row_position(table_number: int, row_number: int) -> str:
    return f"t{table_number}r{row_number}"


def list_position(list_number: int, item_number: int) -> str:
    return f"l{list_number}i{item_number}"


def task_position(task_id: str, task_number: int) -> str:
    """``task-<id>`` from the ``ac:task-id`` (label-safe characters only), else ``k<n>`` by order."""
    clean = _TASK_ID.sub("", task_id)[:24]
    return f"task-{clean}" if clean else f"k{task_number}"


def _order(position: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", position))


def _distance(a: str, b: str) -> tuple[int, ...]:
    pa, pb = _order(a), _order(b)
    return tuple(abs(x - y) for x, y in zip(pa, pb, strict=False)) + (abs(len(pa) - len(pb)),)


def _similar(a: str, b: str) -> bool:
    return SequenceMatcher(None, normalised_words(a), normalised_words(b)).ratio() >= _SIMILAR_ENOUGH


def locate(wanted: Sequence[ActionItem], current: Sequence[ActionItem]) -> list[ActionItem]:
    """For each wanted item (from an earlier parse), the matching item of ``current``.

    Raises :class:`ItemNotFound` for the first item that cannot be found.
    """
    found: list[ActionItem | None] = [None] * len(wanted)
    free = list(current)

    def claim(index: int, candidates: list[ActionItem]) -> None:
        if candidates:
            best = min(candidates, key=lambda c: _distance(c.position, wanted[index].position))
            found[index] = best
            free.remove(best)

    passes = (
        lambda w, c: c.identity == w.identity,
        lambda w, c: c.fingerprint == w.fingerprint and c.kind == w.kind,
        lambda w, c: w.jira_key is not None and c.jira_key == w.jira_key,
        lambda w, c: c.position == w.position and _similar(c.summary, w.summary),
    )
    for matches in passes:
        for index, item in enumerate(wanted):
            if found[index] is None:
                claim(index, [c for c in free if matches(item, c)])
    for index, item in enumerate(wanted):
        if found[index] is None:
            raise ItemNotFound(item.identity, item.summary)
    return [item for item in found if item is not None]
