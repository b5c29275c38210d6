"""Reads and writes the clinic's tables, handing plain domain values to the services."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from functools import cache

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    TextClause,
    bindparam,
    cast,
    delete,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from montu_desktop.domain import model
from montu_desktop.domain.model import MAX_APPOINTMENT_MINUTES
from montu_desktop.persistence import tables as t

_SLACK_SECONDS = MAX_APPOINTMENT_MINUTES * 60


def _epoch_column(session: Session, column: ColumnElement[datetime]) -> ColumnElement[int]:
    """The column as integer seconds since the epoch, computed by the database itself."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    return cast(func.extract("epoch", column), BigInteger)


def clinic_row(session: Session) -> t.Clinic | None:
    return session.scalars(select(t.Clinic).order_by(t.Clinic.id).limit(1)).first()


def policy(session: Session) -> model.ClinicPolicy | None:
    row = clinic_row(session)
    if row is None:
        return None
    return model.ClinicPolicy(
        timezone=row.timezone,
        slot_minutes=row.slot_minutes,
        horizon_weeks=row.horizon_weeks,
        min_notice_minutes=row.min_notice_minutes,
    )


def appointment_types(session: Session) -> list[model.AppointmentType]:
    rows = session.scalars(select(t.AppointmentType).order_by(t.AppointmentType.name))
    return [model.AppointmentType(r.id, r.name, r.length_minutes, r.colour, r.active) for r in rows]


def doctors(session: Session, *, include_removed: bool = False) -> list[model.Doctor]:
    query = select(t.Doctor).order_by(t.Doctor.name)
    if not include_removed:
        query = query.where(t.Doctor.removed_at.is_(None))
    return [
        model.Doctor(r.id, r.name, r.active, r.removed_at is not None)
        for r in session.scalars(query)
    ]


def clinic_days(session: Session, first: date, last: date) -> dict[date, model.ClinicDay]:
    """The scheduled days between first and last inclusive (a missing day has no schedule)."""
    rows = session.scalars(
        select(t.ClinicSchedule).where(t.ClinicSchedule.day.between(first, last))
    )
    return {
        r.day: model.ClinicDay(r.day, r.start_at, r.end_at)
        if r.active
        else model.ClinicDay.closed(r.day)
        for r in rows
    }


def roster_blocks(session: Session, first: date, last: date) -> list[model.RosterBlock]:
    """Blocks of bookable doctors (active, not removed) between first and last inclusive."""
    rows = session.execute(
        select(t.DoctorSchedule.doctor_id, t.DoctorSchedule.start_at, t.DoctorSchedule.end_at)
        .join(t.Doctor, t.Doctor.id == t.DoctorSchedule.doctor_id)
        .where(
            t.DoctorSchedule.day.between(first, last),
            t.Doctor.active.is_(True),
            t.Doctor.removed_at.is_(None),
        )
    )
    return [model.RosterBlock(d, s, e) for d, s, e in rows]


def busy_times(
    session: Session, start: datetime, end: datetime, *, exclude_id: int | None = None
) -> list[model.BusyTime]:
    """Live appointments overlapping [start, end), in one indexed range query.

    The lower bound on start_at (end of range minus the longest possible appointment)
    keeps the query on the index instead of scanning the history before the range.
    """
    a = t.Appointment
    query = select(
        a.doctor_id,
        _epoch_column(session, a.start_at),
        _epoch_column(session, a.end_at),
        a.patient_id,
    ).where(
        a.start_at < end,
        a.start_at > model.from_epoch(model.epoch(start) - _SLACK_SECONDS),
        a.end_at > start,
        a.status != model.AppointmentStatus.CANCELLED.value,
    )
    if exclude_id is not None:
        query = query.where(a.id != exclude_id)
    return [model.BusyTime(d, s, e, p) for d, s, e, p in session.execute(query)]


def busy_pairs_by_doctor(
    session: Session, start: datetime, end: datetime
) -> dict[int, list[tuple[int, int]]]:
    """Each doctor's live appointments overlapping [start, end) as sorted epoch-second pairs.

    The same rows as `busy_times`, for the week grid's hot path: only columns of
    ix_appointment_week are read (no lookups into the table), no row objects are built,
    and on SQLite the stored text comes back raw and each distinct instant is converted
    once (a week holds a few hundred distinct starts and ends for thousands of rows).
    """
    query = _busy_pairs_statement(session.get_bind().dialect.name)
    floor = model.from_epoch(model.epoch(start) - _SLACK_SECONDS)
    result = session.connection().execute(query, {"start": start, "end": end, "floor": floor})
    rows = result.cursor.fetchall()
    result.close()
    seconds: dict[object, int] = {}
    grouped: dict[int, list[tuple[int, int]]] = {}
    for doctor_id, start_at, end_at in rows:
        try:
            pair = (seconds[start_at], seconds[end_at])
        except KeyError:
            pair = (_stored_epoch(seconds, start_at), _stored_epoch(seconds, end_at))
        try:
            grouped[doctor_id].append(pair)
        except KeyError:
            grouped[doctor_id] = [pair]
    for pairs in grouped.values():
        pairs.sort()
    return grouped


@cache
def _busy_pairs_statement(dialect: str) -> TextClause:
    """The week's busy pairs as SQL text built once per dialect: building and fingerprinting
    the expression tree again on every request cost more than a tenth of the request."""
    if dialect == "sqlite":
        starts, ends = "start_at", "end_at"
    else:  # the server converts faster than Python can hash aware datetimes
        starts, ends = (f"CAST(extract(epoch FROM {c}) AS BIGINT)" for c in ("start_at", "end_at"))
    cancelled = model.AppointmentStatus.CANCELLED.value
    return text(
        f"SELECT doctor_id, {starts}, {ends} FROM appointment"
        " WHERE start_at < :end AND start_at > :floor AND end_at > :start"
        f" AND status <> '{cancelled}'"
    ).bindparams(*(bindparam(n, type_=t.UTCDateTime()) for n in ("start", "end", "floor")))


def _stored_epoch(seen: dict[object, int], stored: object) -> int:
    """Epoch seconds of a stored instant: naive UTC text (SQLite), or seconds already."""
    value = seen.get(stored)
    if value is None:
        if isinstance(stored, str):
            value = model.epoch(datetime.fromisoformat(stored).replace(tzinfo=UTC))
        else:
            value = int(stored)  # type: ignore[call-overload]
        seen[stored] = value
    return value


def patient_busy(
    session: Session, patient_id: int, start: datetime, end: datetime, exclude_id: int | None = None
) -> bool:
    a = t.Appointment
    query = select(a.id).where(
        a.patient_id == patient_id,
        a.status != model.AppointmentStatus.CANCELLED.value,
        a.start_at < end,
        a.start_at > model.from_epoch(model.epoch(start) - _SLACK_SECONDS),
        a.end_at > start,
    )
    if exclude_id is not None:
        query = query.where(a.id != exclude_id)
    return session.execute(query.limit(1)).first() is not None


def replace_schedules(
    session: Session,
    first: date,
    last: date,
    days: Iterable[model.ClinicDay],
    blocks: Iterable[model.RosterBlock],
) -> None:
    """Replace the generated clinic days and template roster blocks between first and last."""
    days = list(days)
    session.execute(delete(t.ClinicSchedule).where(t.ClinicSchedule.day.between(first, last)))
    session.execute(
        delete(t.DoctorSchedule).where(
            t.DoctorSchedule.day.between(first, last), t.DoctorSchedule.source == "template"
        )
    )
    session.add_all(
        t.ClinicSchedule(day=d.day, active=d.is_open, start_at=d.opens, end_at=d.closes)
        for d in days
    )
    session.add_all(
        t.DoctorSchedule(
            doctor_id=b.doctor_id, day=_local_day(b, days), start_at=b.start, end_at=b.end
        )
        for b in blocks
    )


def _local_day(block: model.RosterBlock, days: Sequence[model.ClinicDay]) -> date:
    for d in days:
        if d.opens is not None and d.closes is not None and d.opens <= block.start < d.closes:
            return d.day
    raise ValueError("roster block outside every open day")


def find_patients(
    session: Session,
    words: Sequence[str],
    phone_digits: str | None,
    birth_date: date | None,
    limit: int = 50,
) -> list[t.Patient]:
    """Live (not merged) patients matching every word (a prefix of a name), or the phone or DOB."""
    query = select(t.Patient)
    conditions = []
    for word in words:
        # autoescape: a typed % or _ is an ordinary character, not a LIKE wildcard
        prefix = word.lower()
        conditions.append(
            or_(
                func.lower(t.Patient.given_name).startswith(prefix, autoescape=True),
                func.lower(t.Patient.family_name).startswith(prefix, autoescape=True),
            )
        )
    if phone_digits:
        conditions.append(t.Patient.phone.contains(phone_digits, autoescape=True))
    if birth_date:
        conditions.append(t.Patient.date_of_birth == birth_date)
    if not conditions:
        return []
    query = query.where(*conditions, t.Patient.merged_into_id.is_(None)).order_by(
        t.Patient.family_name, t.Patient.given_name
    )
    return list(session.scalars(query.limit(limit)))
