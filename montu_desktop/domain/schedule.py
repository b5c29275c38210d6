"""Turns weekly opening hours and roster templates into dated clinic days and roster blocks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from montu_desktop.domain.clinic_time import local_instant
from montu_desktop.domain.model import ClinicDay, RosterBlock, RosterTemplate, WeeklyHours


def plan_clinic_days(
    hours: Iterable[WeeklyHours], closures: Iterable[date], days: Sequence[date], zone: str
) -> list[ClinicDay]:
    """One ClinicDay per day: open by the weekday's hours unless closed that day."""
    by_weekday = {h.weekday: h for h in hours}
    closed = set(closures)
    planned = []
    for day in days:
        weekly = by_weekday.get(day.weekday())
        if weekly is None or day in closed:
            planned.append(ClinicDay.closed(day))
            continue
        planned.append(
            ClinicDay(
                day, local_instant(day, weekly.opens, zone), local_instant(day, weekly.closes, zone)
            )
        )
    return planned


def plan_roster(
    templates: Iterable[RosterTemplate], clinic_days: Iterable[ClinicDay], zone: str
) -> list[RosterBlock]:
    """The roster blocks the templates give on open days, trimmed to opening hours."""
    templates = list(templates)
    blocks = []
    for clinic_day in clinic_days:
        if not clinic_day.is_open:
            continue
        assert clinic_day.opens is not None and clinic_day.closes is not None
        for template in templates:
            if not template.applies_on(clinic_day.day):
                continue
            start = max(local_instant(clinic_day.day, template.starts, zone), clinic_day.opens)
            end = min(local_instant(clinic_day.day, template.ends, zone), clinic_day.closes)
            if start < end:
                blocks.append(RosterBlock(template.doctor_id, start, end))
    return blocks
