"""Two dispatchers (two PCs) on one PostgreSQL database send every message exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime

import pytest

from montu_desktop.notifications.dispatcher import Dispatcher
from montu_desktop.persistence.engine import Database
from montu_desktop.services import notifications as notif
from montu_desktop.services.context import ServiceContext
from tests.support.clock import FixedClock
from tests.support.notif_fixtures import NotifClinic, sms_server, smtp_server, wire_settings  # noqa: F401
from tests.support.notif_servers import SmsServer, SmtpServer


@pytest.mark.postgres
def test_two_pcs_share_the_work_and_nothing_goes_twice(
    pg_db: Database,
    clock: FixedClock,
    smtp_server: SmtpServer,  # noqa: F811
    sms_server: SmsServer,  # noqa: F811
) -> None:
    import random

    from montu_desktop.services.demo_data import create_demo_clinic

    ctx = ServiceContext(pg_db, clock=clock, rng=random.Random(5), actor="test")
    create_demo_clinic(ctx, doctors=2, weeks=2, patients=3, fill=0.0)
    # A generous SMS wait: this test is about sharing, and a 0.5 s time-out on a loaded CI
    # machine once failed one send (to be retried later), so 23 were sent, not 24.
    wire_settings(ctx, smtp_server, sms_server, **{"sms.timeout_seconds": "10"})
    clinic = NotifClinic(ctx, smtp_server, sms_server)
    for n in range(12):
        patient = clinic.patient(f"P{n}", f"0412 000 {100 + n}", f"p{n}@example.com")
        clinic.book(patient, datetime(2026, 11, 24, 8 + n // 4, 15 * (n % 4)), "Standard")
    sms_server.behaviour.delay = 0.03  # long enough for the two PCs to overlap
    # Plan first, so both PCs race for the same 24 due messages (not for the planning).
    assert Dispatcher(pg_db, clock=clock, worker_id="planner").plan_outbox() == 12

    results: dict[str, Counter[str]] = {}
    start = threading.Barrier(2)

    def pc(name: str) -> None:
        database = Database(pg_db.url)
        try:
            start.wait()
            results[name] = Dispatcher(database, clock=clock, worker_id=name).run_once()
        finally:
            database.dispose()

    threads = [threading.Thread(target=pc, args=(name,)) for name in ("desk-1", "desk-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    keys = Counter(m["X-Montu-Key"] for m in smtp_server.messages)
    assert len(keys) == 12 and set(keys.values()) == {1}
    bodies = Counter(sms_server.bodies())
    assert len(bodies) == 12 and set(bodies.values()) == {1}
    assert results["desk-1"]["sent"] + results["desk-2"]["sent"] == 24
    assert results["desk-1"]["sent"] > 0 and results["desk-2"]["sent"] > 0
    assert results["desk-1"]["planned"] + results["desk-2"]["planned"] == 0
    confirmations = [n for n in notif.list_notifications(ctx) if n.kind == "confirmation"]
    assert len(confirmations) == 24 and {n.status for n in confirmations} == {"sent"}
