"""The patient-record commands as IT staff run them: real processes, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from montu_desktop.domain.clinic_time import local_instant
from montu_desktop.services.context import ServiceContext
from tests.e2e.test_cli import montu, ok_json
from tests.support.clinic import tiny_clinic
from tests.support.clock import clinic_today

ZONE = "Australia/Melbourne"


def _not_today_open_day() -> str:
    """10:00 on the next clinic day after today (the tiny clinic is shut on Sundays)."""
    day = clinic_today(ZONE) + timedelta(days=1)
    if day.weekday() == 6:
        day += timedelta(days=1)
    return local_instant(day, time(10), ZONE).isoformat()


@pytest.mark.slow
def test_record_duplicates_notes_marks_and_merge(any_db) -> None:
    tiny_clinic(ServiceContext(any_db))
    env = {"MONTU_DATABASE_URL": any_db.url.render_as_string(hide_password=False)}
    person = ["--given", "Ava", "--family", "Singh", "--dob", "1990-03-04"]
    keep = ok_json("patients", "add", *person, "--phone", "0412 000 111", env=env)["id"]
    twice = montu("patients", "add", *person, env=env)
    assert twice.returncode == 3 and twice.stderr.count("\n") == 1
    assert twice.stderr.startswith("refused: patient:") and str(keep) in twice.stderr
    dup = ok_json("patients", "add", *person, "--allow-duplicate", env=env)["id"]

    start = _not_today_open_day()
    booked = ok_json("book", "--type", "Long", "--start", start, "--patient", str(dup),
                     "--note", "Knee pain", env=env)  # fmt: skip
    early = montu("mark", str(booked["id"]), "arrived", env=env)
    assert early.returncode == 3 and early.stderr.startswith("refused: status:")
    bad = montu("patients", "edit", str(keep), "--phone", "12", env=env)
    assert bad.returncode == 3 and bad.stderr.startswith("refused: phone:")

    merged = ok_json("patients", "merge", str(keep), str(dup), env=env)
    assert merged["appointments"] == [booked["id"]]
    assert ok_json("patients", "show", str(dup), env=env)["merged_into"] == keep
    assert [p["id"] for p in ok_json("patients", "find", "singh", env=env)] == [keep]
    record = ok_json("patients", "show", str(keep), env=env)
    assert record["phone"] == "+61412000111"
    assert [(a["id"], a["status"], a["note"]) for a in record["appointments"]] == [
        (booked["id"], "booked", "Knee pain")
    ]


@pytest.mark.slow
def test_patients_edit_and_show_carry_the_fuller_record(sqlite_db) -> None:
    env = {"MONTU_DATABASE_URL": sqlite_db.url.render_as_string(hide_password=False)}
    ava = ok_json("patients", "add", "--given", "Ava", "--family", "Singh", env=env)["id"]
    edited = ok_json(
        "patients", "edit", str(ava), "--address", "12 High St, Fitzroy VIC 3065",
        "--medicare", "2428 77813 2", "--irn", "2", "--dva", "nx123456",
        "--emergency-name", "Raj Singh", "--emergency-phone", "0412 000 222",
        "--alerts", "allergy,mobility: penicillin", env=env,
    )  # fmt: skip
    wanted = {
        "address": "12 High St, Fitzroy VIC 3065",
        "medicare": "2428778132",
        "irn": 2,
        "dva": "NX123456",
        "emergency_name": "Raj Singh",
        "emergency_phone": "+61412000222",
        "alerts": ["allergy", "mobility"],
        "alert_note": "penicillin",
    }
    assert {k: edited[k] for k in wanted} == wanted
    shown = ok_json("patients", "show", str(ava), env=env)
    assert {k: shown[k] for k in wanted} == wanted
    assert [p["id"] for p in ok_json("patients", "find", "2428 77813 2", env=env)] == [ava]
    bad = montu("patients", "edit", str(ava), "--medicare", "2428 77814 2", env=env)
    assert bad.returncode == 3 and bad.stderr.count("\n") == 1
    assert bad.stderr.startswith("refused: medicare_number:")
    assert ok_json("patients", "show", str(ava), env=env)["medicare"] == "2428778132"
