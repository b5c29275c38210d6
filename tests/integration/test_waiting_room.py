"""The waiting room lists today's arrived patients by arrival time, with how long each has waited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.services import booking, clinic_settings
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.services.waiting_room import waiting_room
from tests.support.clock import FixedClock

MONDAY = date(2026, 11, 23)


@pytest.fixture
def clinic(ctx: ServiceContext) -> ServiceContext:
    create_demo_clinic(ctx, doctors=3, weeks=1, seed=3)
    return ctx


def test_arrivals_are_ordered_by_arrival_not_by_appointment_time(
    clinic: ServiceContext, clock: FixedClock
) -> None:
    booked = [e for e in day_book(clinic, MONDAY).appointments][:3]
    assert len(booked) == 3
    clock.advance(hours=1)  # 08:00 local
    # The latest appointment arrives first; the earliest arrives last.
    for entry in reversed(booked):
        booking.set_status(clinic, entry.id, AppointmentStatus.ARRIVED)
        clock.advance(minutes=7)
    room = waiting_room(clinic, MONDAY)
    assert [v.appointment_id for v in room.waiting] == [e.id for e in reversed(booked)]
    arrived = [v.arrived_at for v in room.waiting]
    assert arrived == sorted(arrived) and arrived[1] - arrived[0] == timedelta(minutes=7)
    assert [v.minutes_waiting(clock()) for v in room.waiting] == [21, 14, 7]
    assert all(v.appointment_id not in {e.id for e in booked} for v in room.expected)
    assert room.expected and room.expected == tuple(
        sorted(room.expected, key=lambda v: v.starts_at)
    )


def test_seen_patients_leave_the_waiting_room(clinic: ServiceContext, clock: FixedClock) -> None:
    entry = day_book(clinic, MONDAY).appointments[0]
    booking.set_status(clinic, entry.id, AppointmentStatus.ARRIVED)
    assert [v.appointment_id for v in waiting_room(clinic, MONDAY).waiting] == [entry.id]
    booking.set_status(clinic, entry.id, AppointmentStatus.COMPLETED)
    room = waiting_room(clinic, MONDAY)
    assert room.waiting == () and entry.id not in {v.appointment_id for v in room.expected}


def test_thresholds_are_clinic_settings(clinic: ServiceContext) -> None:
    room = waiting_room(clinic, MONDAY)
    assert (room.amber_minutes, room.red_minutes) == (15, 30)
    levels = [room.level(m) for m in (0, 14, 15, 29, 30, 90)]
    assert levels == ["", "", "amber", "amber", "red", "red"]
    clinic_settings.set_setting(clinic, "waiting_room.amber_minutes", "10")
    clinic_settings.set_setting(clinic, "waiting_room.red_minutes", "20")
    room = waiting_room(clinic, MONDAY)
    assert (room.level(10), room.level(20)) == ("amber", "red")
    with pytest.raises(InvalidRequest) as refused:
        clinic_settings.set_setting(clinic, "waiting_room.red_minutes", "soon")
    assert refused.value.field == "waiting_room.red_minutes"


def test_amber_must_come_before_red_whichever_is_set(sqlite_ctx: ServiceContext) -> None:
    # Found in the trial: amber 15 was accepted with red 15 and the board read "amber 15, red 15".
    with pytest.raises(InvalidRequest) as refused:
        clinic_settings.set_setting(sqlite_ctx, "waiting_room.amber_minutes", "30")
    assert refused.value.field == "waiting_room.amber_minutes"
    assert "less than waiting_room.red_minutes (30)" in refused.value.reason
    clinic_settings.set_setting(sqlite_ctx, "waiting_room.red_minutes", "20")
    with pytest.raises(InvalidRequest) as refused:
        clinic_settings.set_setting(sqlite_ctx, "waiting_room.red_minutes", "15")
    assert refused.value.field == "waiting_room.red_minutes"
    assert "more than waiting_room.amber_minutes (15)" in refused.value.reason
    with pytest.raises(InvalidRequest):
        clinic_settings.set_settings(
            sqlite_ctx, {"waiting_room.amber_minutes": "25", "waiting_room.red_minutes": "25"}
        )
    clinic_settings.set_setting(sqlite_ctx, "waiting_room.amber_minutes", "19")
    stored = {s.key: s.value for s in clinic_settings.list_settings(sqlite_ctx)}
    assert [stored[f"waiting_room.{c}_minutes"] for c in ("amber", "red")] == ["19", "20"]
    clinic_settings.set_setting(sqlite_ctx, "waiting_room.red_minutes", "50")
    clinic_settings.set_setting(sqlite_ctx, "waiting_room.amber_minutes", "40")
    with pytest.raises(InvalidRequest) as refused:
        clinic_settings.reset_setting(sqlite_ctx, "waiting_room.red_minutes")  # the default: 30
    assert refused.value.field == "waiting_room.red_minutes"
    assert clinic_settings.get_setting(sqlite_ctx, "waiting_room.red_minutes").value == "50"


def test_config_set_refuses_amber_at_or_above_red_in_one_line(
    sqlite_ctx: ServiceContext, capsys: pytest.CaptureFixture[str]
) -> None:
    from montu_desktop.cli import main

    url = str(sqlite_ctx.database.url)
    assert main(["config", "set", "waiting_room.red_minutes", "15", "--database", url]) == 3
    refused = capsys.readouterr().err
    assert refused.count("\n") == 1 and refused.startswith("refused: waiting_room.red_minutes: ")
    assert "more than waiting_room.amber_minutes (15)" in refused
    assert main(["config", "get", "waiting_room.red_minutes", "--database", url]) == 0
    assert capsys.readouterr().out.strip() == "30"
