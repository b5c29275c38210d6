"""The product's one clock: the real time, or a chosen moment to rehearse (and test) the clinic's day.

`MONTU_NOW=2027-04-04T23:30:00+10:00` runs every part of the product (the desk, the CLI,
`worker`, `serve`) as if it were that moment when the process started; the clock then runs on
at the real pace. Written `ISO@EPOCH`, the moment is tied to that real Unix time instead, so
several processes agree on the time: the test suite sets it that way for every process it starts
(tests/conftest.py), which is how the suite runs on any day at a chosen moment.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

ENV = "MONTU_NOW"

_process_started = time.time()
_parsed: tuple[str, timedelta] | None = None


class ClockSettingError(ValueError):
    """MONTU_NOW is set but is not a moment the product can run at."""


def _offset_for(value: str) -> timedelta:
    moment, _, anchor = value.partition("@")
    try:
        pinned = datetime.fromisoformat(moment.strip())
        real = float(anchor) if anchor else _process_started
    except ValueError as exc:
        raise ClockSettingError(
            f"{ENV}: {value!r} is not an ISO-8601 date-time with an offset (optionally @unix-time)"
        ) from exc
    if pinned.tzinfo is None:
        raise ClockSettingError(f"{ENV}: {value!r} needs a UTC offset, e.g. +10:00")
    return pinned - datetime.fromtimestamp(real, UTC)


def offset() -> timedelta:
    """How far the product's clock is from the real one (zero unless MONTU_NOW is set)."""
    global _parsed
    value = os.environ.get(ENV, "")
    if not value:
        return timedelta(0)
    if _parsed is None or _parsed[0] != value:
        _parsed = (value, _offset_for(value))
    return _parsed[1]


def utc_now() -> datetime:
    """What time it is for the clinic's data, in UTC."""
    return datetime.now(UTC) + offset()


def pinned(moment: datetime, at_real: float | None = None) -> str:
    """The MONTU_NOW value that makes the clock read `moment` at real Unix time `at_real` (now)."""
    return f"{moment.isoformat()}@{time.time() if at_real is None else at_real!r}"
