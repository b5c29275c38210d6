"""`montu-desktop worker --once` with email not set up: the messages wait (never "dead"), the
CLI lists them as the app does, and once `config set` sets email up the next run sends them."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from montu_desktop.cli import main as cli
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.persistence.engine import Database
from montu_desktop.services.availability import week_availability
from montu_desktop.services.clinic_settings import set_setting
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from tests.support.notif_fixtures import NotifClinic, smtp_server  # noqa: F401
from tests.support.notif_servers import SmtpServer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
ZONE = "Australia/Melbourne"


def montu(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "montu_desktop", *args, "--database", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    return done


def in_process(url: str, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """A quick command run in this process (the worker runs as its own process)."""
    capsys.readouterr()
    assert cli([*args, "--database", url]) == 0
    return capsys.readouterr().out


def test_worker_once_leaves_messages_waiting_and_sends_them_once_email_is_set_up(
    any_db: Database,
    smtp_server: SmtpServer,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    ctx = ServiceContext(any_db, rng=random.Random(8), actor="test")
    create_demo_clinic(ctx, doctors=2, weeks=2, patients=3, fill=0.0)
    set_setting(ctx, "notifications.max_attempts", "2")
    set_setting(ctx, "reminders.offsets", "none")
    clinic = NotifClinic(ctx, smtp_server, None)  # type: ignore[arg-type]
    week = week_availability(ctx, "Standard", to_local(ctx.clock(), ZONE).date() + timedelta(7))
    starts = [s.starts_at for d in week.days for s in d.slots if s.free_doctors][:6]
    for n, start in enumerate(starts):  # email-only patients: one confirmation each
        patient = clinic.patient(f"E{n}", None, f"e{n}@example.com")
        clinic.book(patient, to_local(start, ZONE).replace(tzinfo=None), "Standard")
    url = any_db.url.render_as_string(hide_password=False)

    # More runs than notifications.max_attempts: before, these messages were dead by now.
    outputs = [montu(url, "worker", "--once").stdout for _ in range(3)]
    assert outputs[0].splitlines()[-1] == "planned 6, waiting 6"
    assert [o.splitlines()[-1] for o in outputs[1:]] == ["nothing to do"] * 2
    assert not any("dead" in o or "failed" in o for o in outputs)
    listed = json.loads(in_process(url, capsys, "notifications", "list", "--json"))
    assert {(m["status"], m["state"], m["attempts"]) for m in listed} == {
        ("waiting", "not sent: email not set up", 0)
    }
    text = in_process(url, capsys, "notifications", "list")
    assert text.count("(not sent: email not set up)") == 6 and "failed" not in text

    for key, value in (
        ("smtp.host", "127.0.0.1"),
        ("smtp.port", str(smtp_server.port)),
        ("smtp.security", "none"),
        ("smtp.sender", "Montu Demo Clinic <desk@clinic.example>"),
    ):
        in_process(url, capsys, "config", "set", key, value)
    assert montu(url, "worker", "--once").stdout.splitlines()[-1] == "sent 6"
    assert sorted(m["To"] for m in smtp_server.messages) == [f"e{n}@example.com" for n in range(6)]
    listed = json.loads(in_process(url, capsys, "notifications", "list", "--json"))
    assert {(m["status"], m["attempts"]) for m in listed} == {("sent", 1)}
