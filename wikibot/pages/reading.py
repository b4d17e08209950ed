"""What reading a piece of storage format produces (:class:`Reading`), and the text helpers it needs.

Kept apart from the walk in :mod:`wikibot.pages.text` so that the cell-level code (:mod:`wikibot.pages.cells`)
can depend on the result type without the walk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Protocol

from lxml import etree

USER, TIME, JIRA, LINK, TASK = "user", "time", "jira", "link", "task"
"""Kinds of facts a :class:`Reading` collects."""

text_content: Callable[[etree._Element], str] = partial(etree.tostring, method="text", encoding=str,
                                                       with_tail=False)
"""All text inside an element, as ``"".join(element.itertext())``, but concatenated by libxml2 in C:
about ten times cheaper, and the reader calls it for nearly every cell, heading and paragraph."""


def collapse(text: str) -> str:
    """Collapse all whitespace, non-breaking and zero-width spaces included, to single spaces."""
    if not text.isascii():  # (O(1)) only non-ASCII text can hold the zero-width spaces
        text = text.replace("\u200b", " ").replace("\ufeff", " ")
    return " ".join(text.split())


class Facts(Protocol):
    """What the cell-level code (:mod:`wikibot.pages.cells`) needs of a reading: its text and its facts."""

    @property
    def text(self) -> str: ...

    @property
    def facts(self) -> Sequence[tuple[str, str]]: ...

    def found(self, kind: str) -> list[str]: ...


class Reading:
    """The result of reading elements: text pieces, status pieces, flags and facts ``(kind, value)``."""

    __slots__ = ("pieces", "status_pieces", "placeholder", "objects", "facts", "visible", "stopped")

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.status_pieces: list[str] = []
        self.placeholder = False
        self.objects = False
        self.facts: list[tuple[str, str]] = []
        self.visible = 0
        self.stopped = False

    def found(self, kind: str) -> list[str]:
        """Values of the facts of one kind, in document order."""
        return [value for k, value in self.facts if k == kind]

    @property
    def text(self) -> str:
        """The text on one line, whitespace collapsed (cell text, heading text)."""
        return collapse("".join(self.pieces))

    @property
    def lines(self) -> str:
        """The text with one line per block, each collapsed, empty lines dropped (section text)."""
        return "\n".join(filter(None, (collapse(line) for line in "".join(self.pieces).split("\n"))))

    @property
    def status_text(self) -> str:
        """The text that makes a section filled (no header rows, no instruction panels), collapsed."""
        return collapse("".join(self.status_pieces))

    @property
    def status_lines(self) -> list[str]:
        return list(filter(None, (collapse(line) for line in "".join(self.status_pieces).split("\n"))))
