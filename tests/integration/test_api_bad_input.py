"""Bad input to the HTTP API gets a 4xx naming the field, never a 500, on SQLite and PostgreSQL.

Issue 24 item 3: out-of-range dates overflowed (500), a NUL reached PostgreSQL (500), control
characters were stored, a forged Host header was redirected to, and wrong keys were not
limited. Run in-process with FastAPI's TestClient over the same services as `serve`.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select

from montu_desktop.api.app import create_app
from montu_desktop.domain.online import WRONG_KEYS_PER_MINUTE
from montu_desktop.persistence import tables as t
from montu_desktop.services import online
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import at, tiny_clinic
from tests.support.clock import MovedSeconds

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx versions
    from fastapi.testclient import TestClient

TUESDAY = date(2026, 11, 24)


@pytest.fixture
def minutes() -> MovedSeconds:
    return MovedSeconds()


@pytest.fixture
def app_ctx(ctx: ServiceContext) -> ServiceContext:
    tiny_clinic(ctx)
    return ctx


@pytest.fixture
def token(app_ctx: ServiceContext) -> str:
    return online.create_api_key(app_ctx, "site", "availability,book", rate="10000/min")[1]


@pytest.fixture
def api(app_ctx: ServiceContext, minutes: MovedSeconds) -> Iterator[TestClient]:
    with TestClient(create_app(app_ctx, clock=minutes), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def site(api: TestClient, token: str) -> TestClient:
    api.headers["Authorization"] = f"Bearer {token}"
    return api


def _body(start: str, note: str | None = None, **patient: object) -> dict[str, object]:
    return {
        "type": "Standard",
        "start": start,
        "patient": {
            "given": "Ava",
            "family": "Singh",
            "dob": "1990-03-04",
            "phone": "0412 345 678",
            **patient,
        },
        **({"note": note} if note is not None else {}),
    }


def _rows(ctx: ServiceContext) -> tuple[int, int]:
    with UnitOfWork(ctx) as uow:
        s = uow.session
        return (
            s.scalar(select(func.count()).select_from(t.Patient)) or 0,
            s.scalar(select(func.count()).select_from(t.Appointment)) or 0,
        )


def _refused(answer, status: int, field: str) -> str:  # type: ignore[no-untyped-def]
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["field"] == field, error
    return str(error["reason"])


@pytest.mark.parametrize(
    "start", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T10:00:00+11:00"]
)
def test_a_start_far_outside_the_calendar_is_refused_not_overflowed(
    site: TestClient, app_ctx: ServiceContext, start: str
) -> None:
    reason = _refused(site.post("/v1/appointments", json=_body(start)), 422, "start")
    assert reason == "must be between 1900-01-01 and 2199-12-31"
    assert _rows(app_ctx) == (0, 0)  # no patient was added for it either


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_availability_of_a_week_outside_the_calendar_is_refused(
    site: TestClient, week: str
) -> None:
    answer = site.get("/v1/availability", params={"type": "Standard", "week": week})
    assert _refused(answer, 422, "week") == "must be between 1900-01-01 and 2199-12-31"
    # The window's last day is read (the clinic has no schedule that far ahead: still a 4xx).
    edge = site.get("/v1/availability", params={"type": "Standard", "week": "2199-12-31"})
    assert "has no clinic schedule" in _refused(edge, 422, "week")


def test_a_birth_date_before_1900_is_refused(site: TestClient, app_ctx: ServiceContext) -> None:
    answer = site.post("/v1/appointments", json=_body(at(TUESDAY, 9).isoformat(), dob="0001-01-01"))
    assert _refused(answer, 422, "patient.dob") == "must be between 1900-01-01 and 2199-12-31"
    assert _rows(app_ctx) == (0, 0)


BAD_TEXT = [
    "A\x00B",  # NUL: PostgreSQL cannot store it (was a DataError, 500)
    "A\x01\x07\x1b[31mB",  # terminal escapes
    "A\x85B",  # C1
    "A\u202eB",  # right-to-left override
    "A\x7fB",
    "A\ud800B",  # a lone surrogate, sent as \\ud800 in JSON
]


@pytest.mark.parametrize("bad", BAD_TEXT)
def test_control_characters_are_refused_in_names_and_notes_naming_the_field(
    site: TestClient, app_ctx: ServiceContext, bad: str
) -> None:
    start = at(TUESDAY, 9).isoformat()
    for body, field in (
        (_body(start, given=bad), "patient.given"),
        (_body(start, family=bad), "patient.family"),
        (_body(start, note=bad), "note"),
    ):
        sent = json.dumps(body)  # ASCII: a lone surrogate travels as the escape \\ud800
        answer = site.post(
            "/v1/appointments", content=sent, headers={"Content-Type": "application/json"}
        )
        reason = _refused(answer, 422, field)
        if bad == "A\ud800B":  # pydantic refuses it first, naming the same field
            assert "valid string" in reason
        else:
            assert reason.startswith("must not contain control characters (U+")
    assert _rows(app_ctx) == (0, 0)
    # A note may hold line breaks; it is kept with them.
    made = site.post("/v1/appointments", json=_body(start, note="knee\nleft side"))
    assert made.status_code == 201, made.text
    with UnitOfWork(app_ctx) as uow:
        assert uow.session.scalar(select(t.Appointment.note)) == "knee\nleft side"


def test_a_forged_host_gets_no_redirect_and_both_path_forms_answer(site: TestClient) -> None:
    plain = site.get("/v1/types")
    assert plain.status_code == 200
    for path in ("/v1/types/", "/v1/types"):
        answer = site.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
        assert answer.status_code == 200, (path, answer.status_code, answer.headers)
        assert "location" not in answer.headers
        assert answer.json() == plain.json()
    unknown = site.get("/v1/nothing/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert unknown.status_code == 404 and "location" not in unknown.headers


def test_wrong_keys_are_limited_per_address_without_a_lookup_and_the_good_key_still_works(
    api: TestClient, token: str, minutes: MovedSeconds, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[str] = []
    real = online.authenticate

    def counted(ctx: ServiceContext, presented: str):  # type: ignore[no-untyped-def]
        lookups.append(presented)
        return real(ctx, presented)

    monkeypatch.setattr(online, "authenticate", counted)
    assert api.get("/v1/types", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    started = time.perf_counter()
    codes = [
        api.get("/v1/types", headers={"Authorization": f"Bearer wrong{i}"}).status_code
        for i in range(300)
    ]
    took = time.perf_counter() - started
    assert codes[:WRONG_KEYS_PER_MINUTE] == [401] * WRONG_KEYS_PER_MINUTE
    assert set(codes[WRONG_KEYS_PER_MINUTE:]) == {429}
    assert len(lookups) == 1 + WRONG_KEYS_PER_MINUTE  # the refused ones cost no lookup
    limited = api.get("/v1/types", headers={"Authorization": "Bearer again"})
    assert _refused(limited, 429, "Authorization") == (
        f"more than {WRONG_KEYS_PER_MINUTE} wrong API keys a minute from this address"
    )
    assert 1 <= int(limited.headers["Retry-After"]) <= 61
    assert api.get("/v1/types").status_code == 429  # no key at all counts as a wrong one
    # The clinic's own website, behind the same address, is not locked out.
    assert api.get("/v1/types", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    minutes.now += 61  # a minute later the address may try again
    assert api.get("/v1/types", headers={"Authorization": "Bearer wrong"}).status_code == 401
    print(f"300 wrong keys in {took:.2f} s, {len(lookups)} lookups")


def test_a_path_with_escapes_is_logged_escaped(
    site: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="montu_desktop.api")
    answer = site.get("/v1/%1b[2J%e2%80%aeevil")
    assert answer.status_code == 404
    logged = [r.getMessage() for r in caplog.records if r.name == "montu_desktop.api"]
    assert any("/v1/\\x1b[2J\\u202eevil 404" in line for line in logged), logged
    assert not any("\x1b" in line or "\u202e" in line for line in logged)
