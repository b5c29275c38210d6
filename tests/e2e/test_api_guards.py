"""The API's guards against a stranger, on a real `montu-desktop serve` (SQLite and PostgreSQL):
wrong keys limited per client address, no redirect to a forged Host, bad dates a 422."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from montu_desktop.domain.online import WRONG_KEYS_PER_MINUTE
from montu_desktop.services import online
from montu_desktop.services.context import ServiceContext
from tests.e2e.test_api import Server
from tests.support.clinic import tiny_clinic

pytestmark = pytest.mark.slow


@pytest.fixture
def clinic(any_db) -> ServiceContext:  # type: ignore[no-untyped-def]
    ctx = ServiceContext(any_db)
    tiny_clinic(ctx, doctors=1)
    return ctx


@pytest.fixture
def server(any_db, clinic, tmp_path: Path) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    running = Server(any_db.url.render_as_string(hide_password=False), tmp_path / "serve.log")
    yield running
    if running.process.poll() is None:
        running.stop()


def test_wrong_keys_are_limited_per_address_and_the_good_key_keeps_working(
    clinic: ServiceContext, server: Server
) -> None:
    _, token = online.create_api_key(clinic, "site", "availability,book", rate="10000/min")
    guesser = {"X-Forwarded-For": "203.0.113.5"}  # as nginx in front of `serve` would say
    with server.client(None) as client:
        assert client.get("/v1/types", headers={**guesser, "Authorization": f"Bearer {token}"})
        started = time.perf_counter()
        codes = [
            client.get(
                "/v1/types", headers={**guesser, "Authorization": f"Bearer guess{i}"}
            ).status_code
            for i in range(300)
        ]
        took = time.perf_counter() - started
        assert codes[:WRONG_KEYS_PER_MINUTE] == [401] * WRONG_KEYS_PER_MINUTE
        assert set(codes[WRONG_KEYS_PER_MINUTE:]) == {429}
        limited = client.get("/v1/types", headers={**guesser, "Authorization": "Bearer x"})
        assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 61
        # The clinic's website from the same address, and another address, are not locked out.
        good = client.get("/v1/types", headers={**guesser, "Authorization": f"Bearer {token}"})
        assert good.status_code == 200
        other = {"X-Forwarded-For": "203.0.113.6", "Authorization": "Bearer guess"}
        assert client.get("/v1/types", headers=other).status_code == 401
    print(f"300 wrong keys from one address in {took:.2f} s")


def test_a_forged_host_is_never_redirected_to_and_bad_dates_are_422(
    clinic: ServiceContext, server: Server
) -> None:
    _, token = online.create_api_key(clinic, "site", "availability,book", rate="10000/min")
    with server.client(token) as client:
        for path in ("/v1/types/", "/v1/types"):
            answer = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
            assert answer.status_code == 200 and "location" not in answer.headers
        week = client.get("/v1/availability", params={"type": "Standard", "week": "9999-12-31"})
        assert week.status_code == 422 and week.json()["error"]["field"] == "week"
    code, log = server.stop()
    assert code == 0 and "Traceback" not in log and " 500 " not in log
