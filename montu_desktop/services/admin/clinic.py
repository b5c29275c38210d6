"""Clinic details, weekly opening hours and closures (public holidays preloaded, or one-off)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import holidays

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import WeeklyHours
from montu_desktop.domain.settings_rules import ClinicDetails, check_clinic, check_opening_hours
from montu_desktop.persistence.clinic_repository import ClinicRepository, DbSession
from montu_desktop.services.admin.changes import ChangeOutcome, run_change
from montu_desktop.services.admin.planning import load_inputs, write_schedules
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class ClosureDay:
    """A day in the closures list: closed (one-off or holiday) or a holiday kept open."""

    day: date
    reason: str
    public_holiday: bool
    closed: bool


def clinic_details(ctx: ServiceContext) -> ClinicDetails | None:
    with UnitOfWork(ctx) as uow:
        return uow.clinic.details()


def _holidays(subdivision: str, years: range) -> dict[date, str]:
    try:
        found = holidays.country_holidays("AU", subdiv=subdivision or None, years=years)
    except NotImplementedError as exc:
        raise InvalidRequest("subdivision", f"{subdivision!r} is not an Australian state") from exc
    return dict(found.items())


def _add_holiday_closures(clinic: ClinicRepository, subdivision: str, years: range) -> int:
    skip = clinic.kept_open_days() | clinic.closed_days()
    added = 0
    for day, name in sorted(_holidays(subdivision, years).items()):
        if day not in skip:
            clinic.close(day, name, was_kept_open=False)
            added += 1
    return added


def save_clinic(
    ctx: ServiceContext, details: ClinicDetails, *, confirm: bool = True, reassign: bool = False
) -> ChangeOutcome:
    """Create the clinic (with this and next year's public holidays closed) or change it."""
    details = check_clinic(details)
    with UnitOfWork(ctx) as uow:
        exists = uow.clinic.details() is not None
    if not exists:
        return _create_clinic(ctx, details)

    def mutate(session: DbSession) -> None:
        clinic = ClinicRepository(session)
        policy = clinic.policy()
        assert policy is not None
        if details.slot_minutes != policy.slot_minutes:
            _check_slot_change(clinic, details.slot_minutes)
        clinic.update(details)

    return run_change(
        ctx,
        mutate,
        action="settings.clinic",
        subject="clinic",
        confirm=confirm,
        reassign=reassign,
        details={"name": details.name, "slot_minutes": details.slot_minutes},
    )


def _check_slot_change(clinic: ClinicRepository, slot: int) -> None:
    for name, length in clinic.type_lengths():
        if length % slot:
            raise InvalidRequest(
                "slot_minutes", f"{name} ({length} min) would not be a whole number of slots"
            )
    for hours in clinic.opening_hours():
        if (hours.opens.minute % slot) or (hours.closes.minute % slot):
            raise InvalidRequest("slot_minutes", "opening hours would not fall on slot boundaries")


def _create_clinic(ctx: ServiceContext, details: ClinicDetails) -> ChangeOutcome:
    today = to_local(ctx.clock(), details.timezone).date()
    with UnitOfWork(ctx, write=True) as uow:
        if uow.clinic.details() is not None:
            raise InvalidRequest("clinic", "was just set up at another desk")
        uow.clinic.add(details)
        _add_holiday_closures(uow.clinic, details.subdivision, range(today.year, today.year + 2))
        inputs = load_inputs(uow.session)
        write_schedules(uow.session, inputs, today, today + timedelta(weeks=details.horizon_weeks))
        uow.audit("settings.clinic.created", "clinic", name=details.name)
        uow.touches("reference")
        uow.commit()
    return ChangeOutcome(True)


def opening_hours(ctx: ServiceContext) -> list[WeeklyHours]:
    with UnitOfWork(ctx) as uow:
        return list(load_inputs(uow.session).hours)


def set_opening_hours(
    ctx: ServiceContext, hours: list[WeeklyHours], *, confirm: bool = True, reassign: bool = False
) -> ChangeOutcome:
    """Replace the weekly opening hours (a weekday left out is closed)."""

    def mutate(session: DbSession) -> None:
        clinic = ClinicRepository(session)
        policy = clinic.policy()
        assert policy is not None
        clinic.replace_opening_hours(check_opening_hours(hours, policy.slot_minutes))

    return run_change(
        ctx,
        mutate,
        action="settings.opening_hours",
        subject="clinic",
        confirm=confirm,
        reassign=reassign,
        details={"hours": [f"{h.weekday} {h.opens:%H:%M}-{h.closes:%H:%M}" for h in hours]},
    )


def closures(ctx: ServiceContext, first: date, last: date) -> list[ClosureDay]:
    """Closed days and public holidays kept open between first and last, by date."""
    with UnitOfWork(ctx) as uow:
        if uow.clinic.details() is None:
            return []
        public = _holidays(uow.clinic.subdivision(), range(first.year, last.year + 1))
        result = [
            ClosureDay(day, reason, day in public, True)
            for day, reason in uow.clinic.closures_between(first, last)
        ]
        result += [
            ClosureDay(day, name, True, False)
            for day, name in uow.clinic.kept_open_between(first, last)
        ]
    return sorted(result, key=lambda c: c.day)


def close_day(
    ctx: ServiceContext, day: date, reason: str, *, confirm: bool = True, reassign: bool = False
) -> ChangeOutcome:
    """Close the clinic on one day (a one-off closure, or a holiday that was kept open)."""
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("reason", "say why the clinic is closed (e.g. Staff training)")
    today = to_local(ctx.clock(), _zone(ctx)).date()
    if day < today:
        raise InvalidRequest("day", "is in the past")

    def mutate(session: DbSession) -> None:
        clinic = ClinicRepository(session)
        if clinic.is_closed(day):
            raise InvalidRequest("day", f"{day.isoformat()} is already closed")
        clinic.close(day, reason[:200])

    return run_change(
        ctx,
        mutate,
        action="settings.closure.added",
        subject=day.isoformat(),
        confirm=confirm,
        reassign=reassign,
        details={"reason": reason},
    )


def open_day(
    ctx: ServiceContext, day: date, *, confirm: bool = True, reassign: bool = False
) -> ChangeOutcome:
    """Open on a closed day; a public holiday is remembered as kept open."""

    def mutate(session: DbSession) -> None:
        clinic = ClinicRepository(session)
        if not clinic.is_closed(day):
            raise InvalidRequest("day", f"{day.isoformat()} is not a closure")
        public = _holidays(clinic.subdivision(), range(day.year, day.year + 1))
        clinic.reopen(day, public.get(day))

    return run_change(
        ctx,
        mutate,
        action="settings.closure.removed",
        subject=day.isoformat(),
        confirm=confirm,
        reassign=reassign,
    )


def load_public_holidays(
    ctx: ServiceContext, year: int, *, confirm: bool = True, reassign: bool = False
) -> ChangeOutcome:
    """Close on the state's public holidays of `year` (except those kept open)."""
    if not 2000 <= year <= 2100:
        raise InvalidRequest("year", "must be between 2000 and 2100")

    def mutate(session: DbSession) -> None:
        clinic = ClinicRepository(session)
        assert clinic.details() is not None
        _add_holiday_closures(clinic, clinic.subdivision(), range(year, year + 1))

    return run_change(
        ctx,
        mutate,
        action="settings.holidays.loaded",
        subject=str(year),
        confirm=confirm,
        reassign=reassign,
    )


def _zone(ctx: ServiceContext) -> str:
    details = clinic_details(ctx)
    if details is None:
        raise InvalidRequest("clinic", "no clinic is set up in this database yet")
    return details.timezone
