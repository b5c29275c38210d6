"""Work-ins: a patient squeezed in over a doctor's booked time, on purpose, named and reasoned.

The database leaves a work-in out of the doctor's overlap guard and still refuses every other
overlap; the booking service decides who may make one and never makes one by itself.
"""

from __future__ import annotations

from datetime import date

import pytest

from montu_desktop.domain.errors import InvalidRequest, SlotTaken
from montu_desktop.domain.staff import Role
from montu_desktop.persistence.conflicts import OverlapRefused
from montu_desktop.services import clinic_settings
from montu_desktop.services.admin.audit import audit_log
from montu_desktop.services.booking import BookingRequest, book_appointment, reschedule_appointment
from montu_desktop.services.context import NotAllowed, ServiceContext
from montu_desktop.services.day_book import day_book
from tests.support.clinic import at, new_patients, overlapping_pairs, tiny_clinic

TUESDAY = date(2026, 11, 24)  # after the suite's `clock` fixture (23 November 2026)


def _book(ctx: ServiceContext, patient: int, hour: int, **kw: object):  # type: ignore[no-untyped-def]
    return book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, hour), patient, **kw))  # type: ignore[arg-type]


def test_a_manager_squeezes_a_patient_in_over_a_booked_time(ctx: ServiceContext) -> None:
    d1, d2 = tiny_clinic(ctx)
    a, b, c = new_patients(ctx, 3)
    first = _book(ctx, a, 9, doctor_id=d1)
    work_in = _book(ctx, b, 9, doctor_id=d1, work_in_reason="  chest pain,\n seen today ")
    assert (work_in.doctor_id, work_in.start, work_in.work_in_reason) == (
        d1,
        first.start,
        "chest pain, seen today",
    )
    assert work_in.choice is not None and work_in.choice.requested
    # The database keeps both; only the work-in overlaps (still one pair, flagged).
    assert overlapping_pairs(ctx) == 1
    entries = {e.id: e for e in day_book(ctx, TUESDAY).appointments}
    assert entries[work_in.id].work_in_reason == "chest pain, seen today"
    assert entries[first.id].work_in_reason is None
    audited = audit_log(ctx, action="appointment.booked")
    assert any(e.details.get("work_in") for e in audited)
    # The fair choice never makes one: an ordinary booking for d1 at 9 is still refused,
    # and without a doctor the other doctor is chosen.
    with pytest.raises(SlotTaken):
        _book(ctx, c, 9, doctor_id=d1)
    assert _book(ctx, c, 9).doctor_id == d2


def test_a_work_in_names_its_doctor_and_reason_and_is_only_made_where_needed(
    ctx: ServiceContext,
) -> None:
    d1, _d2 = tiny_clinic(ctx)
    a, b = new_patients(ctx, 2)
    _book(ctx, a, 9, doctor_id=d1)
    for kw, field in (
        ({"doctor_id": d1, "work_in_reason": "  "}, "reason"),
        ({"doctor_id": d1, "work_in_reason": "x" * 201}, "reason"),
        ({"work_in_reason": "urgent"}, "doctor"),
    ):
        with pytest.raises(InvalidRequest) as refused:
            _book(ctx, b, 9, **kw)
        assert refused.value.field == field
    with pytest.raises(InvalidRequest) as free:  # d1 is free at 10: book it the ordinary way
        _book(ctx, b, 10, doctor_id=d1, work_in_reason="urgent")
    assert free.value.field == "work_in" and "ordinary" in free.value.reason
    with pytest.raises(InvalidRequest) as closed:  # not rostered: the clinic closes at 12
        _book(ctx, b, 13, doctor_id=d1, work_in_reason="urgent")
    assert closed.value.field == "start"
    # The patient's own guard still holds: not squeezed in twice at once.
    _book(ctx, b, 9, doctor_id=d1, work_in_reason="urgent")
    with pytest.raises(Exception) as twice:
        _book(ctx, b, 9, doctor_id=d1, work_in_reason="urgent again")
    assert "already" in str(twice.value)


def test_receptionists_book_work_ins_only_when_the_manager_allows(ctx: ServiceContext) -> None:
    d1, _ = tiny_clinic(ctx)
    a, b = new_patients(ctx, 2)
    _book(ctx, a, 9, doctor_id=d1)
    desk = ServiceContext(ctx.database, clock=ctx.clock, rng=ctx.rng, actor="ros")
    desk.role = Role.RECEPTIONIST
    with pytest.raises(NotAllowed) as refused:
        _book(desk, b, 9, doctor_id=d1, work_in_reason="urgent")
    assert refused.value.field == "role" and "work-in" in refused.value.reason
    clinic_settings.set_setting(ctx, "work_ins.receptionists", "on")
    assert _book(desk, b, 9, doctor_id=d1, work_in_reason="urgent").work_in_reason == "urgent"


def test_ordinary_overlaps_are_still_refused_by_the_database_beside_a_work_in(
    ctx: ServiceContext,
) -> None:
    """The guard is narrowed for work-ins only: two ordinary bookings written straight to the
    database at a time that already holds a work-in still refuse each other."""
    from datetime import timedelta

    from montu_desktop.persistence import tables as t
    from montu_desktop.services.unit_of_work import UnitOfWork

    d1, _ = tiny_clinic(ctx)
    a, b, c = new_patients(ctx, 3)
    _book(ctx, a, 9, doctor_id=d1)
    _book(ctx, b, 9, doctor_id=d1, work_in_reason="urgent")

    def insert(patient: int, reason: str | None) -> None:
        with UnitOfWork(ctx, write=True) as uow:
            now = ctx.clock()
            start = at(TUESDAY, 9) + timedelta(minutes=5)
            uow.session.add(
                t.Appointment(
                    doctor_id=d1,
                    patient_id=patient,
                    type_id=1,
                    start_at=start,
                    end_at=start + timedelta(minutes=15),
                    status="booked",
                    work_in_reason=reason,
                    created_by="sql",
                    created_at=now,
                    updated_at=now,
                )
            )
            uow.commit()

    with pytest.raises(OverlapRefused) as refused:
        insert(c, None)
    assert refused.value.who == "doctor"
    insert(c, "second work-in")  # a second work-in is the manager's call, not the guard's


def test_a_work_in_moves_only_to_a_free_time(ctx: ServiceContext) -> None:
    d1, _ = tiny_clinic(ctx)
    a, b = new_patients(ctx, 2)
    _book(ctx, a, 9, doctor_id=d1)
    squeezed = _book(ctx, b, 9, doctor_id=d1, work_in_reason="urgent")
    moved = reschedule_appointment(ctx, squeezed.id, at(TUESDAY, 10), doctor_id=d1)
    assert moved.start == at(TUESDAY, 10)


def test_the_cli_books_a_work_in_with_its_reason_and_refuses_one_without_a_doctor(
    ctx: ServiceContext, clock, monkeypatch, capsys  # type: ignore[no-untyped-def]
) -> None:
    import json

    from tests.support.cli_runner import in_process_cli

    d1, _ = tiny_clinic(ctx)
    a, b = new_patients(ctx, 2)
    _book(ctx, a, 9, doctor_id=d1)
    run = in_process_cli(ctx, clock, monkeypatch, capsys)
    start = at(TUESDAY, 9).isoformat()
    base = ["book", "--type", "Standard", "--start", start, "--patient", str(b)]
    code, _out, err = run(*base, "--work-in", "chest pain")
    assert code == 3 and err.count("\n") == 1 and "doctor" in err
    code, out, _err = run(*base, "--doctor", str(d1), "--work-in", "chest pain", "--json")
    assert code == 0
    booked = json.loads(out)
    assert (booked["doctor_id"], booked["work_in_reason"]) == (d1, "chest pain")
    code, out, _err = run(*base[:-1], str(new_patients(ctx, 1)[0]), "--doctor", str(d1))
    assert code != 0  # without --work-in the doctor's booked time is refused as before


def test_the_attendance_report_counts_work_ins_apart(ctx: ServiceContext) -> None:
    from montu_desktop.services import reports

    d1, _ = tiny_clinic(ctx)
    a, b = new_patients(ctx, 2)
    _book(ctx, a, 9, doctor_id=d1)
    _book(ctx, b, 9, doctor_id=d1, work_in_reason="urgent")
    totals = reports.attendance_report(ctx, TUESDAY, TUESDAY).totals
    assert (totals.booked, totals.work_ins, totals.booked_minutes) == (2, 1, 15)
