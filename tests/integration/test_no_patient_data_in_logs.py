"""After forced failures (a refused insert, a refused recipient) the log holds no patient details."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from montu_desktop.cli import main as cli
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.logging_setup import current_log_file, stop_logging
from montu_desktop.persistence.engine import Database
from montu_desktop.services.availability import week_availability
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.services.reference import clinic_today
from tests.support.notif_servers import free_port

GIVEN, FAMILY, DOB = "Meiying", "Ahmedova", "1966-03-04"
PHONE, EMAIL = "0412 345 678", "mei.ahmed66@example.com"
TRACES = (GIVEN, FAMILY, DOB, PHONE, "412345678", "412 345 678", EMAIL, "mei.ahmed66")


class _RefusingRecipients:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)
        return f"550 <{address}> mailbox unavailable"


@pytest.fixture
def refusing_smtp() -> Iterator[int]:
    port = free_port()
    controller = Controller(_RefusingRecipients(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def test_the_log_holds_no_patient_details_after_failures(
    sqlite_db: Database, refusing_smtp: int, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = ServiceContext(sqlite_db)
    create_demo_clinic(ctx, doctors=2, weeks=2, patients=1, fill=0.0)
    url = f"sqlite:///{sqlite_db.sqlite_path}"
    settings = {
        "smtp.host": "127.0.0.1",
        "smtp.port": str(refusing_smtp),
        "smtp.security": "none",
        "smtp.sender": "Clinic <desk@clinic.example>",
        "quiet_hours": "none",
        "notifications.max_attempts": "1",
    }
    for key, value in settings.items():
        assert cli(["config", "set", key, value, "--database", url]) == 0
    patient = [
        "patients", "add", "--given", GIVEN, "--family", FAMILY, "--dob", DOB,
        "--phone", PHONE, "--email", EMAIL, "--no-sms", "--json", "--database", url,
    ]  # fmt: skip
    capsys.readouterr()
    assert cli(patient) == 0
    patient_id = json.loads(capsys.readouterr().out)["id"]
    today = clinic_today(ctx)
    next_week = week_availability(ctx, "Standard", today + timedelta(days=7 - today.weekday()))
    # The first free time next week (its Monday may be a public holiday).
    free = next(s for d in next_week.days for s in d.slots if s.available)
    week = to_local(free.starts_at, next_week.timezone).strftime("%Y-%m-%dT%H:%M")
    assert cli(["book", "--type", "Standard", "--start", week, "--patient", str(patient_id),
                "--database", url]) == 0  # fmt: skip

    # Failure 1: the mail server refuses the patient's address ("550 <address> ...").
    assert cli(["worker", "--once", "--database", url]) == 0
    capsys.readouterr()
    assert cli(["notifications", "list", "--status", "dead", "--json", "--database", url]) == 0
    dead = json.loads(capsys.readouterr().out)
    assert dead and all("<address>" in n["last_error"] for n in dead)
    assert all(EMAIL not in n["last_error"] for n in dead)

    # Failure 2: an insert the database refuses, with the patient's details as parameters.
    raw = sqlite3.connect(sqlite_db.sqlite_path)  # type: ignore[arg-type]
    raw.execute(
        "CREATE TRIGGER forced BEFORE INSERT ON patient BEGIN SELECT RAISE(ABORT, 'forced'); END"
    )
    raw.commit()
    raw.close()
    assert cli([*patient, "--allow-duplicate"]) == 4  # past the duplicate check, into the insert
    assert "database error" in capsys.readouterr().err

    log_file = current_log_file()
    assert log_file is not None
    stop_logging()
    logged = "".join(p.read_text() for p in log_file.parent.glob("montu-desktop.log*"))
    assert "forced" in logged and "SQL parameters hidden" in logged  # the failure is there
    assert "dead" in logged or "notification" in logged
    for trace in TRACES:
        assert trace not in logged, f"the log holds {trace!r}"
