"""Recalls through the service and the CLI, and closed by bookings, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from montu_desktop.cli import main
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, PatientDoubleBooked
from montu_desktop.domain.series import Repeat
from montu_desktop.persistence.recall_tables import Recall
from montu_desktop.services import recalls, series
from montu_desktop.services.booking import BookingRequest, book_appointment, cancel_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import at, new_patients, tiny_clinic
from tests.support.clock import clinic_today

ZONE = "Australia/Melbourne"


def _today(ctx: ServiceContext):  # type: ignore[no-untyped-def]
    return to_local(ctx.clock(), ZONE).date()


def _count(ctx: ServiceContext) -> int:
    with UnitOfWork(ctx) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Recall)) or 0)


def test_add_list_done_cancel(ctx: ServiceContext) -> None:
    doctors = tiny_clinic(ctx, doctors=2)
    p1, p2 = new_patients(ctx, 2)
    today = _today(ctx)
    soon = recalls.add_recall(
        ctx, p1, today + timedelta(days=30), " skin  check ", type_name="long"
    )
    assert (soon.reason, soon.type_name, soon.status, soon.appointment_id) == (
        "skin check", "Long", "due", None,
    )  # fmt: skip
    late = recalls.add_recall(ctx, p2, today - timedelta(days=3), "bloods", doctor_id=doctors[1])
    assert (late.type_name, late.doctor_id, late.doctor_name) == (None, doctors[1], "Dr B")
    assert [r.id for r in recalls.list_recalls(ctx)] == [late.id, soon.id]  # soonest first
    assert [r.id for r in recalls.list_recalls(ctx, overdue=True)] == [late.id]
    assert [r.id for r in recalls.list_recalls(ctx, due_before=today)] == [late.id]
    assert [r.id for r in recalls.list_recalls(ctx, doctor_id=doctors[1])] == [late.id]
    assert [r.id for r in recalls.list_recalls(ctx, patient_id=p1)] == [soon.id]
    assert recalls.mark_done(ctx, late.id).status == "done"
    assert recalls.cancel_recall(ctx, soon.id).status == "cancelled"
    assert recalls.list_recalls(ctx) == []
    shown = recalls.list_recalls(ctx, include_closed=True)
    assert [(r.id, r.status) for r in shown] == [(late.id, "done"), (soon.id, "cancelled")]
    with pytest.raises(InvalidRequest) as refused:
        recalls.cancel_recall(ctx, late.id)
    assert (refused.value.field, refused.value.reason) == (
        "id",
        f"recall {late.id} is already done",
    )


@pytest.mark.parametrize(
    ("patient", "reason", "type_name", "doctor", "field"),
    [
        (99999, "check", None, None, "patient"),
        (1, "   ", None, None, "reason"),
        (1, "x" * 201, None, None, "reason"),
        (1, "evil\u202e", None, None, "reason"),
        (1, "check", "Nope", None, "type"),
        (1, "check", None, 99999, "doctor"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    ctx: ServiceContext,
    patient: int,
    reason: str,
    type_name: str | None,
    doctor: int | None,
    field: str,
) -> None:
    tiny_clinic(ctx, doctors=1)
    new_patients(ctx, 1)
    with pytest.raises(InvalidRequest) as refused:
        recalls.add_recall(ctx, patient, _today(ctx), reason, type_name=type_name, doctor_id=doctor)
    assert refused.value.field == field
    assert _count(ctx) == 0


def test_a_booking_of_its_type_closes_it_in_the_same_transaction(ctx: ServiceContext) -> None:
    tiny_clinic(ctx, doctors=2)
    p1, p2 = new_patients(ctx, 2)
    tomorrow = _today(ctx) + timedelta(days=1)
    long_one = recalls.add_recall(
        ctx, p1, tomorrow + timedelta(days=60), "review", type_name="Long"
    )
    any_visit = recalls.add_recall(ctx, p2, tomorrow + timedelta(days=60), "bloods")
    other_patient = recalls.add_recall(ctx, p2, tomorrow, "review", type_name="Long")
    # Another type leaves the typed recall due.
    standard = book_appointment(ctx, BookingRequest("Standard", at(tomorrow, 9), p1))
    assert recalls.get_recall(ctx, long_one.id).status == "due"
    booked = book_appointment(ctx, BookingRequest("Long", at(tomorrow, 10), p1))
    closed = recalls.get_recall(ctx, long_one.id)
    assert (closed.status, closed.appointment_id) == ("booked", booked.id)
    assert standard.id != booked.id
    assert recalls.get_recall(ctx, other_patient.id).status == "due"
    # A recall without a type is answered by any visit of its patient.
    visit = book_appointment(ctx, BookingRequest("Standard", at(tomorrow, 11), p2))
    assert recalls.get_recall(ctx, any_visit.id).appointment_id == visit.id
    assert recalls.get_recall(ctx, other_patient.id).status == "due"
    # A refused booking (the patient is already booked then) leaves the recall as it was.
    with pytest.raises(PatientDoubleBooked):
        book_appointment(ctx, BookingRequest("Long", at(tomorrow, 11), p2))
    assert recalls.get_recall(ctx, other_patient.id).status == "due"
    # Cancelling the booking makes the recall due again; booking again closes it again.
    cancel_appointment(ctx, booked.id)
    reopened = recalls.get_recall(ctx, long_one.id)
    assert (reopened.status, reopened.appointment_id) == ("due", None)
    again = book_appointment(ctx, BookingRequest("Long", at(tomorrow, 10, 30), p1))
    assert recalls.get_recall(ctx, long_one.id).appointment_id == again.id
    # A booked recall can still be marked done once the visit happened.
    assert recalls.mark_done(ctx, long_one.id).status == "done"


def test_a_booking_made_before_the_recall_does_not_close_it(ctx: ServiceContext) -> None:
    tiny_clinic(ctx, doctors=1)
    (p1,) = new_patients(ctx, 1)
    tomorrow = _today(ctx) + timedelta(days=1)
    book_appointment(ctx, BookingRequest("Long", at(tomorrow, 10), p1))
    ctx.clock.advance(hours=1)  # type: ignore[attr-defined]
    made = recalls.add_recall(ctx, p1, tomorrow + timedelta(days=90), "review", type_name="Long")
    assert recalls.get_recall(ctx, made.id).status == "due"
    assert [r.id for r in recalls.list_recalls(ctx)] == [made.id]


def test_a_series_closes_recalls_like_any_booking(ctx: ServiceContext) -> None:
    tiny_clinic(ctx, doctors=1)
    (p1,) = new_patients(ctx, 1)
    tomorrow = _today(ctx) + timedelta(days=1)
    made = recalls.add_recall(ctx, p1, tomorrow + timedelta(days=14), "physio", type_name="Long")
    request = BookingRequest("Long", at(tomorrow, 10), p1)
    repeat = Repeat.parse("weekly")
    starts = series.series_starts(ctx, request.start, repeat, count=2)
    result = series.book_series(ctx, request, starts, repeat)
    closed = recalls.get_recall(ctx, made.id)
    assert closed.status == "booked"
    assert closed.appointment_id == result.appointments[0].id


def test_first_free_start_and_a_merge_moves_recalls(ctx: ServiceContext) -> None:
    from montu_desktop.services.patients import merge_patients

    doctors = tiny_clinic(ctx, doctors=2)
    keep, duplicate = new_patients(ctx, 2)
    tomorrow = _today(ctx) + timedelta(days=1)
    soon = recalls.add_recall(ctx, duplicate, tomorrow, "review", doctor_id=doctors[1])
    start = recalls.first_free_start(ctx, soon, "Long")
    assert start is not None and start > ctx.clock()
    assert to_local(start, ZONE).date() >= _today(ctx)
    far = recalls.add_recall(ctx, keep, _today(ctx) + timedelta(days=400), "yearly")
    assert recalls.first_free_start(ctx, far, "Long") is None  # beyond the booking horizon
    merge_patients(ctx, keep, duplicate)
    assert {r.patient_id for r in recalls.list_recalls(ctx)} == {keep}


# -- the CLI ----------------------------------------------------------------------------


@pytest.fixture
def cli_clinic(any_db):  # type: ignore[no-untyped-def]
    """A tiny clinic on the product's clock (the commands use it), and its database URL."""
    ctx = ServiceContext(any_db, rng=random.Random(5), actor="test")
    doctors = tiny_clinic(ctx, doctors=2)
    patients = new_patients(ctx, 3)
    return ctx, any_db.url.render_as_string(hide_password=False), doctors, patients


def _run(capsys, url: str, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main([*args, "--database", url])
    out, err = capsys.readouterr()
    return code, out, err


def _ok(capsys, url: str, *args: str):  # type: ignore[no-untyped-def]
    code, out, err = _run(capsys, url, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_the_recalls_commands(cli_clinic, capsys) -> None:  # type: ignore[no-untyped-def]
    _ctx, url, (a, _b), (p1, p2, _p3) = cli_clinic
    today = clinic_today(ZONE)
    due = (today + timedelta(days=180)).isoformat()
    added = _ok(
        capsys, url, "recalls", "add", str(p1), "--due", due, "--reason", "skin check",
        "--type", "Long", "--doctor", str(a),
    )  # fmt: skip
    assert added == {
        "id": added["id"], "patient_id": p1, "due": due, "reason": "skin check", "type": "Long",
        "doctor_id": a, "status": "due", "appointment_id": None,
    }  # fmt: skip
    past = (today - timedelta(days=2)).isoformat()
    other = _ok(capsys, url, "recalls", "add", str(p2), "--due", past, "--reason", "bloods")
    assert (other["type"], other["doctor_id"]) == (None, None)
    listed = _ok(capsys, url, "recalls", "list")
    assert [r["id"] for r in listed] == [other["id"], added["id"]]
    assert list(listed[0]) == [
        "id", "patient_id", "due", "reason", "type", "doctor_id", "status", "appointment_id",
    ]  # fmt: skip
    assert [r["id"] for r in _ok(capsys, url, "recalls", "list", "--overdue")] == [other["id"]]
    before = (today + timedelta(days=1)).isoformat()
    assert [r["id"] for r in _ok(capsys, url, "recalls", "list", "--due-before", before)] == [
        other["id"]
    ]
    assert _ok(capsys, url, "recalls", "done", str(other["id"]))["status"] == "done"
    assert _ok(capsys, url, "recalls", "cancel", str(added["id"]))["status"] == "cancelled"
    assert _ok(capsys, url, "recalls", "list") == []
    assert [r["status"] for r in _ok(capsys, url, "recalls", "list", "--all")] == [
        "done", "cancelled",
    ]  # fmt: skip
    code, out, _err = _run(capsys, url, "recalls", "list")
    assert (code, out.strip()) == (0, "no recalls")


@pytest.mark.parametrize(
    ("args", "code", "start"),
    [
        (["add", "1", "--due", "2027-13-01", "--reason", "x"], 3, "refused: due:"),
        (["add", "1", "--due", "1899-12-31", "--reason", "x"], 3, "refused: due:"),
        (["add", "1", "--due", "{due}", "--reason", " "], 3, "refused: reason:"),
        (["add", "1", "--due", "{due}", "--reason", "x", "--type", "Nope"], 3, "refused: type:"),
        (["add", "99999", "--due", "{due}", "--reason", "x"], 3, "refused: patient:"),
        (["add", "0", "--due", "{due}", "--reason", "x"], 2, "montu-desktop recalls add: error:"),
        (["add", "1", "--due", "{due}", "--reason", "x", "--doctor", "x"], 2, "montu-desktop"),
        (["list", "--due-before", "soon"], 3, "refused: due-before:"),
        (["done", "99999"], 3, "refused: id:"),
        (["cancel", "-1"], 2, "montu-desktop"),
    ],
)
def test_bad_command_lines_are_refused_in_one_line(  # type: ignore[no-untyped-def]
    cli_clinic, capsys, args: list[str], code: int, start: str
) -> None:
    ctx, url, _doctors, _patients = cli_clinic
    due = (clinic_today(ZONE) + timedelta(days=30)).isoformat()
    argv = ["recalls", *[a.replace("{due}", due) for a in args], "--database", url]
    try:
        got = main(argv)
    except SystemExit as exc:
        got = exc.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    assert got == code, err
    assert err.startswith(start) and len(err.strip().splitlines()) == 1, err
    assert out == ""
    assert _count(ctx) == 0
