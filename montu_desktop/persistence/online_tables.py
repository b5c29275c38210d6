"""The online-booking tables: API keys, cancel tokens of online bookings, idempotent requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from montu_desktop.persistence.tables import Base, UTCDateTime


class ApiKey(Base):
    """A website's or kiosk's key: only the SHA-256 of its token is kept."""

    __tablename__ = "api_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(100))
    rate_per_minute: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint(
            "rate_per_minute > 0 AND rate_per_minute <= 100000", name="ck_api_key_rate"
        ),
    )


class OnlineBooking(Base):
    """An appointment booked through the API, with the hash of the patient's cancel token."""

    __tablename__ = "online_booking"
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id"))
    cancel_token_hash: Mapped[str] = mapped_column(String(64))


class ApiRequest(Base):
    """The first answer to a POST sent with an Idempotency-Key, replayed to its retries."""

    __tablename__ = "api_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    body_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, object] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    """The server process answering it (boot id, pid, start time): a retry takes over a
    claim whose process is gone (services/online.py)."""
    __table_args__ = (UniqueConstraint("api_key_id", "idempotency_key", name="uq_api_request_key"),)
