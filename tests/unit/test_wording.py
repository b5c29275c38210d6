"""One way to write days, times, counts and phone numbers on every screen."""

from __future__ import annotations

from datetime import date, datetime

from montu_desktop.domain.wording import (
    day_label,
    long_day_label,
    national_phone,
    plural,
    sentence,
    when_label,
)


def test_days_read_tue_1_dec_without_a_leading_zero() -> None:
    assert day_label(date(2026, 12, 1)) == "Tue 1 Dec"
    assert day_label(date(2026, 12, 1), year=True) == "Tue 1 Dec 2026"
    assert when_label(datetime(2026, 12, 1, 9, 5)) == "Tue 1 Dec 09:05"
    assert long_day_label(date(2026, 12, 1)) == "Tuesday 1 December 2026"
    assert long_day_label(date(2026, 12, 1), year=False) == "Tuesday 1 December"


def test_counts_and_sentences() -> None:
    assert plural(1, "doctor") == "1 doctor" and plural(3, "doctor") == "3 doctors"
    assert plural(0, "patient") == "0 patients"
    assert sentence("the period.") == "the period." and sentence("the period..") == "the period."
    assert sentence("no stop") == "no stop." and sentence("really?") == "really?"


def test_phone_numbers_in_national_format() -> None:
    assert national_phone("+61390000000") == "(03) 9000 0000"
    assert national_phone("0412345678") == "0412 345 678"
    assert national_phone("+44 20 7946 0958") == "+44 20 7946 0958"
    assert national_phone("reception desk") == "reception desk"
