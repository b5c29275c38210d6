"""The `sms_reply` table: texts patients sent to the clinic's number (two-way SMS)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from montu_desktop.persistence.tables import Base, UTCDateTime


class SmsReply(Base):
    """One inbound SMS, the patient when its number identifies exactly one, and its outcome."""

    __tablename__ = "sms_reply"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64))
    from_number: Mapped[str] = mapped_column(String(40))
    to_number: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(String(1600))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    outcome: Mapped[str] = mapped_column(String(24))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_by: Mapped[str | None] = mapped_column(String(100))
    __table_args__ = (
        UniqueConstraint("message_sid", name="uq_sms_reply_message_sid"),
        Index("ix_sms_reply_unread", "read_at", "received_at"),
    )
