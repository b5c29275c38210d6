"""The recall service's statements: recalls added, listed, closed by the desk or by a
booking, reopened by a cancellation and moved by a merge; rows come back as values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from montu_desktop.domain.recalls import RecallStatus
from montu_desktop.persistence import sqlite_driver as driver
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.recall_tables import Recall


@dataclass(frozen=True, slots=True)
class RecallLine:
    """A recall with its patient's and doctor's names, as the desk lists it."""

    id: int
    patient_id: int
    patient_name: str
    due: date
    reason: str
    type_id: int | None
    doctor_id: int | None
    doctor_name: str | None
    status: str
    appointment_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RecallState:
    """What closing or reopening a recall needs to know of it."""

    id: int
    patient_id: int
    type_id: int | None
    status: str
    created_at: datetime


def _state(row: Recall) -> RecallState:
    return RecallState(row.id, row.patient_id, row.type_id, row.status, row.created_at)


def bookable_doctor_name(session: Session, doctor_id: int) -> str | None:
    """The doctor's name, or None when there is no such doctor or they were removed."""
    doctor = session.get(t.Doctor, doctor_id)
    return None if doctor is None or doctor.removed_at is not None else doctor.name


def add(
    session: Session,
    *,
    patient_id: int,
    type_id: int | None,
    doctor_id: int | None,
    due: date,
    reason: str,
    actor: str,
    now: datetime,
) -> int:
    """Insert a due recall; returns its id."""
    row = Recall(
        patient_id=patient_id,
        type_id=type_id,
        doctor_id=doctor_id,
        due_day=due,
        reason=reason,
        status=RecallStatus.DUE.value,
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def listed(
    session: Session,
    *,
    recall_id: int | None = None,
    due_only: bool = False,
    due_before: date | None = None,
    overdue_before: date | None = None,
    patient_id: int | None = None,
    doctor_id: int | None = None,
) -> list[RecallLine]:
    """Recalls by due day (soonest first): this one (`recall_id`), still due (`due_only`),
    due strictly before `due_before`, still due and due before `overdue_before`, this
    patient's, this doctor's."""
    r, p, d = Recall, t.Patient, t.Doctor
    where: list[ColumnElement[bool]] = []
    if recall_id is not None:
        where.append(r.id == recall_id)
    if due_only:
        where.append(r.status == RecallStatus.DUE.value)
    if due_before is not None:
        where.append(r.due_day < due_before)
    if overdue_before is not None:
        where += [r.status == RecallStatus.DUE.value, r.due_day < overdue_before]
    if patient_id is not None:
        where.append(r.patient_id == patient_id)
    if doctor_id is not None:
        where.append(r.doctor_id == doctor_id)
    query = (
        select(r, p.given_name + " " + p.family_name, d.name)
        .join(p, p.id == r.patient_id)
        .outerjoin(d, d.id == r.doctor_id)
        .where(*where)
        .order_by(r.due_day, r.id)
    )
    return [
        RecallLine(
            row.id,
            row.patient_id,
            name,
            row.due_day,
            row.reason,
            row.type_id,
            row.doctor_id,
            doctor,
            row.status,
            row.appointment_id,
            row.created_at,
        )
        for row, name, doctor in session.execute(query)
    ]


def lock(session: Session, recall_id: int) -> RecallState | None:
    """The recall, locked for this transaction (None when there is none)."""
    row = session.get(Recall, recall_id, with_for_update=True)
    return None if row is None else _state(row)


def close(session: Session, recall_id: int, status: RecallStatus, now: datetime) -> None:
    """Close the (locked) recall with `status`."""
    row = session.get(Recall, recall_id)
    assert row is not None, "the service locked it first"
    row.status = status.value
    row.closed_at = now
    session.flush()


_SQLITE_DUE_FOR_PATIENT = (
    "SELECT id, patient_id, type_id, status, created_at FROM recall"
    " WHERE patient_id = ? AND status = ?"
)


def lock_due_for_patient(session: Session, patient_id: int) -> list[RecallState]:
    """The patient's open recalls, locked for this transaction (SQLite's write lock is the
    whole file's: there a plain read on the driver, since every booking runs it)."""
    sqlite = driver.connection_of(session, autoflush=True)
    if sqlite is not None:
        found = driver.run(
            sqlite, _SQLITE_DUE_FOR_PATIENT, (patient_id, RecallStatus.DUE.value)
        ).fetchall()
        return [
            RecallState(id_, patient, kind, status, driver.read_instant(created))  # type: ignore[arg-type]
            for id_, patient, kind, status, created in found
        ]
    return [
        _state(r)
        for r in session.scalars(
            select(Recall)
            .where(Recall.patient_id == patient_id, Recall.status == RecallStatus.DUE.value)
            .with_for_update()
        )
    ]


def mark_booked(
    session: Session, recall_ids: Iterable[int], appointment_id: int, now: datetime
) -> None:
    """The (locked) recalls are closed as booked by `appointment_id`."""
    for recall_id in recall_ids:
        row = session.get(Recall, recall_id)
        assert row is not None, "the service locked it first"
        row.status = RecallStatus.BOOKED.value
        row.appointment_id = appointment_id
        row.closed_at = now
    session.flush()


def lock_booked_by(session: Session, appointment_id: int) -> list[RecallState]:
    """The recalls `appointment_id` closed as booked, locked for this transaction."""
    return [
        _state(r)
        for r in session.scalars(
            select(Recall)
            .where(
                Recall.appointment_id == appointment_id,
                Recall.status == RecallStatus.BOOKED.value,
            )
            .with_for_update()
        )
    ]


def reopen(session: Session, recall_ids: Iterable[int]) -> None:
    """The (locked) recalls are due again, with no appointment."""
    for recall_id in recall_ids:
        row = session.get(Recall, recall_id)
        assert row is not None, "the service locked it first"
        row.status, row.appointment_id, row.closed_at = RecallStatus.DUE.value, None, None
    session.flush()


def move(session: Session, from_patient: int, to_patient: int) -> None:
    """Every recall of `from_patient` becomes `to_patient`'s."""
    session.execute(
        update(Recall).where(Recall.patient_id == from_patient).values(patient_id=to_patient)
    )
