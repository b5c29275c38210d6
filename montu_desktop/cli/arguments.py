"""Checks at the edge for the headless commands: ids, counts, dates and text people type.

Ids and counts are argparse types (a bad one is a usage error, exit 2, naming the argument);
dates and times are read by the command (a bad one is refused, exit 3, naming the field),
both within limits the database and the calendar can hold.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from montu_desktop.domain.clinic_time import parse_day, parse_local
from montu_desktop.domain.errors import InvalidRequest

MAX_ID = 2**31 - 1
"""Row ids are 32-bit on PostgreSQL (INTEGER keys); SQLite gets the same limit."""
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
"""Dates outside this window are refused: no clinic books before 1900 or after 2199."""


def record_id(text: str) -> int:
    """A row id: a whole number from 1 to 2147483647."""
    number = _whole(text)
    if not 1 <= number <= MAX_ID:
        raise argparse.ArgumentTypeError(f"must be an id from 1 to {MAX_ID}, not {text.strip()}")
    return number


def count(low: int, high: int) -> Callable[[str], int]:
    """A whole number from `low` to `high` (state the limits in the option's help)."""

    def parse(text: str) -> int:
        number = _whole(text)
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {text.strip()}")
        return number

    parse.__name__ = f"count from {low} to {high}"
    return parse


def _whole(text: str) -> int:
    cleaned = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,30}", cleaned):
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}")
    return int(cleaned)


def day(text: str, field: str) -> date:
    """A YYYY-MM-DD date within the sane window, or refused naming the field."""
    found = parse_day(text, field)
    _in_window(found, field)
    return found


def moment(text: str, zone: str, field: str = "start") -> datetime:
    """An ISO-8601 date-time (clinic-local without an offset) within the window, as UTC."""
    try:
        local = datetime.fromisoformat(text.strip())
    except ValueError:
        local = None  # parse_local refuses it with the usual words
    if local is not None:
        _in_window(local.date(), field)
    return parse_local(text, zone, field)


def _in_window(found: date, field: str) -> None:
    if not FIRST_DAY <= found <= LAST_DAY:
        raise InvalidRequest(field, f"must be between {FIRST_DAY} and {LAST_DAY}")


def unreadable_argument(args: argparse.Namespace) -> str | None:
    """The first argument that is not valid UTF-8 text, holds NUL or lost its value, as
    'argument --name: why'."""
    for name, value in vars(args).items():
        if isinstance(value, list) and not value:
            # argparse (3.11) reads `--family=--` as an empty list instead of refusing it
            return f"argument {_option(name)}: needs a value"
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                continue
            why = _unreadable(item)
            if why:
                return f"argument {_option(name)}: {why}"
    return None


def _unreadable(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8 arrive as lone surrogates
        return "is not valid UTF-8 text"
    if "\x00" in text:
        return "contains a NUL character"
    return None


def _option(dest: str) -> str:
    return dest if dest in ("id", "text", "key", "value", "name") else "--" + dest.replace("_", "-")


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (exit 2), without the usage block."""

    def error(self, message: str) -> Any:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


PASSWORD_ON_COMMAND_LINE = (
    "refused: --database: a password on the command line is visible to every account on "
    "this PC (process list); give the URL without it and put the password in "
    "MONTU_DATABASE_URL, the keyring (Clinic → Database… saves it there) or a pgpass file"
)


def has_password(url: str) -> bool:
    """True when a database URL carries a password (user:password@ or ?password=…)."""
    try:
        parts = urlsplit(url.strip())
        given = parts.password
    except ValueError:
        return False
    if given:
        return True
    return any(key.lower() == "password" and v for key, v in parse_qsl(parts.query))
