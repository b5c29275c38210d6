"""The domain's rules for typed text and the date window (issue 24 item 3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from montu_desktop.domain.clinic_time import (
    FIRST_DAY,
    LAST_DAY,
    check_day,
    check_moment,
    parse_day,
    parse_local,
)
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.patients import check_search, parse_birth_date
from montu_desktop.domain.text import FOLDED, LINE_BREAKS, check_text, first_control, printable
from montu_desktop.domain.visits import clean_note, clean_reason

REFUSED = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))] + [
    "\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069", "\u2028", "\u2029", "\ud800",
]  # fmt: skip


@pytest.mark.parametrize("char", REFUSED)
def test_every_control_character_is_found_unless_the_field_keeps_it(char: str) -> None:
    typed = f"Zo{char}ë"
    kept = char in LINE_BREAKS
    assert (first_control(typed, LINE_BREAKS) is None) == kept
    assert first_control(typed) == char
    with pytest.raises(InvalidRequest) as refused:
        check_text(typed, "family_name")
    assert refused.value.field == "family_name"
    assert refused.value.reason == f"must not contain control characters (U+{ord(char):04X} found)"


def test_ordinary_text_passes_whatever_its_script() -> None:
    for typed in ("O'Connor-Núñez", "Ngô Thị", "محمد", "李小龙", "Zoë 😀", "a\u200db"):
        assert check_text(typed, "x") == typed
    assert check_text("a\tb\nc", "x", FOLDED) == "a\tb\nc"


def test_notes_keep_line_breaks_and_reasons_fold_them() -> None:
    assert clean_note("  knee\nleft  ") == "knee\nleft"
    with pytest.raises(InvalidRequest):
        clean_note("knee\x1b[2J")
    assert clean_reason("Patient\r\nunwell") == "Patient unwell"
    with pytest.raises(InvalidRequest) as refused:
        clean_reason("Patient\u202eunwell")
    assert refused.value.field == "reason"


def test_printable_escapes_what_a_terminal_would_obey() -> None:
    assert printable("A\x01\x07\x1b[31mB") == "A\\x01\\x07\\x1b[31mB"
    assert printable("gpj\u202eexe\x9b\ud800") == "gpj\\u202eexe\\x9b\\ud800"
    assert printable("Zoë O'Connor") == "Zoë O'Connor"


def test_a_search_is_trimmed_and_limited() -> None:
    assert check_search("  zoe  ") == "zoe"
    assert check_search("x" * 100) == "x" * 100
    with pytest.raises(InvalidRequest) as refused:
        check_search("x" * 100_000)
    assert (refused.value.field, refused.value.reason) == (
        "search",
        "must be at most 100 characters",
    )


def test_the_date_window_is_one_rule() -> None:
    assert (date(1900, 1, 1), date(2199, 12, 31)) == (FIRST_DAY, LAST_DAY)
    assert check_day(FIRST_DAY, "d") == FIRST_DAY and check_day(LAST_DAY, "d") == LAST_DAY
    for day in (FIRST_DAY - timedelta(days=1), LAST_DAY + timedelta(days=1), date.min, date.max):
        with pytest.raises(InvalidRequest) as refused:
            check_day(day, "week")
        assert refused.value.reason == "must be between 1900-01-01 and 2199-12-31"
    far = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    late = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14)))
    for moment in (far, late):
        with pytest.raises(InvalidRequest):
            check_moment(moment)
    edge = datetime(2199, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14)))
    assert check_moment(edge) == edge
    assert edge.astimezone(UTC).year == 2200  # in the window as written: no overflow either
    for text in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31T10:00"):
        with pytest.raises(InvalidRequest) as refused:
            parse_local(text, "Australia/Melbourne")
        assert refused.value.field == "start"
    with pytest.raises(InvalidRequest):
        parse_day("9999-12-31", "week")
    with pytest.raises(InvalidRequest) as refused:
        parse_birth_date("31/12/1899")
    assert refused.value.field == "date_of_birth"
