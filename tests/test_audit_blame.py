"""Blame language: the sentence splitter and the phrase matcher (pure, with property-based tests)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wikibot.audit.blame import BlameMatcher, normalise, split_sentences
from wikibot.config import DEFAULT_BLAME_PHRASES

MATCHER = BlameMatcher(DEFAULT_BLAME_PHRASES)


@pytest.mark.parametrize(("text", "expected"), [
    ("The pool was too small. Requests queued.", ["The pool was too small.", "Requests queued."]),
    ("Did it page? Yes! Within 7 minutes.", ["Did it page?", "Yes!", "Within 7 minutes."]),
    ("p99 rose from 2.5 s to 9.8 s. Then it fell.", ["p99 rose from 2.5 s to 9.8 s.", "Then it fell."]),
    ("Caches, e.g. Redis, were cold. Deploy v1.2.3 fixed it.", ["Caches, e.g. Redis, were cold.",
                                                                 "Deploy v1.2.3 fixed it."]),
    ("He said “stop.” Then we stopped.", ["He said “stop.”", "Then we stopped."]),
    ("It failed. then it recovered.", ["It failed. then it recovered."]),
    ("First line without a stop\nSecond line.", ["First line without a stop", "Second line."]),
    ("  \n\n  ", []),
])
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


@given(st.text(alphabet=st.sampled_from("ab .!?\n\u2019\"'eg12"), max_size=200))
def test_splitting_loses_nothing_but_whitespace_and_never_crosses_a_line(text):
    sentences = split_sentences(text)
    assert "".join("".join(s.split()) for s in sentences) == "".join(text.split())
    for sentence in sentences:
        assert sentence == sentence.strip() and sentence
        assert "\n" not in sentence and "\r" not in sentence


@given(st.text(max_size=300))
def test_each_sentence_splits_into_itself(text):
    for sentence in split_sentences(text):
        assert split_sentences(sentence) == [sentence]


@pytest.mark.parametrize(("sentence", "phrase"), [
    ("It was Bob's fault really.", "'s fault"),
    ("It was Bob’s fault really.", "'s fault"),
    ("Root cause: HUMAN ERROR.", "human error"),
    ("Two human errors compounded.", "human error"),
    ("The operator forgot to drain the node.", "forgot to"),
    ("They should have known better.", "should have known"),
    ("A careless change.", "careless"),
    ("Carelessness, plain and simple.", "careless"),
    ("This was negligence.", "negligen"),
    ("Ops took the blame for the delay.", "blame"),
    ("Support blamed on-call for the outage.", "blame"),
])
def test_blaming_sentences_are_found(sentence, phrase):
    assert MATCHER.find(sentence) == phrase


@pytest.mark.parametrize("sentence", [
    "This is a blameless post-mortem.",
    "The switch is faultless.",
    "The job forgot today's data.",
    "The careful rollout worked.",
    "Fault injection found the bug.",
    "The human-facing error page loaded.",
    "",
])
def test_system_descriptions_are_not_blame(sentence):
    assert MATCHER.find(sentence) is None


def test_sentences_returns_each_blaming_sentence_with_its_phrase():
    text = "The deploy broke search.\nHuman error. Someone should have known this would not scale."
    assert MATCHER.sentences(text) == [("Human error.", "human error"),
                                       ("Someone should have known this would not scale.", "should have known")]


def test_configured_phrases_replace_the_defaults_and_are_normalised():
    matcher = BlameMatcher(["  Dropped   The Ball ", "", "oops"])
    assert matcher.phrases == ("dropped the ball", "oops")
    assert matcher.find("Ops dropped the ball.") == "dropped the ball"
    assert matcher.find("It was careless.") is None
    assert BlameMatcher([]).find("human error") is None


_WORDS = st.text(alphabet=st.sampled_from("abcdefghij "), max_size=30)


@given(prefix=_WORDS, phrase=st.sampled_from(DEFAULT_BLAME_PHRASES), suffix=_WORDS,
       upper=st.booleans())
def test_a_phrase_between_word_boundaries_is_always_found(prefix, phrase, suffix, upper):
    stem = phrase if not phrase[0].isalpha() else f" {phrase}"
    sentence = f"{prefix.strip()}{'x' if not phrase[0].isalpha() else ''}{stem} {suffix}"
    if upper:
        sentence = sentence.upper()
    assert MATCHER.find(sentence) is not None


@given(st.text(alphabet=st.sampled_from("0123456789 .,;:-+()[]\n"), max_size=200))
def test_text_without_letters_never_matches(text):
    assert MATCHER.sentences(text) == []


@given(st.text(max_size=100))
def test_normalise_is_idempotent(text):
    assert normalise(normalise(text)) == normalise(text)
