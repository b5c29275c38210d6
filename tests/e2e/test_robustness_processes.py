"""Real processes stopped by kill -9: demo data leaves nothing half-made, and an email resent
after its worker died carries the first copy's Message-ID."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.persistence import migrate
from montu_desktop.persistence.engine import Database, sqlite_url
from montu_desktop.services import notifications as notif
from montu_desktop.services.availability import week_availability
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from tests.support.notif_fixtures import NotifClinic, sms_server, smtp_server, wire_settings  # noqa: F401
from tests.support.notif_servers import SmsServer, SmtpServer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def montu(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "montu_desktop", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("clinic", "doctor", "patient", "doctor_schedule", "appointment")
        }


def test_demo_data_killed_midway_leaves_nothing_and_can_run_again(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite3"
    url = sqlite_url(path).render_as_string()
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    wal = path.with_name(path.name + "-wal")
    size_before = wal.stat().st_size if wal.exists() else 0

    started = montu("demo-data", "--doctors", "60", "--weeks", "26", "--database", url)
    deadline = time.monotonic() + 60
    # Its one transaction is writing once the WAL grows well past the migration's pages.
    while time.monotonic() < deadline and started.poll() is None:
        if wal.exists() and wal.stat().st_size > size_before + 2_000_000:
            break
        time.sleep(0.01)
    assert started.poll() is None, "demo-data finished before it could be stopped midway"
    started.send_signal(signal.SIGKILL)
    started.wait(10)

    assert _counts(path) == dict.fromkeys(_counts(path), 0)
    again = montu("demo-data", "--doctors", "2", "--weeks", "1", "--database", url)
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output
    assert _counts(path)["doctor"] == 2


def test_an_email_resent_after_its_worker_died_has_the_first_copys_message_id(
    tmp_path: Path,
    smtp_server: SmtpServer,  # noqa: F811
    sms_server: SmsServer,  # noqa: F811
) -> None:
    url = sqlite_url(tmp_path / "clinic.sqlite3").render_as_string()
    db = Database(url)
    migrate.upgrade(db)
    ctx = ServiceContext(db, rng=random.Random(5), actor="test")
    create_demo_clinic(ctx, doctors=2, weeks=3, patients=3, fill=0.0)
    wire_settings(ctx, smtp_server, sms_server, **{"smtp.timeout_seconds": "1"})
    clinic = NotifClinic(ctx, smtp_server, sms_server)
    zone = "Australia/Melbourne"
    week = week_availability(ctx, "Standard", to_local(ctx.clock(), zone).date() + timedelta(7))
    starts = [s.starts_at for d in week.days for s in d.slots if s.free_doctors][:5]
    for n, start in enumerate(starts):  # email-only patients: one confirmation each
        patient = clinic.patient(f"E{n}", None, f"e{n}@example.com")
        clinic.book(patient, to_local(start, zone).replace(tzinfo=None), "Standard")
    smtp_server.answer_after(0.8)  # kept at once, answered 0.8 s later (the timeout is 1 s)

    first = montu("worker", "--database", url)
    deadline = time.monotonic() + 30
    while len(smtp_server.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)  # while the second email waits for its "250"
    first.wait(10)
    assert [n.status for n in notif.list_notifications(ctx)].count("sending") == 1

    smtp_server.answer_after(0)
    time.sleep(4.2)  # the dead worker's claim lease (2 × the 1 s timeout + 2 s) runs out
    second = montu("worker", "--once", "--database", url)
    output, _ = second.communicate(timeout=60)
    assert second.returncode == 0, output

    copies: dict[str, list[str]] = defaultdict(list)
    for message in smtp_server.messages:
        copies[message["X-Montu-Key"]].append(message["Message-ID"])
    assert len(copies) == 5, "every confirmation arrived"
    assert max(len(ids) for ids in copies.values()) == 2, "the interrupted one was sent again"
    for ids in copies.values():
        assert len(set(ids)) == 1, f"copies of one message with different Message-IDs: {ids}"
    assert len({ids[0] for ids in copies.values()}) == 5
    statuses = {n.status for n in notif.list_notifications(ctx) if n.kind == "confirmation"}
    assert statuses == {"sent"}
    db.dispose()
