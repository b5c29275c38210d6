"""The fast booking path decides exactly as the whole-day reading would, and settles races."""

from __future__ import annotations

import random
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DBAPIError

from montu_desktop.domain import booking as rules
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import NotFound
from montu_desktop.domain.model import Roster, busy_by_doctor, epoch, week_start
from montu_desktop.persistence import booking_rows as rows
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.admin_tables import AuditEntry
from montu_desktop.persistence.engine import Database
from montu_desktop.services import booking
from montu_desktop.services.booking import BookingRequest, book_appointment, cancel_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import ZONE, create_demo_clinic
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import at, new_patients, overlapping_pairs, tiny_clinic
from tests.support.clock import FixedClock

TUESDAY = date(2026, 11, 24)


def _counts(ctx: ServiceContext) -> tuple[int, int, int]:
    """Appointments, outbox events and audit entries stored."""
    with UnitOfWork(ctx) as uow:
        return tuple(  # type: ignore[return-value]
            uow.session.scalar(select(func.count()).select_from(table))
            for table in (t.Appointment, t.OutboxEvent, AuditEntry)
        )


def test_doctors_around_agrees_with_the_whole_day_roster_and_busy_times(ctx) -> None:
    create_demo_clinic(ctx, doctors=4, weeks=2, history_weeks=1, seed=3)
    monday = week_start(to_local(ctx.clock(), ZONE).date())
    for day in (monday + timedelta(days=1), monday + timedelta(days=3)):
        with UnitOfWork(ctx) as uow:  # a cancelled appointment must neither clash nor count
            first = uow.session.scalar(
                select(t.Appointment.id)
                .where(t.Appointment.start_at >= at(day, 0), t.Appointment.start_at < at(day, 23))
                .order_by(t.Appointment.start_at)
            )
        cancel_appointment(ctx, first)
    with UnitOfWork(ctx) as uow:
        session = uow.session
        some_booking = session.scalar(select(t.Appointment.id).order_by(t.Appointment.id))
        compared = clashes = 0
        for day in (monday + timedelta(days=1), monday + timedelta(days=3)):
            clinic_day = repo.clinic_days(session, day, day)[day]
            assert clinic_day.opens is not None and clinic_day.closes is not None
            roster = Roster.from_blocks(repo.roster_blocks(session, day, day))
            for exclude in (None, some_booking):
                busy = busy_by_doctor(
                    repo.busy_times(
                        session, clinic_day.opens, clinic_day.closes, exclude_id=exclude
                    )
                )
                loads = rules.booked_minutes(busy)
                start = clinic_day.opens
                while start < clinic_day.closes:
                    for minutes in (15, 30, 45, 60):
                        end = start + timedelta(minutes=minutes)
                        wanted = rules.TimeRange(epoch(start), epoch(end))
                        fast = rows.doctors_around(
                            session, clinic_day, start, end, exclude or rows.NO_APPOINTMENT
                        )
                        expected_free = rules.free_doctors(roster, busy, wanted)
                        rostered = rules.rostered_doctors(fast.roster, wanted)
                        free = [d for d in rostered if d not in fast.clashing]
                        assert rostered == rules.rostered_doctors(roster, wanted)
                        assert free == expected_free
                        assert {d: fast.booked_minutes[d] for d in free} == {
                            d: loads.get(d, 0) for d in expected_free
                        }
                        compared += 1
                        clashes += len(fast.clashing)
                    start += timedelta(minutes=15)
    assert compared > 200 and clashes > 20  # the demo week really has bookings to clash with


def test_a_range_over_two_joined_roster_blocks_is_bookable(ctx) -> None:
    (doctor,) = tiny_clinic(ctx, doctors=1)
    (patient,) = new_patients(ctx, 1)
    with UnitOfWork(ctx, write=True) as uow:
        uow.session.execute(delete(t.DoctorSchedule).where(t.DoctorSchedule.day == TUESDAY))
        for start, end in (
            (at(TUESDAY, 9), at(TUESDAY, 10, 30)),
            (at(TUESDAY, 10, 30), at(TUESDAY, 12)),
        ):
            uow.session.add(
                t.DoctorSchedule(doctor_id=doctor, day=TUESDAY, start_at=start, end_at=end)
            )
        uow.commit()
    booked = book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 10, 15), patient, doctor))
    assert (booked.doctor_id, booked.start, booked.end) == (
        doctor,
        at(TUESDAY, 10, 15),
        at(TUESDAY, 10, 45),
    )


def test_an_unknown_patient_is_named_first_and_nothing_is_written(ctx) -> None:
    tiny_clinic(ctx)
    before = _counts(ctx)
    sunday = TUESDAY + timedelta(days=5)
    for request in (
        BookingRequest("Standard", at(sunday, 10), 999),
        BookingRequest("Standard", at(TUESDAY, 10), 999, doctor_id=999),
    ):
        with pytest.raises(NotFound) as refused:
            book_appointment(ctx, request)
        assert refused.value.field == "patient"
    assert _counts(ctx) == before


def test_booking_event_and_audit_entry_are_stored_together_or_not_at_all(
    ctx, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny_clinic(ctx)
    (patient,) = new_patients(ctx, 1)
    before = _counts(ctx)

    def audit_fails(self, action: str, subject: str = "", **details: object) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("the audit table is unwritable")

    if ctx.database.is_sqlite:
        monkeypatch.setattr(UnitOfWork, "audit", audit_fails)
        with pytest.raises(RuntimeError):
            book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 10), patient))
        monkeypatch.undo()
    else:  # PostgreSQL books in one statement on the server: its audit insert fails there
        with ctx.database.engine.begin() as conn:
            conn.execute(text(_AUDIT_FAILS))
        try:
            with pytest.raises(DBAPIError, match="the audit table is unwritable"):
                book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 10), patient))
        finally:
            with ctx.database.engine.begin() as conn:
                conn.execute(text("DROP TRIGGER audit_fails ON audit_pending"))
                conn.execute(text("DROP FUNCTION audit_fails()"))
    assert _counts(ctx) == before
    book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 10), patient))
    appointments, events, audits = _counts(ctx)
    # Two audit entries: the app's "appointment.booked" and the database's own row entry.
    assert (appointments, events, audits) == (before[0] + 1, before[1] + 1, before[2] + 2)


_AUDIT_FAILS = """
CREATE FUNCTION audit_fails() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit table is unwritable'; END $$;
CREATE TRIGGER audit_fails BEFORE INSERT ON audit_pending
FOR EACH ROW EXECUTE FUNCTION audit_fails();
"""


def _after_first_choice(monkeypatch: pytest.MonkeyPatch, meanwhile) -> list[int]:  # type: ignore[no-untyped-def]
    """Run `meanwhile(chosen doctor)` (another desk's work) right after the first choice."""
    chosen: list[int] = []
    real = booking._choose

    def choose(*args):  # type: ignore[no-untyped-def]
        result = real(*args)
        if not chosen:
            chosen.append(result[2].doctor_id)
            meanwhile(result[2].doctor_id)
        return result

    monkeypatch.setattr(booking, "_choose", choose)
    return chosen


def _reading_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's read-first path (a booking settling a waitlist entry, a work-in, a type no
    longer offered): the others read inside the write lock, where nobody books meanwhile."""
    monkeypatch.setattr(booking, "_on_sqlite_fast_path", lambda *_args: False)


def test_a_doctor_booked_by_another_desk_meanwhile_is_passed_over(
    sqlite_ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = sqlite_ctx
    _reading_first(monkeypatch)
    tiny_clinic(ctx, doctors=2)
    mine, theirs = new_patients(ctx, 2)
    start = at(TUESDAY, 10)
    chosen = _after_first_choice(
        monkeypatch,
        lambda doctor: book_appointment(ctx, BookingRequest("Long", start, theirs, doctor)),
    )
    booked = book_appointment(ctx, BookingRequest("Long", start, mine))
    assert booked.doctor_id != chosen[0]
    assert overlapping_pairs(ctx) == 0
    assert _counts(ctx)[0] == 2


@pytest.mark.postgres
def test_a_doctor_booked_by_another_desk_meanwhile_is_passed_over_on_the_server(
    pg_db: Database, clock: FixedClock
) -> None:
    """PostgreSQL chooses on the server: another desk's booking of the chosen doctor,
    still open while this one chooses, makes this one wait for the doctor's lock, then
    fail the overlap guard and choose again (the other doctor)."""
    ctx = ServiceContext(pg_db, clock=clock, rng=random.Random(7), actor="test")
    first, second = tiny_clinic(ctx, doctors=2)
    mine, theirs, earlier = new_patients(ctx, 3)
    start = at(TUESDAY, 10)
    # The second doctor is busier, so the fair choice is the first.
    book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 9), earlier, second))
    booked: list[booking.BookedAppointment] = []
    with UnitOfWork(ctx, write=True) as other_desk:
        booking.book_in(ctx, other_desk, BookingRequest("Long", start, theirs, first))
        desk = threading.Thread(
            target=lambda: booked.append(book_appointment(ctx, BookingRequest("Long", start, mine)))
        )
        desk.start()
        _until_someone_waits_for_a_lock(pg_db)
        other_desk.commit()
    desk.join(timeout=10)
    assert [b.doctor_id for b in booked] == [second]
    assert overlapping_pairs(ctx) == 0


def _until_someone_waits_for_a_lock(database: Database) -> None:
    deadline = time.monotonic() + 10
    with database.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'advisory'")
            ).scalar()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second desk never waited for the doctor's lock")


def test_sqlite_roster_change_between_reading_and_the_write_lock_is_seen(
    sqlite_ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = sqlite_ctx
    _reading_first(monkeypatch)
    tiny_clinic(ctx, doctors=2)
    (patient,) = new_patients(ctx, 1)

    def leave_is_entered(doctor: int) -> None:
        with UnitOfWork(ctx, write=True) as uow:
            uow.session.execute(
                delete(t.DoctorSchedule).where(
                    t.DoctorSchedule.doctor_id == doctor, t.DoctorSchedule.day == TUESDAY
                )
            )
            uow.commit()

    chosen = _after_first_choice(monkeypatch, leave_is_entered)
    booked = book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 10), patient))
    assert booked.doctor_id != chosen[0]
