"""The patient flow board (issue 28, feature 17) on SQLite and PostgreSQL: called in, in
consultation and did not wait through the service and `montu-desktop mark`, with their times,
the same refusal words at both doors, the waiting room by stage, and did-not-wait counted
apart from no-show in the attendance report."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import AppointmentStatus as S
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence.admin_tables import AuditEntry
from montu_desktop.services.booking import BookingRequest, book_appointment, mark_status
from montu_desktop.services.patients import add_patient
from montu_desktop.services.reports import attendance_report, counts_document
from montu_desktop.services.unit_of_work import UnitOfWork
from montu_desktop.services.waiting_room import waiting_room
from tests.support.cli_runner import Run, in_process_cli
from tests.support.clinic import at, tiny_clinic

TUESDAY = date(2026, 11, 24)


def _book(ctx, given: str, hour: int, minute: int = 0) -> int:  # type: ignore[no-untyped-def]
    patient = add_patient(ctx, PatientDetails(given, "Singh")).id
    return book_appointment(ctx, BookingRequest("Long", at(TUESDAY, hour, minute), patient)).id


def test_a_visit_goes_through_every_stage_with_its_time_and_back(ctx, clock) -> None:  # type: ignore[no-untyped-def]
    tiny_clinic(ctx)
    visit = _book(ctx, "Ava", 9)
    clock.now = at(TUESDAY, 8, 50)
    with pytest.raises(InvalidRequest) as refused:
        mark_status(ctx, visit, "called-in")
    assert refused.value.field == "status"
    assert refused.value.reason == "an appointment that is booked cannot become called in"
    mark_status(ctx, visit, "arrived")
    clock.now = at(TUESDAY, 9, 2)
    called = mark_status(ctx, visit, "called-in")
    assert (called.status, called.arrived_at, called.called_in_at) == (
        "called_in",
        at(TUESDAY, 8, 50),
        at(TUESDAY, 9, 2),
    )
    clock.now = at(TUESDAY, 9, 4)
    inside = mark_status(ctx, visit, S.IN_CONSULTATION)
    assert (inside.status, inside.consultation_at) == ("in_consultation", at(TUESDAY, 9, 4))
    with pytest.raises(InvalidRequest, match="in consultation cannot become a did-not-wait"):
        mark_status(ctx, visit, "did-not-wait")
    clock.now = at(TUESDAY, 9, 31)
    done = mark_status(ctx, visit, "completed")
    assert (done.called_in_at, done.consultation_at, done.completed_at) == (
        at(TUESDAY, 9, 2),
        at(TUESDAY, 9, 4),
        at(TUESDAY, 9, 31),
    )
    # Undo one stage at a time: each clears only its own time.
    back = mark_status(ctx, visit, "in-consultation")
    assert (back.completed_at, back.consultation_at) == (None, at(TUESDAY, 9, 4))
    back = mark_status(ctx, visit, "called-in")
    assert (back.consultation_at, back.called_in_at) == (None, at(TUESDAY, 9, 2))
    back = mark_status(ctx, visit, "arrived")
    assert (back.called_in_at, back.arrived_at) == (None, at(TUESDAY, 8, 50))
    with UnitOfWork(ctx) as uow:
        entries = uow.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "appointment.status")
            .order_by(AuditEntry.id)
        )
        moves = [(e.details["old"], e.details["new"]) for e in entries]
    assert moves == [
        ("booked", "arrived"),
        ("arrived", "called_in"),
        ("called_in", "in_consultation"),
        ("in_consultation", "completed"),
        ("completed", "in_consultation"),
        ("in_consultation", "called_in"),
        ("called_in", "arrived"),
    ]


def test_did_not_wait_is_kept_apart_from_no_show(ctx, clock) -> None:  # type: ignore[no-untyped-def]
    tiny_clinic(ctx)
    left, absent, seen = _book(ctx, "Ava", 9), _book(ctx, "Ben", 9, 30), _book(ctx, "Cy", 10)
    clock.now = at(TUESDAY, 9, 0)
    mark_status(ctx, left, "arrived")
    mark_status(ctx, seen, "arrived")
    clock.now = at(TUESDAY, 9, 40)
    gone = mark_status(ctx, left, "did-not-wait")
    assert (gone.status, gone.arrived_at, gone.left_at) == (
        "did_not_wait",
        at(TUESDAY, 9),
        at(TUESDAY, 9, 40),
    )
    with pytest.raises(InvalidRequest, match="booked cannot become a did-not-wait"):
        mark_status(ctx, absent, "did-not-wait")  # never came: that is a no-show
    mark_status(ctx, absent, "no-show")
    mark_status(ctx, seen, "in-consultation")
    room = waiting_room(ctx, TUESDAY)
    assert [v.appointment_id for v in room.in_consultation] == [seen]
    assert left not in {v.appointment_id for v in room.present + room.expected}
    assert room.who_is_in() == {room.in_consultation[0].doctor_name: "Cy Singh"}
    mark_status(ctx, seen, "completed")

    report = attendance_report(ctx, TUESDAY, TUESDAY)
    figures = counts_document(report.totals)
    assert (figures["no_show"], figures["did_not_wait"], figures["completed"]) == (1, 1, 1)
    assert figures["booked"] == 3


def test_the_waiting_room_lists_each_stage_with_its_own_minutes(ctx, clock) -> None:  # type: ignore[no-untyped-def]
    tiny_clinic(ctx)
    first, second, third = _book(ctx, "Ava", 9), _book(ctx, "Ben", 9), _book(ctx, "Cy", 9, 30)
    clock.now = at(TUESDAY, 8, 40)
    for visit in (third, first, second):
        mark_status(ctx, visit, "arrived")
    clock.now = at(TUESDAY, 9, 0)
    mark_status(ctx, first, "called-in")
    mark_status(ctx, second, "called-in")
    clock.now = at(TUESDAY, 9, 3)
    mark_status(ctx, second, "in-consultation")
    clock.now = at(TUESDAY, 9, 12)
    room = waiting_room(ctx, TUESDAY)
    assert [v.appointment_id for v in room.waiting] == [third]
    assert [v.appointment_id for v in room.called_in] == [first]
    assert [v.appointment_id for v in room.in_consultation] == [second]
    assert [v.appointment_id for v in room.present] == [third, first, second]
    now = clock()
    assert [v.stage_minutes(now) for v in room.present] == [32, 12, 9]
    assert room.called_in[0].minutes_waiting(now) == 32  # since arrival, whatever the stage


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def cli(ctx, clock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:  # type: ignore[no-untyped-def]
    return in_process_cli(ctx, clock, monkeypatch, capsys)


def test_mark_moves_a_patient_along_the_flow_from_the_command_line(ctx, clock, cli: Run) -> None:  # type: ignore[no-untyped-def]
    tiny_clinic(ctx)
    visit = str(_book(ctx, "Ava", 9))
    code, _out, err = cli("mark", visit, "called-in")
    assert code == 3
    # The same words the desk's button tooltip and the service give.
    assert err == "refused: status: an appointment that is booked cannot become called in\n"
    clock.now = at(TUESDAY, 8, 55)
    assert cli("mark", visit, "arrived")[0] == 0
    clock.now = at(TUESDAY, 9, 5)
    code, out, err = cli("mark", visit, "called-in", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["status"] == "called_in" and data["called_in_at"].startswith("2026-11-24T09:05")
    assert data["arrived_at"].startswith("2026-11-24T08:55") and data["left_at"] is None
    code, out, _ = cli("mark", visit, "in-consultation")
    assert (code, out) == (0, f"appointment {visit} is now in-consultation\n")
    code, out, _ = cli("mark", visit, "called-in")  # undo one stage
    assert (code, out) == (0, f"appointment {visit} is now called-in\n")
    data = json.loads(cli("mark", visit, "did-not-wait", "--json")[1])
    assert data["status"] == "did_not_wait" and data["left_at"].startswith("2026-11-24T09:05")
    code, _out, err = cli("mark", visit, "completed")
    assert (code, err) == (
        3,
        "refused: status: an appointment that is a did-not-wait cannot become completed\n",
    )
    assert cli("mark", visit, "gone")[0] == 2
    code, out, _ = cli(
        "reports", "attendance", "--from", "2026-11-24", "--to", "2026-11-24", "--json"
    )
    assert code == 0 and json.loads(out)["totals"]["did_not_wait"] == 1


# ---------------------------------------------------------------- revision 0020


def _alembic(ctx, target: str, *, up: bool) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from montu_desktop.persistence import migrate

    config = migrate._config()
    with ctx.database.engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(config, target)


def test_revision_0020_keeps_stored_visits_and_goes_down_and_up_again(ctx, clock) -> None:  # type: ignore[no-untyped-def]
    tiny_clinic(ctx)
    visit = _book(ctx, "Ava", 9)
    clock.now = at(TUESDAY, 8, 50)
    mark_status(ctx, visit, "arrived")
    ctx.database.dispose()
    _alembic(ctx, "0015", up=False)
    with ctx.database.engine.connect() as conn:
        columns = {c["name"] for c in sa_inspect(conn).get_columns("appointment")}
        assert "called_in_at" not in columns and "arrived_at" in columns
    _alembic(ctx, "head", up=True)
    ctx.database.dispose()
    clock.now = at(TUESDAY, 9, 5)
    called = mark_status(ctx, visit, "called-in")
    assert (called.arrived_at, called.called_in_at) == (at(TUESDAY, 8, 50), at(TUESDAY, 9, 5))
    assert mark_status(ctx, visit, "did-not-wait").status == "did_not_wait"
    with ctx.database.engine.begin() as conn:
        if ctx.database.is_sqlite:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        with pytest.raises(IntegrityError, match=r"ck_appointment_status|CHECK constraint"):
            conn.execute(text("UPDATE appointment SET status = 'gone' WHERE id = :i"), {"i": visit})
