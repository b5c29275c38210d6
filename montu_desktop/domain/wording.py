"""How dates, times and counts read on every screen: one short day format ("Tue 1 Dec"), plurals."""

from __future__ import annotations

from datetime import date, datetime


def day_label(day: date, *, year: bool = False) -> str:
    """'Tue 1 Dec' (no leading zero), or 'Tue 1 Dec 2026' with the year."""
    text = f"{day:%a} {day.day} {day:%b}"
    return f"{text} {day.year}" if year else text


def long_day_label(day: date, *, year: bool = True) -> str:
    """'Tuesday 1 December 2026' for titles, or 'Tuesday 1 December' without the year."""
    text = f"{day:%A} {day.day} {day:%B}"
    return f"{text} {day.year}" if year else text


def when_label(moment: datetime, *, year: bool = False) -> str:
    """'Tue 1 Dec 13:45' for a (clinic-local) date and time."""
    return f"{day_label(moment.date(), year=year)} {moment:%H:%M}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 doctor', '3 doctors' (or the irregular plural given)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def sentence(text: str) -> str:
    """The text ending in exactly one full stop (no 'period..' from joined phrases)."""
    text = text.rstrip()
    while text.endswith(".."):
        text = text[:-1]
    return text if text.endswith((".", "!", "?")) else text + "."


def national_phone(text: str, region: str = "AU") -> str:
    """A phone number as people here read it ('(03) 9000 0000'); unparseable text as it is."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(number):
        return text
    if number.country_code != phonenumbers.country_code_for_region(region):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
