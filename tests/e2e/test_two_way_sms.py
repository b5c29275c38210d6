"""Two-way SMS and delivery receipts through a real `montu-desktop serve` process.

The provider's webhooks are posted as Twilio posts them (form fields, X-Twilio-Signature over
`online.public_url` + the path, keyed with the keyring's `sms.token`); the server reads the
token from a keyring shared with this process. Messages the replies cause go out through the
real dispatcher to a local Twilio-shaped server.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import keyring
import pytest
from sqlalchemy import func, select

from montu_desktop.cli import main
from montu_desktop.config import secrets
from montu_desktop.domain import sms_replies as rules
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.notifications.records import NotificationRow
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.sms_tables import SmsReply
from montu_desktop.services import booking, clinic_settings, patients
from montu_desktop.services import notifications as notif
from montu_desktop.services.booking import BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.e2e.test_api import Server
from tests.support.clinic import at, tiny_clinic
from tests.support.file_keyring import FileKeyring
from tests.support.notif_servers import SmsServer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://book.clinic.example"
CLINIC_NUMBER = "+61400000000"
TOKEN = "secret-token"


@pytest.fixture
def shared_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A keyring the server process reads too (the tests' in-memory one is per process)."""
    monkeypatch.setenv("MONTU_TEST_KEYRING_FILE", str(tmp_path / "keyring.json"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.file_keyring.FileKeyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def sms() -> Iterator[SmsServer]:
    server = SmsServer(token=TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def clinic(any_db, shared_keyring: None, sms: SmsServer) -> ServiceContext:  # type: ignore[no-untyped-def]
    ctx = ServiceContext(any_db, actor="test")  # the product's clock, as the server's
    tiny_clinic(ctx, doctors=3)
    clinic_settings.set_settings(
        ctx,
        {
            "online.public_url": PUBLIC,
            "sms.two_way": "on",
            "sms.provider": "twilio",
            "sms.base_url": sms.base_url,
            "sms.account": sms.account,
            "sms.sender": CLINIC_NUMBER,
            "sms.timeout_seconds": "5",
            "quiet_hours": "none",
            # The next open day is inside the notice whatever day the suite runs on (from a
            # Saturday afternoon it is Monday, 45 hours on); next week is outside it.
            "online.cancel_notice_hours": "72",
        },
    )
    secrets.set_secret("sms.token", TOKEN)
    return ctx


@pytest.fixture
def server(any_db, clinic: ServiceContext, tmp_path: Path) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    running = Server(any_db.url.render_as_string(hide_password=False), tmp_path / "serve.log")
    yield running
    if running.process.poll() is None:
        code, output = running.stop()
        assert code == 0, output


def _today(ctx: ServiceContext):  # type: ignore[no-untyped-def]
    return to_local(ctx.clock(), "Australia/Melbourne").date()


def _open_day(ctx: ServiceContext, days_ahead: int):  # type: ignore[no-untyped-def]
    """The first day at least `days_ahead` days away that the clinic opens (Mon–Sat)."""
    day = _today(ctx) + timedelta(days=days_ahead)
    while day.weekday() == 6:
        day += timedelta(days=1)
    return day


def _patient(ctx: ServiceContext, given: str, phone: str) -> int:
    details = PatientDetails(given, "Reply", None, phone, None)
    return patients.add_patient(ctx, details, allow_duplicate=True).id


def _book(ctx: ServiceContext, patient_id: int, day, hour: int, minute: int = 0) -> int:  # type: ignore[no-untyped-def]
    start = at(day, hour, minute)
    return booking.book_appointment(ctx, BookingRequest("Standard", start, patient_id)).id


def _signed(path: str, fields: dict[str, str], token: str = TOKEN, url: str = PUBLIC) -> str:
    return rules.signature(token, url + path, list(fields.items()))


def _reply(
    server: Server, sender: str, body: str, *, signature: str | None = "good", sid: str = ""
) -> httpx.Response:
    fields = {
        "MessageSid": sid or "SM" + uuid.uuid4().hex,
        "AccountSid": "AC123",
        "From": sender,
        "To": CLINIC_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    headers = {}
    if signature == "good":
        headers["X-Twilio-Signature"] = _signed("/v1/sms/inbound", fields)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return httpx.post(server.base + "/v1/sms/inbound", data=fields, headers=headers, timeout=30)


def _receipt(
    server: Server, sid: str, status: str, error: str = "", *, token: str = TOKEN
) -> httpx.Response:
    fields = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC123"}
    if error:
        fields["ErrorCode"] = error
    headers = {"X-Twilio-Signature": _signed("/v1/sms/status", fields, token)}
    return httpx.post(server.base + "/v1/sms/status", data=fields, headers=headers, timeout=30)


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line run in this process, on the same product clock and shared keyring
    (the server is the real process under test here; a process per read cost seconds)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([*args, "--database", url])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    assert code == 0, err.getvalue()
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def _appointment(ctx: ServiceContext, appointment_id: int) -> t.Appointment:
    with UnitOfWork(ctx) as uow:
        row = uow.session.get(t.Appointment, appointment_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def _opted_out(ctx: ServiceContext, patient_id: int) -> bool:
    with UnitOfWork(ctx) as uow:
        patient = uow.session.get(t.Patient, patient_id)
        assert patient is not None
        return patient.reminders_opt_out


def _count(ctx: ServiceContext, what) -> int:  # type: ignore[no-untyped-def]
    with UnitOfWork(ctx) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(what)) or 0)


def test_c_y_stop_and_a_question_with_valid_signatures(
    any_db, clinic: ServiceContext, server: Server, sms: SmsServer
) -> None:  # type: ignore[no-untyped-def]
    ctx = clinic
    url = any_db.url.render_as_string(hide_password=False)
    next_week, tomorrow = _open_day(ctx, 7), _open_day(ctx, 1)
    canceller = _patient(ctx, "Cara", "0412 000 101")
    late = _patient(ctx, "Leo", "0412 000 102")
    confirmer = _patient(ctx, "Yan", "0412 000 103")
    stopper = _patient(ctx, "Stella", "0412 000 104")
    asker = _patient(ctx, "Quinn", "0412 000 105")
    far = _book(ctx, canceller, next_week, 9)
    after_that = next_week + timedelta(days=1)
    while after_that.weekday() == 6:  # the clinic is shut on Sundays
        after_that += timedelta(days=1)
    farther = _book(ctx, canceller, after_that, 9)
    soon = _book(ctx, late, tomorrow, 9, 15)  # inside the 72 hours' cancellation notice
    assert _appointment(ctx, soon).start_at - ctx.clock() < timedelta(hours=72)
    confirmed = _book(ctx, confirmer, next_week, 10)
    _book(ctx, stopper, next_week, 11)
    notif.dispatch_now(ctx)  # the confirmations go first: only the replies' answers remain
    sent_before = len(sms.delivered)

    assert _reply(server, "+61412000101", " Cancel ").status_code == 200
    assert _reply(server, "+61412000102", "C").status_code == 200
    sid = "SM" + uuid.uuid4().hex
    answer = _reply(server, "+61412000103", "yes", sid=sid)
    assert answer.status_code == 200 and "<Response></Response>" in answer.text
    assert _reply(server, "+61412000103", "yes", sid=sid).status_code == 200  # sent again
    assert _reply(server, "+61412000104", "STOP").status_code == 200
    assert _reply(server, "+61412000105", "Can I bring my son too?").status_code == 200

    # C outside the notice: the next appointment (only that one) is cancelled.
    assert _appointment(ctx, far).status == "cancelled"
    assert _appointment(ctx, farther).status == "booked"
    # C inside the notice: still booked.
    assert _appointment(ctx, soon).status == "booked"
    # Y: confirmed, shown in the patient's record JSON; the repeated webhook did nothing more.
    shown = json.loads(_cli(url, "patients", "show", str(confirmer), "--json").stdout)
    mark = next(a for a in shown["appointments"] if a["id"] == confirmed)
    assert mark["confirmed_at"] is not None  # in clinic time, with that moment's offset
    assert (
        datetime.fromisoformat(mark["confirmed_at"]).utcoffset()
        == to_local(ctx.clock(), "Australia/Melbourne").utcoffset()
    )
    # STOP: the existing opt-out flag.
    assert _opted_out(ctx, stopper) and not _opted_out(ctx, confirmer)
    # Everything is in the Replies list; only the question needs the desk.
    listed = json.loads(_cli(url, "replies", "list", "--json").stdout)
    assert len(listed) == 5
    by_body = {r["body"]: r for r in listed}
    assert by_body[" Cancel "]["outcome"] == "cancelled"
    assert by_body["C"]["outcome"] == "too late to cancel"
    assert by_body["yes"]["outcome"] == "confirmed"
    assert by_body["STOP"]["outcome"] == "opted out"
    question = by_body["Can I bring my son too?"]
    assert question["outcome"] == "for the desk" and question["needs_the_desk"]
    assert question["patient"] == {"id": asker, "name": "Quinn Reply"}
    assert not question["read"]
    assert [r["id"] for r in json.loads(_cli(url, "replies", "list", "--unread", "--json").stdout)]

    # Both C replies are answered by SMS through the outbox.
    notif.dispatch_now(ctx)
    answers = {r.to: r.body for r in sms.delivered[sent_before:]}
    assert "is cancelled" in answers["+61412000101"]
    assert "too close to cancel by SMS" in answers["+61412000102"]
    assert set(answers) == {"+61412000101", "+61412000102"}

    _cli(url, "replies", "read", str(question["id"]))
    again = json.loads(_cli(url, "replies", "list", "--json").stdout)
    assert next(r for r in again if r["id"] == question["id"])["read"]

    # The server's log names no patient detail from the replies.
    _code, log = server.stop()
    assert "+61412" not in log and "bring my son" not in log and "Quinn" not in log


@pytest.mark.parametrize(
    "signature",
    [
        None,  # missing
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=",  # someone else's
        "wrong-token",  # signed with another token
        "wrong-url",  # signed over another address
    ],
)
def test_a_missing_or_wrong_signature_is_refused_and_changes_nothing(
    clinic: ServiceContext, server: Server, signature: str | None
) -> None:
    ctx = clinic
    who = _patient(ctx, "Cara", "0412 000 101")
    appointment = _book(ctx, who, _open_day(ctx, 7), 9)
    outbox = _count(ctx, t.OutboxEvent)
    for body in ("C", "Y", "STOP", "hello?"):
        fields = {"MessageSid": "SM" + uuid.uuid4().hex, "From": "+61412000101"}
        fields |= {"To": CLINIC_NUMBER, "Body": body}
        given = signature
        if signature == "wrong-token":
            given = _signed("/v1/sms/inbound", fields, token="not-the-token")
        elif signature == "wrong-url":
            given = _signed("/v1/sms/inbound", fields, url="https://evil.example")
        headers = {"X-Twilio-Signature": given} if given else {}
        answer = httpx.post(server.base + "/v1/sms/inbound", data=fields, headers=headers)
        assert answer.status_code == 403
        assert answer.json()["error"]["field"] in ("X-Twilio-Signature",)
    # A signed body with one field changed afterwards is refused too.
    fields = {"MessageSid": "SM1", "From": "+61412000101", "To": CLINIC_NUMBER, "Body": "Y"}
    good = _signed("/v1/sms/inbound", fields)
    fields["Body"] = "C"
    tampered = httpx.post(
        server.base + "/v1/sms/inbound", data=fields, headers={"X-Twilio-Signature": good}
    )
    assert tampered.status_code == 403
    row = _appointment(ctx, appointment)
    assert row.status == "booked" and row.confirmed_at is None
    assert not _opted_out(ctx, who)
    assert _count(ctx, SmsReply) == 0
    assert _count(ctx, t.OutboxEvent) == outbox


def test_a_reply_from_a_shared_number_goes_to_the_desk_and_cancels_nothing(
    clinic: ServiceContext, server: Server
) -> None:
    ctx = clinic
    mother = _patient(ctx, "Mum", "0412 000 106")
    child = _patient(ctx, "Kid", "0412 000 106")
    day = _open_day(ctx, 7)
    hers, theirs = _book(ctx, mother, day, 9), _book(ctx, child, day, 9, 30)
    for body in ("C", "Y", "STOP"):
        assert _reply(server, "+61412000106", body).status_code == 200
    assert _appointment(ctx, hers).status == _appointment(ctx, theirs).status == "booked"
    assert _appointment(ctx, hers).confirmed_at is None
    assert not _opted_out(ctx, mother) and not _opted_out(ctx, child)
    from montu_desktop.services import sms_replies

    listed = sms_replies.list_replies(ctx)
    assert {r.outcome for r in listed} == {"shared number"}
    assert all(r.patient_id is None and r.needs_the_desk for r in listed)
    assert sms_replies.unread_count(ctx) == 3


def test_a_delivery_receipt_flips_the_state(
    any_db, clinic: ServiceContext, server: Server, sms: SmsServer
) -> None:  # type: ignore[no-untyped-def]
    ctx = clinic
    url = any_db.url.render_as_string(hide_password=False)
    tomorrow = _open_day(ctx, 1)
    reached, unreached = _patient(ctx, "Dee", "0412 000 107"), _patient(ctx, "Una", "0412 000 108")
    first = _book(ctx, reached, tomorrow, 10)
    second = _book(ctx, unreached, tomorrow, 10, 30)
    # The reminders go two hours before (24 hours before had passed when they were booked).
    later = ServiceContext(ctx.database, clock=lambda: at(tomorrow, 8, 45), actor="test")
    notif.dispatch_now(ctx)
    notif.dispatch_now(later)
    # The channel recorded each provider's MessageSid and asked for receipts at the public URL.
    with UnitOfWork(ctx) as uow:
        sent = {
            (r.appointment_id, r.kind): r.provider_ref
            for r in uow.session.scalars(select(NotificationRow))
            if r.provider_ref
        }
    assert set(sent.values()) == {r.sid for r in sms.delivered}
    assert {r.status_callback for r in sms.delivered} == {PUBLIC + "/v1/sms/status"}
    assert "Reply C to cancel or Y to confirm" in sms.delivered[-1].body  # two-way default

    def listed() -> dict[tuple[int, str], dict[str, object]]:
        rows = json.loads(_cli(url, "notifications", "list", "--json").stdout)
        return {(r["appointment_id"], r["kind"]): r for r in rows if r["status"] == "sent"}

    assert listed()[(first, "reminder")]["delivery"] == "sent"
    assert _receipt(server, sent[(first, "reminder")], "delivered").status_code == 204
    assert _receipt(server, sent[(first, "reminder")], "sent").status_code == 204  # late, ignored
    assert _receipt(server, sent[(second, "reminder")], "undelivered", "30003").status_code == 204
    # Signed with the wrong token: refused, nothing changes.
    refused = _receipt(server, sent[(first, "confirmation")], "failed", "30005", token="nope")
    assert refused.status_code == 403
    now = listed()
    assert now[(first, "reminder")]["delivery"] == "delivered"
    assert now[(first, "reminder")]["delivery_error"] is None
    assert now[(second, "reminder")]["delivery"] == "undelivered"
    assert "30003" in str(now[(second, "reminder")]["delivery_error"])
    assert now[(first, "confirmation")]["delivery"] == "sent"
    # An unknown MessageSid (not ours) is accepted and ignored; a bad status is one clear line.
    assert _receipt(server, "SMnotours", "delivered").status_code == 204
    bad = _receipt(server, sent[(first, "reminder")], "exploded")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "MessageStatus"
    # Tomorrow's reminders: delivered, and not delivered flagged for a phone call.
    # Read on the eve of their day (the next open day may be two days off, from a Saturday).
    eve = ServiceContext(ctx.database, clock=lambda: at(tomorrow - timedelta(days=1), 8), actor="t")
    preview = {p.appointment_id: p for p in notif.tomorrows_reminders(eve)}
    assert preview[first].delivery == "delivered" and not preview[first].call_needed
    assert preview[second].delivery.startswith("not delivered (")
    assert preview[second].call_needed
