"""An action item's wording, normalised and hashed: the ``fingerprint`` that finds an item again after
its row moved (:mod:`wikibot.pages.identity`).

Pure. Kept apart from :mod:`wikibot.pages.identity` so that the model can derive an item's fingerprint
from its summary without importing the matching code, which imports the model.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WORD = re.compile(r"\w+")


def normalised_words(summary: str) -> str:
    """The summary's words, case-folded and NFKC-normalised, separated by single spaces."""
    if not summary.isascii():  # NFKC leaves ASCII as it is
        summary = unicodedata.normalize("NFKC", summary)
    return " ".join(_WORD.findall(summary.casefold()))


def fingerprint(summary: str) -> str:
    """16 hex digits identifying a summary's wording (not its formatting)."""
    return hashlib.blake2b(normalised_words(summary).encode("utf-8"), digest_size=8).hexdigest()
