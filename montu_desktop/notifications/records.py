"""The `notification` table: one row per message, keyed for idempotency, claimed to be sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from montu_desktop.persistence import recall_tables  # noqa: F401  (the recall table a row names)
from montu_desktop.persistence.tables import Base, UTCDateTime


class NotificationRow(Base):
    """A confirmation, reminder, cancellation or change notice for one appointment and channel
    (or a recall reminder for one recall and channel).

    No address or message text is kept: both are rendered from fresh rows when it is sent.
    """

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    """None for a recall reminder (then recall_id says which recall)."""
    recall_id: Mapped[int | None] = mapped_column(ForeignKey("recall.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    event_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    appointment_start: Mapped[datetime] = mapped_column(UTCDateTime)
    old_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_ref: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery: Mapped[str | None] = mapped_column(String(12))
    """The provider's delivery receipt: sent, delivered or undelivered (None: no receipt)."""
    delivery_error: Mapped[str | None] = mapped_column(String(200))
    delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        Index("ix_notification_due", "status", "due_at"),
        Index("ix_notification_appointment", "appointment_id"),
        Index("ix_notification_recall", "recall_id"),
        Index("ix_notification_provider_ref", "provider_ref"),
    )
