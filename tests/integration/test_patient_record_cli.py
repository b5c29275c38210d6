"""The issue-11 headless commands run in-process with a set clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.support.cli_runner import Run, in_process_cli
from tests.support.clinic import at, tiny_clinic

TUESDAY = date(2026, 11, 24)


@pytest.fixture
def cli(ctx, clock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:  # type: ignore[no-untyped-def]
    return in_process_cli(ctx, clock, monkeypatch, capsys)


def ok(run: Run, *args: str):  # type: ignore[no-untyped-def]
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def refused(run: Run, *args: str, field: str) -> str:
    code, out, err = run(*args)
    assert code == 3, (out, err)
    assert err.count("\n") == 1 and err.startswith(f"refused: {field}:"), err
    return err


def test_show_edit_and_the_duplicate_check(ctx, cli: Run) -> None:
    tiny_clinic(ctx)
    ava = ok(cli, "patients", "add", "--given", "Ava", "--family", "Singh", "--dob", "1990-03-04",
             "--phone", "0412 000 111")["id"]  # fmt: skip
    err = refused(cli, "patients", "add", "--given", "Ava", "--family", "SÍNGH", "--dob",
                  "1990-03-04", field="patient")  # fmt: skip
    assert str(ava) in err
    twin = ok(cli, "patients", "add", "--given", "Ava", "--family", "Singh", "--dob", "1990-03-04",
              "--allow-duplicate")["id"]  # fmt: skip
    assert twin != ava

    shown = ok(cli, "patients", "show", str(ava))
    assert set(shown) == {
        "id", "given", "family", "dob", "phone", "email", "sms_reminders", "email_reminders",
        "reminders_opt_out", "merged_into", "appointments",
        "address", "medicare", "irn", "dva", "emergency_name", "emergency_phone", "alerts",
        "alert_note",
    }  # fmt: skip
    assert (shown["given"], shown["dob"], shown["phone"]) == ("Ava", "1990-03-04", "+61412000111")
    assert shown["merged_into"] is None and shown["appointments"] == []

    edited = ok(cli, "patients", "edit", str(ava), "--phone", "0413 222 333", "--email",
                "ava@example.com", "--sms-reminders", "off", "--opt-out", "on")  # fmt: skip
    assert (edited["phone"], edited["email"]) == ("+61413222333", "ava@example.com")
    assert (edited["sms_reminders"], edited["email_reminders"], edited["reminders_opt_out"]) == (
        False,
        True,
        True,
    )
    before = ok(cli, "patients", "show", str(ava))
    refused(cli, "patients", "edit", str(ava), "--phone", "12", field="phone")
    refused(cli, "patients", "edit", str(ava), "--email", "ava@", field="email")
    refused(cli, "patients", "edit", str(ava), "--dob", "1990-02-30", field="dob")
    refused(cli, "patients", "edit", "999", "--given", "X", field="patient")
    refused(cli, "patients", "show", "999", field="patient")
    assert ok(cli, "patients", "show", str(ava)) == before
    assert cli("patients", "edit", str(ava))[0] == 2  # nothing to change
    assert cli("patients", "edit", str(ava), "--opt-out", "maybe")[0] == 2

    code, text, _ = cli("patients", "show", str(ava))
    assert code == 0 and "Singh, Ava" in text and "opted out" in text


def test_notes_cancel_reasons_and_status_marks(ctx, clock, cli: Run) -> None:
    tiny_clinic(ctx)
    ava = ok(cli, "patients", "add", "--given", "Ava", "--family", "Singh")["id"]
    start = at(TUESDAY, 9).isoformat()
    booked = ok(cli, "book", "--type", "Long", "--start", start, "--patient", str(ava),
                "--note", "Knee pain")  # fmt: skip
    assert booked["note"] == "Knee pain"
    refused(cli, "book", "--type", "Long", "--start", at(TUESDAY, 10).isoformat(), "--patient",
            str(ava), "--note", "x" * 501, field="note")  # fmt: skip
    assert ok(cli, "note", str(booked["id"]), "Knee pain, left")["note"] == "Knee pain, left"
    refused(cli, "note", "999", "hello", field="appointment")

    refused(cli, "mark", str(booked["id"]), "arrived", field="status")  # tomorrow
    assert ok(cli, "patients", "show", str(ava))["appointments"][0]["status"] == "booked"
    assert cli("mark", str(booked["id"]), "gone")[0] == 2
    clock.now = at(TUESDAY, 8, 30)
    arrived = ok(cli, "mark", str(booked["id"]), "arrived")
    assert arrived["status"] == "arrived" and arrived["arrived_at"].startswith("2026-11-24T08:30")
    assert ok(cli, "mark", str(booked["id"]), "booked")["arrived_at"] is None  # undo
    said = refused(cli, "mark", str(booked["id"]), "no-show", field="status")  # 08:30, not yet
    assert said == (
        "refused: status: no-show can only be marked once the visit has started "
        "(Tue 24 Nov 2026 09:00)\n"
    )
    clock.now = at(TUESDAY, 9, 1)
    assert ok(cli, "mark", str(booked["id"]), "no-show")["status"] == "no_show"
    assert ok(cli, "mark", str(booked["id"]), "booked")["status"] == "booked"

    cancelled = ok(cli, "cancel", str(booked["id"]), "--reason", "Patient unwell")
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "Patient unwell")
    (listed,) = ok(cli, "patients", "show", str(ava))["appointments"]
    assert set(listed) >= {"id", "start", "end", "doctor_id", "type", "status", "note"}
    assert (listed["status"], listed["note"], listed["type"]) == (
        "cancelled",
        "Knee pain, left",
        "Long",
    )
    assert listed["start"].startswith("2026-11-24T09:00")


def test_merge_from_the_command_line(ctx, cli: Run) -> None:
    tiny_clinic(ctx)
    keep = ok(cli, "patients", "add", "--given", "Ava", "--family", "Singh", "--email",
              "ava@example.com")["id"]  # fmt: skip
    dup = ok(cli, "patients", "add", "--given", "Ava", "--family", "Singh", "--email",
             "AVA@example.com", "--allow-duplicate")["id"]  # fmt: skip
    mine = ok(cli, "book", "--type", "Long", "--start", at(TUESDAY, 9).isoformat(),
              "--patient", str(keep))  # fmt: skip
    theirs = ok(cli, "book", "--type", "Standard", "--start", at(TUESDAY, 9, 15).isoformat(),
                "--patient", str(dup))  # fmt: skip

    refused(cli, "patients", "merge", str(keep), str(keep), field="patient")
    refused(cli, "patients", "merge", str(keep), "999", field="patient")
    err = refused(cli, "patients", "merge", str(keep), str(dup), field="patient")
    assert f"{mine['id']} and {theirs['id']}" in err
    assert ok(cli, "patients", "show", str(dup))["merged_into"] is None

    assert cli("cancel", str(theirs["id"]))[0] == 0
    merged = ok(cli, "patients", "merge", str(keep), str(dup))
    assert merged == {
        "keep_id": keep,
        "duplicate_id": dup,
        "appointments": [theirs["id"]],
        "notifications": 0,
    }
    assert ok(cli, "patients", "show", str(dup))["merged_into"] == keep
    code, text, _ = cli("patients", "show", str(dup))
    assert code == 0 and f"patient {dup} was merged into patient {keep}" in text
    assert [p["id"] for p in ok(cli, "patients", "find", "singh")] == [keep]
    refused(cli, "patients", "merge", str(keep), str(dup), field="patient")  # already retired


def test_no_show_two_days_ahead_is_refused_with_the_reason(ctx, clock, cli: Run) -> None:
    tiny_clinic(ctx)
    ava = ok(cli, "patients", "add", "--given", "Ava", "--family", "Singh")["id"]
    booked = ok(cli, "book", "--type", "Long", "--start", at(TUESDAY, 9).isoformat(),
                "--patient", str(ava))  # fmt: skip
    clock.now = at(date(2026, 11, 22), 9)  # Sunday: two days ahead
    said = refused(cli, "mark", str(booked["id"]), "no-show", field="status")
    assert "no-show can only be marked once the visit has started (Tue 24 Nov 2026 09:00)" in said
    refused(cli, "mark", str(booked["id"]), "completed", field="status")
    assert ok(cli, "patients", "show", str(ava))["appointments"][0]["status"] == "booked"
