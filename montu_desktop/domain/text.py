"""Text people type that the clinic keeps: no control characters, and printed safely.

Names, notes and cancel reasons arrive from the desk, the command line and a website. A
control character (C0 other than a note's line breaks, DEL, C1) or a bidirectional override
(U+202E turns "gpj.exe" into "exe.jpg") could rewrite a receptionist's terminal or the text
around it; a NUL cannot be stored by PostgreSQL at all. They are refused by the service, so
every door refuses them alike; what is printed from older rows is escaped.
"""

from __future__ import annotations

import unicodedata

from montu_desktop.domain.errors import InvalidRequest

LINE_BREAKS = "\n\r"
"""What a note may keep besides printable text."""
FOLDED = "\t\n\r"
"""Whitespace a one-line field (a name, a cancel reason) folds into single spaces."""

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Marks and overrides that reorder the text displayed around them."""


def _unwanted(char: str, allowed: frozenset[str]) -> bool:
    if char in allowed:
        return False
    code = ord(char)
    return (
        code < 0x20
        or 0x7F <= code <= 0x9F
        or char in BIDI_CONTROLS
        or char in "\u2028\u2029"
        or unicodedata.category(char) == "Cs"
    )


def first_control(text: str, allowed: str = "") -> str | None:
    """The first character `check_text` would refuse, or None."""
    return next((c for c in text if _unwanted(c, frozenset(allowed))), None)


def check_text(text: str, field: str, allowed: str = "") -> str:
    """`text` unchanged, or refused naming the field and the first control character.

    `allowed` names the control characters the field keeps (LINE_BREAKS for a note) or
    folds away itself (FOLDED for a name or reason).
    """
    found = first_control(text, allowed)
    if found is not None:
        raise InvalidRequest(
            field, f"must not contain control characters (U+{ord(found):04X} found)"
        )
    return text


def check_length(text: str, field: str, limit: int) -> str:
    """`text` unchanged, or refused naming the field and the limit."""
    if len(text) > limit:
        raise InvalidRequest(field, f"must be at most {limit} characters")
    return text


def printable(text: str) -> str:
    """`text` for a terminal: control, bidi and unpaired surrogate characters as escapes.

    Line breaks are escaped too (one value, one line): a stored "A<SOH><ESC>[31mB" prints
    as `A\\x01\\x1b[31mB`, never as a colour change.
    """
    if first_control(text) is None:
        return text
    out = []
    for char in text:
        code = ord(char)
        if not _unwanted(char, frozenset()):
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)
