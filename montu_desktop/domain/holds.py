"""Time held back for urgent patients: which held time is still held at a given moment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time

from montu_desktop.domain.clinic_time import local_instant
from montu_desktop.domain.model import epoch, merge_blocks


@dataclass(frozen=True, slots=True)
class HeldRule:
    """One doctor's held time on one weekday (0 = Monday), in clinic-local wall-clock times."""

    id: int
    doctor_id: int
    weekday: int
    starts: time
    ends: time


def held_times(
    rules: Iterable[HeldRule],
    days: Iterable[date],
    zone: str,
    now: int,
    release_seconds: int,
) -> dict[int, list[tuple[int, int]]]:
    """Per doctor, the held ranges (epoch seconds) on `days` still held at `now`.

    A hold releases itself `release_seconds` before it starts, so from then on ordinary
    bookings may take it; a hold whose release time has come is left out.
    """
    by_weekday: dict[int, list[HeldRule]] = {}
    for rule in rules:
        by_weekday.setdefault(rule.weekday, []).append(rule)
    held: dict[int, list[tuple[int, int]]] = {}
    for day in days:
        for rule in by_weekday.get(day.weekday(), ()):
            start = epoch(local_instant(day, rule.starts, zone))
            if now < start - release_seconds:
                end = epoch(local_instant(day, rule.ends, zone))
                held.setdefault(rule.doctor_id, []).append((start, end))
    for ranges in held.values():
        ranges.sort()
    return held


def with_held(
    busy: Mapping[int, Sequence[tuple[int, int]]], held: Mapping[int, Sequence[tuple[int, int]]]
) -> dict[int, list[tuple[int, int]]]:
    """Busy times with the held ranges added as taken (overlaps joined, so each doctor's
    list stays sorted by start and by end, as the availability sweep needs)."""
    merged = {d: list(pairs) for d, pairs in busy.items()}
    for doctor_id, ranges in held.items():
        merged[doctor_id] = merge_blocks([*merged.get(doctor_id, ()), *ranges])
    return merged


def doctors_held(held: Mapping[int, Sequence[tuple[int, int]]], start: int, end: int) -> set[int]:
    """Doctors with held time overlapping [start, end)."""
    return {d for d, ranges in held.items() if any(s < end and start < e for s, e in ranges)}
