"""Doctors' rosters as stored: weekly templates, one-day exceptions (leave, extra sessions)
and the extra sessions' generated schedule rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from montu_desktop.domain.model import RosterTemplate
from montu_desktop.domain.roster_rules import ExceptionKind, RosterException
from montu_desktop.persistence import admin_tables as at
from montu_desktop.persistence import tables as t


def templates(session: Session) -> tuple[RosterTemplate, ...]:
    """Every doctor's weekly blocks, in the order they were saved."""
    return tuple(
        RosterTemplate(r.doctor_id, r.weekday, r.starts, r.ends, r.valid_from, r.valid_until)
        for r in session.scalars(select(t.RosterTemplate).order_by(t.RosterTemplate.id))
    )


def replace_templates(session: Session, doctor_id: int, blocks: Sequence[RosterTemplate]) -> None:
    session.execute(delete(t.RosterTemplate).where(t.RosterTemplate.doctor_id == doctor_id))
    session.add_all(
        t.RosterTemplate(
            doctor_id=doctor_id,
            weekday=b.weekday,
            starts=b.starts,
            ends=b.ends,
            valid_from=b.valid_from,
            valid_until=b.valid_until,
        )
        for b in blocks
    )


def _exception(r: at.RosterException) -> RosterException:
    return RosterException(r.doctor_id, r.day, ExceptionKind(r.kind), r.starts, r.ends, r.note)


def exceptions(session: Session) -> tuple[RosterException, ...]:
    return tuple(_exception(r) for r in session.scalars(select(at.RosterException)))


def doctor_exceptions(
    session: Session, doctor_id: int, since: date
) -> list[tuple[int, RosterException]]:
    """(id, exception) of one doctor from `since` on, by day and start."""
    rows = session.scalars(
        select(at.RosterException)
        .where(at.RosterException.doctor_id == doctor_id, at.RosterException.day >= since)
        .order_by(at.RosterException.day, at.RosterException.starts)
    )
    return [(r.id, _exception(r)) for r in rows]


def add_exception(session: Session, exception: RosterException) -> None:
    session.add(
        at.RosterException(
            doctor_id=exception.doctor_id,
            day=exception.day,
            kind=exception.kind.value,
            starts=exception.starts,
            ends=exception.ends,
            note=exception.note,
        )
    )


def delete_exception(session: Session, exception_id: int) -> bool:
    """False when there is no such exception."""
    row = session.get(at.RosterException, exception_id)
    if row is None:
        return False
    session.delete(row)
    return True


def replace_extra_sessions(
    session: Session,
    first: date,
    last: date,
    sessions: Iterable[tuple[int, date, datetime, datetime]],
) -> None:
    """The generated extra sessions in [first, last] become `sessions`
    (doctor id, clinic-local day, start, end)."""
    session.execute(
        delete(t.DoctorSchedule).where(
            t.DoctorSchedule.day.between(first, last), t.DoctorSchedule.source == "extra"
        )
    )
    session.add_all(
        t.DoctorSchedule(doctor_id=doctor, day=day, start_at=start, end_at=end, source="extra")
        for doctor, day, start, end in sessions
    )
