"""The booking page's per-address rate limit and its off switch (the `booking page` key)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from montu_desktop.api.app import create_app
from montu_desktop.services import online
from montu_desktop.services.context import ServiceContext
from tests.support.clinic import appointment_count, tiny_clinic


def test_over_the_page_keys_rate_an_address_waits_and_nothing_is_written(
    sqlite_ctx: ServiceContext,
) -> None:
    tiny_clinic(sqlite_ctx)
    online.create_api_key(sqlite_ctx, "booking page", "availability,book", rate="5/min")
    now = [1000.0]
    client = TestClient(create_app(sqlite_ctx, clock=lambda: now[0]))
    answers = [client.get("/book").status_code for _ in range(5)]
    assert answers == [200] * 5
    limited = client.get("/book")
    assert limited.status_code == 429 and "Too many requests" in limited.text
    assert 1 <= int(limited.headers["Retry-After"]) <= 61
    csrf = re.search(r'name="csrf"', limited.text)
    assert csrf is None  # nothing to post from a refusal
    posted = client.post("/book", data={"type": "Standard", "start": "x", "csrf": "y"})
    assert posted.status_code == 403 and appointment_count(sqlite_ctx) == 0
    now[0] += 61
    assert client.get("/book").status_code == 200


def test_revoking_the_booking_page_key_turns_the_page_off(sqlite_ctx: ServiceContext) -> None:
    tiny_clinic(sqlite_ctx)
    client = TestClient(create_app(sqlite_ctx))
    assert client.get("/book").status_code == 200
    assert [k.name for k in online.list_api_keys(sqlite_ctx)] == ["booking page"]
    online.revoke_api_key(sqlite_ctx, "booking page")
    off = client.get("/book?type=Standard")
    assert off.status_code == 503 and "Online booking is turned off" in off.text
    assert "frame-ancestors 'none'" in off.headers["content-security-policy"]
