"""The database tables as typed SQLAlchemy ORM classes (one schema for SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def as_utc(value: datetime) -> datetime:
    """An aware instant in UTC, as stored; a naive one is refused."""
    if value.tzinfo is None:
        raise ValueError("refusing to store a naive datetime; times must be aware")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC: timestamptz on PostgreSQL, naive UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:  # type: ignore[no-untyped-def]
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:  # type: ignore[no-untyped-def]
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


LIVE = "status <> 'cancelled'"


class Base(DeclarativeBase):
    pass


class Clinic(Base):
    """The one clinic this database serves, with its clinic-wide rules."""

    __tablename__ = "clinic"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(16), default="AU")
    subdivision: Mapped[str | None] = mapped_column(String(16), default="VIC")
    address: Mapped[str] = mapped_column(String(400), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    slot_minutes: Mapped[int] = mapped_column(Integer, default=15)
    horizon_weeks: Mapped[int] = mapped_column(Integer, default=12)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (
        CheckConstraint("slot_minutes > 0 AND 60 % slot_minutes = 0", name="ck_clinic_slot"),
        CheckConstraint("horizon_weeks BETWEEN 1 AND 156", name="ck_clinic_horizon"),
    )


class OpeningHours(Base):
    """Weekly opening hours, clinic-local wall-clock times (weekday 0 = Monday)."""

    __tablename__ = "opening_hours"
    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, unique=True)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_opening_weekday"),
        CheckConstraint("closes > opens", name="ck_opening_order"),
    )


class Closure(Base):
    """A day the clinic is shut (a public holiday or a one-off closure)."""

    __tablename__ = "closure"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")


class ClinicSchedule(Base):
    """The clinic's schedule for one dated day (generated up to the horizon); inactive = closed."""

    __tablename__ = "clinic_schedule"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint(
            "(active AND start_at IS NOT NULL AND end_at > start_at) OR NOT active",
            name="ck_clinic_schedule_hours",
        ),
    )


class Doctor(Base):
    """A doctor; removal is soft (removed_at) so past appointments keep their doctor."""

    __tablename__ = "doctor"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RosterTemplate(Base):
    """A doctor's regular block on a weekday (local times), valid over a date range."""

    __tablename__ = "roster_template"
    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctor.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_roster_template_weekday"),
        CheckConstraint("ends > starts", name="ck_roster_template_order"),
    )


class DoctorSchedule(Base):
    """One block of a doctor's working time on one day (what availability reads)."""

    __tablename__ = "doctor_schedule"
    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctor.id"))
    day: Mapped[date] = mapped_column(Date)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16), default="template")
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ck_doctor_schedule_order"),
        Index("ix_doctor_schedule_day", "day", "doctor_id"),
    )


class AppointmentType(Base):
    """A kind of appointment with its length (a multiple of the slot size) and colour."""

    __tablename__ = "appointment_type"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    length_minutes: Mapped[int] = mapped_column(Integer)
    colour: Mapped[str] = mapped_column(String(9), default="#4a90d9")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    bookable_online: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )
    __table_args__ = (
        CheckConstraint("length_minutes > 0 AND length_minutes <= 480", name="ck_type_length"),
    )


class Patient(Base):
    """A patient; phone kept in E.164, reminders by channel unless opted out."""

    __tablename__ = "patient"
    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    sms_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    email_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    booked_online: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    online_unchecked: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    """Added by an online booking and not yet checked at the desk (merge or keep as new)."""
    address: Mapped[str | None] = mapped_column(String(200))
    medicare_number: Mapped[str | None] = mapped_column(String(10))
    """The card's 10 digits (checked with its check digit); searched by equality."""
    medicare_irn: Mapped[int | None] = mapped_column(SmallInteger)
    dva_number: Mapped[str | None] = mapped_column(String(9))
    emergency_name: Mapped[str | None] = mapped_column(String(100))
    emergency_phone: Mapped[str | None] = mapped_column(String(20))
    alerts: Mapped[str | None] = mapped_column(String(60))
    """Comma-separated flags from domain.patients.ALERT_FLAGS (None: no alert)."""
    alert_note: Mapped[str | None] = mapped_column(String(120))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    """Set when this record was a duplicate merged into another: it is retired, kept for history."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        Index("ix_patient_family_given", "family_name", "given_name"),
        Index("ix_patient_phone", "phone"),
        Index("ix_patient_birth", "date_of_birth"),
        Index("ix_patient_medicare", "medicare_number"),
    )


NAME_PART = String(100, collation="C").with_variant(String(100, collation="NOCASE"), "sqlite")
"""A folded name part. Its index serves `part LIKE 'prefix%'` on both databases: PostgreSQL
uses a btree index for a prefix LIKE only under the C collation, SQLite only under NOCASE
(its LIKE ignores ASCII case; parts are folded lower case, so NOCASE changes nothing else)."""


class PatientNamePart(Base):
    """One folded part of a live patient's given or family name (domain.names.name_parts):
    search looks each typed word up as a prefix here. Written by the patient service when a
    patient is added or renamed, removed when the record is merged into another."""

    __tablename__ = "patient_name_part"
    part: Mapped[str] = mapped_column(NAME_PART, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), primary_key=True)
    __table_args__ = (Index("ix_patient_name_part_patient", "patient_id"),)


class Appointment(Base):
    """A booked appointment; live (not cancelled) ones never overlap per doctor or patient."""

    __tablename__ = "appointment"
    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctor.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="booked")
    note: Mapped[str | None] = mapped_column(String(500))
    """Reason for visit (up to 500 characters); never put in a message or a log."""
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The patient confirmed by replying Y to an SMS (two-way SMS)."""
    called_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consultation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    work_in_reason: Mapped[str | None] = mapped_column(String(200))
    """Set on a work-in (squeezed in over a booked time on purpose): the doctor's overlap
    guard leaves it out (migration 0022)."""
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ck_appointment_order"),
        CheckConstraint(
            "status IN ('booked', 'arrived', 'called_in', 'in_consultation', 'did_not_wait',"
            " 'completed', 'no_show', 'cancelled')",
            name="ck_appointment_status",
        ),
        # The week's range query reads only this index (start, end, doctor, status).
        Index("ix_appointment_week", "start_at", "end_at", "doctor_id", "status"),
        Index("ix_appointment_doctor_start", "doctor_id", "start_at"),
        Index("ix_appointment_patient_start", "patient_id", "start_at"),
    )


class OutboxEvent(Base):
    """An event written in the same transaction as the change it reports (transactional outbox)."""

    __tablename__ = "outbox_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "id",
            sqlite_where=text("processed_at IS NULL"),
            postgresql_where=text("processed_at IS NULL"),
        ),
    )


class Setting(Base):
    """A clinic-wide setting shared by every PC (key → text value)."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


__all__ = [
    "LIVE",
    "Appointment",
    "AppointmentType",
    "Base",
    "Clinic",
    "ClinicSchedule",
    "Closure",
    "Doctor",
    "DoctorSchedule",
    "OpeningHours",
    "OutboxEvent",
    "Patient",
    "PatientNamePart",
    "RosterTemplate",
    "Setting",
    "UTCDateTime",
]
