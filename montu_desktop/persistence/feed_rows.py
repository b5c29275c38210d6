"""The SQL behind the data feeds: doctors' calendar feed tokens (table `calendar_feed`) and
the appointments a calendar feed or a FHIR read shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from montu_desktop.persistence import tables as t
from montu_desktop.persistence.tables import Base, UTCDateTime


class CalendarFeed(Base):
    """A doctor's calendar feed token: only its SHA-256 is kept (revision 0021_feeds)."""

    __tablename__ = "calendar_feed"
    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctor.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A token as staff may see it (never its hash)."""

    id: int
    doctor_id: int
    doctor_name: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


def add_feed(
    session: Session, doctor_id: int, token_hash: str, now: datetime, actor: str
) -> tuple[int, int | None]:
    """A new live token for the doctor, revoking the live one it replaces: (new id, old id)."""
    old = revoke_feed(session, doctor_id, now)
    row = CalendarFeed(doctor_id=doctor_id, token_hash=token_hash, created_at=now, created_by=actor)
    session.add(row)
    session.flush()
    return row.id, old


def revoke_feed(session: Session, doctor_id: int, now: datetime) -> int | None:
    """Revoke the doctor's live token; its id, or None when there was none."""
    f = CalendarFeed
    live = session.scalar(select(f.id).where(f.doctor_id == doctor_id, f.revoked_at.is_(None)))
    if live is None:
        return None
    session.execute(
        update(f)
        .where(f.id == live)
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return live


def feeds(session: Session) -> list[FeedRow]:
    """Every token ever made (live and revoked), by doctor name, newest first."""
    f, d = CalendarFeed, t.Doctor
    query = (
        select(f.id, f.doctor_id, d.name, f.created_at, f.created_by, f.revoked_at)
        .join(d, d.id == f.doctor_id)
        .order_by(d.name, f.doctor_id, f.id.desc())
    )
    return [FeedRow(*row) for row in session.execute(query)]


def feed_doctor(session: Session, token_hash: str) -> int | None:
    """The doctor whose live token has this hash (the server's login alone may read hashes)."""
    f = CalendarFeed
    return session.scalar(
        select(f.doctor_id).where(f.token_hash == token_hash, f.revoked_at.is_(None))
    )


def doctor_name(session: Session, doctor_id: int, *, removed_too: bool = False) -> str | None:
    query = select(t.Doctor.name).where(t.Doctor.id == doctor_id)
    if not removed_too:
        query = query.where(t.Doctor.removed_at.is_(None))
    return session.scalar(query)


def clinic_name(session: Session) -> str:
    return session.scalar(select(t.Clinic.name).order_by(t.Clinic.id).limit(1)) or ""


@dataclass(frozen=True, slots=True)
class AppointmentRow:
    """An appointment with what a feed shows of it (the patient's name only when asked)."""

    id: int
    doctor_id: int
    patient_id: int
    type_id: int
    type_name: str
    start: datetime
    end: datetime
    status: str
    given_name: str
    family_name: str
    updated_at: datetime


def _appointments_query():  # type: ignore[no-untyped-def]
    a, p, k = t.Appointment, t.Patient, t.AppointmentType
    return (
        select(
            a.id,
            a.doctor_id,
            a.patient_id,
            a.type_id,
            k.name,
            a.start_at,
            a.end_at,
            a.status,
            p.given_name,
            p.family_name,
            a.updated_at,
        )
        .join(p, p.id == a.patient_id)
        .join(k, k.id == a.type_id)
        .order_by(a.start_at, a.id)
    )


def appointments(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    doctor_id: int | None = None,
    live_only: bool = False,
) -> list[AppointmentRow]:
    """Appointments starting in [start, end), of one doctor or all, by start."""
    a = t.Appointment
    query = _appointments_query().where(a.start_at >= start, a.start_at < end)
    if doctor_id is not None:
        query = query.where(a.doctor_id == doctor_id)
    if live_only:
        query = query.where(a.status != "cancelled")
    return [AppointmentRow(*row) for row in session.execute(query)]


def appointment(session: Session, appointment_id: int) -> AppointmentRow | None:
    found = session.execute(_appointments_query().where(t.Appointment.id == appointment_id)).first()
    return None if found is None else AppointmentRow(*found)
