"""Manage-my-booking links put into messages: only the SHA-256 of each link's token is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from montu_desktop.persistence.tables import Base, UTCDateTime


class ManageLink(Base):
    """A `/manage/{token}` link the dispatcher put into a confirmation or reminder."""

    __tablename__ = "manage_link"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
