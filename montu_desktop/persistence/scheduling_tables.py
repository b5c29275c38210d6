"""The scheduling tables: types a doctor skips, held time, the waitlist and recurring series."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from montu_desktop.persistence.tables import Base, UTCDateTime


class DoctorTypeSkipped(Base):
    """An appointment type one doctor does not perform (no row: the doctor performs it)."""

    __tablename__ = "doctor_type_skipped"
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctor.id"), primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"), primary_key=True)


class HeldTime(Base):
    """Time held back for urgent patients: one doctor, one weekday, local wall-clock times."""

    __tablename__ = "held_time"
    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctor.id"))
    weekday: Mapped[int] = mapped_column(Integer)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_held_time_weekday"),
        CheckConstraint("ends > starts", name="ck_held_time_order"),
    )


class WaitlistEntry(Base):
    """A patient waiting for a type (maybe a doctor, dates, part of day); closed once booked."""

    __tablename__ = "waitlist_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctor.id"))
    from_day: Mapped[date | None] = mapped_column(Date)
    until_day: Mapped[date | None] = mapped_column(Date)
    part: Mapped[str] = mapped_column(String(9), default="any")
    note: Mapped[str] = mapped_column(String(400), default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    __table_args__ = (
        CheckConstraint("part IN ('morning', 'afternoon', 'any')", name="ck_waitlist_entry_part"),
        Index("ix_waitlist_entry_open", "closed_at", "type_id"),
    )


class AppointmentSeries(Base):
    """A recurring series of appointments booked together (the rule as the desk wrote it)."""

    __tablename__ = "appointment_series"
    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SeriesOccurrence(Base):
    """One appointment's place in its series (position 1 is the first occurrence)."""

    __tablename__ = "series_occurrence"
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("appointment_series.id"))
    position: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_series_occurrence_series", "series_id", "position"),)
