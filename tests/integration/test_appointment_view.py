"""One appointment view (issue 25, item 5): what a change returns is named by one read, and
the CLI prints its JSON from it with the keys scripts have always read."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from montu_desktop.cli.appointment_json import APPOINTMENT_KEYS, SERIES_KEYS
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import NotFound
from montu_desktop.domain.model import AppointmentStatus, from_epoch
from montu_desktop.services import booking, reference
from montu_desktop.services.appointment_view import appointment_view, view_of
from montu_desktop.services.booking import BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import get_patient
from tests.support.cli_runner import in_process_cli
from tests.support.clinic import new_patients, offered_slots, tiny_clinic
from tests.support.clock import FixedClock

ZONE = "Australia/Melbourne"


def _first_free(ctx: ServiceContext, later: int = 0):  # type: ignore[no-untyped-def]
    """The first free Standard time of the context's next week (whatever its holidays), or
    the one `later` slots after it."""
    today = to_local(ctx.clock(), ZONE).date()
    monday = today + timedelta(days=7 - today.weekday())
    return from_epoch(offered_slots(ctx, "Standard", monday)[later].start)


def test_a_booking_its_note_and_its_cancellation_are_named_by_one_view(
    ctx: ServiceContext,
) -> None:
    tiny_clinic(ctx, doctors=2)
    (patient,) = new_patients(ctx, 1)
    start = _first_free(ctx)
    booked = view_of(ctx, booking.book_appointment(ctx, BookingRequest("Standard", start, patient)))
    doctors = {d.id: d.name for d in reference.doctors(ctx)}
    details = get_patient(ctx, patient).details
    assert booked.patient_name == f"{details.given_name} {details.family_name}"
    assert booked.doctor_name == doctors[booked.doctor_id]
    assert (booked.type_name, booked.start, booked.status) == (
        "Standard",
        start,
        AppointmentStatus.BOOKED,
    )
    assert booked.end > booked.start and booked.series_id is None and not booked.booked_online
    assert booked.choice is not None and not booked.choice.requested  # the fair choice, kept

    noted = view_of(ctx, booking.set_note(ctx, booked.id, "Knee pain"))
    assert noted.note == "Knee pain" and noted.choice is None
    gone = view_of(ctx, booking.cancel_appointment(ctx, booked.id, reason="Patient unwell"))
    assert (gone.status, gone.cancel_reason) == (AppointmentStatus.CANCELLED, "Patient unwell")
    assert appointment_view(ctx, booked.id) == gone
    with pytest.raises(NotFound):
        appointment_view(ctx, booked.id + 1000)


def test_the_cli_prints_the_view_with_the_keys_it_always_printed(
    sqlite_ctx: ServiceContext,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tiny_clinic(sqlite_ctx, doctors=2)
    patient, other, third = new_patients(sqlite_ctx, 3)
    start = to_local(_first_free(sqlite_ctx), ZONE).strftime("%Y-%m-%dT%H:%M")
    run = in_process_cli(sqlite_ctx, clock, monkeypatch, capsys)
    args = ("book", "--type", "Standard", "--start", start, "--patient", str(patient))
    code, out, err = run(*args, "--json")
    assert code == 0, err
    booked = json.loads(out)
    assert list(booked) == [*APPOINTMENT_KEYS, "chosen_because"]
    view = appointment_view(sqlite_ctx, booked["id"])
    assert (booked["type"], booked["status"], booked["note"]) == ("Standard", "booked", None)
    assert booked["start"] == to_local(view.start, ZONE).isoformat()

    code, out, err = run(*args[:-1], str(other))  # the other doctor, said by name
    assert code == 0, err
    details = get_patient(sqlite_ctx, other).details
    assert f": {details.given_name} {details.family_name} with Dr " in out

    code, out, err = run("note", str(booked["id"]), "Knee pain", "--json")
    assert code == 0, err
    noted = json.loads(out)
    assert list(noted) == list(APPOINTMENT_KEYS) and noted["note"] == "Knee pain"

    later = to_local(_first_free(sqlite_ctx, 4), ZONE).strftime("%Y-%m-%dT%H:%M")
    series_args = ("--repeat", "weekly", "--count", "2", "--skip-clashes", "--json")
    code, out, err = run(
        "book", "--type", "Standard", "--start", later, "--patient", str(third), *series_args
    )
    assert code == 0, err
    made = json.loads(out)
    assert made["appointments"]
    for visit in made["appointments"]:
        assert list(visit) == list(SERIES_KEYS)
        assert appointment_view(sqlite_ctx, visit["id"]).series_id == made["series_id"]
