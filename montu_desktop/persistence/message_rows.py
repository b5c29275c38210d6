"""The statements of what the clinic says to patients and hears back: the notification log,
tomorrow's reminders, the appointment card, and two-way SMS replies and delivery receipts.

Every function runs in the caller's session (its unit of work's transaction) and returns
plain values or small frozen rows, never an ORM object for a service to change.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Integer,
    String,
    Text,
    column,
    func,
    select,
    table,
    text,
    update,
)
from sqlalchemy.orm import Session

from montu_desktop.persistence import tables as t
from montu_desktop.persistence.errors import IntegrityError
from montu_desktop.persistence.sms_tables import SmsReply
from montu_desktop.persistence.tables import UTCDateTime

# The `notification` table is declared in notifications/records.py (the dispatcher's own
# table); persistence sits below notifications, so its repositories name the columns they
# read here (tests/unit/test_message_rows.py checks they agree with the declaration).
NOTIFICATION = table(
    "notification",
    column("id", Integer),
    column("appointment_id", Integer),
    column("patient_id", Integer),
    column("channel", String),
    column("kind", String),
    column("status", String),
    column("attempts", Integer),
    column("last_error", Text),
    column("due_at", UTCDateTime()),
    column("sent_at", UTCDateTime()),
    column("appointment_start", UTCDateTime()),
    column("provider_ref", String),
    column("delivery", String),
    column("delivery_error", String),
    column("delivery_at", UTCDateTime()),
    column("updated_at", UTCDateTime()),
)
_n = NOTIFICATION.c


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One notification as the log reads it (no address, no text: none is kept)."""

    id: int
    appointment_id: int | None
    patient_id: int
    channel: str
    kind: str
    status: str
    attempts: int
    last_error: str | None
    due_at: datetime
    sent_at: datetime | None
    appointment_start: datetime
    delivery: str | None
    delivery_error: str | None


_MESSAGE = (
    _n.id,
    _n.appointment_id,
    _n.patient_id,
    _n.channel,
    _n.kind,
    _n.status,
    _n.attempts,
    _n.last_error,
    _n.due_at,
    _n.sent_at,
    _n.appointment_start,
    _n.delivery,
    _n.delivery_error,
)


# -- the notification log -------------------------------------------------------------------


def messages(session: Session, status: str | None, limit: int) -> list[MessageRow]:
    """The newest messages first (by due time), of one status when given."""
    query = select(*_MESSAGE).order_by(_n.due_at.desc(), _n.id.desc())
    if status:
        query = query.where(_n.status == status)
    return [MessageRow(*r) for r in session.execute(query.limit(limit))]


def message(session: Session, notification_id: int) -> MessageRow | None:
    row = session.execute(select(*_MESSAGE).where(_n.id == notification_id)).first()
    return None if row is None else MessageRow(*row)


def requeue(session: Session, notification_id: int, status: str, at: datetime) -> MessageRow:
    """Due again now with fresh tries."""
    session.execute(
        update(NOTIFICATION)
        .where(_n.id == notification_id)
        .values(status=status, attempts=0, due_at=at, updated_at=at)
    )
    found = message(session, notification_id)
    assert found is not None
    return found


def set_status(session: Session, notification_id: int, status: str, at: datetime) -> MessageRow:
    session.execute(
        update(NOTIFICATION).where(_n.id == notification_id).values(status=status, updated_at=at)
    )
    found = message(session, notification_id)
    assert found is not None
    return found


def count_by_status(session: Session) -> list[tuple[str, int]]:
    return [
        (status, count)
        for status, count in session.execute(
            select(_n.status, func.count()).select_from(NOTIFICATION).group_by(_n.status)
        )
    ]


def appointment_names(
    session: Session, appointment_ids: Collection[int]
) -> dict[int, tuple[str, str]]:
    """appointment id → (patient's "given family", doctor's name)."""
    a, p, d = t.Appointment, t.Patient, t.Doctor
    ids = sorted(appointment_ids)
    found: dict[int, tuple[str, str]] = {}
    for first in range(0, len(ids), 500):
        for appointment_id, given, family, doctor in session.execute(
            select(a.id, p.given_name, p.family_name, d.name)
            .join(p, p.id == a.patient_id)
            .join(d, d.id == a.doctor_id)
            .where(a.id.in_(ids[first : first + 500]))
        ):
            found[appointment_id] = (f"{given} {family}", doctor)
    return found


def patient_names(session: Session, patient_ids: Collection[int]) -> dict[int, str]:
    """patient id → "given family"."""
    if not patient_ids:
        return {}
    p = t.Patient
    return {
        i: f"{given} {family}"
        for i, given, family in session.execute(
            select(p.id, p.given_name, p.family_name).where(p.id.in_(sorted(patient_ids)))
        )
    }


def may_write_notifications(session: Session) -> bool:
    """On PostgreSQL: whether this login may add and change notifications."""
    return bool(
        session.scalar(
            text(
                "SELECT has_table_privilege('notification', 'INSERT')"
                " AND has_table_privilege('notification', 'UPDATE')"
            )
        )
    )


# -- tomorrow's reminders -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReminderTarget:
    """A live appointment with what its patient can be reminded on."""

    appointment_id: int
    start: datetime
    doctor_name: str
    given_name: str
    family_name: str
    email: str | None
    phone: str | None
    email_reminders: bool
    sms_reminders: bool
    reminders_opt_out: bool


def booked_between(
    session: Session, start: datetime, end: datetime, status: str
) -> list[ReminderTarget]:
    """Appointments of `status` starting in [start, end), by start."""
    a, p, d = t.Appointment, t.Patient, t.Doctor
    rows = session.execute(
        select(a.id, a.start_at, p, d.name)
        .join(p, p.id == a.patient_id)
        .join(d, d.id == a.doctor_id)
        .where(a.start_at >= start, a.start_at < end, a.status == status)
        .order_by(a.start_at, a.id)
    ).all()
    return [
        ReminderTarget(
            appointment_id,
            starts,
            doctor,
            patient.given_name,
            patient.family_name,
            patient.email,
            patient.phone,
            patient.email_reminders,
            patient.sms_reminders,
            patient.reminders_opt_out,
        )
        for appointment_id, starts, patient, doctor in rows
    ]


def count_for_appointments(
    session: Session, appointment_ids: Collection[int], *, kind: str, statuses: Iterable[str]
) -> dict[int, int]:
    """appointment id → how many of its messages of `kind` are in one of `statuses`."""
    found: dict[int, int] = {}
    for appointment_id in session.scalars(
        select(_n.appointment_id).where(
            _n.appointment_id.in_(appointment_ids),
            _n.kind == kind,
            _n.status.in_(list(statuses)),
        )
    ):
        found[appointment_id] = found.get(appointment_id, 0) + 1
    return found


def with_receipts(
    session: Session, appointment_ids: Collection[int], *, kind: str, channel: str, status: str
) -> list[MessageRow]:
    """The appointments' messages that have a delivery receipt, oldest sent first."""
    return [
        MessageRow(*r)
        for r in session.execute(
            select(*_MESSAGE)
            .where(
                _n.appointment_id.in_(appointment_ids),
                _n.kind == kind,
                _n.channel == channel,
                _n.status == status,
                _n.delivery.is_not(None),
            )
            .order_by(_n.sent_at, _n.id)
        )
    ]


# -- the clinic and the appointment card ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClinicContact:
    name: str
    address: str
    phone: str
    timezone: str


def clinic_contact(session: Session) -> ClinicContact | None:
    row = session.execute(
        select(t.Clinic.name, t.Clinic.address, t.Clinic.phone, t.Clinic.timezone).limit(1)
    ).first()
    return None if row is None else ClinicContact(*row)


@dataclass(frozen=True, slots=True)
class CardRow:
    """What an appointment card is made from (instants in UTC)."""

    start: datetime
    end: datetime
    type_id: int
    status: str
    given_name: str
    family_name: str
    doctor_name: str


def card_row(session: Session, appointment_id: int) -> CardRow | None:
    a, p, d = t.Appointment, t.Patient, t.Doctor
    row = session.execute(
        select(a.start_at, a.end_at, a.type_id, a.status, p.given_name, p.family_name, d.name)
        .join(p, p.id == a.patient_id)
        .join(d, d.id == a.doctor_id)
        .where(a.id == appointment_id)
    ).first()
    return None if row is None else CardRow(*row)


# -- two-way SMS replies ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplyRow:
    """One inbound SMS with the patient's name when its number identified one."""

    id: int
    received_at: datetime
    from_number: str
    body: str
    outcome: str
    patient_id: int | None
    patient_name: str
    appointment_id: int | None
    read_at: datetime | None


def _reply(session: Session, row: SmsReply, name: str | None = None) -> ReplyRow:
    if name is None and row.patient_id is not None:
        patient = session.get(t.Patient, row.patient_id)
        name = f"{patient.given_name} {patient.family_name}" if patient else ""
    return ReplyRow(
        row.id,
        row.received_at,
        row.from_number,
        row.body,
        row.outcome,
        row.patient_id,
        name or "",
        row.appointment_id,
        row.read_at,
    )


def reply(session: Session, reply_id: int) -> ReplyRow | None:
    row = session.get(SmsReply, reply_id)
    return None if row is None else _reply(session, row)


def reply_with_sid(session: Session, message_sid: str) -> ReplyRow | None:
    row = session.scalars(select(SmsReply).where(SmsReply.message_sid == message_sid)).first()
    return None if row is None else _reply(session, row)


def live_patients_with_phone(session: Session, phone: str, limit: int = 2) -> list[int]:
    """Ids of up to `limit` live (not merged away) patients with this phone."""
    return list(
        session.scalars(
            select(t.Patient.id)
            .where(t.Patient.phone == phone, t.Patient.merged_into_id.is_(None))
            .limit(limit)
        )
    )


def add_reply(
    session: Session,
    *,
    message_sid: str,
    from_number: str,
    to_number: str,
    body: str,
    received_at: datetime,
    patient_id: int | None,
    outcome: str,
) -> int | None:
    """The new reply's id; None when a reply with this MessageSid was stored meanwhile (the
    same webhook racing itself): the session's transaction is then rolled back."""
    row = SmsReply(
        message_sid=message_sid,
        from_number=from_number,
        to_number=to_number,
        body=body,
        received_at=received_at,
        patient_id=patient_id,
        outcome=outcome,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    return row.id


def settle_reply(
    session: Session, reply_id: int, outcome: str, appointment_id: int | None = None
) -> None:
    """Record what a reply did (and to which appointment)."""
    session.execute(
        update(SmsReply)
        .where(SmsReply.id == reply_id)
        .values(outcome=outcome, appointment_id=appointment_id)
    )


def replies(session: Session, *, unread_only: bool, limit: int) -> list[ReplyRow]:
    """The newest replies first."""
    r, p = SmsReply, t.Patient
    query = (
        select(r, p.given_name, p.family_name)
        .outerjoin(p, p.id == r.patient_id)
        .order_by(r.received_at.desc(), r.id.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(r.read_at.is_(None))
    return [
        _reply(session, row, f"{given} {family}" if given is not None else "")
        for row, given, family in session.execute(query)
    ]


def unread_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(SmsReply).where(SmsReply.read_at.is_(None)))
        or 0
    )


def mark_reply_read(session: Session, reply_id: int, at: datetime, by: str) -> ReplyRow:
    row = session.get(SmsReply, reply_id)
    assert row is not None
    row.read_at, row.read_by = at, by
    return _reply(session, row)


def opt_out_of_reminders(session: Session, patient_id: int, at: datetime) -> None:
    patient = session.get(t.Patient, patient_id)
    assert patient is not None
    patient.reminders_opt_out, patient.updated_at = True, at


def next_booked(
    session: Session, patient_id: int, after: datetime, status: str
) -> tuple[int, datetime] | None:
    """The patient's first appointment of `status` starting after `after`: (id, start)."""
    a = t.Appointment
    found = session.scalars(
        select(a)
        .where(a.patient_id == patient_id, a.status == status, a.start_at > after)
        .order_by(a.start_at, a.id)
        .limit(1)
    ).first()
    return None if found is None else (found.id, found.start_at)


def confirm_appointment(session: Session, appointment_id: int, at: datetime) -> None:
    """The patient confirmed by SMS."""
    appointment = session.get(t.Appointment, appointment_id)
    assert appointment is not None
    appointment.confirmed_at = at


# -- delivery receipts ----------------------------------------------------------------------


def delivery_of(session: Session, provider_ref: str) -> tuple[int, str | None] | None:
    """The message the provider knows by `provider_ref`: (id, delivery state held)."""
    row = session.execute(
        select(_n.id, _n.delivery).where(_n.provider_ref == provider_ref).limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def set_delivery(
    session: Session, notification_id: int, delivery: str, error: str | None, at: datetime
) -> None:
    session.execute(
        update(NOTIFICATION)
        .where(_n.id == notification_id)
        .values(delivery=delivery, delivery_error=error, delivery_at=at)
    )
