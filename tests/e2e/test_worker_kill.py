"""A `montu-desktop worker` killed mid-send and started again loses nothing and sends nothing twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import keyring
import pytest

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.persistence import migrate
from montu_desktop.persistence.engine import Database, sqlite_url
from montu_desktop.services import notifications as notif
from montu_desktop.services.availability import week_availability
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from tests.support.file_keyring import FileKeyring
from tests.support.notif_fixtures import NotifClinic, sms_server, smtp_server, wire_settings  # noqa: F401
from tests.support.notif_servers import SmsServer, SmtpServer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A keyring the child processes read too (the in-memory one is per process)."""
    monkeypatch.setenv("MONTU_TEST_KEYRING_FILE", str(tmp_path / "keyring.json"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.file_keyring.FileKeyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield
    keyring.set_keyring(previous)


def worker(url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "montu_desktop", "worker", "--database", url, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def book_many(clinic: NotifClinic, count: int) -> list[int]:
    """`count` appointments next week for `count` SMS-only patients, at distinct times."""
    ctx = clinic.ctx
    week = week_availability(
        ctx, "Standard", to_local(ctx.clock(), "Australia/Melbourne").date() + timedelta(days=7)
    )
    starts = [s.starts_at for d in week.days for s in d.slots if s.free_doctors][:count]
    ids = []
    for n, start in enumerate(starts):
        patient = clinic.patient(f"P{n}", f"0412 000 {100 + n}", None)
        ids.append(
            clinic.book(
                patient, to_local(start, "Australia/Melbourne").replace(tzinfo=None), "Standard"
            ).id
        )
    return ids


def test_killed_worker_restarts_without_losing_or_repeating_a_message(
    tmp_path: Path,
    shared_keyring: None,
    smtp_server: SmtpServer,  # noqa: F811
    sms_server: SmsServer,  # noqa: F811
) -> None:
    url = sqlite_url(tmp_path / "clinic.sqlite3").render_as_string()
    db = Database(url)
    migrate.upgrade(db)
    ctx = ServiceContext(db, rng=random.Random(3), actor="test")
    create_demo_clinic(ctx, doctors=2, weeks=3, patients=3, fill=0.0)
    wire_settings(
        ctx, smtp_server, sms_server, **{"sms.timeout_seconds": "1", "smtp.timeout_seconds": "1"}
    )
    clinic = NotifClinic(ctx, smtp_server, sms_server)
    booked = book_many(clinic, 8)
    assert len(booked) == 8
    sms_server.behaviour.delay = 0.3  # accepted at once, answered 0.3 s later

    first = worker(url)
    deadline = time.monotonic() + 30
    while len(sms_server.delivered) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)  # while the third SMS waits for its answer
    first.wait(10)
    assert 3 <= len(sms_server.delivered) < 8
    in_doubt = [n for n in notif.list_notifications(ctx) if n.status == "sending"]
    assert len(in_doubt) == 1

    sms_server.behaviour.delay = 0
    time.sleep(4.2)  # the dead worker's claim lease (2 × the 1 s timeouts + 2 s) runs out
    second = worker(url, "--once")
    output, _ = second.communicate(timeout=60)
    assert second.returncode == 0, output

    bodies = sms_server.bodies()
    assert len(bodies) == 8 and len(set(bodies)) == 8, "every confirmation exactly once"
    confirmations = [n for n in notif.list_notifications(ctx) if n.kind == "confirmation"]
    assert {n.status for n in confirmations} == {"sent"} and len(confirmations) == 8
    db.dispose()


def cli(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "montu_desktop", *args]
        + ([] if args[0] == "secrets" else ["--database", url]),
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_done_when_booking_confirms_and_a_dead_sms_is_retried_once(
    tmp_path: Path,
    shared_keyring: None,
    smtp_server: SmtpServer,  # noqa: F811
    sms_server: SmsServer,  # noqa: F811
) -> None:
    import json

    url = sqlite_url(tmp_path / "clinic.sqlite3").render_as_string()
    db = Database(url)
    migrate.upgrade(db)
    ctx = ServiceContext(db, rng=random.Random(3), actor="test")
    create_demo_clinic(ctx, doctors=2, weeks=3, patients=3, fill=0.0)
    wire_settings(
        ctx,
        smtp_server,
        sms_server,
        **{"sms.base_url": "http://127.0.0.1:9", "notifications.max_attempts": "2"},
    )
    clinic = NotifClinic(ctx, smtp_server, sms_server)
    week = week_availability(
        ctx, "Standard", to_local(ctx.clock(), "Australia/Melbourne").date() + timedelta(days=7)
    )
    first, second = [s.starts_at for d in week.days for s in d.slots if s.free_doctors][:2]
    patient = clinic.patient()
    other = clinic.patient("Leo", "0412 000 222", None)

    refused = cli(url, "config", "set", "smtp.security", "tls")
    assert refused.returncode == 3 and refused.stderr.count("\n") == 1
    assert "smtp.security" in refused.stderr
    assert cli(url, "config", "set", "sms.base_url", sms_server.base_url).returncode == 0
    stored = cli(url, "secrets", "set", "sms.token", stdin=sms_server.token + "\n")
    assert stored.returncode == 0 and sms_server.token not in stored.stdout + stored.stderr

    booked = cli(
        url, "book", "--type", "Standard", "--start", first.isoformat(), "--patient", str(patient)
    )
    assert booked.returncode == 0, booked.stderr
    assert cli(url, "worker", "--once").returncode == 0
    assert len(smtp_server.messages) == 1 and len(sms_server.delivered) == 1

    sms_server.behaviour.mode = "error"
    clinic.book(other, to_local(second, "Australia/Melbourne").replace(tzinfo=None), "Standard")
    for _ in range(2):  # max_attempts 2, backoff 0.05 s
        assert cli(url, "worker", "--once").returncode == 0
        time.sleep(0.3)
    listed = cli(url, "notifications", "list", "--status", "dead", "--json")
    [dead] = json.loads(listed.stdout)
    assert (dead["channel"], dead["kind"], dead["attempts"]) == ("sms", "confirmation", 2)
    assert "500" in dead["last_error"]

    sms_server.behaviour.mode = "ok"
    assert cli(url, "notifications", "retry", str(dead["id"])).returncode == 0
    assert cli(url, "worker", "--once").returncode == 0
    assert len(sms_server.delivered) == 2 and sms_server.delivered[1].to == "+61412000222"
    db.dispose()
