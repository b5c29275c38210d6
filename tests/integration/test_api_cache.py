"""What the API keeps in memory never outlives the truth (issue 29, item 4), on both databases.

A cached availability answer reads no database: the key is trusted for at most
`key_cache.RECHECK_SECONDS` after it was read, the types a website may book are kept with the
reference data, the answer's bytes with the week. Here: a key revoked elsewhere is refused
within the bound (at once after any drop), a wrong key is never kept, and a type taken off
line or a booking reaches the next answer. In-process (TestClient) with the API's clock moved
by hand.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from montu_desktop.api.app import create_app
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.op_changes import ChangeKind, OpChanges
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import booking, online, patients
from montu_desktop.services.booking import BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.key_cache import RECHECK_SECONDS
from montu_desktop.services.reference import clinic_policy
from tests.support.clinic import at, tiny_clinic
from tests.support.clock import MovedSeconds

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx versions
    from fastapi.testclient import TestClient


@pytest.fixture
def seconds() -> MovedSeconds:
    return MovedSeconds()


@pytest.fixture
def app_ctx(ctx: ServiceContext) -> ServiceContext:
    tiny_clinic(ctx)
    return ctx


@pytest.fixture
def api(app_ctx: ServiceContext, seconds: MovedSeconds) -> Iterator[TestClient]:
    with TestClient(create_app(app_ctx, clock=seconds), raise_server_exceptions=False) as client:
        yield client


def _elsewhere(ctx: ServiceContext) -> ServiceContext:
    """Another process on the same database (the CLI, a manager's desk): nothing it commits
    reaches this server's caches but what a change feed would hear."""
    return ServiceContext(ctx.database, clock=ctx.clock, actor="elsewhere")


def _tuesday(ctx: ServiceContext) -> date:
    today = to_local(ctx.clock(), clinic_policy(ctx).timezone).date()
    return today + timedelta(days=7 - today.weekday() + 1)


def _week(api: TestClient, token: str, day: date, kind: str = "Standard"):  # type: ignore[no-untyped-def]
    return api.get(
        "/v1/availability",
        params={"type": kind, "week": day.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_key_revoked_elsewhere_is_refused_within_the_bound_and_at_once_after_a_drop(
    api: TestClient, app_ctx: ServiceContext, seconds: MovedSeconds
) -> None:
    day = _tuesday(app_ctx)
    _, token = online.create_api_key(app_ctx, "site", "availability", rate="10000/min")
    assert _week(api, token, day).status_code == 200
    online.revoke_api_key(_elsewhere(app_ctx), "site")
    seconds.now += RECHECK_SECONDS
    assert _week(api, token, day).status_code == 401
    # A drop (anything the change feed hears, a reconnection) forgets every key at once.
    _, kiosk = online.create_api_key(app_ctx, "kiosk", "availability", rate="10000/min")
    assert _week(api, kiosk, day).status_code == 200
    online.revoke_api_key(_elsewhere(app_ctx), "kiosk")
    app_ctx.changed(OpChanges.of(ChangeKind.APPOINTMENTS))
    assert _week(api, kiosk, day).status_code == 401


def test_a_wrong_key_is_never_kept_and_a_new_key_works_at_once(
    api: TestClient, app_ctx: ServiceContext
) -> None:
    day = _tuesday(app_ctx)
    _, token = online.create_api_key(app_ctx, "site", "availability", rate="10000/min")
    assert _week(api, token + "x", day).status_code == 401
    assert _week(api, "", day).status_code == 401
    assert _week(api, token, day).status_code == 200
    _, fresh = online.create_api_key(_elsewhere(app_ctx), "new", "book", rate="10000/min")
    refused = _week(api, fresh, day)  # read live on its first request: its scope is known
    assert refused.status_code == 403 and "availability scope" in refused.json()["error"]["reason"]


def test_a_type_taken_off_line_or_a_booking_reaches_the_next_cached_answer(
    api: TestClient, app_ctx: ServiceContext
) -> None:
    day = _tuesday(app_ctx)
    _, token = online.create_api_key(app_ctx, "site", "availability", rate="10000/min")
    before = _week(api, token, day)
    assert before.status_code == 200 and _week(api, token, day).content == before.content
    # A desk's booking in this process drops the kept week through `changed`.
    ava = patients.add_patient(app_ctx, PatientDetails("Ava", "Singh"))
    booking.book_appointment(app_ctx, BookingRequest("Standard", at(day, 9), ava.id))
    after = _week(api, token, day)
    assert after.status_code == 200 and after.content != before.content
    # Another desk takes a type off line: kept until the change feed hears of it, then 422.
    online.set_bookable_online(_elsewhere(app_ctx), "Long", False)
    app_ctx.changed(OpChanges.of(ChangeKind.REFERENCE))  # what the feed calls on hearing it
    gone = _week(api, token, day, "Long")
    assert gone.status_code == 422 and gone.json()["error"]["field"] == "type"
    assert _week(api, token, day).content == after.content  # the other type stays kept
