"""One name folding for search and the duplicate check.

Case, accents, apostrophes, hyphens, dots, commas and spaces fold away, so "O'Connor", "o connor",
"oconnor" and "OCONNOR" are one name, as are "Núñez" and "nunez" or "D'Arcy" and "darcy".

Search matches each typed word against the start of any *part* of a given or family name.
A name's parts are its words (split at spaces, hyphens, apostrophes, dots), each joined to
the words after it: "O'Connor-Núñez" has the parts "oconnornunez", "connornunez" and
"nunez", so "o'connor", "oconnor", "o connor" (two words), "connor" and "nunez" all find it.
The parts are stored (one row each) so that every typed word is a prefix lookup on an index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_PART = 100
"""Longest stored part (a folded name can grow: 'ß' folds to 'ss'); longer ones are cut."""

_SEPARATORS = re.compile(r"[\s'’‘ʼ`´\-‐‑‒–—―.,]+")
"""What folds away: spaces, apostrophes and hyphens in their typographic forms, dots, commas."""

_TYPED_WORDS = re.compile(r"[\s,]+")
"""How typed search text splits into words ("Smith, John" is two)."""


def _bare(text: str) -> str:
    """Lower case without accents ('Zoë' -> 'zoe', 'İ' -> 'i'); separators still in place."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """A name as compared: 'O’Connor-Núñez ' -> 'oconnornunez'. Other characters (digits,
    '%', '_') stay as they are."""
    return _SEPARATORS.sub("", _bare(text))


def name_parts(*names: str) -> frozenset[str]:
    """Every part of the given names that a typed word may be the start of (see the module)."""
    parts: set[str] = set()
    for name in names:
        words = [w for w in _SEPARATORS.split(_bare(name)) if w]
        for i in range(len(words)):
            parts.add("".join(words[i:])[:MAX_PART])
    return frozenset(parts)


def search_words(text: str) -> list[str]:
    """The folded words of typed search text, in order, without empties or repeats."""
    words: list[str] = []
    for typed in _TYPED_WORDS.split(text):
        word = fold(typed)
        if word and word not in words:
            words.append(word)
    return words


def joined_words(words: Iterable[str]) -> str | None:
    """Two or more typed words run together ('mc donald' -> 'mcdonald'): spaces fold away
    in what is typed too. None for one word (nothing to join)."""
    listed = list(words)
    return "".join(listed) if len(listed) > 1 else None


def matches(text: str, given_name: str, family_name: str) -> bool:
    """The search rule on one name, in Python (what the stored parts answer in SQL)."""
    words = search_words(text)
    if not words:
        return False
    parts = name_parts(given_name, family_name)

    def found(word: str) -> bool:
        return any(part.startswith(word) for part in parts)

    joined = joined_words(words)
    return all(found(w) for w in words) or (joined is not None and found(joined))
