"""Clinic details, weekly opening hours and closures (public holidays preloaded, or one-off)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import holidays

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import WeeklyHours
from montu_desktop.domain.settings_rules import ClinicDetails, check_clinic, check_opening_hours
from montu_desktop.domain.wording import day_label
from montu_desktop.persistence import admin_rows
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.admin.changes import ChangeOutcome, run_change
from montu_desktop.services.admin.planning import generated_until, load_inputs, write_schedules
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class ClosureDay:
    """A day in the closures list: closed (one-off or holiday) or a holiday kept open."""

    day: date
    reason: str
    public_holiday: bool
    closed: bool


def clinic_details(ctx: ServiceContext) -> ClinicDetails | None:
    with UnitOfWork(ctx) as uow:
        row = repo.clinic_row(uow.session)
        if row is None:
            return None
        return ClinicDetails(
            row.name,
            row.address,
            row.phone,
            row.timezone,
            row.subdivision or "",
            row.slot_minutes,
            row.horizon_weeks,
            row.min_notice_minutes,
        )


def _holidays(subdivision: str, years: range) -> dict[date, str]:
    try:
        found = holidays.country_holidays("AU", subdiv=subdivision or None, years=years)
    except NotImplementedError as exc:
        raise InvalidRequest("subdivision", f"{subdivision!r} is not an Australian state") from exc
    return dict(found.items())


def _add_holiday_closures(session: Session, subdivision: str, years: range) -> int:
    kept_open = admin_rows.kept_open_days(session)
    closed = admin_rows.closed_days(session)
    added = 0
    for day, name in sorted(_holidays(subdivision, years).items()):
        if day not in kept_open and day not in closed:
            admin_rows.add_closure(session, day, name)
            added += 1
    return added


def horizon_years(today: date, horizon_weeks: int, generated_until: date | None = None) -> range:
    """Every calendar year from today's to the one the horizon (or the schedules) reach."""
    last = today + timedelta(weeks=horizon_weeks)
    if generated_until is not None and generated_until > last:
        last = generated_until
    return range(today.year, last.year + 1)


def sync_holiday_closures(
    session: Session, old_subdivision: str | None, new_subdivision: str, years: range
) -> None:
    """Close on the state's public holidays in `years`; after a change of state, first drop
    the closures that were only the old state's holidays (a manager's one-off closures and
    the holidays kept open stay as they are)."""
    if old_subdivision is not None and old_subdivision != new_subdivision:
        old = _holidays(old_subdivision, years)
        new = _holidays(new_subdivision, years)
        admin_rows.delete_closures(
            session,
            [
                day
                for day, reason in admin_rows.closures_on(session, old)
                if reason == old[day] and day not in new
            ],
        )
    _add_holiday_closures(session, new_subdivision, years)


def save_clinic(
    ctx: ServiceContext, details: ClinicDetails, *, confirm: bool = True, reassign: bool = False
) -> ChangeOutcome:
    """Create the clinic (closed on the public holidays of every year the horizon reaches)
    or change it (a change of state re-derives the holidays, keeping days kept open)."""
    require_manager(ctx, "change the clinic details")
    details = check_clinic(details)
    with UnitOfWork(ctx) as uow:
        exists = repo.clinic_row(uow.session) is not None
    if not exists:
        return _create_clinic(ctx, details)

    def mutate(session: Session) -> None:
        row = repo.clinic_row(session)
        assert row is not None
        if details.slot_minutes != row.slot_minutes:
            _check_slot_change(session, details.slot_minutes)
        old_subdivision = row.subdivision or ""
        admin_rows.update_clinic(session, asdict(details))
        today = to_local(ctx.clock(), details.timezone).date()
        years = horizon_years(today, details.horizon_weeks, generated_until(session))
        sync_holiday_closures(session, old_subdivision, details.subdivision, years)

    return run_change(
        ctx,
        mutate,
        action="settings.clinic",
        subject="clinic",
        confirm=confirm,
        reassign=reassign,
        details={"name": details.name, "slot_minutes": details.slot_minutes},
    )


def _check_slot_change(session: Session, slot: int) -> None:
    for name, length in admin_rows.type_lengths(session):
        if length % slot:
            raise InvalidRequest(
                "slot_minutes", f"{name} ({length} min) would not be a whole number of slots"
            )
    for hours in admin_rows.opening_hours(session):
        if (hours.opens.minute % slot) or (hours.closes.minute % slot):
            raise InvalidRequest("slot_minutes", "opening hours would not fall on slot boundaries")


def _create_clinic(ctx: ServiceContext, details: ClinicDetails) -> ChangeOutcome:
    today = to_local(ctx.clock(), details.timezone).date()
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        if repo.clinic_row(session) is not None:
            raise InvalidRequest("clinic", "was just set up at another desk")
        admin_rows.add_clinic(session, "AU", asdict(details))
        years = horizon_years(today, details.horizon_weeks)
        _add_holiday_closures(session, details.subdivision, range(today.year, max(years) + 1))
        inputs = load_inputs(session)
        write_schedules(session, inputs, today, today + timedelta(weeks=details.horizon_weeks))
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
    require_manager(ctx, "change opening hours")

    def mutate(session: Session) -> None:
        policy = repo.policy(session)
        assert policy is not None
        checked = check_opening_hours(hours, policy.slot_minutes)
        admin_rows.replace_opening_hours(session, checked)

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
        session = uow.session
        row = repo.clinic_row(session)
        if row is None:
            return []
        public = _holidays(row.subdivision or "", range(first.year, last.year + 1))
        result = [
            ClosureDay(day, reason, day in public, True)
            for day, reason in admin_rows.closures_between(session, first, last)
        ]
        result += [
            ClosureDay(day, name, True, False)
            for day, name in admin_rows.kept_open_between(session, first, last)
        ]
    return sorted(result, key=lambda c: c.day)


def close_day(
    ctx: ServiceContext, day: date, reason: str, *, confirm: bool = True, reassign: bool = False
) -> ChangeOutcome:
    """Close the clinic on one day (a one-off closure, or a holiday that was kept open)."""
    require_manager(ctx, "close a day")
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("reason", "say why the clinic is closed (e.g. Staff training)")
    today = to_local(ctx.clock(), _zone(ctx)).date()
    if day < today:
        raise InvalidRequest("day", "is in the past")

    def mutate(session: Session) -> None:
        if admin_rows.is_closed(session, day):
            raise InvalidRequest("day", f"{day_label(day, year=True)} is already closed")
        admin_rows.close_day(session, day, reason[:200])

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
    require_manager(ctx, "open a day")

    def mutate(session: Session) -> None:
        if not admin_rows.is_closed(session, day):
            raise InvalidRequest("day", f"{day_label(day, year=True)} is not a closure")
        row = repo.clinic_row(session)
        public = _holidays(row.subdivision or "" if row else "", range(day.year, day.year + 1))
        admin_rows.open_day(session, day, public.get(day))

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
    require_manager(ctx, "load public holidays")
    if not 2000 <= year <= 2100:
        raise InvalidRequest("year", "must be between 2000 and 2100")

    def mutate(session: Session) -> None:
        row = repo.clinic_row(session)
        assert row is not None
        _add_holiday_closures(session, row.subdivision or "", range(year, year + 1))

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
