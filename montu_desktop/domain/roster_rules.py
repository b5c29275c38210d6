"""Roster rules: template blocks that must not overlap or leave opening hours, and exceptions."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from montu_desktop.domain.clinic_time import local_instant
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import ClinicDay, RosterBlock, RosterTemplate, WeeklyHours
from montu_desktop.domain.settings_rules import WEEKDAY_NAMES, on_slot
from montu_desktop.domain.wording import day_label


class ExceptionKind(enum.StrEnum):
    LEAVE = "leave"
    EXTRA = "extra"


@dataclass(frozen=True, slots=True)
class RosterException:
    """One day's change to a doctor's roster: leave (whole day if no hours) or an extra session."""

    doctor_id: int
    day: date
    kind: ExceptionKind
    starts: time | None = None
    ends: time | None = None
    note: str = ""


def _ranges_meet(a: RosterTemplate, b: RosterTemplate) -> bool:
    """True when the two templates' validity ranges share at least one day."""
    a_end, b_end = a.valid_until or date.max, b.valid_until or date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


def check_templates(
    templates: Sequence[RosterTemplate], hours: Iterable[WeeklyHours], slot_minutes: int
) -> None:
    """Refuse blocks that end before they start, leave opening hours, or overlap each other."""
    by_weekday = {h.weekday: h for h in hours}
    for index, block in enumerate(templates):
        day = WEEKDAY_NAMES[block.weekday]
        span = f"{day} {block.starts:%H:%M}–{block.ends:%H:%M}"
        if block.ends <= block.starts:
            raise InvalidRequest("blocks", f"{span}: the end must be after the start")
        if block.valid_until is not None and block.valid_until < block.valid_from:
            raise InvalidRequest("valid_until", f"{span}: must not be before the valid-from date")
        if not (on_slot(block.starts, slot_minutes) and on_slot(block.ends, slot_minutes)):
            raise InvalidRequest(
                "blocks", f"{span}: times must fall on {slot_minutes}-minute slots"
            )
        open_hours = by_weekday.get(block.weekday)
        if open_hours is None:
            raise InvalidRequest("blocks", f"{span}: the clinic is closed on {day}s")
        if block.starts < open_hours.opens or block.ends > open_hours.closes:
            raise InvalidRequest(
                "blocks",
                f"{span}: outside opening hours {open_hours.opens:%H:%M}–{open_hours.closes:%H:%M}",
            )
        for other in templates[index + 1 :]:
            if (
                other.doctor_id == block.doctor_id
                and other.weekday == block.weekday
                and other.starts < block.ends
                and block.starts < other.ends
                and _ranges_meet(block, other)
            ):
                raise InvalidRequest(
                    "blocks",
                    f"{span} overlaps {other.starts:%H:%M}–{other.ends:%H:%M} on the same day",
                )


def check_exception(exception: RosterException, day: ClinicDay | None, zone: str) -> None:
    """An extra session needs hours inside the day's opening hours; leave may be all day."""
    if (exception.starts is None) != (exception.ends is None):
        raise InvalidRequest("ends", "give both a start and an end, or neither for a whole day")
    if exception.starts is None:
        if exception.kind is ExceptionKind.EXTRA:
            raise InvalidRequest("starts", "an extra session needs a start and an end")
        return
    assert exception.ends is not None
    if exception.ends <= exception.starts:
        raise InvalidRequest("ends", "must be after the start")
    if exception.kind is ExceptionKind.EXTRA:
        if day is None or not day.is_open:
            raise InvalidRequest(
                "day", f"the clinic is closed on {day_label(exception.day, year=True)}"
            )
        assert day.opens is not None and day.closes is not None
        start = local_instant(exception.day, exception.starts, zone)
        end = local_instant(exception.day, exception.ends, zone)
        if start < day.opens or end > day.closes:
            raise InvalidRequest("starts", "the session is outside the day's opening hours")


def apply_exceptions(
    blocks: Iterable[RosterBlock],
    exceptions: Iterable[RosterException],
    clinic_days: Iterable[ClinicDay],
    zone: str,
) -> tuple[list[RosterBlock], list[RosterBlock]]:
    """Template blocks with leave cut out, and the extra sessions on open days (trimmed to hours)."""
    open_days = {d.day: d for d in clinic_days if d.is_open}
    leave: dict[int, list[tuple[datetime, datetime]]] = {}
    extras: list[RosterBlock] = []
    for item in exceptions:
        day = open_days.get(item.day)
        if day is None:
            continue
        assert day.opens is not None and day.closes is not None
        if item.starts is None or item.ends is None:
            start, end = day.opens, day.closes
        else:
            start = local_instant(item.day, item.starts, zone)
            end = local_instant(item.day, item.ends, zone)
        if item.kind is ExceptionKind.LEAVE:
            leave.setdefault(item.doctor_id, []).append((start, end))
        else:
            start, end = max(start, day.opens), min(end, day.closes)
            if start < end:
                extras.append(RosterBlock(item.doctor_id, start, end))
    kept: list[RosterBlock] = []
    for block in blocks:
        pieces = [(block.start, block.end)]
        for off_start, off_end in leave.get(block.doctor_id, ()):
            pieces = [
                piece
                for start, end in pieces
                for piece in ((start, min(end, off_start)), (max(start, off_end), end))
                if piece[0] < piece[1]
            ]
        kept.extend(RosterBlock(block.doctor_id, s, e) for s, e in pieces)
    return kept, extras
