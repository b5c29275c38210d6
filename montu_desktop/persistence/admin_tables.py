"""The manager-settings tables: staff accounts, audit log, roster exceptions, holidays kept open."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Time,
    bindparam,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from montu_desktop.persistence.tables import Base, UTCDateTime


class StaffAccount(Base):
    """A person who signs in at a desk; the password is kept only as an argon2 hash."""

    __tablename__ = "staff_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # Never loaded unless asked for: on PostgreSQL staff logins may not read it at all.
    password_hash: Mapped[str] = mapped_column(String(255), deferred=True)
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (CheckConstraint("role IN ('receptionist', 'manager')", name="ck_staff_role"),)


class AuditEntry(Base):
    """Who did what, when: bookings, cancellations, reschedules and settings changes."""

    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, object]] = mapped_column(JSON)
    # Filled in by the database when the row is inserted (see persistence/security.py):
    # its place in the hash chain, the server login that wrote it, and the chain's links.
    chain_seq: Mapped[int | None] = mapped_column(BigInteger)
    db_user: Mapped[str | None] = mapped_column(String(100))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (Index("ux_audit_entry_chain", "chain_seq", unique=True),)


AUDIT_PENDING_INSERT = text(
    "INSERT INTO audit_pending (at, actor, action, subject, details)"
    " VALUES (:at, :actor, :action, :subject, :details)"
).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("details", type_=JSON()))
"""PostgreSQL only (migration 0011): where the app writes its audit entries there. A
deferred trigger moves each into audit_entry during COMMIT, so the audit chain's lock is
held only while the server commits, not across the desk's round trips. Plain text, so no
id is fetched back (desks may only insert there)."""


class RosterException(Base):
    """A one-day change to a doctor's roster: leave (all day when no hours) or an extra session."""

    __tablename__ = "roster_exception"
    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctor.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))
    starts: Mapped[time | None] = mapped_column(Time)
    ends: Mapped[time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (
        CheckConstraint("kind IN ('leave', 'extra')", name="ck_roster_exception_kind"),
        CheckConstraint(
            "(starts IS NULL AND ends IS NULL AND kind = 'leave') OR ends > starts",
            name="ck_roster_exception_hours",
        ),
        Index("ix_roster_exception_day", "day", "doctor_id"),
    )


class HolidayKeptOpen(Base):
    """A public holiday the clinic opens on anyway (so reloading holidays does not close it)."""

    __tablename__ = "holiday_kept_open"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(200))
