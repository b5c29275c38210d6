"""The few statements a booking runs in its write transaction, written out for speed.

A booking is on the desk's critical path and, on SQLite, inside the write lock, so these
are plain SQL text built once per database kind: no ORM entities, no expression trees to
rebuild and fingerprint on every call, and the database turns instants into epoch seconds.
On SQLite the same text runs on the session's driver connection (persistence/sqlite_driver).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    String,
    TextClause,
    bindparam,
    column,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from montu_desktop.domain import model
from montu_desktop.domain.errors import DeskBusy
from montu_desktop.domain.model import MAX_APPOINTMENT_MINUTES
from montu_desktop.persistence import sqlite_driver as driver
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.engine import lock_timed_out

_SLACK_SECONDS = MAX_APPOINTMENT_MINUTES * 60
NO_APPOINTMENT = 0
"""An id no appointment has: what `exclude_id` means when nothing is excluded."""

# Live appointments of the matched doctor or patient overlapping [{lo}, {hi}); the lower
# bound on start_at (the range start minus the longest appointment) keeps it on an index.
_OVERLAPS = (
    "a.status <> 'cancelled' AND a.id <> :exclude_id"
    " AND a.start_at < :{hi} AND a.start_at > :{lo}_floor AND a.end_at > :{lo}"
)


def _epoch(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        # julianday gives a number straight away; strftime('%s') wrote text to be parsed
        # again (2.3x slower over a day's appointments, the doctors statement's main cost).
        return f"CAST(round((julianday({column}) - 2440587.5) * 86400) AS INTEGER)"
    return f"CAST(extract(epoch FROM {column}) AS BIGINT)"


def _instants(*names: str) -> list:  # type: ignore[type-arg]
    return [bindparam(n, type_=t.UTCDateTime()) for n in names]


@cache
def _request_sql(dialect: str) -> str:
    # On PostgreSQL the rest of the transaction runs its prepared statements on their
    # generic plans: planning the doctors statement afresh for every booking cost the
    # server ~1 ms, more than running it.
    generic = (
        "set_config('plan_cache_mode', 'force_generic_plan', true) AS plans, "
        if dialect == "postgresql"
        else "NULL AS plans, "
    )
    return (
        "SELECT "
        + generic
        + "EXISTS (SELECT 1 FROM patient WHERE id = :patient_id AND merged_into_id IS NULL),"
        " EXISTS (SELECT 1 FROM appointment a WHERE a.patient_id = :patient_id AND "
        + _OVERLAPS.format(lo="start", hi="end")
        + "), cs.active, cs.start_at, cs.end_at"
        " FROM (SELECT 1 AS one) AS here"
        " LEFT JOIN clinic_schedule cs ON cs.day = :day"
    )


@cache
def _request_statement(dialect: str) -> TextClause:
    return (
        text(_request_sql(dialect))
        .bindparams(bindparam("day", type_=Date()), *_instants("start", "start_floor", "end"))
        .columns(
            column("plans", String()),
            column("known", Integer()),
            column("busy", Integer()),
            column("active", Boolean()),
            column("opens", t.UTCDateTime()),
            column("closes", t.UTCDateTime()),
        )
    )


@dataclass(frozen=True, slots=True)
class RequestStanding:
    """What the database says about a request before any doctor is looked at."""

    patient_known: bool
    patient_busy: bool
    clinic_day: model.ClinicDay | None


def request_standing(
    session: Session,
    day: date,
    patient_id: int,
    start: datetime,
    end: datetime,
    exclude_id: int = NO_APPOINTMENT,
) -> RequestStanding:
    """In one statement: does the patient exist, is the patient already booked in
    [start, end), and the clinic's schedule for `day` (None when it has none)."""
    params = {
        "day": day,
        "patient_id": patient_id,
        "start": start,
        "start_floor": _floor(start),
        "end": end,
        "exclude_id": exclude_id,
    }
    sqlite = driver.connection_of(session)
    if sqlite is not None:
        _plans, known, busy, active, opens, closes = driver.run(
            sqlite, _request_sql("sqlite"), driver.stored(params)
        ).fetchone()
        return _standing(
            day, known, busy, active, driver.read_instant(opens), driver.read_instant(closes)
        )
    row = (
        session.connection()
        .execute(_request_statement(session.get_bind().dialect.name), params)
        .one()
    )
    _plans, known, busy, active, opens, closes = row
    return _standing(day, known, busy, active, opens, closes)


def _standing(
    day: date,
    known: object,
    busy: object,
    active: object,
    opens: datetime | None,
    closes: datetime | None,
) -> RequestStanding:
    if active is None:
        clinic_day = None
    elif active:
        clinic_day = model.ClinicDay(day, opens, closes)
    else:
        clinic_day = model.ClinicDay.closed(day)
    return RequestStanding(bool(known), bool(busy), clinic_day)


@cache
def _doctors_sql(dialect: str) -> str:
    # A doctor who clashes cannot be chosen, so their load is not summed (NULL instead):
    # CASE evaluates the costly sum only for the free.
    a_seconds = f"sum({_epoch(dialect, 'a.end_at')} - {_epoch(dialect, 'a.start_at')})"
    if dialect == "sqlite":
        # Rounded once, not per row (~15 % of the statement): julianday's float error is
        # ~1e-5 s a value, so a day's sum of lengths still rounds to the same seconds.
        a_seconds = (
            "CAST(round(sum(julianday(a.end_at) - julianday(a.start_at)) * 86400) AS INTEGER)"
        )
    return (
        f"SELECT ds.doctor_id, {_epoch(dialect, 'ds.start_at')}, {_epoch(dialect, 'ds.end_at')},"
        " CASE WHEN EXISTS (SELECT 1 FROM appointment a WHERE a.doctor_id = ds.doctor_id AND "
        + _OVERLAPS.format(lo="start", hi="end")
        + f") THEN NULL ELSE (SELECT coalesce({a_seconds}, 0) FROM appointment a"
        " WHERE a.doctor_id = ds.doctor_id AND "
        + _OVERLAPS.format(lo="opens", hi="closes")
        + ") END, EXISTS (SELECT 1 FROM doctor_type_skipped k"
        " WHERE k.doctor_id = ds.doctor_id AND k.type_id = :type_id)"
        " FROM doctor_schedule ds JOIN doctor d ON d.id = ds.doctor_id"
        " WHERE ds.day = :day AND ds.start_at <= :end AND ds.end_at >= :start"
        " AND d.active AND d.removed_at IS NULL"
    )


@cache
def _doctors_statement(dialect: str) -> TextClause:
    return text(_doctors_sql(dialect)).bindparams(
        bindparam("day", type_=Date()),
        *_instants("start", "start_floor", "end", "opens", "opens_floor", "closes"),
    )


@dataclass(frozen=True, slots=True)
class DoctorsAround:
    """Who could take a range on one day: the bookable doctors' roster blocks touching it,
    who already has an appointment in it, the others' booked minutes that day, and who
    does not perform the type."""

    roster: model.Roster
    booked_minutes: dict[int, int]
    clashing: frozenset[int]
    skipped: frozenset[int] = frozenset()


def doctors_around(
    session: Session,
    day: model.ClinicDay,
    start: datetime,
    end: datetime,
    exclude_id: int = NO_APPOINTMENT,
    type_id: int = 0,
) -> DoctorsAround:
    """In one statement: the roster blocks of bookable doctors on `day` that touch
    [start, end), whether each doctor clashes and, if not, their load over the clinic day,
    and whether they skip type `type_id`.

    Blocks that only touch the range are read too, so that joined blocks (a session that
    runs on into an extra one) cover the range exactly as the whole day's roster would.
    """
    assert day.opens is not None and day.closes is not None
    params: dict[str, object] = {
        "day": day.day,
        "start": start,
        "start_floor": _floor(start),
        "end": end,
        "opens": day.opens,
        "opens_floor": _floor(day.opens),
        "closes": day.closes,
        "exclude_id": exclude_id,
        "type_id": type_id,
    }
    sqlite = driver.connection_of(session)
    if sqlite is not None:
        found = driver.run(sqlite, _doctors_sql("sqlite"), driver.stored(params)).fetchall()
    else:
        rows = session.connection().execute(
            _doctors_statement(session.get_bind().dialect.name), params
        )
        found = rows.cursor.fetchall()  # plain values (epoch seconds, counts): nothing to convert
        rows.close()
    blocks: dict[int, list[tuple[int, int]]] = {}
    minutes: dict[int, int] = {}
    clashing: set[int] = set()
    skipped: set[int] = set()
    for doctor_id, block_start, block_end, busy_seconds, skips in found:
        blocks.setdefault(doctor_id, []).append((int(block_start), int(block_end)))
        if skips:
            skipped.add(doctor_id)
        if busy_seconds is None:
            clashing.add(doctor_id)
        else:
            minutes[doctor_id] = int(busy_seconds) // 60
    return DoctorsAround(model.Roster(blocks), minutes, frozenset(clashing), frozenset(skipped))


_STILL_ROSTERED = (
    "SELECT EXISTS (SELECT 1 FROM doctor_schedule ds JOIN doctor d ON d.id = ds.doctor_id"
    " WHERE ds.doctor_id = :doctor_id AND ds.day = :day"
    " AND ds.start_at <= :start AND ds.end_at >= :end"
    " AND d.active AND d.removed_at IS NULL)"
    " AND EXISTS (SELECT 1 FROM clinic_schedule cs WHERE cs.day = :day AND cs.active"
    " AND cs.start_at = :opens AND cs.end_at = :closes)"
)


@cache
def _still_rostered_statement() -> TextClause:
    return text(_STILL_ROSTERED).bindparams(
        bindparam("day", type_=Date()), *_instants("start", "end", "opens", "closes")
    )


def still_rostered(
    session: Session, day: model.ClinicDay, doctor_id: int, start: datetime, end: datetime
) -> bool:
    """True when the day still has the same opening hours and one block of the doctor's,
    still bookable, holds [start, end) (a range spanning two joined blocks says False)."""
    params = {
        "doctor_id": doctor_id,
        "day": day.day,
        "start": start,
        "end": end,
        "opens": day.opens,
        "closes": day.closes,
    }
    sqlite = driver.connection_of(session)
    if sqlite is not None:
        return bool(driver.run(sqlite, _STILL_ROSTERED, driver.stored(params)).fetchone()[0])
    return bool(session.connection().execute(_still_rostered_statement(), params).scalar())


def _floor(moment: datetime) -> datetime:
    return model.from_epoch(model.epoch(moment) - _SLACK_SECONDS)


_DOCTOR = "SELECT name, active, removed_at IS NOT NULL FROM doctor WHERE id = :id"


@cache
def _doctor_statement() -> TextClause:
    return text(_DOCTOR)


def merged_into(session: Session, patient_id: int) -> int | None:
    """The record a retired (merged) patient now lives on, or None."""
    return session.scalar(select(t.Patient.merged_into_id).where(t.Patient.id == patient_id))


def doctor_standing(session: Session, doctor_id: int) -> tuple[str, bool, bool] | None:
    """(name, active, removed) of a doctor, or None when there is no such doctor."""
    sqlite = driver.connection_of(session)
    if sqlite is not None:
        row = driver.run(sqlite, _DOCTOR, {"id": doctor_id}).fetchone()
    else:
        row = session.connection().execute(_doctor_statement(), {"id": doctor_id}).first()
    return None if row is None else (row[0], bool(row[1]), bool(row[2]))


_APPOINTMENT = t.Appointment.__table__
_LOCK_DOCTOR, _LOCK_PATIENT = 0x4D6F6E74, 0x4D6F6E75
"""Advisory lock classes for appointments of one doctor and of one patient (PostgreSQL)."""


def queue_behind_other_bookings(
    session: Session, doctor_id: int, patient_id: int, *, lock_timeout_seconds: float = 5.0
) -> None:
    """On PostgreSQL, wait for any other open transaction writing this doctor's or this
    patient's appointments (locks held until commit or rollback; SQLite's write lock
    already serialises writers, so there it does nothing).

    Two transactions inserting clashing rows at once both put their row in the exclusion
    index first and then wait for each other: a deadlock that the server only breaks after
    deadlock_timeout (1 s). Queued this way, the second insert meets a committed row and is
    refused at once (the retry loop then looks again). Doctor before patient, always, so
    these locks cannot deadlock among themselves.

    The wait is bounded by lock_timeout for the rest of the transaction: a desk that
    vanished mid-booking keeps its locks until the server ends its transaction, and the
    others must not queue behind it meanwhile. Timing out raises DeskBusy naming the
    doctor or the patient whose lock was held.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    connection = session.connection()
    timeout = f"{max(1, int(lock_timeout_seconds * 1000))}ms"
    # Both locks at once when nobody holds them (the usual case): one round trip.
    got = connection.execute(
        _try_both_statement(),
        {"timeout": timeout, "doctor": doctor_id, "patient": patient_id},
    ).scalar()
    if got:
        return
    waits = [("patient", _LOCK_PATIENT, patient_id)]
    if got is None:  # the doctor's lock was taken (the patient's was not tried)
        waits.insert(0, ("doctor", _LOCK_DOCTOR, doctor_id))
    for who, lock_class, lock_id in waits:
        try:
            connection.execute(
                _wait_lock_statement(), {"lock_class": lock_class, "lock_id": lock_id}
            )
        except DBAPIError as exc:
            if lock_timed_out(exc):
                raise DeskBusy(who) from exc
            raise


@cache
def _try_both_statement() -> TextClause:
    # CASE tries its conditions in order (AND need not): the time-out is set before any
    # lock, and the patient's lock is tried only once the doctor's is held (doctor before
    # patient, as when waiting), so a desk never holds a patient's lock while it waits for
    # a doctor's. NULL: the doctor's lock is taken; false: the patient's is.
    return text(
        "SELECT CASE WHEN set_config('lock_timeout', :timeout, true) IS NULL THEN NULL"
        f" WHEN pg_try_advisory_xact_lock({_LOCK_DOCTOR}, :doctor)"
        f" THEN pg_try_advisory_xact_lock({_LOCK_PATIENT}, :patient) END"
    )


def queue_behind_patients(session: Session, *patient_ids: int) -> None:
    """On PostgreSQL, wait for other open transactions writing these patients' appointments
    (the same locks as queue_behind_other_bookings; taken in id order so two merges cannot
    deadlock; a booking takes its doctor's lock first and a merge takes none, so no cycle)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for patient_id in sorted(set(patient_ids)):
        session.connection().execute(
            text("SELECT pg_advisory_xact_lock(:patient_class, :patient_id)"),
            {"patient_class": _LOCK_PATIENT, "patient_id": patient_id},
        )


@cache
def _wait_lock_statement() -> TextClause:
    return text("SELECT pg_advisory_xact_lock(:lock_class, :lock_id)")


def add_appointment(
    session: Session,
    *,
    doctor_id: int,
    patient_id: int,
    type_id: int,
    start: datetime,
    end: datetime,
    actor: str,
    now: datetime,
    note: str | None = None,
    work_in_reason: str | None = None,
) -> int:
    """Insert a booked appointment and return its id (the no-overlap guard may refuse it)."""
    sqlite = driver.connection_of(session)
    if sqlite is not None:
        return int(
            driver.run(
                sqlite,
                _SQLITE_INSERT,
                (
                    doctor_id,
                    patient_id,
                    type_id,
                    driver.instant(start),
                    driver.instant(end),
                    model.AppointmentStatus.BOOKED.value,
                    note,
                    work_in_reason,
                    actor,
                    driver.instant(now),
                    driver.instant(now),
                ),
            ).lastrowid
        )
    result = session.connection().execute(
        _APPOINTMENT.insert(),
        {
            "doctor_id": doctor_id,
            "patient_id": patient_id,
            "type_id": type_id,
            "start_at": start,
            "end_at": end,
            "status": model.AppointmentStatus.BOOKED.value,
            "note": note,
            "work_in_reason": work_in_reason,
            "created_by": actor,
            "created_at": now,
            "updated_at": now,
        },
    )
    return int(result.inserted_primary_key[0])


_SQLITE_INSERT = (
    "INSERT INTO appointment (doctor_id, patient_id, type_id, start_at, end_at, status, note,"
    " work_in_reason, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


_BOOK_ON_SERVER = (
    "SELECT * FROM public.montu_book(%s::bigint, %s::integer, %s::integer, %s::bigint,"
    " %s::date, %s::integer, %s::text, %s::boolean, %s::integer[], %s::integer, %s::bigint,"
    " %s::bigint, %s::timestamptz, %s::text, %s::text, %s::text, %s::text,"
    " %s::double precision)"
)


@dataclass(frozen=True, slots=True)
class ServerBooking:
    """What montu_book (migration 0024_perf_booking) answered: an outcome ('booked',
    'requested', or a refusal code), and for a booking its id, doctor and the free doctors'
    (ids, booked minutes, rostered minutes); `detail` and the day's hours explain a refusal."""

    outcome: str
    appointment_id: int | None
    doctor_id: int | None
    detail: str | None
    opens: datetime | None
    closes: datetime | None
    candidate_ids: list[int] | None
    candidate_booked: list[int] | None
    candidate_rostered: list[int] | None
    recalls_closed: int


def book_on_server(
    session: Session,
    *,
    patient_id: int,
    type_id: int,
    length_minutes: int,
    start: int,
    day: date,
    doctor_id: int | None,
    note: str | None,
    urgent: bool,
    held: list[int],
    slot_minutes: int,
    earliest: int,
    latest: int,
    now: datetime,
    actor: str,
    type_name: str,
    zone: str,
    lock_timeout_seconds: float,
    pick: float,
) -> ServerBooking:
    """PostgreSQL only: check, choose, lock and insert a booking in one statement (plain
    driver SQL: psycopg prepares it after its first uses; the database's refusals still
    surface as SQLAlchemy errors, which the unit of work names)."""
    result = session.connection().exec_driver_sql(
        _BOOK_ON_SERVER,
        (
            patient_id,
            type_id,
            length_minutes,
            start,
            day,
            doctor_id,
            note,
            urgent,
            held,
            slot_minutes,
            earliest,
            latest,
            now,
            actor,
            type_name,
            zone,
            f"{max(1, int(lock_timeout_seconds * 1000))}ms",
            pick,
        ),
    )
    row = result.cursor.fetchone()
    result.close()
    return ServerBooking(*row)


@dataclass(frozen=True, slots=True)
class AppointmentRow:
    """One appointment as stored (times are UTC instants), handed to the booking use cases."""

    id: int
    doctor_id: int
    patient_id: int
    type_id: int
    start_at: datetime
    end_at: datetime
    status: str
    note: str | None
    cancel_reason: str | None
    arrived_at: datetime | None
    completed_at: datetime | None
    confirmed_at: datetime | None
    called_in_at: datetime | None
    consultation_at: datetime | None
    left_at: datetime | None
    work_in_reason: str | None


_ROW_COLUMNS = tuple(_APPOINTMENT.c[name] for name in AppointmentRow.__slots__)  # type: ignore[attr-defined]


def appointment(session: Session, appointment_id: int) -> AppointmentRow | None:
    """The appointment as stored now in this transaction (None: no such id)."""
    found = session.execute(
        select(*_ROW_COLUMNS).where(_APPOINTMENT.c.id == appointment_id)
    ).first()
    return AppointmentRow(*found) if found is not None else None


def change_appointment(session: Session, appointment_id: int, **values: object) -> AppointmentRow:
    """Write the changed columns of one appointment (the guards and audit triggers see one
    UPDATE of just those columns) and return it as it now stands."""
    session.execute(
        update(_APPOINTMENT).where(_APPOINTMENT.c.id == appointment_id).values(**values)
    )
    changed = appointment(session, appointment_id)
    assert changed is not None
    return changed
