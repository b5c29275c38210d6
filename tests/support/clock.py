"""A clock tests can set and move, so 'now' is the same on every run."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from montu_desktop.config.clock import utc_now
from montu_desktop.domain.clinic_time import to_local


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def clinic_today(zone: str = "Australia/Melbourne") -> date:
    """Today in the clinic's zone by the product's clock (pinned for the suite: tests/README.md)."""
    return to_local(utc_now(), zone).date()


def next_monday(zone: str = "Australia/Melbourne") -> date:
    today = clinic_today(zone)
    return today + timedelta(days=7 - today.weekday())


class MovedSeconds:
    """A monotonic clock in seconds (the API's rate limits and caches), moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
