"""Online bookings through a real `montu-desktop serve` that is killed (kill -9) mid-burst:
one transaction each, and Idempotency-Keys that survive the crash. Also what a website
learns, and what it leaves, when it is refused."""

from __future__ import annotations

import os
import random
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from montu_desktop.domain import online as rules
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.online_tables import ApiRequest, OnlineBooking
from montu_desktop.services import booking, online, patients
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.e2e.test_api import Server, _body
from tests.support.clinic import at, tiny_clinic

pytestmark = pytest.mark.slow

# Each round starts `serve` twice (most of its time); MONTU_CRASH_ROUNDS runs more of them.
ROUNDS = int(os.environ.get("MONTU_CRASH_ROUNDS", "4"))
BURST = 12


@pytest.fixture
def clinic(any_db) -> ServiceContext:
    ctx = ServiceContext(any_db)  # the product clock: the server uses it too
    tiny_clinic(ctx, doctors=3)
    return ctx


def _url(any_db) -> str:  # type: ignore[no-untyped-def]
    return any_db.url.render_as_string(hide_password=False)


def _next_monday(ctx: ServiceContext):  # type: ignore[no-untyped-def]
    today = to_local(ctx.clock(), clinic_policy(ctx).timezone).date()
    return today + timedelta(days=7 - today.weekday())


def _rows(ctx: ServiceContext) -> dict[str, int]:
    with UnitOfWork(ctx) as uow:
        s = uow.session
        a, p, ob = t.Appointment, t.Patient, OnlineBooking
        count = lambda q: int(s.scalar(q) or 0)  # noqa: E731
        return {
            "patients": count(select(func.count()).select_from(p)),
            "appointments": count(select(func.count()).select_from(a)),
            "without_token": count(
                select(func.count())
                .select_from(a)
                .outerjoin(ob, ob.appointment_id == a.id)
                .where(ob.appointment_id.is_(None))
            ),
            "orphan_patients": count(
                select(func.count())
                .select_from(p)
                .where(~select(a.id).where(a.patient_id == p.id).exists())
            ),
            "unanswered_claims": count(
                select(func.count()).select_from(ApiRequest).where(ApiRequest.status_code.is_(None))
            ),
            "booked_events": count(
                select(func.count())
                .select_from(t.OutboxEvent)
                .where(t.OutboxEvent.name == "appointment.booked")
            ),
        }


def test_kill_9_mid_burst_then_retries_get_the_committed_answer_or_book_afresh(
    clinic, any_db, tmp_path: Path
) -> None:
    _, token = online.create_api_key(clinic, "site", "availability,book", rate="100000/min")
    monday = _next_monday(clinic)
    rng = random.Random(23)
    bodies: dict[str, dict[str, object]] = {}
    answered_before_kill: dict[str, httpx.Response] = {}
    figures = {"answered_before_kill": 0, "committed_unanswered": 0, "booked_on_retry": 0}
    timing: dict[str, float] = {}

    for round_no in range(ROUNDS):
        # Three rounds a day fill its twelve starts with three doctors; Sundays are closed.
        days_in = round_no // 3
        day = monday + timedelta(weeks=days_in // 6, days=days_in % 6)
        server = Server(_url(any_db), tmp_path / f"serve{round_no}.log")
        keys = [f"r{round_no}-{i}" for i in range(BURST)]
        for i, k in enumerate(keys):
            bodies[k] = _body(round_no * 100 + i, at(day, 9 + i // 4, (i % 4) * 15).isoformat())
        go = threading.Barrier(BURST + 1)
        first_answer = threading.Event()

        def post(
            k: str,
            server: Server = server,
            go: threading.Barrier = go,
            first_answer: threading.Event = first_answer,
        ) -> None:
            with server.client(token) as client:
                go.wait()
                try:
                    answer = client.post(
                        "/v1/appointments", json=bodies[k], headers={"Idempotency-Key": k}
                    )
                except httpx.HTTPError:
                    return  # cut off by the kill
                answered_before_kill[k] = answer
                first_answer.set()

        threads = [threading.Thread(target=post, args=(k,)) for k in keys]
        for thread in threads:
            thread.start()
        go.wait()
        started = time.monotonic()
        # Killed while the burst is being answered: some bookings are done, some committed
        # but not yet answered, some half-way through their transaction.
        first_answer.wait(30)
        time.sleep(rng.uniform(0.0, 0.06))
        timing["first_answer_to_kill"] = time.monotonic() - started
        server.process.kill()  # SIGKILL: no shutdown, no clean-up
        server.process.wait(10)
        for thread in threads:
            thread.join(30)
        before_retry = _rows(clinic)

        # Restarted: every key is retried with the same body.
        restart = time.monotonic()
        server = Server(_url(any_db), tmp_path / f"serve{round_no}-again.log")
        try:
            with server.client(token) as client:
                for k in keys:
                    again = client.post(
                        "/v1/appointments", json=bodies[k], headers={"Idempotency-Key": k}
                    )
                    assert again.status_code == 201, (k, again.status_code, again.text)
                    first = answered_before_kill.get(k)
                    if first is not None and first.status_code == 201:
                        assert again.json() == first.json()
                    # The answer names a committed booking whose cancel token is its own.
                    made = again.json()
                    with UnitOfWork(clinic) as uow:
                        stored = uow.session.get(OnlineBooking, made["id"])
                        assert stored is not None
                        assert stored.cancel_token_hash == rules.token_hash(made["cancel_token"])
                    # And the retry of the retry replays it.
                    replay = client.post(
                        "/v1/appointments", json=bodies[k], headers={"Idempotency-Key": k}
                    )
                    assert (replay.status_code, replay.json()) == (201, made)
        finally:
            server.stop()
        timing["restart_and_retries"] = time.monotonic() - restart
        print(round_no, {k: round(v, 2) for k, v in timing.items()})
        answered = {k for k in keys if k in answered_before_kill}
        after = _rows(clinic)
        figures["answered_before_kill"] += len(answered)
        committed_before = before_retry["appointments"] - (after["appointments"] - BURST)
        figures["committed_unanswered"] += committed_before - len(answered)
        figures["booked_on_retry"] += BURST - committed_before
        for k in answered:
            assert answered_before_kill[k].status_code == 201, answered_before_kill[k].text
        # A crash leaves all of a booking or none of it.
        assert before_retry["without_token"] == 0 and before_retry["orphan_patients"] == 0

    final = _rows(clinic)
    assert final == {
        "patients": ROUNDS * BURST,
        "appointments": ROUNDS * BURST,
        "without_token": 0,
        "orphan_patients": 0,
        "unanswered_claims": 0,
        "booked_events": ROUNDS * BURST,
    }
    print(f"\n{'SQLite' if any_db.is_sqlite else 'PostgreSQL'}: {figures}")


def test_a_refused_post_leaves_no_patient_and_a_409_never_says_why(
    clinic, any_db, tmp_path: Path
) -> None:
    _, token = online.create_api_key(clinic, "site", "availability,book", rate="100000/min")
    monday = _next_monday(clinic)
    tuesday = monday + timedelta(days=1)
    victim = patients.add_patient(
        clinic, PatientDetails("Vera", "Victim", date(1980, 2, 3), "0412 000 001")
    )
    own = booking.book_appointment(
        clinic, booking.BookingRequest("Standard", at(tuesday, 10), victim.id)
    )
    server = Server(_url(any_db), tmp_path / "serve.log")
    try:
        with server.client(token) as site:
            before = _rows(clinic)
            now = clinic.clock()
            for start in (
                (now - timedelta(days=1)).isoformat(),  # in the past
                at(tuesday, 9).isoformat()[:19],  # no time zone
                at(monday + timedelta(weeks=8), 9).isoformat(),  # beyond the horizon
                at(tuesday, 9, 7).isoformat(),  # not on a slot start
            ):
                refused = site.post("/v1/appointments", json=_body(5, start))
                assert refused.status_code == 422, refused.text
                assert refused.json()["error"]["field"] == "start"
            assert _rows(clinic) == before

            # The victim's own details, at the victim's own time: 409 saying only that the
            # time is not free (never that the patient has an appointment then).
            victims = {
                "given": "vera",
                "family": "VICTIM",
                "dob": "1980-02-03",
                "phone": "+61 412 000 001",
            }
            clash = site.post(
                "/v1/appointments",
                json={"type": "Standard", "start": at(tuesday, 10).isoformat(), "patient": victims},
            )
            assert clash.status_code == 409, clash.text
            assert clash.json()["error"] == {
                "field": "start",
                "reason": "is no longer free; choose another time",
            }
            nearest = clash.json()["nearest_free_starts"]
            assert nearest and at(tuesday, 10).isoformat() not in nearest
            assert "patient" not in clash.text and "appointment" not in clash.text

            # The victim's phone with another name: a new record, never the victim's.
            stranger = {**victims, "given": "Mallory"}
            made = site.post(
                "/v1/appointments",
                json={
                    "type": "Standard",
                    "start": at(tuesday, 10).isoformat(),
                    "patient": stranger,
                },
            )
            assert made.status_code == 201, made.text
    finally:
        server.stop()
    with UnitOfWork(clinic) as uow:
        booked_for = uow.session.scalar(
            select(t.Appointment.patient_id).where(t.Appointment.id == made.json()["id"])
        )
        assert booked_for is not None and booked_for != victim.id
        payloads = uow.session.scalars(select(t.OutboxEvent.payload)).all()
    assert [p["appointment_id"] for p in payloads if p["patient_id"] == victim.id] == [own.id]
    waiting = patients.online_patients_to_check(clinic)
    assert [c.patient.id for c in waiting] == [booked_for]
    assert [x.id for x in waiting[0].look_alikes] == [victim.id]
