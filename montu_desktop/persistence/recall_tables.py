"""The `recall` table: a patient due back by a day, for a reason, maybe a type and a doctor."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from montu_desktop.persistence.tables import Base, UTCDateTime


class Recall(Base):
    """Open (`due`) until a booking of its type closes it (`booked`) or the desk closes it."""

    __tablename__ = "recall"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    type_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_type.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctor.id"))
    due_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="due")
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint(
            "status IN ('due', 'booked', 'done', 'cancelled')", name="ck_recall_status"
        ),
        Index("ix_recall_status_due", "status", "due_day"),
        Index("ix_recall_patient", "patient_id", "status"),
    )
