"""The headless commands as IT staff run them: real processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.support import clock

ROOT = Path(__file__).resolve().parents[2]


def montu(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "montu_desktop", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def ok_json(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    done = montu(*args, "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_a_clinic_is_run_from_the_command_line(any_db) -> None:
    url = any_db.url.render_as_string(hide_password=False)
    env = {"MONTU_DATABASE_URL": url}
    assert montu("db", "upgrade", env=env).returncode == 0
    demo = montu("demo-data", "--doctors", "3", "--weeks", "2", "--seed", "3", env=env)
    assert demo.returncode == 0, demo.stderr
    doctors = {d["id"] for d in ok_json("doctors", "list", env=env)}
    assert len(doctors) == 3
    assert {
        t["name"]: t["length_minutes"] for t in ok_json("types", "list", "--database", url)
    } == {
        "Standard": 15,
        "Long": 30,
        "Extended": 45,
        "Procedure": 60,
    }

    next_monday = clock.next_monday()
    week = ok_json("availability", "--type", "Long", "--week", next_monday.isoformat(), env=env)
    assert week["appointment_type"] == "Long" and week["timezone"] == "Australia/Melbourne"
    assert week["slot_minutes"] == 15
    assert week["days"][0]["date"] == next_monday.isoformat() and len(week["days"]) == 7
    assert week["days"][6]["open"] is False and week["days"][6]["slots"] == []
    # The first open day of the week (next Monday may be a public holiday, e.g. 3 Jan 2028).
    opened = next(d for d in week["days"] if d["slots"])
    first = opened["slots"][0]
    assert datetime.fromisoformat(first["start"]).utcoffset() is not None
    assert first["start"].startswith(f"{opened['date']}T08:00:00")
    free = next(s for d in week["days"] for s in d["slots"] if s["free_doctors"] > 0)

    patient = ok_json(
        "patients",
        "add",
        "--given",
        "Jane",
        "--family",
        "Citizen",
        "--phone",
        "0412 345 678",
        "--dob",
        "1980-02-03",
        env=env,
    )["id"]
    found = ok_json("patients", "find", "citizen", env=env)
    assert [(p["id"], p["phone"]) for p in found] == [(patient, "+61412345678")]

    booked = ok_json(
        "book", "--type", "Long", "--start", free["start"], "--patient", str(patient), env=env
    )
    assert set(booked) >= {"id", "doctor_id", "patient_id", "type", "start", "end"}
    assert booked["doctor_id"] in doctors and booked["patient_id"] == patient
    assert datetime.fromisoformat(booked["start"]) == datetime.fromisoformat(free["start"])
    after = ok_json("availability", "--type", "Long", "--week", next_monday.isoformat(), env=env)
    slot_after = next(s for d in after["days"] for s in d["slots"] if s["start"] == free["start"])
    assert slot_after["free_doctors"] == free["free_doctors"] - 1

    again = montu(
        "book", "--type", "Long", "--start", free["start"], "--patient", str(patient), env=env
    )
    assert again.returncode == 3
    assert again.stderr.strip().count("\n") == 0 and "patient" in again.stderr

    assert montu("cancel", str(booked["id"]), env=env).returncode == 0
    cancelled_twice = montu("cancel", str(booked["id"]), env=env)
    assert (
        cancelled_twice.returncode == 3
        and "appointment: is already cancelled" in cancelled_twice.stderr
    )


def test_bad_input_is_refused_with_the_field_named(sqlite_db) -> None:
    url = sqlite_db.url.render_as_string(hide_password=False)
    assert montu("demo-data", "--doctors", "2", "--weeks", "1", "--database", url).returncode == 0
    bad_week = montu("availability", "--type", "Long", "--week", "2026-13-01", "--database", url)
    assert bad_week.returncode == 3 and "week:" in bad_week.stderr
    bad_phone = montu(
        "patients", "add", "--given", "A", "--family", "B", "--phone", "12", "--database", url
    )
    assert bad_phone.returncode == 3 and "phone:" in bad_phone.stderr
    assert montu("book", "--type", "Long", "--database", url).returncode == 2  # usage
    assert json.loads(montu("patients", "find", "Zzyzx", "--json", "--database", url).stdout) == []


def test_an_unreachable_server_exits_4() -> None:
    done = montu("types", "list", "--database", "postgresql://postgres@127.0.0.1:1/nothing")
    assert done.returncode == 4
    assert "database unavailable" in done.stderr


def test_the_default_database_is_created_in_the_user_data_folder(tmp_path: Path) -> None:
    done = montu("db", "upgrade")
    assert done.returncode == 0, done.stderr
    data_home = Path(os.environ["XDG_DATA_HOME"])
    assert (data_home / "MontuDesktop" / "montu.sqlite3").exists()
    assert "schema current" in montu("db", "status").stdout


@pytest.mark.slow
def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`montu-desktop availability ... | head -3`: the reader closes the pipe midway."""
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    assert montu("demo-data", "--doctors", "8", "--weeks", "2", "--database", url).returncode == 0
    monday = clock.next_monday()
    done = subprocess.Popen(
        [sys.executable, "-m", "montu_desktop", "availability", "--type", "Standard",
         "--week", monday.isoformat(), "--json", "--database", url],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
    )  # fmt: skip
    assert done.stdout is not None and done.stderr is not None
    done.stdout.close()  # before the command writes: its first write meets a closed pipe
    assert done.wait(timeout=60) == 0
    assert "Traceback" not in done.stderr.read()
