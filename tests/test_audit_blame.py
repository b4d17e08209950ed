"""Blame language: the sentence splitter and the phrase matcher (pure, with property-based tests)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wikibot.audit.blame import BlameMatcher, normalise, split_sentences
from wikibot.config_sections import DEFAULT_BLAME_ALWAYS, DEFAULT_BLAME_PHRASES

MATCHER = BlameMatcher(DEFAULT_BLAME_PHRASES, DEFAULT_BLAME_ALWAYS,
                       people=["Bob Chen", "Dana Kowalski", "Eve Martin"])


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
    ("Bob didn't renew the certificate.", "didn't"),
    ("Bob’s change broke it, and Bob didn't roll back.", "didn't"),
    ("It was Bob's fault really.", "'s fault"),
    ("It was Bob’s fault really.", "'s fault"),
    ("The outage was the fault of Bob Chen.", "fault"),
    ("@557058:bb22 forgot to drain the node.", "forgot to"),
    ("The operator forgot to drain the node.", "forgot to"),
    ("He should have known better.", "should have"),
    ("She was careless with the rollout.", "careless"),
    ("The deploy went out because Eve failed to run the checklist.", "failed to"),
    ("It was his mistake.", "mistake"),
    ("Root cause: HUMAN ERROR.", "human error"),
    ("Two human errors compounded.", "human error"),
    ("This was negligence.", "negligen"),
])
def test_sentences_that_make_a_person_the_subject_of_blame_are_found(sentence, phrase):
    assert MATCHER.find(sentence) == phrase


@pytest.mark.parametrize("sentence", [
    "This is a blameless post-mortem.",
    "The switch is faultless.",
    "The job forgot today's data.",
    "The careful rollout worked.",
    "Fault injection found the bug.",
    "The human-facing error page loaded.",
    "We forgot to check the certificate's expiry date.",
    "We didn't have an alert on expiry.",
    "Our team should have had a runbook.",
    "The replica failed to catch up.",
    "Redis didn't fail over because the sentinel quorum was lost.",
    "A careless-mode flag skipped validation.",
    "Setting careless_mode=true in the config skipped validation.",
    "The --careless flag was on.",
    "It was a configuration mistake that the linter did not catch.",
    "",
])
def test_we_systems_and_identifiers_are_not_blame(sentence):
    assert MATCHER.find(sentence) is None


def test_a_first_name_of_a_known_person_counts_as_a_person():
    assert BlameMatcher(DEFAULT_BLAME_PHRASES).find("Dana didn't page anyone.") is None  # unknown: a system?
    assert MATCHER.find("Dana didn't page anyone.") == "didn't"
    assert MATCHER.with_people(["Zoe Park"]).find("Zoe forgot to page anyone.") == "forgot to"
    assert MATCHER.with_people([]) is MATCHER


def test_sentences_returns_each_blaming_sentence_with_its_phrase():
    text = "The deploy broke search.\nHuman error. Bob should have known this would not scale. We forgot to test."
    assert MATCHER.sentences(text) == [("Human error.", "human error"),
                                       ("Bob should have known this would not scale.", "should have")]


def test_configured_phrases_replace_the_defaults_and_are_normalised():
    matcher = BlameMatcher(["  Dropped   The Ball ", "", "oops"], people=["Ops Person"])
    assert matcher.phrases == ("dropped the ball", "oops")
    assert matcher.find("He dropped the ball.") == "dropped the ball"
    assert matcher.find("We dropped the ball.") is None
    assert matcher.find("He was careless.") is None
    assert BlameMatcher([]).find("human error") is None


_WORDS = st.text(alphabet=st.sampled_from("abcdefghij "), max_size=30)


@given(prefix=_WORDS, phrase=st.sampled_from(DEFAULT_BLAME_PHRASES), suffix=_WORDS,
       upper=st.booleans())
def test_a_phrase_after_a_person_as_subject_is_always_found(prefix, phrase, suffix, upper):
    stem = f"Bob{phrase}" if not phrase[0].isalpha() else f"he {phrase}"
    sentence = f"{prefix.strip()} {stem} {suffix}"
    if upper:
        sentence = sentence.upper()
    assert MATCHER.find(sentence) is not None


@given(st.text(alphabet=st.sampled_from("0123456789 .,;:-+()[]\n"), max_size=200))
def test_text_without_letters_never_matches(text):
    assert MATCHER.sentences(text) == []


@given(st.text(max_size=100))
def test_normalise_is_idempotent(text):
    assert normalise(normalise(text)) == normalise(text)
