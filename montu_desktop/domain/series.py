"""Recurring appointments: the repeat rules and the dates of a series' occurrences."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from montu_desktop.domain.errors import InvalidRequest

MAX_OCCURRENCES = 104


@dataclass(frozen=True, slots=True)
class Repeat:
    """Every `weeks` weeks, or monthly on the same weekday of the month (e.g. 2nd Tuesday)."""

    weeks: int = 1
    monthly: bool = False

    @classmethod
    def parse(cls, text: str) -> Repeat:
        """weekly, fortnightly, monthly or every-N-weeks."""
        word = text.strip().lower()
        if word == "weekly":
            return cls(1)
        if word == "fortnightly":
            return cls(2)
        if word == "monthly":
            return cls(monthly=True)
        match = re.fullmatch(r"every-(\d{1,2})-weeks?", word)
        if match and 1 <= int(match[1]) <= 52:
            return cls(int(match[1]))
        raise InvalidRequest(
            "repeat", "must be weekly, fortnightly, monthly or every-N-weeks (N from 1 to 52)"
        )

    def __str__(self) -> str:
        if self.monthly:
            return "monthly"
        return {1: "weekly", 2: "fortnightly"}.get(self.weeks, f"every-{self.weeks}-weeks")


def _same_weekday_of_month(first: date, months_on: int) -> date:
    """The same weekday of the month (1st..4th, or the last when `first` is a 5th one)."""
    nth = (first.day - 1) // 7
    month_index = first.month - 1 + months_on
    year, month = first.year + month_index // 12, month_index % 12 + 1
    days = calendar.monthrange(year, month)[1]
    offset = (first.weekday() - date(year, month, 1).weekday()) % 7
    day = 1 + offset + 7 * nth
    while day > days:
        day -= 7
    return date(year, month, day)


def occurrence_days(
    first: date, repeat: Repeat, *, count: int | None = None, until: date | None = None
) -> list[date]:
    """The days of a series starting on `first`: `count` of them, or up to `until` inclusive."""
    if (count is None) == (until is None):
        raise InvalidRequest("count", "give either --count or --until")
    if count is not None and not 1 <= count <= MAX_OCCURRENCES:
        raise InvalidRequest("count", f"must be between 1 and {MAX_OCCURRENCES}")
    if until is not None and until < first:
        raise InvalidRequest("until", "is before the first appointment")
    days: list[date] = []
    while True:
        n = len(days)
        if repeat.monthly:
            day = _same_weekday_of_month(first, n)
        else:
            day = first + timedelta(weeks=repeat.weeks * n)
        if (count is not None and n == count) or (until is not None and day > until):
            return days
        if n == MAX_OCCURRENCES:
            raise InvalidRequest("until", f"a series holds at most {MAX_OCCURRENCES} appointments")
        days.append(day)
