"""On SQLite the bookings montu_book serves on PostgreSQL run in one write transaction, each
statement on the driver (services/booking.py _on_sqlite_fast_path). Given the same clinic and
the same random numbers, they choose, refuse and write exactly as the read-first path does:
the same doctors with the same candidates and loads, the same refusals in the same words, and
the same appointments, outbox events and audit entries."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Date, bindparam, select, text

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.persistence import journal, sqlite_driver
from montu_desktop.persistence.engine import Database
from montu_desktop.persistence.tables import OutboxEvent
from montu_desktop.services import booking
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import ZONE
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import at, new_patients, tiny_clinic
from tests.support.clock import FixedClock

DOCTORS = 3
PATIENTS = 14


def _open_day(ctx: ServiceContext) -> date:
    day = to_local(ctx.clock(), ZONE).date() + timedelta(days=1)
    return day + timedelta(days=1) if day.weekday() == 6 else day  # open Monday to Saturday


def _requests(day: date, doctors: list[int], patients: list[int]) -> list[BookingRequest]:
    """Fair choices over growing loads, a doctor asked for (free, busy, not taking
    appointments, unknown), and every refusal before the choice."""
    chooser = random.Random(11)
    starts = [at(day, 9) + timedelta(minutes=15 * i) for i in range(11)]
    asked = [
        BookingRequest(chooser.choice(["Standard", "Long"]), chooser.choice(starts), p)
        for p in patients[2:12]
    ]
    return [
        *asked,
        BookingRequest("Standard", starts[0], patients[0], doctors[0]),
        BookingRequest("Standard", starts[0], patients[1], doctors[0]),  # the doctor is busy
        BookingRequest("Standard", starts[0], patients[0]),  # the patient is busy
        BookingRequest("Standard", starts[3], patients[12], doctors[2]),  # not taking any
        BookingRequest("Standard", starts[3], patients[12], 999),  # no such doctor
        BookingRequest("Standard", starts[3], 999),  # no such patient
        BookingRequest("Standard", starts[3], patients[13]),  # merged into another record
        BookingRequest("Standard", at(day, 8), patients[1]),  # before opening
        BookingRequest("Standard", starts[1] + timedelta(minutes=5), patients[1]),  # off grid
        BookingRequest("Procedure", at(day, 11, 30), patients[1]),  # past closing
        BookingRequest("Standard", at(day + timedelta(days=60), 10), patients[1]),  # too far
        BookingRequest("Standard", starts[5], patients[1], urgent=True, note="  cough "),
    ]


def _run(ctx: ServiceContext, one_transaction: bool, monkeypatch: pytest.MonkeyPatch) -> list:  # type: ignore[type-arg]
    doctors = tiny_clinic(ctx, doctors=DOCTORS)
    patients = new_patients(ctx, PATIENTS)
    with UnitOfWork(ctx, write=True) as uow:
        uow.session.execute(text("UPDATE doctor SET active = 0 WHERE id = :d"), {"d": doctors[2]})
        uow.session.execute(
            text("UPDATE patient SET merged_into_id = :keep WHERE id = :gone"),
            {"keep": patients[0], "gone": patients[13]},
        )
        uow.touches("reference")
        uow.commit()
    paths: list[bool] = []
    real: Callable[..., bool] = booking._on_sqlite_fast_path

    def path(*args: object) -> bool:
        paths.append(real(*args) and one_transaction)
        return paths[-1]

    monkeypatch.setattr(booking, "_on_sqlite_fast_path", path)
    ctx.rng = random.Random(3)
    outcomes: list[object] = []
    for request in _requests(_open_day(ctx), doctors, patients):
        try:
            outcomes.append(book_appointment(ctx, request))
        except Exception as refusal:
            outcomes.append((type(refusal).__name__, str(refusal)))
    monkeypatch.undo()
    assert set(paths) == {one_transaction}
    return [*outcomes, *_stored(ctx.database)]


def _stored(database: Database) -> list[tuple[object, ...]]:
    """Every row the bookings wrote, as stored (less the audit chain's own columns)."""
    with database.engine.connect() as conn:
        return [
            tuple(row)
            for sql in (
                "SELECT id, doctor_id, patient_id, type_id, start_at, end_at, status, note,"
                " work_in_reason, created_by, created_at, updated_at FROM appointment ORDER BY id",
                "SELECT id, name, payload, created_at FROM outbox_event ORDER BY id",
                # The database's own row entries are stamped with the real time.
                "SELECT id, CASE WHEN action LIKE 'row.%' THEN NULL ELSE at END, actor, action,"
                " subject, details FROM audit_entry ORDER BY id",
            )
            for row in conn.execute(text(sql))
        ]


def test_one_transaction_books_and_refuses_as_the_read_first_path(
    sqlite_db_factory: Callable[[], Database],
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = [
        _run(
            ServiceContext(sqlite_db_factory(), clock=clock, rng=random.Random(3), actor="test"),
            one_transaction,
            monkeypatch,
        )
        for one_transaction in (True, False)
    ]
    assert runs[0] == runs[1]
    booked = [o for o in runs[0] if isinstance(o, booking.BookedAppointment)]
    refused = [o for o in runs[0] if isinstance(o, tuple) and len(o) == 2]
    assert len(booked) >= 8 and len({b.doctor_id for b in booked}) == 2
    assert {name for name, _words in refused} >= {
        "SlotTaken",
        "PatientDoubleBooked",
        "NotFound",
        "InvalidRequest",
    }


def test_the_driver_stores_and_reads_values_as_sqlalchemy_does(
    sqlite_db: Database, clock: FixedClock
) -> None:
    """An instant (any zone, with or without microseconds), a JSON payload and a day are
    stored as the same text whichever way they are written, and read back alike."""
    now = clock()
    payload = {"b": [1, "é"], "a": None, "start": now.isoformat()}
    moments = [
        now.astimezone(ZoneInfo(ZONE)).replace(second=5, microsecond=120) + timedelta(days=2),
        now.replace(hour=0, minute=0) + timedelta(days=40),
    ]
    with sqlite_db.session(write=True) as session:
        for moment in moments:
            session.execute(
                OutboxEvent.__table__.insert(),
                {"name": "core", "payload": payload, "created_at": moment},
            )
            journal.add_event(session, "driver", payload, moment)
        stored = session.execute(
            text("SELECT name, payload, created_at FROM outbox_event ORDER BY id")
        ).all()
        read = (
            session.execute(select(OutboxEvent.created_at).order_by(OutboxEvent.id)).scalars().all()
        )
        day = session.execute(
            text("SELECT :day").bindparams(bindparam("day", type_=Date())),
            {"day": now.date()},
        ).scalar_one()
    assert [row[1:] for row in stored[0::2]] == [row[1:] for row in stored[1::2]]
    assert [sqlite_driver.read_instant(row[2]) for row in stored] == read
    assert [m.astimezone(UTC) for m in moments] == read[0::2]
    assert sqlite_driver.day(now.date()) == day
