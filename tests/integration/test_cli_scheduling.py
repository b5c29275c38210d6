"""The scheduling commands as scripts use them (in-process), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
from datetime import date, time, timedelta

import pytest

from montu_desktop.cli import main
from montu_desktop.domain.wording import day_label
from montu_desktop.services.admin import holds
from montu_desktop.services.context import ServiceContext
from tests.support.clinic import new_patients, tiny_clinic
from tests.support.clock import clinic_today

ZONE = "Australia/Melbourne"


@pytest.fixture
def clinic(any_db):  # type: ignore[no-untyped-def]
    """A tiny clinic on the real clock (the commands use it), and its database URL."""
    ctx = ServiceContext(any_db, rng=random.Random(5), actor="test")
    doctors = tiny_clinic(ctx, doctors=2)
    patients = new_patients(ctx, 5)
    url = any_db.url.render_as_string(hide_password=False)
    today = clinic_today(ZONE)
    tuesday = today + timedelta(days=8 - today.weekday())  # Tuesday of next week
    return ctx, url, doctors, patients, tuesday


def run(capsys, url: str, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main([*args, "--database", url])
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, url: str, *args: str):  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, url, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def iso(day: date, hour: int, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def test_doctors_types_and_the_fair_choice_explained(clinic, capsys) -> None:  # type: ignore[no-untyped-def]
    _ctx, url, (a, b), patients, tuesday = clinic
    assert ok(capsys, url, "doctors", "types", str(a))["types"] == ["Long", "Procedure", "Standard"]
    shown = ok(capsys, url, "doctors", "types", str(a), "--set", "Standard")
    assert (shown["types"], shown["not_performed"]) == (["Standard"], ["Long", "Procedure"])
    code, out, err = run(
        capsys, url, "book", "--type", "Long", "--start", iso(tuesday, 10), "--patient",
        str(patients[0]), "--doctor", str(a),
    )  # fmt: skip
    assert code == 3 and out == "" and err.startswith("refused: doctor:")
    assert len(err.strip().splitlines()) == 1
    booked = ok(
        capsys, url, "book", "--type", "Long", "--start", iso(tuesday, 10), "--patient",
        str(patients[0]),
    )  # fmt: skip
    assert booked["doctor_id"] == b
    assert booked["chosen_because"] == {
        "candidates": [{"doctor_id": b, "booked_minutes": 0, "rostered_minutes": 180}]
    }
    code, out, _ = run(
        capsys, url, "book", "--type", "Standard", "--start", iso(tuesday, 11), "--patient",
        str(patients[1]),
    )  # fmt: skip
    assert code == 0 and "Dr A: 0 min of 3 h booked, the least of 2 free" in out
    # Like the desk's notice: the patient, the doctor, the day and the time, on one line.
    when = f"{tuesday:%a} {tuesday.day} {tuesday:%b} at 11:00"
    assert len(out.strip().splitlines()) == 1
    assert out.startswith(f"booked appointment {booked['id'] + 1}: Pat1 Tester with Dr A on {when}")
    code, out, _ = run(
        capsys, url, "book", "--type", "Standard", "--start", iso(tuesday, 11), "--patient",
        str(patients[2]), "--doctor", str(b),
    )  # fmt: skip
    assert code == 0 and f": Pat2 Tester with Dr B on {when} (Dr B: asked for" in out
    code, _, err = run(capsys, url, "doctors", "types", str(a), "--set", "Nope")
    assert code == 3 and err.startswith("refused: types:")


def test_availability_says_why_a_slot_or_day_is_unavailable(clinic, capsys) -> None:  # type: ignore[no-untyped-def]
    ctx, url, (a, b), patients, tuesday = clinic
    holds.add_hold(ctx, a, tuesday.weekday(), time(11), time(11, 30))
    for p in patients[:2]:
        ok(capsys, url, "book", "--type", "Long", "--start", iso(tuesday, 9), "--patient", str(p))
    week = ok(capsys, url, "availability", "--type", "Long", "--week", tuesday.isoformat())
    days = {d["date"]: d for d in week["days"]}
    sunday = (tuesday + timedelta(days=5)).isoformat()
    assert days[sunday]["open"] is False and days[sunday]["closed_reason"] == "closed"
    slots = {s["start"][11:16]: s for s in days[tuesday.isoformat()]["slots"]}
    assert slots["09:00"] == {**slots["09:00"], "free_doctors": 0, "reason": "booked out"}
    assert slots["11:45"]["reason"] == "too late for this length"
    assert "reason" not in slots["10:00"]
    # Dr B is free at 11:00; only Dr A's time is held.
    assert slots["11:00"]["free_doctors"] == 1 and "reason" not in slots["11:00"]
    holds.add_hold(ctx, b, tuesday.weekday(), time(11), time(11, 30))
    week = ok(capsys, url, "availability", "--type", "Standard", "--week", tuesday.isoformat())
    slot = next(
        s for d in week["days"] if d["date"] == tuesday.isoformat() for s in d["slots"]
        if s["start"][11:16] == "11:00"
    )  # fmt: skip
    assert (slot["free_doctors"], slot["reason"]) == (0, "held")
    code, _, err = run(
        capsys, url, "book", "--type", "Standard", "--start", iso(tuesday, 11), "--patient",
        str(patients[2]),
    )  # fmt: skip
    assert code == 3 and err.startswith("refused: start:")
    urgent = ok(
        capsys, url, "book", "--type", "Standard", "--start", iso(tuesday, 11), "--patient",
        str(patients[2]), "--urgent",
    )  # fmt: skip
    assert urgent["doctor_id"] in (a, b)


def test_series_waitlist_and_cancel_following(clinic, capsys) -> None:  # type: ignore[no-untyped-def]
    _ctx, url, _doctors, patients, tuesday = clinic
    mine, theirs, waiting = patients[:3]
    middle = tuesday + timedelta(weeks=1)
    for p in (theirs, patients[3]):  # both doctors busy at the middle occurrence
        ok(capsys, url, "book", "--type", "Long", "--start", iso(middle, 10), "--patient", str(p))
    series_args = (
        "book", "--type", "Long", "--start", iso(tuesday, 10), "--patient", str(mine),
        "--repeat", "weekly", "--count", "3",
    )  # fmt: skip
    code, out, err = run(capsys, url, *series_args)
    assert code == 3 and day_label(middle, year=True) in err and out == ""
    result = ok(capsys, url, *series_args, "--skip-clashes")
    assert set(result) == {"series_id", "appointments", "clashes"}
    assert [a["start"][:10] for a in result["appointments"]] == [
        tuesday.isoformat(),
        (tuesday + timedelta(weeks=2)).isoformat(),
    ]
    assert [c["start"][:16] for c in result["clashes"]] == [iso(middle, 10)]
    assert result["clashes"][0]["reason"]
    code, _, err = run(capsys, url, "book", "--type", "Long", "--start", iso(tuesday, 9),
                       "--patient", str(mine), "--count", "2")  # fmt: skip
    assert code == 2

    entry = ok(capsys, url, "waitlist", "add", "--patient", str(waiting), "--type", "Long",
               "--part", "morning", "--note", "any doctor")  # fmt: skip
    assert set(entry) == {"id"}
    assert [e["id"] for e in ok(capsys, url, "waitlist", "list")] == [entry["id"]]
    first = result["appointments"][0]
    # Now nobody is free at the first occurrence: no match until the series is cancelled.
    ok(capsys, url, "book", "--type", "Long", "--start", iso(tuesday, 10), "--patient",
       str(patients[4]))  # fmt: skip
    assert (
        ok(capsys, url, "waitlist", "matches", "--type", "Long", "--start", iso(tuesday, 10)) == []
    )
    cancelled = ok(capsys, url, "cancel", str(first["id"]), "--following")
    assert [c["id"] for c in cancelled] == [a["id"] for a in result["appointments"]]
    matches = ok(capsys, url, "waitlist", "matches", "--type", "Long", "--start", iso(tuesday, 10))
    assert [m["id"] for m in matches] == [entry["id"]]
    ok(capsys, url, "book", "--type", "Long", "--start", iso(tuesday, 10), "--patient",
       str(waiting), "--waitlist", str(entry["id"]))  # fmt: skip
    assert ok(capsys, url, "waitlist", "list") == []
    code, _, err = run(capsys, url, "waitlist", "remove", str(entry["id"]))
    assert code == 3 and err.startswith("refused: waitlist:")
    code, _, err = run(capsys, url, "waitlist", "add", "--patient", str(waiting), "--type",
                       "Long", "--part", "evening")  # fmt: skip
    assert code == 3 and err.startswith("refused: part:")


def test_book_waitlist_without_doctor_books_the_doctor_the_entry_asked_for(clinic, capsys) -> None:  # type: ignore[no-untyped-def]
    """`book --waitlist ID` with no --doctor: the entry's doctor, never the fair choice's."""
    _ctx, url, (a, b), patients, tuesday = clinic
    waiting = patients[0]
    for doctor in (a, b):  # make each in turn the fair choice's pick: the entry still wins
        entry = ok(capsys, url, "waitlist", "add", "--patient", str(waiting), "--type", "Long",
                   "--doctor", str(doctor))  # fmt: skip
        other = b if doctor == a else a
        start = iso(tuesday, 9 if doctor == a else 11)
        # The entry's doctor is the busier one that day, so a fair choice would take the other.
        ok(capsys, url, "book", "--type", "Standard", "--start", iso(tuesday, 10 if doctor == a else 9),
           "--patient", str(patients[1 if doctor == a else 2]), "--doctor", str(doctor))  # fmt: skip
        booked = ok(capsys, url, "book", "--type", "Long", "--start", start, "--patient",
                    str(waiting), "--waitlist", str(entry["id"]))  # fmt: skip
        assert booked["doctor_id"] == doctor != other
    assert ok(capsys, url, "waitlist", "list") == []
