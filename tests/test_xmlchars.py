"""The one sanitiser for storage format: what XML 1.0 forbids is dropped from text or refused in ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from markupsafe import Markup

from wikibot.xmlchars import clean, finalize, is_clean, require_clean

FORBIDDEN = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff", "\ud800", "\udfff"]


@pytest.mark.parametrize("char", FORBIDDEN)
def test_characters_outside_xml_char_are_removed_from_text(char):
    assert clean(f"a{char}b") == "ab"
    assert not is_clean(char)


def test_allowed_whitespace_and_astral_characters_are_kept():
    text = "tab\tline\ncr\r é 中 😀 \U0010fffd \ue000"
    assert clean(text) == text and is_clean(text)


@pytest.mark.parametrize("char", FORBIDDEN)
def test_exact_values_are_refused_with_the_character_named(char):
    with pytest.raises(ValueError, match=f"U\\+{ord(char):04X}"):
        require_clean(f"INC{char}1")


def test_finalize_keeps_markup_markup_and_other_values_as_they_are():
    assert finalize(Markup("<b>\x00</b>")) == Markup("<b></b>") and isinstance(finalize(Markup("x")), Markup)
    assert finalize("a\ufffeb") == "ab"
    assert finalize(3) == 3 and finalize(None) is None


@given(st.text(alphabet=st.characters(exclude_categories=())))  # surrogates included
def test_any_string_once_cleaned_is_xml_text(text):
    element = etree.Element("p")
    element.text = clean(text)  # lxml refuses every character XML forbids
    assert etree.fromstring(etree.tostring(element)).text in (clean(text) or None, clean(text).replace("\r", "\n"))
