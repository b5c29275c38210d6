"""Loads what the schedules are planned from, plans them, and writes them (with roster exceptions).

Settings changes plan twice: once with the change applied in memory to preview what it would
strand, then for real in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import NoSchedule
from montu_desktop.domain.model import (
    ClinicDay,
    ClinicPolicy,
    RosterBlock,
    RosterTemplate,
    WeeklyHours,
)
from montu_desktop.domain.roster_rules import ExceptionKind, RosterException, apply_exceptions
from montu_desktop.domain.schedule import plan_clinic_days, plan_roster
from montu_desktop.persistence import admin_tables as at
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence import scheduling_tables as st
from montu_desktop.persistence import tables as t

GENERATED_UNTIL = "schedules.generated_until"
"""Setting key: the last day whose clinic and doctor schedules have been generated."""


@dataclass(frozen=True)
class PlanInputs:
    """Everything the dated schedules are generated from, as plain values."""

    policy: ClinicPolicy
    hours: tuple[WeeklyHours, ...]
    closures: frozenset[date]
    templates: tuple[RosterTemplate, ...]
    exceptions: tuple[RosterException, ...]
    bookable: frozenset[int]
    skipped: frozenset[tuple[int, int]] = frozenset()
    """(doctor id, type id): the types each doctor does not perform."""

    def skipped_by_doctor(self) -> dict[int, frozenset[int]]:
        found: dict[int, set[int]] = {}
        for doctor_id, type_id in self.skipped:
            found.setdefault(doctor_id, set()).add(type_id)
        return {d: frozenset(types) for d, types in found.items()}

    def but(self, **changes: object) -> PlanInputs:
        return replace(self, **changes)  # type: ignore[arg-type]


def load_inputs(session: Session) -> PlanInputs:
    policy = repo.policy(session)
    if policy is None:
        raise NoSchedule("clinic", "no clinic is set up in this database yet")
    return PlanInputs(
        policy=policy,
        hours=tuple(
            WeeklyHours(r.weekday, r.opens, r.closes)
            for r in session.scalars(select(t.OpeningHours).order_by(t.OpeningHours.weekday))
        ),
        closures=frozenset(session.scalars(select(t.Closure.day))),
        templates=tuple(
            RosterTemplate(r.doctor_id, r.weekday, r.starts, r.ends, r.valid_from, r.valid_until)
            for r in session.scalars(select(t.RosterTemplate).order_by(t.RosterTemplate.id))
        ),
        exceptions=tuple(
            RosterException(r.doctor_id, r.day, ExceptionKind(r.kind), r.starts, r.ends, r.note)
            for r in session.scalars(select(at.RosterException))
        ),
        bookable=frozenset(
            session.scalars(
                select(t.Doctor.id).where(t.Doctor.active.is_(True), t.Doctor.removed_at.is_(None))
            )
        ),
        skipped=frozenset(
            (d, k)
            for d, k in session.execute(
                select(st.DoctorTypeSkipped.doctor_id, st.DoctorTypeSkipped.type_id)
            )
        ),
    )


def plan(
    inputs: PlanInputs, first: date, last: date
) -> tuple[list[ClinicDay], list[RosterBlock], list[RosterBlock]]:
    """Clinic days, template blocks (leave cut out) and extra sessions for [first, last]."""
    zone = inputs.policy.timezone
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    clinic_days = plan_clinic_days(inputs.hours, inputs.closures, days, zone)
    blocks = plan_roster(inputs.templates, clinic_days, zone)
    in_range = [e for e in inputs.exceptions if first <= e.day <= last]
    kept, extras = apply_exceptions(blocks, in_range, clinic_days, zone)
    return clinic_days, kept, extras


def generated_until(session: Session) -> date | None:
    row = session.get(t.Setting, GENERATED_UNTIL)
    return date.fromisoformat(row.value) if row is not None else None


def write_schedules(session: Session, inputs: PlanInputs, first: date, last: date) -> None:
    """Replace generated clinic days and roster blocks in [first, last] and move the stamp on."""
    if last < first:
        return
    clinic_days, blocks, extras = plan(inputs, first, last)
    repo.replace_schedules(session, first, last, clinic_days, blocks)
    session.execute(
        delete(t.DoctorSchedule).where(
            t.DoctorSchedule.day.between(first, last), t.DoctorSchedule.source == "extra"
        )
    )
    zone = inputs.policy.timezone
    session.add_all(
        t.DoctorSchedule(
            doctor_id=b.doctor_id,
            day=to_local(b.start, zone).date(),
            start_at=b.start,
            end_at=b.end,
            source="extra",
        )
        for b in extras
    )
    stamp = session.get(t.Setting, GENERATED_UNTIL)
    if stamp is None:
        session.add(t.Setting(key=GENERATED_UNTIL, value=last.isoformat()))
    elif date.fromisoformat(stamp.value) < last:
        stamp.value = last.isoformat()


def future_range(session: Session, inputs: PlanInputs, today: date) -> tuple[date, date]:
    """From today to the horizon (or further, if schedules were already generated further)."""
    last = today + timedelta(weeks=inputs.policy.horizon_weeks)
    already = generated_until(session)
    return today, max(last, already) if already else last
