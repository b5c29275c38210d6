"""The attendance report on a small clinic built here, on SQLite and PostgreSQL: exact figures
per doctor, per type and in total; clinic-local days across a daylight-saving change; a few
queries whatever the number of appointments; the command's JSON, CSV and refusals."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event

from montu_desktop.cli import main
from montu_desktop.domain.clinic_time import clinic_zone, to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import online, reports
from montu_desktop.services.admin.utilisation import week_utilisation
from montu_desktop.services.booking import (
    BookingRequest,
    book_appointment,
    cancel_appointment,
    set_status,
)
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from tests.support.clinic import at, new_patients, tiny_clinic
from tests.support.clock import FixedClock

ZONE = "Australia/Melbourne"
COUNT_KEYS = [
    "booked",
    "completed",
    "no_show",
    "did_not_wait",
    "cancelled",
    "cancel_reasons",
    "online",
    "desk",
    "work_ins",
    "rostered_minutes",
    "booked_minutes",
    "utilisation",
]


@dataclass
class Clinic:
    ctx: ServiceContext
    a: int
    b: int
    tuesday: date
    url: str


def _book(ctx: ServiceContext, kind: str, start: datetime, patient: int, doctor: int) -> int:
    return book_appointment(ctx, BookingRequest(kind, start, patient, doctor)).id


@pytest.fixture
def clinic(ctx: ServiceContext, clock: FixedClock) -> Clinic:
    """Two doctors rostered 9:00-12:00 Monday to Saturday. On Tuesday and Wednesday:

    Dr A: Standard Tue 9:00 completed; Long Tue 9:30 no-show; Standard Tue 10:00 cancelled
          "Patient unwell"; Standard Wed 9:00 booked; Long Wed 11:00 cancelled "Doctor
          unavailable". Thursday: Standard 9:00 booked (outside a Tue-Wed report).
    Dr B: Procedure Tue 10:00 booked; Standard Tue 11:00 cancelled "Patient unwell";
          Standard Tue 11:15 cancelled with no reason; Standard Wed 9:00 booked online.
    """
    a, b = tiny_clinic(ctx, doctors=2)
    monday = to_local(clock(), ZONE).date()
    assert monday.weekday() == 0
    tue, wed, thu = (monday + timedelta(days=n) for n in (1, 2, 3))
    p = new_patients(ctx, 10)
    completed = _book(ctx, "Standard", at(tue, 9), p[0], a)
    no_show = _book(ctx, "Long", at(tue, 9, 30), p[1], a)
    cancel_appointment(ctx, _book(ctx, "Standard", at(tue, 10), p[2], a), "Patient unwell")
    _book(ctx, "Standard", at(wed, 9), p[3], a)
    cancel_appointment(ctx, _book(ctx, "Long", at(wed, 11), p[4], a), "Doctor unavailable")
    _book(ctx, "Standard", at(thu, 9), p[5], a)
    _book(ctx, "Procedure", at(tue, 10), p[6], b)
    cancel_appointment(ctx, _book(ctx, "Standard", at(tue, 11), p[7], b), "Patient unwell")
    cancel_appointment(ctx, _book(ctx, "Standard", at(tue, 11, 15), p[8], b))
    key = online.create_api_key(ctx, "site", "availability,book")[0]
    made = online.book_online(
        ctx,
        key,
        "Standard",
        at(wed, 9),  # Dr A is busy then: the fair choice can only be Dr B
        PatientDetails("Zoë", "Ngô", date(1990, 1, 2), phone="0412 345 678"),
    )
    assert made.doctor_name == "Dr B"
    clock.now = at(tue, 9, 5)
    set_status(ctx, completed, AppointmentStatus.ARRIVED)
    set_status(ctx, completed, AppointmentStatus.COMPLETED)
    clock.now = at(tue, 9, 35)  # a no-show only once the visit (09:30) has started
    set_status(ctx, no_show, AppointmentStatus.NO_SHOW)
    url = ctx.database.url.render_as_string(hide_password=False)
    return Clinic(ctx, a, b, tue, url)


def _counts(c: reports.AttendanceCounts) -> dict[str, object]:
    u = c.utilisation
    return {
        "booked": c.booked,
        "completed": c.completed,
        "no_show": c.no_show,
        "did_not_wait": c.did_not_wait,
        "cancelled": c.cancelled,
        "cancel_reasons": dict(c.cancel_reasons),
        "online": c.online,
        "desk": c.desk,
        "work_ins": c.work_ins,
        "rostered_minutes": c.rostered_minutes,
        "booked_minutes": c.booked_minutes,
        "utilisation": None if u is None else round(u, 4),
    }


DR_A = {
    "booked": 3,
    "completed": 1,
    "no_show": 1,
    "did_not_wait": 0,
    "cancelled": 2,
    "cancel_reasons": {"Patient unwell": 1, "Doctor unavailable": 1},
    "online": 0,
    "desk": 3,
    "work_ins": 0,
    "rostered_minutes": 2 * 180,
    "booked_minutes": 15 + 30 + 15,
    "utilisation": round(60 / 360, 4),
}
DR_B = {
    "booked": 2,
    "completed": 0,
    "no_show": 0,
    "did_not_wait": 0,
    "cancelled": 2,
    "cancel_reasons": {"Patient unwell": 1, "": 1},
    "online": 1,
    "desk": 1,
    "work_ins": 0,
    "rostered_minutes": 2 * 180,
    "booked_minutes": 60 + 15,
    "utilisation": round(75 / 360, 4),
}
TYPES = {
    "Standard": {
        "booked": 3,
        "completed": 1,
        "no_show": 0,
        "did_not_wait": 0,
        "cancelled": 3,
        "cancel_reasons": {"Patient unwell": 2, "": 1},
        "online": 1,
        "desk": 2,
        "work_ins": 0,
        "rostered_minutes": None,
        "booked_minutes": 45,
        "utilisation": None,
    },
    "Long": {
        "booked": 1,
        "completed": 0,
        "no_show": 1,
        "did_not_wait": 0,
        "cancelled": 1,
        "cancel_reasons": {"Doctor unavailable": 1},
        "online": 0,
        "desk": 1,
        "work_ins": 0,
        "rostered_minutes": None,
        "booked_minutes": 30,
        "utilisation": None,
    },
    "Procedure": {
        "booked": 1,
        "completed": 0,
        "no_show": 0,
        "did_not_wait": 0,
        "cancelled": 0,
        "cancel_reasons": {},
        "online": 0,
        "desk": 1,
        "work_ins": 0,
        "rostered_minutes": None,
        "booked_minutes": 60,
        "utilisation": None,
    },
}
TOTALS = {
    "booked": 5,
    "completed": 1,
    "no_show": 1,
    "did_not_wait": 0,
    "cancelled": 4,
    "cancel_reasons": {"Patient unwell": 2, "Doctor unavailable": 1, "": 1},
    "online": 1,
    "desk": 4,
    "work_ins": 0,
    "rostered_minutes": 4 * 180,
    "booked_minutes": 135,
    "utilisation": round(135 / 720, 4),
}


def test_the_figures_of_a_known_clinic_are_exact(clinic: Clinic) -> None:
    tue = clinic.tuesday
    report = reports.attendance_report(clinic.ctx, tue, tue + timedelta(days=1))
    assert [(d.doctor_id, d.name) for d in report.doctors] == [
        (clinic.a, "Dr A"),
        (clinic.b, "Dr B"),
    ]
    assert _counts(report.doctors[0].counts) == DR_A
    assert _counts(report.doctors[1].counts) == DR_B
    assert {k.name: _counts(k.counts) for k in report.types} == TYPES
    assert _counts(report.totals) == TOTALS
    assert (report.first, report.last, report.timezone) == (tue, tue + timedelta(days=1), ZONE)
    # One day: Wednesday only (Dr A's Standard and cancelled Long, Dr B's online Standard).
    wednesday = reports.attendance_report(clinic.ctx, tue + timedelta(1), tue + timedelta(1))
    assert (wednesday.totals.booked, wednesday.totals.cancelled, wednesday.totals.online) == (
        2,
        1,
        1,
    )
    assert wednesday.totals.rostered_minutes == 2 * 180


def test_a_week_agrees_with_the_utilisation_chart(clinic: Clinic) -> None:
    monday = clinic.tuesday - timedelta(days=1)
    report = reports.attendance_report(clinic.ctx, monday, monday + timedelta(days=6))
    chart = {d.doctor_id: d for d in week_utilisation(clinic.ctx, clinic.tuesday)}
    for row in report.doctors:
        week = chart[row.doctor_id]
        assert (row.counts.rostered_minutes, row.counts.booked_minutes) == (
            week.rostered_minutes,
            week.booked_minutes,
        )
    assert report.doctors[0].counts.rostered_minutes == 6 * 180  # Monday to Saturday
    assert report.doctors[0].counts.booked_minutes == 60 + 15  # Thursday's visit counts too


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [(3, 2, "to"), (0, 366, "to")],  # days after Tuesday: ends before it starts; 367 days
)
def test_a_bad_range_is_refused_naming_the_field(
    clinic: Clinic, first: int, last: int, field: str
) -> None:
    tue = clinic.tuesday
    with pytest.raises(InvalidRequest) as refused:
        reports.attendance_report(clinic.ctx, tue + timedelta(first), tue + timedelta(last))
    assert refused.value.field == field
    assert reports.attendance_report(clinic.ctx, tue, tue + timedelta(days=365)).totals.booked == 6


@contextlib.contextmanager
def _statements(ctx: ServiceContext) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(ctx.database.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(ctx.database.engine, "before_cursor_execute", note)


def test_the_report_reads_a_few_queries_however_many_appointments(
    clinic: Clinic, clock: FixedClock
) -> None:
    tue = clinic.tuesday
    first, last = tue - timedelta(days=1), tue + timedelta(days=12)
    clinic_policy(clinic.ctx)  # the clinic's zone is cached, as on every desk
    with _statements(clinic.ctx) as seen:
        before = reports.attendance_report(clinic.ctx, first, last)
    clock.now = at(tue, 8)
    next_tuesday = tue + timedelta(days=7)
    for i, patient in enumerate(new_patients(clinic.ctx, 24)):
        start = at(next_tuesday, 9, 15 * (i % 12))
        _book(clinic.ctx, "Standard", start, patient, clinic.a if i < 12 else clinic.b)
    with _statements(clinic.ctx) as seen_after:
        after = reports.attendance_report(clinic.ctx, first, last)
    assert after.totals.booked == before.totals.booked + 24
    assert len(seen_after) == len(seen) <= 6, seen_after


def _next_dst_change(zone: str, after: date) -> date:
    """The first day after `after` whose noon has a different UTC offset than the day before."""
    tz = clinic_zone(zone)
    day = after
    while True:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=tz)
        later = datetime(day.year, day.month, day.day, 12, tzinfo=tz) + timedelta(days=1)
        if noon.utcoffset() != later.astimezone(tz).utcoffset():
            return day + timedelta(days=1)
        day += timedelta(days=1)


def test_days_are_the_clinics_local_days_across_daylight_saving(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    from montu_desktop.config.clock import utc_now

    change = _next_dst_change(ZONE, to_local(utc_now(), ZONE).date())
    assert change.weekday() == 6  # Melbourne changes its clocks on a Sunday
    monday = change - timedelta(days=6)
    clock.now = at(monday, 7)
    a, _b = tiny_clinic(ctx, doctors=2)
    p = new_patients(ctx, 4)
    saturday, next_monday = change - timedelta(days=1), change + timedelta(days=1)
    offsets = {
        at(saturday, 9).astimezone(clinic_zone(ZONE)).utcoffset(),
        at(next_monday, 9).astimezone(clinic_zone(ZONE)).utcoffset(),
    }
    assert len(offsets) == 2  # the two days really are on either side of the change
    _book(ctx, "Standard", at(saturday, 11, 45), p[0], a)
    _book(ctx, "Standard", at(next_monday, 9), p[1], a)  # 22:00 or 23:00 UTC on Sunday
    _book(ctx, "Standard", at(next_monday, 11, 45), p[2], a)
    weekend = reports.attendance_report(ctx, saturday, change)
    assert weekend.totals.booked == 1
    assert weekend.totals.rostered_minutes == 2 * 180  # Saturday only: Sunday is closed
    one_day = reports.attendance_report(ctx, next_monday, next_monday)
    assert (one_day.totals.booked, one_day.totals.booked_minutes) == (2, 30)
    fortnight = reports.attendance_report(ctx, monday, change + timedelta(days=6))
    assert fortnight.doctors[0].counts.rostered_minutes == 12 * 180  # 9-12 each open day
    assert fortnight.totals.booked == 3


def run(capsys, url: str, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main([*args, "--database", url])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_prints_the_json_with_the_keys_named(clinic: Clinic, capsys) -> None:  # type: ignore[no-untyped-def]
    tue = clinic.tuesday.isoformat()
    wed = (clinic.tuesday + timedelta(days=1)).isoformat()
    code, out, err = run(
        capsys, clinic.url, "reports", "attendance", "--from", tue, "--to", wed, "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == ["from", "to", "doctors", "types", "totals"]
    assert (data["from"], data["to"]) == (tue, wed)
    assert [list(d) for d in data["doctors"]] == [["doctor_id", "name", *COUNT_KEYS]] * 2
    assert [list(k) for k in data["types"]] == [["type", *COUNT_KEYS]] * 3
    assert list(data["totals"]) == COUNT_KEYS
    assert data["doctors"][0] == {"doctor_id": clinic.a, "name": "Dr A", **DR_A}
    assert data["doctors"][1] == {"doctor_id": clinic.b, "name": "Dr B", **DR_B}
    assert {k["type"]: {n: k[n] for n in COUNT_KEYS} for k in data["types"]} == TYPES
    assert data["totals"] == TOTALS


def test_the_command_prints_csv_and_plain_text(clinic: Clinic, capsys) -> None:  # type: ignore[no-untyped-def]
    tue = clinic.tuesday.isoformat()
    wed = (clinic.tuesday + timedelta(days=1)).isoformat()
    code, out, err = run(
        capsys, clinic.url, "reports", "attendance", "--from", tue, "--to", wed, "--csv"
    )
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == [
        "section", "id", "name", "booked", "completed", "no_show", "did_not_wait", "cancelled", "online",
        "desk", "work_ins", "rostered_minutes", "booked_minutes", "utilisation",
        "cancelled: (no reason)", "cancelled: Doctor unavailable", "cancelled: Patient unwell",
    ]  # fmt: skip
    assert rows[1] == ["doctor", str(clinic.a), "Dr A", "3", "1", "1", "0", "2", "0", "3", "0", "360", "60", "0.1667", "0", "1", "1"]  # fmt: skip
    assert rows[3] == ["type", rows[3][1], "Long", "1", "0", "1", "0", "1", "0", "1", "0", "", "30", "", "0", "1", "0"]  # fmt: skip
    assert rows[-1] == ["total", "", "", "5", "1", "1", "0", "4", "1", "4", "0", "720", "135", "0.1875", "1", "1", "2"]  # fmt: skip
    assert len(rows) == 1 + 2 + 3 + 1
    code, out, err = run(capsys, clinic.url, "reports", "attendance", "--from", tue, "--to", wed)
    assert code == 0, err
    assert "Dr A" in out and "Patient unwell" in out and "(no reason given)" in out


@pytest.mark.parametrize(
    ("first", "last", "said"),
    [
        ("2026-02-30", None, "refused: from: "),
        ("next week", None, "refused: from: "),
        (None, "1899-12-31", "refused: to: "),
        ("+1", "+0", "refused: to: "),  # days after Tuesday: --to before --from
        ("+0", "+366", "refused: to: the range is 367 days"),
    ],
)
def test_bad_input_is_one_line_and_exit_3(clinic: Clinic, capsys, first, last, said) -> None:  # type: ignore[no-untyped-def]
    def day(text: str | None) -> str:
        if text is None:
            return clinic.tuesday.isoformat()
        if text.startswith("+"):
            return (clinic.tuesday + timedelta(days=int(text[1:]))).isoformat()
        return text

    code, out, err = run(
        capsys,
        clinic.url,
        "reports",
        "attendance",
        "--from",
        day(first),
        "--to",
        day(last),
        "--json",
    )
    assert (code, out) == (3, "")
    assert err.startswith(said) and len(err.strip().splitlines()) == 1, err


def test_json_and_csv_together_is_a_usage_error(clinic: Clinic, capsys) -> None:  # type: ignore[no-untyped-def]
    tue = clinic.tuesday.isoformat()
    with pytest.raises(SystemExit) as stopped:
        run(
            capsys,
            clinic.url,
            "reports",
            "attendance",
            "--from",
            tue,
            "--to",
            tue,
            "--json",
            "--csv",
        )
    assert stopped.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
