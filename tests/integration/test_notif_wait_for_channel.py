"""A message whose channel is not set up waits for it (no try used), never dies, and goes on
the first pass after the channel is set up, unless its appointment has begun or was cancelled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from montu_desktop.cli import main as cli
from montu_desktop.notifications.records import NotificationRow
from montu_desktop.persistence.engine import Database
from montu_desktop.services import notifications as notif
from montu_desktop.services.booking import cancel_appointment
from montu_desktop.services.clinic_settings import set_setting
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from tests.support.clock import FixedClock
from tests.support.notif_fixtures import NotifClinic, sms_server, smtp_server, wire_settings  # noqa: F401
from tests.support.notif_servers import SmsServer, SmtpServer


def rows(ctx: ServiceContext, appointment_id: int) -> dict[tuple[str, str], Any]:
    """(kind, channel) → the appointment's message (one reminder offset is in play here)."""
    n = NotificationRow
    with ctx.database.session() as session:
        found = session.execute(
            select(
                n.kind, n.channel, n.status, n.attempts, n.last_error, n.sent_at, n.idempotency_key
            ).where(n.appointment_id == appointment_id)
        ).all()
    return {(r.kind, r.channel): r for r in found}


def test_messages_wait_for_their_channel_and_go_once_it_is_set_up(
    ctx: ServiceContext,
    clock: FixedClock,
    smtp_server: SmtpServer,  # noqa: F811
    sms_server: SmsServer,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The clock: Monday 23 November 2026, 07:00 in Melbourne. Nothing is set up to send.
    create_demo_clinic(ctx, doctors=2, weeks=2, patients=3, fill=0.0)
    set_setting(ctx, "quiet_hours", "none")
    set_setting(ctx, "reminders.offsets", "2h")
    set_setting(ctx, "notifications.max_attempts", "2")
    clinic = NotifClinic(ctx, smtp_server, sms_server)
    later = clinic.book(clinic.patient("Ada"), datetime(2026, 11, 24, 9, 0))  # Tuesday
    soon = clinic.book(clinic.patient("Bo"), datetime(2026, 11, 23, 10, 0))  # in 3 hours
    called_off = clinic.book(clinic.patient("Cy"), datetime(2026, 11, 24, 11, 0))

    first = notif.dispatch_now(ctx)
    assert first["waiting"] == 6  # three confirmations, by email and by SMS
    assert first["failed"] == first["dead"] == first["sent"] == 0
    for _ in range(5):  # far more passes than max_attempts: nothing dies, no try is used
        clock.advance(minutes=1)
        again = notif.dispatch_now(ctx)
        assert again["failed"] == again["dead"] == again["sent"] == 0
    waiting = notif.list_notifications(ctx, "waiting")
    assert len(waiting) == 6 and {n.attempts for n in waiting} == {0}
    states = {n.state for n in waiting}
    assert states == {"not sent: email not set up", "not sent: SMS not set up"}
    assert notif.status_counts(ctx)[notif.NOT_SET_UP_COUNT] == 6

    # The CLI says what the app says, not "failed".
    url = ctx.database.url.render_as_string(hide_password=False)
    capsys.readouterr()
    assert cli(["notifications", "list", "--database", url]) == 0
    listed = capsys.readouterr().out
    assert "failed" not in listed and "dead" not in listed
    assert listed.count("(not sent: email not set up)") == 3
    assert listed.count("(not sent: SMS not set up)") == 3

    cancel_appointment(ctx, called_off.id)
    # 08:30: Cy's cancellation notice and Bo's 2-hour reminder (due 08:00) wait too.
    clock.advance(minutes=85)
    assert notif.dispatch_now(ctx)["waiting"] == 4
    # 10:05: Bo's visit has begun; then the clinic sets email and SMS up.
    clock.advance(minutes=95)
    wire_settings(ctx, smtp_server, sms_server)
    sent = notif.dispatch_now(ctx)

    assert sent["sent"] == 4 and sent["failed"] == sent["dead"] == 0
    expected = {
        rows(ctx, later.id)[("confirmation", "email")].idempotency_key,
        rows(ctx, called_off.id)[("cancellation", "email")].idempotency_key,
    }
    assert sorted(m["X-Montu-Key"] for m in smtp_server.messages) == sorted(expected)
    assert len(sms_server.delivered) == 2
    ada = rows(ctx, later.id)
    assert {r.status for r in ada.values() if r.kind == "confirmation"} == {"sent"}
    assert {r.attempts for r in ada.values() if r.kind == "confirmation"} == {1}
    bo = rows(ctx, soon.id)
    assert set(bo) == {(k, c) for k in ("confirmation", "reminder") for c in ("email", "sms")}
    for row in bo.values():  # the visit had begun: never sent, and the log says why
        assert (row.status, row.last_error, row.sent_at) == (
            "skipped",
            "the appointment had begun",
            None,
        )
    cy = rows(ctx, called_off.id)
    assert {r.status for k, r in cy.items() if k[0] == "confirmation"} == {"withdrawn"}
    assert {r.status for k, r in cy.items() if k[0] == "cancellation"} == {"sent"}
    assert notif.list_notifications(ctx, "waiting") == []
    # Nothing goes twice on later passes.
    clock.advance(minutes=1)
    assert notif.dispatch_now(ctx)["sent"] == 0
    assert len(smtp_server.messages) == 2 and len(sms_server.delivered) == 2


def test_only_the_channel_not_set_up_waits(
    ctx: ServiceContext,
    clock: FixedClock,
    smtp_server: SmtpServer,  # noqa: F811
    sms_server: SmsServer,  # noqa: F811
) -> None:
    create_demo_clinic(ctx, doctors=2, weeks=2, patients=3, fill=0.0)
    wire_settings(ctx, smtp_server, sms_server)
    set_setting(ctx, "sms.provider", "none")
    clinic = NotifClinic(ctx, smtp_server, sms_server)
    booked = clinic.book(clinic.patient("Di"), datetime(2026, 11, 25, 9, 0))
    outcome = notif.dispatch_now(ctx)
    assert (outcome["sent"], outcome["waiting"]) == (1, 1)
    found = rows(ctx, booked.id)
    assert found[("confirmation", "email")].status == "sent"
    assert (found[("confirmation", "sms")].status, found[("confirmation", "sms")].attempts) == (
        "waiting",
        0,
    )
    set_setting(ctx, "sms.provider", "twilio")
    clock.advance(minutes=1)
    assert notif.dispatch_now(ctx)["sent"] == 1
    assert rows(ctx, booked.id)[("confirmation", "sms")].status == "sent"
    assert len(sms_server.delivered) == 1 and len(smtp_server.messages) == 1


def test_revision_0014_turns_messages_dead_for_want_of_a_channel_into_waiting_ones(
    ctx: ServiceContext,
    clock: FixedClock,
    smtp_server: SmtpServer,  # noqa: F811
    sms_server: SmsServer,  # noqa: F811
) -> None:
    """As before 0014: messages tried with no channel set up and dead after max tries. After
    the upgrade they wait, with no tries used, and go once the channel is set up."""
    from alembic import command

    from montu_desktop.persistence import migrate

    def alembic(target: str, *, up: bool) -> None:
        config = migrate._config()
        with ctx.database.engine.begin() as conn:
            config.attributes["connection"] = conn
            (command.upgrade if up else command.downgrade)(config, target)

    create_demo_clinic(ctx, doctors=2, weeks=2, patients=3, fill=0.0)
    set_setting(ctx, "quiet_hours", "none")
    set_setting(ctx, "reminders.offsets", "none")
    clinic = NotifClinic(ctx, smtp_server, sms_server)
    booked = clinic.book(clinic.patient("Ed"), datetime(2026, 11, 24, 9, 0))
    notif.dispatch_now(ctx)
    alembic("0011", up=False)
    with ctx.database.engine.begin() as conn:  # what the old dispatcher left: dead, 5 tries
        conn.execute(text("UPDATE notification SET attempts = 5"))
        conn.execute(
            text(
                "INSERT INTO notification (idempotency_key, appointment_id, patient_id, channel,"
                " kind, status, due_at, appointment_start, attempts, last_error, created_at,"
                " updated_at) SELECT 'other', appointment_id, patient_id, channel, kind, 'dead',"
                " due_at, appointment_start, 5, 'SMTP said no', created_at, updated_at"
                " FROM notification WHERE channel = 'email'"
            )
        )
    assert {(r.status, r.attempts) for r in rows(ctx, booked.id).values()} == {("dead", 5)}
    alembic("head", up=True)
    found = {r.idempotency_key: r for r in rows_by_key(ctx)}
    assert (found["other"].status, found["other"].attempts) == ("dead", 5)  # a real failure
    confirmations = [r for k, r in found.items() if k != "other"]
    assert len(confirmations) == 2
    assert {(r.status, r.attempts) for r in confirmations} == {("waiting", 0)}
    wire_settings(ctx, smtp_server, sms_server)
    assert notif.dispatch_now(ctx)["sent"] == 2


def rows_by_key(ctx: ServiceContext) -> list[Any]:
    n = NotificationRow
    with ctx.database.session() as session:
        return list(session.execute(select(n.idempotency_key, n.status, n.attempts)).all())


@pytest.mark.postgres
def test_two_pcs_hold_and_release_each_message_once(
    pg_db: Database,
    clock: FixedClock,
    smtp_server: SmtpServer,  # noqa: F811
    sms_server: SmsServer,  # noqa: F811
) -> None:
    import random
    import threading
    from collections import Counter

    from montu_desktop.notifications.dispatcher import Dispatcher

    ctx = ServiceContext(pg_db, clock=clock, rng=random.Random(5), actor="test")
    create_demo_clinic(ctx, doctors=2, weeks=2, patients=3, fill=0.0)
    set_setting(ctx, "quiet_hours", "none")
    set_setting(ctx, "reminders.offsets", "none")
    clinic = NotifClinic(ctx, smtp_server, sms_server)
    for n in range(12):
        patient = clinic.patient(f"P{n}", f"0412 000 {100 + n}", f"p{n}@example.com")
        clinic.book(patient, datetime(2026, 11, 24, 8 + n // 4, 15 * (n % 4)), "Standard")
    assert Dispatcher(pg_db, clock=clock, worker_id="planner").plan_outbox() == 12

    def both_pcs() -> list[Counter[str]]:
        results: list[Counter[str]] = []
        start = threading.Barrier(2)

        def pc(name: str) -> None:
            database = Database(pg_db.url)
            try:
                start.wait()
                results.append(Dispatcher(database, clock=clock, worker_id=name).run_once())
            finally:
                database.dispose()

        threads = [threading.Thread(target=pc, args=(name,)) for name in ("pc-1", "pc-2")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(results) == 2, "a PC's pass failed"
        return results

    held = both_pcs()
    assert sum(r["waiting"] for r in held) == 24 and sum(r["sent"] for r in held) == 0
    wire_settings(ctx, smtp_server, sms_server)
    clock.advance(minutes=1)
    sent = both_pcs()
    assert sum(r["sent"] for r in sent) == 24
    keys = Counter(m["X-Montu-Key"] for m in smtp_server.messages)
    assert len(keys) == 12 and set(keys.values()) == {1}
    bodies = Counter(sms_server.bodies())
    assert len(bodies) == 12 and set(bodies.values()) == {1}
