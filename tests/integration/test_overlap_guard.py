"""The database itself refuses overlapping live appointments, whatever wrote them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from montu_desktop.persistence import migrate
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.conflicts import OverlapRefused
from montu_desktop.persistence.engine import overlap_refused
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import at, new_patients, tiny_clinic

DAY = date(2026, 11, 24)


def _insert(
    ctx, doctor: int, patient: int, start_h: float, minutes: int, status: str = "booked"
) -> None:
    start = at(DAY, 9) + timedelta(hours=start_h - 9)
    with UnitOfWork(ctx, write=True) as uow:
        now = ctx.clock()
        uow.session.add(
            t.Appointment(
                doctor_id=doctor,
                patient_id=patient,
                type_id=1,
                start_at=start,
                end_at=start + timedelta(minutes=minutes),
                status=status,
                created_by="sql",
                created_at=now,
                updated_at=now,
            )
        )
        uow.commit()


def test_an_overlap_for_one_doctor_is_refused_by_the_database(ctx) -> None:
    d1, d2 = tiny_clinic(ctx)
    a, b, c = new_patients(ctx, 3)
    _insert(ctx, d1, a, 9, 30)
    with pytest.raises(OverlapRefused) as refused:
        _insert(ctx, d1, b, 9.25, 30)
    assert refused.value.who == "doctor"  # said by persistence, in its own words
    assert isinstance(refused.value.__cause__, IntegrityError)
    assert overlap_refused(refused.value.__cause__) == "doctor"
    _insert(ctx, d1, b, 9.5, 30)  # touching is not overlapping
    _insert(ctx, d2, c, 9, 30)  # another doctor at the same time is fine


def test_an_overlap_for_one_patient_is_refused_by_the_database(ctx) -> None:
    d1, d2 = tiny_clinic(ctx)
    (a,) = new_patients(ctx, 1)
    _insert(ctx, d1, a, 9, 60)
    with pytest.raises(OverlapRefused) as refused:
        _insert(ctx, d2, a, 9.5, 15)
    assert refused.value.who == "patient"


def test_cancelled_appointments_do_not_count(ctx) -> None:
    (d1, _) = tiny_clinic(ctx)
    a, b = new_patients(ctx, 2)
    _insert(ctx, d1, a, 9, 30, status="cancelled")
    _insert(ctx, d1, b, 9, 30)


def test_moving_an_appointment_onto_another_is_refused(ctx) -> None:
    (d1, _) = tiny_clinic(ctx)
    a, b = new_patients(ctx, 2)
    _insert(ctx, d1, a, 9, 30)
    _insert(ctx, d1, b, 10, 30)
    with pytest.raises(OverlapRefused), UnitOfWork(ctx, write=True) as uow:
        row = uow.session.query(t.Appointment).filter_by(patient_id=b).one()
        row.start_at = at(DAY, 9, 15)
        row.end_at = at(DAY, 9, 45)
        uow.commit()


def test_a_long_appointment_that_started_hours_earlier_still_blocks(ctx) -> None:
    """The overlap search's lower bound is the longest possible appointment (8 hours)."""
    (d1, _) = tiny_clinic(ctx)
    a, b = new_patients(ctx, 2)
    _insert(ctx, d1, a, 1, 480)
    with pytest.raises(OverlapRefused):
        _insert(ctx, d1, b, 8.75, 15)


def test_migrations_are_idempotent_and_leave_the_schema_current(any_db) -> None:
    assert migrate.schema_state(any_db) is migrate.SchemaState.CURRENT
    assert migrate.upgrade(any_db) is migrate.SchemaState.CURRENT


def test_a_database_from_a_newer_version_is_refused_plainly(sqlite_db) -> None:
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM alembic_version")
        conn.exec_driver_sql("INSERT INTO alembic_version (version_num) VALUES ('f00dfeed')")
    assert migrate.schema_state(sqlite_db) is migrate.SchemaState.AHEAD
    with pytest.raises(migrate.SchemaTooNew, match="newer Montu Desktop"):
        migrate.upgrade(sqlite_db)
