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

import copy
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


# Words that make the subject of a clause a person. A mention is written ``@<account id>`` in reader
# text; roles name one person as surely as a name does. "we", "the team" and systems are not here:
# a team owning its mistake, or a system failing, is what a blameless post-mortem describes.
_PERSON_WORDS = frozenset({
    "he", "she", "him", "her", "his", "hers", "someone", "somebody", "operator", "engineer", "developer",
    "dev", "admin", "administrator", "on-call", "oncall", "sre", "intern", "reviewer", "author", "manager",
})
# Where the clause holding a phrase starts: punctuation, or a word that joins two clauses.
_CLAUSE_BREAK = re.compile(r"[,;()\[\]—–]|:(?=\s)|\s-\s|\b(?:because|but|and|so|when|while|after|before|since|"
                           r"although|though|until|which|that|then|if)\b", re.IGNORECASE)
_TOKEN = re.compile(r"@\S+|[\w][\w'-]*")
_AFTER_PERSON = re.compile(r"\s+(?:of|by)\s+((?:@\S+|[\w'-]+)(?:\s+[\w'-]+)?)")
_OWNER = re.compile(r"(?:^|\s)([A-Z][A-Za-z]+|@\S+)$")
_NOT_NAMES = frozenset({
    "it", "this", "that", "there", "the", "a", "an", "we", "our", "they", "their", "nobody", "no", "one",
    "each", "every", "all", "some", "its", "today", "yesterday", "everyone",
})


class BlameMatcher:
    """Finds sentences that blame a person, with one compiled regular expression for all phrases.

    ``phrases`` blame only when a person is their subject or owner ("Bob forgot to", "@557058:bb22
    didn't", "his mistake", "the fault of the operator"): "we forgot to" and "the replica failed to"
    are how a blameless post-mortem talks. ``always`` blame whoever the subject ("human error").
    ``people`` are names known to be people (display names; their first names count too).
    """

    def __init__(self, phrases: Iterable[str], always: Iterable[str] = (), people: Iterable[str] = ()) -> None:
        self.phrases = tuple(dict.fromkeys(p for p in map(normalise, phrases) if p))
        self.always = tuple(dict.fromkeys(p for p in map(normalise, always) if p and p not in self.phrases))
        self.people = frozenset(_name_forms(people))
        everything = self.phrases + self.always
        self._all = everything
        patterns = [f"(?P<p{i}>{_pattern(p)})" for i, p in enumerate(everything)]
        self._regex = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    def signature(self) -> list[object]:
        """The phrases (for the audit's facts cache key: candidates depend on them, not on people)."""
        return [list(self.phrases), list(self.always)]

    def with_people(self, people: Iterable[str]) -> BlameMatcher:
        """The same phrases, with more names known to be people (a page's lead and owners)."""
        extra = frozenset(_name_forms(people)) - self.people
        if not extra:
            return self
        matcher = copy.copy(self)
        matcher.people = self.people | extra
        return matcher

    def find(self, sentence: str) -> str | None:
        """The configured phrase with which ``sentence`` blames a person, or None."""
        if self._regex is None:
            return None
        text = sentence.translate(_APOSTROPHES)
        for match in self._regex.finditer(text):
            phrase = self._all[int(match.lastgroup[1:])] if match.lastgroup else None
            if phrase is None:
                continue
            before = text[:match.start()]
            if phrase in self.always or self._person_before(before, phrase) or self._person_after(text[match.end():]):
                return phrase
        return None

    def candidates(self, text: str) -> list[str]:
        """The sentences of ``text`` that use a phrase at all: whether they blame depends on who is a person."""
        if self._regex is None:
            return []
        whole = normalise(text)  # once, not once per phrase: this runs on every section of every page
        if not any(phrase in whole for phrase in self._all):
            return []
        return [s for s in split_sentences(text) if self._regex.search(s.translate(_APOSTROPHES))]

    def sentences(self, text: str) -> list[tuple[str, str]]:
        """``(sentence, phrase)`` for every sentence of ``text`` that blames someone.

        Most text blames nobody, so a plain substring test of every phrase over the whole text
        (fast: no regular expression) decides whether splitting it into sentences is needed at all.
        """
        whole = normalise(text)
        if not any(phrase in whole for phrase in self._all):
            return []
        found = []
        for sentence in split_sentences(text):
            phrase = self.find(sentence)
            if phrase is not None:
                found.append((sentence, phrase))
        return found

    def _person_before(self, before: str, phrase: str) -> bool:
        """Is the subject of the clause that ends here a person (or its owner: "Bob's fault")?"""
        owner = before.rstrip().removesuffix("'s") if not phrase.startswith("'s") else before
        possessor = _OWNER.search(owner) if owner != before.rstrip() or phrase.startswith("'s") else None
        if possessor is not None and possessor.group(1).lower() not in _NOT_NAMES:
            return True
        breaks = list(_CLAUSE_BREAK.finditer(before))
        clause = before[breaks[-1].end():] if breaks else before
        return self._names_a_person(clause)

    def _person_after(self, after: str) -> bool:
        """"the fault of Bob", "a mistake by the operator"."""
        match = _AFTER_PERSON.match(after)
        return match is not None and self._names_a_person(match.group(1))

    def _names_a_person(self, words: str) -> bool:
        tokens = [t.removesuffix("'s") for t in _TOKEN.findall(words)]
        for i, token in enumerate(tokens):
            if token.startswith("@") or token.lower() in _PERSON_WORDS or token in self.people:
                return True
            if i + 1 < len(tokens) and f"{token} {tokens[i + 1]}" in self.people:
                return True
        return False


def _name_forms(people: Iterable[str]) -> Iterator[str]:
    """A display name and its first word ("Bob Chen" → "Bob Chen", "Bob"): how a page names people."""
    for name in people:
        name = " ".join((name or "").split())
        if not name or "@" in name or name.lower() in _NOT_NAMES:
            continue
        yield name
        first = name.split(" ", 1)[0]
        if len(first) > 1 and first[0].isupper() and first.lower() not in _NOT_NAMES:
            yield first


def _pattern(phrase: str) -> str:
    """A phrase as whole words; never part of an identifier (``careless-mode``, ``forgot_to``)."""
    body = r"\s+".join(re.escape(word) for word in phrase.split(" "))
    left = r"(?<![\w./-])" if _is_word_char(phrase[0]) else ""
    if not _is_word_char(phrase[-1]):
        right = ""
    elif " " in phrase:
        right = _ENDINGS + r"(?![\w-]|[./]\w)"
    else:
        right = r"(?!less)(?!\w*(?:-\w|_|[./]\w))"
    return left + body + right


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"
