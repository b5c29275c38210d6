"""The clinic's own rows: details, opening hours, closures, and what schedules are planned from.

Services reach these through `uow.clinic` and get plain values back (no SQLAlchemy needed).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from montu_desktop.domain.model import (
    ClinicDay,
    ClinicPolicy,
    RosterBlock,
    RosterTemplate,
    WeeklyHours,
)
from montu_desktop.domain.roster_rules import ExceptionKind, RosterException
from montu_desktop.domain.settings_rules import ClinicDetails
from montu_desktop.persistence import admin_tables as at
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence import tables as t

DbSession = Session
"""The session type, for services that pass a session on without touching it."""

GENERATED_UNTIL = "schedules.generated_until"
"""Setting key: the last day whose clinic and doctor schedules have been generated."""


class ClinicRepository:
    """Reads and writes the clinic's rows inside one unit of work's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # The clinic itself --------------------------------------------------------------------

    def details(self) -> ClinicDetails | None:
        row = repo.clinic_row(self.session)
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

    def policy(self) -> ClinicPolicy | None:
        return repo.policy(self.session)

    def subdivision(self) -> str:
        row = repo.clinic_row(self.session)
        return (row.subdivision or "") if row is not None else ""

    def add(self, details: ClinicDetails) -> None:
        self.session.add(t.Clinic(region="AU", **asdict(details)))
        self.session.flush()

    def update(self, details: ClinicDetails) -> None:
        row = repo.clinic_row(self.session)
        assert row is not None
        for name, value in asdict(details).items():
            setattr(row, name, value)

    def type_lengths(self) -> list[tuple[str, int]]:
        """(name, length in minutes) of every appointment type."""
        query = select(t.AppointmentType.name, t.AppointmentType.length_minutes)
        return [(name, length) for name, length in self.session.execute(query)]

    # Opening hours ------------------------------------------------------------------------

    def opening_hours(self) -> tuple[WeeklyHours, ...]:
        return tuple(
            WeeklyHours(r.weekday, r.opens, r.closes)
            for r in self.session.scalars(select(t.OpeningHours).order_by(t.OpeningHours.weekday))
        )

    def replace_opening_hours(self, hours: list[WeeklyHours]) -> None:
        self.session.execute(delete(t.OpeningHours))
        self.session.flush()
        self.session.add_all(
            t.OpeningHours(weekday=h.weekday, opens=h.opens, closes=h.closes) for h in hours
        )

    # Closures -----------------------------------------------------------------------------

    def closed_days(self) -> frozenset[date]:
        return frozenset(self.session.scalars(select(t.Closure.day)))

    def kept_open_days(self) -> frozenset[date]:
        return frozenset(self.session.scalars(select(at.HolidayKeptOpen.day)))

    def closures_between(self, first: date, last: date) -> list[tuple[date, str]]:
        query = select(t.Closure.day, t.Closure.reason).where(t.Closure.day.between(first, last))
        return [(day, reason) for day, reason in self.session.execute(query)]

    def kept_open_between(self, first: date, last: date) -> list[tuple[date, str]]:
        k = at.HolidayKeptOpen
        query = select(k.day, k.name).where(k.day.between(first, last))
        return [(day, name) for day, name in self.session.execute(query)]

    def is_closed(self, day: date) -> bool:
        return (
            self.session.scalars(select(t.Closure.id).where(t.Closure.day == day)).first()
            is not None
        )

    def close(self, day: date, reason: str, *, was_kept_open: bool = True) -> None:
        """Close on `day` (forgetting that a holiday on it was kept open)."""
        if was_kept_open:
            self.session.execute(delete(at.HolidayKeptOpen).where(at.HolidayKeptOpen.day == day))
        self.session.add(t.Closure(day=day, reason=reason))

    def reopen(self, day: date, holiday_name: str | None) -> None:
        """Open on `day`; a public holiday (`holiday_name`) is remembered as kept open."""
        self.session.execute(delete(t.Closure).where(t.Closure.day == day))
        if holiday_name is not None:
            self.session.add(at.HolidayKeptOpen(day=day, name=holiday_name))

    # What schedules are planned from, and the generated schedules --------------------------

    def roster_templates(self) -> tuple[RosterTemplate, ...]:
        return tuple(
            RosterTemplate(r.doctor_id, r.weekday, r.starts, r.ends, r.valid_from, r.valid_until)
            for r in self.session.scalars(select(t.RosterTemplate).order_by(t.RosterTemplate.id))
        )

    def roster_exceptions(self) -> tuple[RosterException, ...]:
        return tuple(
            RosterException(r.doctor_id, r.day, ExceptionKind(r.kind), r.starts, r.ends, r.note)
            for r in self.session.scalars(select(at.RosterException))
        )

    def bookable_doctors(self) -> frozenset[int]:
        d = t.Doctor
        query = select(d.id).where(d.active.is_(True), d.removed_at.is_(None))
        return frozenset(self.session.scalars(query))

    def generated_until(self) -> date | None:
        row = self.session.get(t.Setting, GENERATED_UNTIL)
        return date.fromisoformat(row.value) if row is not None else None

    def replace_schedules(
        self,
        first: date,
        last: date,
        clinic_days: list[ClinicDay],
        blocks: list[RosterBlock],
        extras: list[tuple[int, date, datetime, datetime]],
    ) -> None:
        """Replace generated days, template blocks and extra sessions in [first, last]; move
        the generated-until stamp on. `extras` are (doctor, local day, start, end)."""
        repo.replace_schedules(self.session, first, last, clinic_days, blocks)
        self.session.execute(
            delete(t.DoctorSchedule).where(
                t.DoctorSchedule.day.between(first, last), t.DoctorSchedule.source == "extra"
            )
        )
        self.session.add_all(
            t.DoctorSchedule(doctor_id=d, day=day, start_at=s, end_at=e, source="extra")
            for d, day, s, e in extras
        )
        stamp = self.session.get(t.Setting, GENERATED_UNTIL)
        if stamp is None:
            self.session.add(t.Setting(key=GENERATED_UNTIL, value=last.isoformat()))
        elif date.fromisoformat(stamp.value) < last:
            stamp.value = last.isoformat()
