"""Reads and writes the clinic's tables, handing plain domain values to the services."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from functools import cache

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Connection,
    Integer,
    Select,
    TextClause,
    bindparam,
    cast,
    delete,
    func,
    insert,
    intersect,
    select,
    text,
    union,
)
from sqlalchemy.orm import Session

from montu_desktop.domain import model
from montu_desktop.domain.model import MAX_APPOINTMENT_MINUTES
from montu_desktop.persistence import tables as t

_SLACK_SECONDS = MAX_APPOINTMENT_MINUTES * 60


def _epoch_column(session: Session, column: ColumnElement[datetime]) -> ColumnElement[int]:
    """The column as integer seconds since the epoch, computed by the database itself."""
    if session.get_bind().dialect.name == "sqlite":
        days = func.julianday(column) - 2440587.5  # julianday: no text to parse back
        return cast(func.round(days * 86400), Integer)
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
    connection: Connection, start: datetime, end: datetime
) -> dict[int, list[tuple[int, int]]]:
    """Each doctor's live appointments overlapping [start, end) as sorted epoch-second pairs.

    The same rows as `busy_times`, for the week grid's hot path: only columns of
    ix_appointment_week are read (no lookups into the table) and no row objects are built.
    On SQLite the database groups the rows per doctor (one row per doctor, the stored
    instants joined as text) and each distinct instant is converted once per process: the
    per-row Python grouping cost as much as the fetch itself.
    """
    floor = model.from_epoch(model.epoch(start) - _SLACK_SECONDS)
    if connection.dialect.name == "sqlite":
        stored = (_sqlite_text(end), _sqlite_text(floor), _sqlite_text(start))
        result = connection.exec_driver_sql(_SQLITE_BUSY_BY_DOCTOR, stored)
        seconds = _STORED_SECONDS.__getitem__
        if len(_STORED_SECONDS) > _STORED_SECONDS_KEPT:
            _STORED_SECONDS.clear()
        grouped = {
            doctor_id: sorted(
                zip(map(seconds, starts.split(",")), map(seconds, ends.split(",")), strict=True)
            )
            for doctor_id, starts, ends in result.cursor.fetchall()
        }
        result.close()
        return grouped
    result = connection.execute(
        _busy_pairs_statement(), {"start": start, "end": end, "floor": floor}
    )
    rows = result.cursor.fetchall()
    result.close()
    by_doctor: dict[int, list[tuple[int, int]]] = {}
    for doctor_id, start_at, end_at in rows:
        try:
            by_doctor[doctor_id].append((start_at, end_at))
        except KeyError:
            by_doctor[doctor_id] = [(start_at, end_at)]
    for pairs in by_doctor.values():
        pairs.sort()
    return by_doctor


_CANCELLED = model.AppointmentStatus.CANCELLED.value
_SQLITE_BUSY_BY_DOCTOR = (
    "SELECT doctor_id, group_concat(start_at), group_concat(end_at)"
    " FROM appointment INDEXED BY ix_appointment_week"
    f" WHERE start_at < ? AND start_at > ? AND end_at > ? AND status <> '{_CANCELLED}'"
    " GROUP BY doctor_id"
)


class _StoredSeconds(dict[str, int]):
    """Epoch seconds of SQLite's stored UTC text, converted once per distinct instant."""

    def __missing__(self, stored: str) -> int:
        value = model.epoch(datetime.fromisoformat(stored).replace(tzinfo=UTC))
        self[stored] = value
        return value


_STORED_SECONDS = _StoredSeconds()
_STORED_SECONDS_KEPT = 200_000
"""A year of a busy clinic's distinct instants; beyond that the map starts again."""


def _sqlite_text(moment: datetime) -> str:
    """An instant as SQLite stores it (naive UTC text, as UTCDateTime binds it)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@cache
def _busy_pairs_statement() -> TextClause:
    """The week's busy pairs on PostgreSQL as SQL text built once: building and
    fingerprinting the expression tree again on every request cost more than a tenth of
    the request. The server converts to epoch seconds faster than Python can."""
    starts, ends = (f"CAST(extract(epoch FROM {c}) AS BIGINT)" for c in ("start_at", "end_at"))
    return text(
        f"SELECT doctor_id, {starts}, {ends} FROM appointment"
        " WHERE start_at < :end AND start_at > :floor AND end_at > :start"
        f" AND status <> '{_CANCELLED}'"
    ).bindparams(*(bindparam(n, type_=t.UTCDateTime()) for n in ("start", "end", "floor")))


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


def _like_prefix(text: str) -> str:
    """A LIKE pattern for "starts with `text`", its % and _ ordinary characters (escape /).

    Built here as one bound value, not as `:text || '%'`: SQLite serves a LIKE from an index
    only when the pattern is a literal or a single bound parameter.
    """
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return escaped + "%"


def _with_part_starting(prefix: str) -> Select[tuple[int]]:
    n = t.PatientNamePart
    return select(n.patient_id).where(n.part.like(_like_prefix(prefix), escape="/"))


def find_patients(
    session: Session,
    words: Sequence[str],
    phone_digits: str | None,
    birth_date: date | None,
    limit: int = 50,
    *,
    joined: str | None = None,
) -> list[t.Patient]:
    """Live (not merged) patients matching the phone, the date of birth, or every word (each
    the start of one of the patient's folded name parts; `words` folded already by
    domain.names.search_words), or `joined` (the words run together) as one part's start.

    Each word is a prefix lookup on the name part index (patient_name_part).
    """
    p = t.Patient
    conditions: list[ColumnElement[bool]] = []
    if words:
        matched: CompoundSelect[tuple[int]] | Select[tuple[int]] = _with_part_starting(words[0])
        if len(words) > 1:
            every_word = intersect(*(_with_part_starting(w) for w in words)).subquery()
            matched = select(every_word.c.patient_id)
        if joined:
            # One IN over a UNION (not an OR of two INs): both databases then drive the
            # search from the part index; with an OR PostgreSQL walked every patient.
            matched = union(matched, _with_part_starting(joined))
        conditions.append(p.id.in_(matched))
    if phone_digits:
        conditions.append(p.phone.contains(phone_digits, autoescape=True))
    if birth_date:
        conditions.append(p.date_of_birth == birth_date)
    if not conditions:
        return []
    query = (
        select(p)
        .where(*conditions, p.merged_into_id.is_(None))
        .order_by(p.family_name, p.given_name, p.id)
    )
    return list(session.scalars(query.limit(limit)))


def find_patients_by_medicare(session: Session, card: str, limit: int = 50) -> list[t.Patient]:
    """Live patients whose Medicare card number is `card` (10 digits): an indexed equality."""
    p = t.Patient
    query = (
        select(p)
        .where(p.medicare_number == card, p.merged_into_id.is_(None))
        .order_by(p.medicare_irn, p.family_name, p.given_name, p.id)
    )
    return list(session.scalars(query.limit(limit)))


def replace_name_parts(session: Session, patient_id: int, parts: Iterable[str]) -> None:
    """The patient's stored name parts become `parts` (none: the patient is not findable by name)."""
    n = t.PatientNamePart
    session.execute(delete(n).where(n.patient_id == patient_id))
    rows = [{"part": part, "patient_id": patient_id} for part in sorted(set(parts))]
    if rows:
        session.execute(insert(n), rows)


def add_name_parts(session: Session, parts_by_patient: dict[int, Iterable[str]]) -> None:
    """Name parts for newly added patients (no parts stored for them yet), in one statement."""
    rows = [
        {"part": part, "patient_id": patient_id}
        for patient_id, parts in parts_by_patient.items()
        for part in sorted(set(parts))
    ]
    if rows:
        session.execute(insert(t.PatientNamePart), rows)
