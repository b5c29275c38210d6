"""Clinic details, weekly opening hours and closures (public holidays preloaded, or one-off)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import holidays
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import WeeklyHours
from montu_desktop.domain.settings_rules import ClinicDetails, check_clinic, check_opening_hours
from montu_desktop.persistence import admin_tables as at
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence import tables as t
from montu_desktop.services.admin.changes import ChangeOutcome, run_change
from montu_desktop.services.admin.planning import generated_until, load_inputs, write_schedules
from montu_desktop.services.context import ServiceContext, require_manager
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
    kept_open = set(session.scalars(select(at.HolidayKeptOpen.day)))
    closed = set(session.scalars(select(t.Closure.day)))
    added = 0
    for day, name in sorted(_holidays(subdivision, years).items()):
        if day not in kept_open and day not in closed:
            session.add(t.Closure(day=day, reason=name))
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
        for closure in session.scalars(select(t.Closure).where(t.Closure.day.in_(list(old)))):
            if closure.reason == old[closure.day] and closure.day not in new:
                session.delete(closure)
        session.flush()
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
        for name, value in asdict(details).items():
            setattr(row, name, value)
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
    for name, length in session.execute(
        select(t.AppointmentType.name, t.AppointmentType.length_minutes)
    ):
        if length % slot:
            raise InvalidRequest(
                "slot_minutes", f"{name} ({length} min) would not be a whole number of slots"
            )
    for hours in session.scalars(select(t.OpeningHours)):
        if (hours.opens.minute % slot) or (hours.closes.minute % slot):
            raise InvalidRequest("slot_minutes", "opening hours would not fall on slot boundaries")


def _create_clinic(ctx: ServiceContext, details: ClinicDetails) -> ChangeOutcome:
    today = to_local(ctx.clock(), details.timezone).date()
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        if repo.clinic_row(session) is not None:
            raise InvalidRequest("clinic", "was just set up at another desk")
        session.add(t.Clinic(region="AU", **asdict(details)))
        session.flush()
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
        session.execute(delete(t.OpeningHours))
        session.flush()
        session.add_all(
            t.OpeningHours(weekday=h.weekday, opens=h.opens, closes=h.closes) for h in checked
        )

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
            ClosureDay(c.day, c.reason, c.day in public, True)
            for c in session.scalars(select(t.Closure).where(t.Closure.day.between(first, last)))
        ]
        result += [
            ClosureDay(k.day, k.name, True, False)
            for k in session.scalars(
                select(at.HolidayKeptOpen).where(at.HolidayKeptOpen.day.between(first, last))
            )
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
        if session.scalars(select(t.Closure).where(t.Closure.day == day)).first() is not None:
            raise InvalidRequest("day", f"{day.isoformat()} is already closed")
        session.execute(delete(at.HolidayKeptOpen).where(at.HolidayKeptOpen.day == day))
        session.add(t.Closure(day=day, reason=reason[:200]))

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
        closure = session.scalars(select(t.Closure).where(t.Closure.day == day)).first()
        if closure is None:
            raise InvalidRequest("day", f"{day.isoformat()} is not a closure")
        row = repo.clinic_row(session)
        public = _holidays(row.subdivision or "" if row else "", range(day.year, day.year + 1))
        if day in public:
            session.add(at.HolidayKeptOpen(day=day, name=public[day]))
        session.delete(closure)

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
