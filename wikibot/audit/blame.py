"""Blame language: split page text into sentences and find the ones that blame people.

A blameless post-mortem describes what the system allowed, not who slipped. This module is pure
text handling, so it is tested on its own (including property-based tests):

* :func:`split_sentences` cuts reader text (one line per block, as ``Section.text`` gives it) into
  sentences. A line never continues into the next one (a table cell or paragraph ends a sentence),
  and a full stop ends one only when it is followed by space and then something that can start a
  sentence; abbreviations ("e.g.", "etc."), decimals ("2.5") and versions ("v1.2.3") do not.
* :class:`BlameMatcher` finds configured phrases case-insensitively, with typographic apostrophes
  folded to ASCII. A phrase must start at a word boundary. A one-word phrase is a stem ("negligen"
  matches "negligent" and "negligence") but never when the word goes on with "less": "blameless"
  and "faultless" are what we ask for, not blame. A multi-word phrase may take a plural or tense
  ending ("human errors") and must then end at a word boundary ("forgot to" is not "forgot today").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_ABBREVIATIONS = frozenset({
    "e.g", "i.e", "etc", "vs", "cf", "approx", "incl", "fig", "no", "nr", "mr", "mrs", "ms", "dr", "st",
    "jr", "sr", "inc", "ltd", "co", "corp", "dept", "est", "min", "max", "sec", "hr", "hrs", "a.m", "p.m",
})
# Sentence-ending punctuation, optional closing quotes or brackets, then the space after them.
_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s)")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00a0": " "})
_ENDINGS = r"(?:s|es|ed|d|ing)?"


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, stripped, in order; no characters but whitespace are lost."""
    sentences: list[str] = []
    for line in text.splitlines():
        sentences.extend(_split_line(line))
    return sentences


def _split_line(line: str) -> Iterator[str]:
    start = 0
    for match in _END.finditer(line):
        if _continues(line, match):
            continue
        sentence = line[start:match.end()].strip()
        if sentence:
            yield sentence
        start = match.end()
    rest = line[start:].strip()
    if rest:
        yield rest


def _continues(line: str, match: re.Match[str]) -> bool:
    """True if the punctuation at ``match`` does not end a sentence (abbreviation, lower-case next)."""
    following = line[match.end():].lstrip()
    if following and following[0].islower():
        return True
    if line[match.start()] != ".":
        return False
    word = _WORD_BEFORE.search(line, 0, match.start())
    return word is not None and word.group(1).lower().rstrip(".") in _ABBREVIATIONS


def normalise(text: str) -> str:
    """Case-folded, apostrophes folded to ``'``, whitespace collapsed: the form phrases are matched in."""
    return " ".join(text.translate(_APOSTROPHES).casefold().split())


class BlameMatcher:
    """Finds the first configured phrase in a sentence; one compiled regular expression for all."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases = tuple(dict.fromkeys(p for p in map(normalise, phrases) if p))
        patterns = [f"(?P<p{i}>{_pattern(p)})" for i, p in enumerate(self.phrases)]
        self._regex = re.compile("|".join(patterns)) if patterns else None

    def find(self, sentence: str) -> str | None:
        """The configured phrase ``sentence`` uses, or None."""
        if self._regex is None:
            return None
        match = self._regex.search(normalise(sentence))
        if match is None:
            return None
        return self.phrases[int(match.lastgroup[1:])] if match.lastgroup else None

    def sentences(self, text: str) -> list[tuple[str, str]]:
        """``(sentence, phrase)`` for every sentence of ``text`` that blames someone.

        Most text blames nobody, so a plain substring test of every phrase over the whole text
        (fast: no regular expression) decides whether splitting it into sentences is needed at all.
        """
        whole = normalise(text)
        if not any(phrase in whole for phrase in self.phrases):
            return []
        found = []
        for sentence in split_sentences(text):
            phrase = self.find(sentence)
            if phrase is not None:
                found.append((sentence, phrase))
        return found


def _pattern(phrase: str) -> str:
    body = r"\s+".join(re.escape(word) for word in phrase.split(" "))
    left = r"(?<!\w)" if _is_word_char(phrase[0]) else ""
    if not _is_word_char(phrase[-1]):
        right = ""
    elif " " in phrase:
        right = _ENDINGS + r"(?!\w)"
    else:
        right = r"(?!less)"
    return left + body + right


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"
