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


def test_two_first_visitors_at_once_both_get_the_page(
    ctx: ServiceContext, monkeypatch
) -> None:
    """The page key is made on first use; when two visitors arrive together both try to make
    it, and the one that loses the race reads the other's key instead of turning the page off."""
    import threading

    from montu_desktop.services import manage

    tiny_clinic(ctx)
    real = online.list_api_keys
    both_looked = threading.Barrier(2, timeout=10)
    looked: set[int] = set()

    def none_yet_for_both(c: ServiceContext) -> list[online.ApiKeyInfo]:
        me = threading.get_ident()
        if me not in looked:  # each visitor's first look sees no key, as in the race
            looked.add(me)
            both_looked.wait()
            return []
        return real(c)

    monkeypatch.setattr(manage.online, "list_api_keys", none_yet_for_both)
    answers: list[object] = []

    def visit() -> None:
        try:
            answers.append(manage.page_key(ctx).name)
        except Exception as exc:
            answers.append(exc)

    visitors = [threading.Thread(target=visit) for _ in range(2)]
    for v in visitors:
        v.start()
    for v in visitors:
        v.join(20)
    assert answers == ["booking page", "booking page"]
    assert [k.name for k in real(ctx)] == ["booking page"]
