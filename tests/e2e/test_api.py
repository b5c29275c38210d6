"""The HTTP API as a website meets it: a real `montu-desktop serve` process and a real client."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from montu_desktop.config import paths
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import booking, key_cache, online, patients
from montu_desktop.services.booking import BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from tests.support.clinic import appointment_count, at, outbox_names, overlapping_pairs, tiny_clinic

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A running `montu-desktop serve` and a client for it."""

    def __init__(self, url: str, output: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # A file, not a pipe: a pipe nobody reads fills up and stalls the server's logging.
        self.output = output
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "montu_desktop",
                "--database",
                url,
                "serve",
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            stdout=output.open("w"),
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise AssertionError(self.output.read_text())
            time.sleep(0.1)
        raise AssertionError("the API server did not start")

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=20)
        return code, self.output.read_text()


@pytest.fixture
def clinic(any_db) -> ServiceContext:
    ctx = ServiceContext(any_db)  # the real clock: the server uses it too
    tiny_clinic(ctx, doctors=3)
    return ctx


@pytest.fixture
def server(any_db, clinic, tmp_path: Path) -> Iterator[Server]:
    running = Server(any_db.url.render_as_string(hide_password=False), tmp_path / "serve.log")
    yield running
    if running.process.poll() is None:
        running.stop()


def _next_tuesday(ctx: ServiceContext):  # type: ignore[no-untyped-def]
    today = to_local(ctx.clock(), clinic_policy(ctx).timezone).date()
    return today + timedelta(days=7 - today.weekday() + 1)


def _body(i: int, start: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "type": "Standard",
        "start": start,
        "patient": {
            "given": "Web",
            "family": f"Patient{i}",
            "dob": "1980-02-03",
            "phone": f"0412 000 {i:03d}",
            "email": f"web{i}@example.com",
        },
        "note": "knee pain since Tuesday",
    }
    body.update(changes)
    return body


def test_twenty_websites_racing_for_one_slot_with_three_free_doctors(clinic, server) -> None:
    _key, token = online.create_api_key(clinic, "site", "availability,book", rate="10000/min")
    start = at(_next_tuesday(clinic), 10).isoformat()
    go = threading.Barrier(20)
    answers: list[httpx.Response] = []

    def post(i: int) -> None:
        with server.client(token) as client:
            go.wait()
            answers.append(client.post("/v1/appointments", json=_body(i, start)))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 3 + [409] * 17, [a.text for a in answers]
    won = [a.json() for a in answers if a.status_code == 201]
    assert len({w["doctor"]["name"] for w in won}) == 3
    assert all(datetime.fromisoformat(w["start"]) == datetime.fromisoformat(start) for w in won)
    offset = to_local(datetime.fromisoformat(start), "Australia/Melbourne").utcoffset()
    assert all(  # in clinic time, with the offset of that day (+10:00 in winter)
        datetime.fromisoformat(w["start"]).utcoffset() == offset and w["type"] == "Standard"
        for w in won
    )
    lost = [a.json() for a in answers if a.status_code == 409]
    assert all(x["error"]["field"] == "start" for x in lost)
    assert all(x["nearest_free_starts"] for x in lost)
    assert overlapping_pairs(clinic) == 0
    assert outbox_names(clinic) == ["appointment.booked"] * 3


def test_keys_scopes_retries_and_cancel_tokens(clinic, server, any_db) -> None:
    _, token = online.create_api_key(clinic, "site", "availability,book", rate="10000/min")
    _, look_only = online.create_api_key(clinic, "viewer", "availability", rate="2/min")
    start = at(_next_tuesday(clinic), 9).isoformat()
    with server.client(token) as site, server.client(look_only) as viewer:
        assert server.client(None).get("/v1/types").status_code == 401
        assert server.client("wrong").get("/v1/types").status_code == 401
        assert site.get("/v1/types").json() == [
            {"name": "Long", "minutes": 30},
            {"name": "Procedure", "minutes": 60},
            {"name": "Standard", "minutes": 15},
        ]
        refused = viewer.post("/v1/appointments", json=_body(1, start))
        assert refused.status_code == 403
        assert refused.json()["error"]["field"] == "Authorization"
        assert viewer.get("/v1/types").status_code == 200
        limited = viewer.get("/v1/types")
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1

        # An idempotent retry answers the same and writes nothing.
        first = site.post(
            "/v1/appointments", json=_body(1, start), headers={"Idempotency-Key": "a1"}
        )
        assert first.status_code == 201
        before = (
            appointment_count(clinic, live_only=False),
            len(patients.find_patients(clinic, "Patient1")),
        )
        again = site.post(
            "/v1/appointments", json=_body(1, start), headers={"Idempotency-Key": "a1"}
        )
        assert (again.status_code, again.json()) == (201, first.json())
        after = (
            appointment_count(clinic, live_only=False),
            len(patients.find_patients(clinic, "Patient1")),
        )
        assert after == before
        other = site.post(
            "/v1/appointments",
            json=_body(1, start, note="other"),
            headers={"Idempotency-Key": "a1"},
        )
        assert other.status_code == 422 and other.json()["error"]["field"] == "Idempotency-Key"

        # Bad input: 422 naming the field, nothing written.
        for body, field in (
            (_body(2, start[:19]), "start"),
            (
                {**_body(2, start), "patient": {"given": "A", "family": "B", "dob": "2020-02-30"}},
                "patient.dob",
            ),
            (_body(2, start, type="Nope"), "type"),
            ({**_body(2, start), "extra": 1}, "extra"),
        ):
            answer = site.post("/v1/appointments", json=body)
            assert answer.status_code == 422, answer.text
            assert answer.json()["error"]["field"] == field
        assert site.post("/v1/appointments", content=b"{not json").status_code == 422
        assert appointment_count(clinic, live_only=False) == before[0]

        # A cancel token cancels only its own booking.
        second = site.post("/v1/appointments", json=_body(3, start)).json()
        mine = first.json()
        assert (
            site.delete(
                f"/v1/appointments/{second['id']}", headers={"X-Cancel-Token": mine["cancel_token"]}
            ).status_code
            == 404
        )
        assert (
            site.delete(
                f"/v1/appointments/{10**12}", headers={"X-Cancel-Token": mine["cancel_token"]}
            ).status_code
            == 422
        )
        assert (
            site.delete(
                "/v1/appointments/999999", headers={"X-Cancel-Token": mine["cancel_token"]}
            ).status_code
            == 404
        )
        assert (
            site.delete(
                f"/v1/appointments/{mine['id']}", headers={"X-Cancel-Token": mine["cancel_token"]}
            ).status_code
            == 204
        )
        assert appointment_count(clinic) == 1

        # CORS: only the key's website.
        online.create_api_key(clinic, "web", "availability", origin="https://clinic.example")
        preflight = site.options(
            "/v1/types",
            headers={"Origin": "https://clinic.example", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == "https://clinic.example"
        assert (
            site.options("/v1/types", headers={"Origin": "https://evil.example"}).status_code == 403
        )
        assert site.get("/v1/types", headers={"Origin": "https://evil.example"}).status_code == 403

        # A key revoked by another process fails within the server's recheck bound.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "montu_desktop",
                "--database",
                any_db.url.render_as_string(hide_password=False),
                "api-keys",
                "revoke",
                "site",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        refused_by = time.monotonic() + key_cache.RECHECK_SECONDS + 0.5
        while site.get("/v1/types").status_code != 401:
            assert time.monotonic() < refused_by, "a revoked key still works"
            time.sleep(0.05)

        missing = httpx.get(server.base + "/v1/nothing-here")
        assert missing.status_code == 404 and missing.json()["error"]["field"] == "path"
        described = httpx.get(server.base + "/v1/openapi.json").json()
        assert {
            "/v1/types",
            "/v1/availability",
            "/v1/appointments",
            "/v1/appointments/{appointment_id}",
            "/v1/health",
        } <= set(described["paths"])


def test_a_desk_booking_reaches_the_website_within_a_second_and_no_patient_detail_is_logged(
    clinic, server
) -> None:
    _, token = online.create_api_key(clinic, "site", "availability,book", rate="10000/min")
    tuesday = _next_tuesday(clinic)
    start = at(tuesday, 11)

    def free_at_eleven(client: httpx.Client) -> int:
        week = client.get(
            "/v1/availability", params={"type": "Standard", "week": tuesday.isoformat()}
        )
        assert week.status_code == 200, week.text
        slots = [s for d in week.json()["days"] for s in d["slots"]]
        return next(s["free_doctors"] for s in slots if datetime.fromisoformat(s["start"]) == start)

    with server.client(token) as site:
        assert free_at_eleven(site) == 3
        assert free_at_eleven(site) == 3  # answered from the cache
        patient = patients.add_patient(clinic, PatientDetails("Desk", "Walkin")).id
        booking.book_appointment(clinic, BookingRequest("Standard", start, patient))
        deadline = time.monotonic() + 1.0
        while free_at_eleven(site) != 2:
            assert time.monotonic() < deadline, "the website still shows the old answer"
            time.sleep(0.05)
        made = site.post("/v1/appointments", json=_body(7, at(tuesday, 11, 15).isoformat()))
        assert made.status_code == 201
        site.post("/v1/appointments", json=_body(8, "not a time"))
    code, output = server.stop()
    assert code == 0, output
    logged = output + "".join(p.read_text() for p in paths.log_dir().glob("*.log*"))
    assert "POST /v1/appointments 201" in logged
    for detail in (
        "Patient7",
        "web7@example.com",
        "0412 000 007",
        "+61412000007",
        "1980-02-03",
        "knee",
    ):
        assert detail not in logged
