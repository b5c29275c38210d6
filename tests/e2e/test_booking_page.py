"""The booking page and manage links over plain HTTP, against a real `montu-desktop serve`.

What a browser without JavaScript does: GET a page, read its hidden `csrf` field (the cookie
rides in the client's jar), POST the form. Each refusal is checked to have written nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.persistence import tables as t
from montu_desktop.services import clinic_settings, online
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.e2e.test_api import Server
from tests.support.clinic import appointment_count, at, tiny_clinic

pytestmark = pytest.mark.slow

GOOD = {
    "given": "Ada",
    "family": "Lovelace",
    "dob": "10/12/1985",
    "phone": "0412 345 678",
    "email": "ada@example.com",
    "note": "",
}


@pytest.fixture
def clinic(any_db) -> ServiceContext:
    ctx = ServiceContext(any_db)
    tiny_clinic(ctx, doctors=1)
    return ctx


@pytest.fixture
def server(any_db, clinic, tmp_path: Path) -> Iterator[Server]:
    running = Server(any_db.url.render_as_string(hide_password=False), tmp_path / "serve.log")
    yield running
    if running.process.poll() is None:
        running.stop()


def _today(ctx: ServiceContext) -> date:
    return to_local(ctx.clock(), clinic_policy(ctx).timezone).date()


def _next_week(ctx: ServiceContext, weekday: int) -> date:
    today = _today(ctx)
    return today + timedelta(days=7 - today.weekday() + weekday)


def _iso(moment: datetime) -> str:
    """As the page writes a start: clinic-local with its offset."""
    return to_local(moment, "Australia/Melbourne").isoformat()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, page
    return found.group(1)


def _details_form(client: httpx.Client, start: datetime) -> str:
    answer = client.get("/book", params={"type": "Standard", "start": start.isoformat()})
    assert answer.status_code == 200, answer.text
    return answer.text


def _post_booking(
    client: httpx.Client, start: datetime, csrf: str | None, **changes: str
) -> httpx.Response:
    form = {"type": "Standard", "start": start.isoformat(), **GOOD, **changes}
    if csrf is not None:
        form["csrf"] = csrf
    return client.post("/book", data=form)


def _starts(ctx: ServiceContext) -> list[tuple[datetime, str]]:
    with UnitOfWork(ctx) as uow:
        return [
            (row.start_at, row.status)
            for row in uow.session.scalars(select(t.Appointment).order_by(t.Appointment.id))
        ]


def test_csrf_missing_or_wrong_is_refused_and_nothing_is_written(clinic, server) -> None:
    start = at(_next_week(clinic, 1), 10)
    with server.client(None) as client:
        page = _details_form(client, start)
        assert "set-cookie" not in {k.lower() for k in ()}  # the cookie lives in the jar
        missing = _post_booking(client, start, None)
        wrong = _post_booking(client, start, "0" * 64)
    # A right token with no cookie (another site's form posting it) is refused too.
    with httpx.Client(base_url=server.base) as stranger:
        no_cookie = _post_booking(stranger, start, _csrf(page))
    with server.client(None) as client:
        other_origin = client.post(
            "/book",
            data={"type": "Standard", "start": start.isoformat(), **GOOD, "csrf": "x"},
            headers={"Origin": "https://evil.example"},
        )
    for answer in (missing, wrong, no_cookie, other_origin):
        assert answer.status_code == 403, answer.text
        assert "Nothing was booked or changed" in answer.text
    assert appointment_count(clinic) == 0


def test_bad_fields_are_named_beside_each_field_and_nothing_is_written(clinic, server) -> None:
    start = at(_next_week(clinic, 1), 10)
    with server.client(None) as client:
        csrf = _csrf(_details_form(client, start))
        answer = _post_booking(
            client, start, csrf, given="  ", dob="31/31/1980", phone="12ab", email="not-an-email"
        )
        future = (_today(clinic) + timedelta(days=30)).strftime("%d/%m/%Y")
        unborn = _post_booking(client, start, csrf, dob=future)
        none = _post_booking(client, start, csrf, phone="", email="")
    assert answer.status_code == 422
    page = answer.text
    for name, words in (
        ("given", "Given name must not be empty"),
        ("dob", "is not a date like 31/12/1980"),
        ("phone", "is not a phone number"),
        ("email", "Email"),
    ):
        # The message sits right after its own input and the input points at it.
        block = re.search(
            rf'<input[^>]*id="{name}"[^>]*>(<p class="error" id="{name}-error">[^<]*</p>)', page
        )
        assert block and words in block.group(1), (name, page)
        assert re.search(rf'<input[^>]*aria-describedby="[^"]*{name}-error"', page)
    assert 'role="alert"' in page
    assert 'value="Lovelace"' in page  # what was typed stays
    assert "Date of birth is in the future" in unborn.text
    assert "Give a mobile number or an email address" in none.text
    assert appointment_count(clinic) == 0


def test_book_taken_time_move_cancel_and_used_link(clinic, server) -> None:
    day = _next_week(clinic, 1)
    start = at(day, 10)
    with server.client(None) as client:
        csrf = _csrf(_details_form(client, start))
        booked = _post_booking(client, start, csrf)
        assert booked.status_code == 303, booked.text
        manage = booked.headers["location"]
        token = re.fullmatch(r"/manage/([^?]+)\?booked=1", manage).group(1)
        confirmation = client.get(manage)
        assert confirmation.status_code == 200
        text = confirmation.text
        assert "Your appointment is booked" in text
        assert f"{day:%A} {day.day} {day:%B}" in text and "10:00 am" in text
        assert "Dr A" in text and "1 Test St" in text and f"/manage/{token}" in text
        assert confirmation.headers["cache-control"] == "no-store"
        assert confirmation.headers["referrer-policy"] == "same-origin"

        # Someone else chooses the same time: it says so and offers the nearest free ones.
        late = _post_booking(
            client, start, csrf, given="Grace", family="Hopper", phone="0412 111 222", email=""
        )
        assert late.status_code == 409
        assert "10:00 am on" in late.text and "has just been taken" in late.text
        offered = re.findall(r'type="radio" id="alt\d" name="start" value="([^"]+)"', late.text)
        assert offered and _iso(start) not in offered
        assert min(abs(datetime.fromisoformat(o) - start) for o in offered) == timedelta(minutes=15)
        assert len(_starts(clinic)) == 1
        # A details form for a time already taken says so before anything is typed.
        assert (
            client.get("/book", params={"type": "Standard", "start": start.isoformat()}).status_code
            == 409
        )

        # Move through the manage link.
        page = client.get(f"/manage/{token}").text
        csrf = _csrf(page)
        new_start = at(day + timedelta(days=1), 11)
        assert (
            f'value="{_iso(new_start)}"'
            in client.get(f"/manage/{token}", params={"week": new_start.date().isoformat()}).text
        )
        moved = client.post(f"/manage/{token}/move", data={"csrf": csrf, "start": _iso(new_start)})
        assert moved.status_code == 200, moved.text
        assert "has moved to" in moved.text and "11:00 am" in moved.text
        assert _starts(clinic) == [(new_start, "booked")]
        refused = client.post(
            f"/manage/{token}/move", data={"csrf": "bad", "start": start.isoformat()}
        )
        assert refused.status_code == 403 and _starts(clinic) == [(new_start, "booked")]

        cancelled = client.post(f"/manage/{token}/cancel", data={"csrf": csrf})
        assert cancelled.status_code == 200 and "is cancelled" in cancelled.text
        assert _starts(clinic) == [(new_start, "cancelled")]
        used = client.get(f"/manage/{token}")
        assert used.status_code == 410 and "link is used" in used.text
        again = client.post(f"/manage/{token}/cancel", data={"csrf": csrf})
        assert again.status_code == 410 and "link is used" in again.text
        unknown = client.get("/manage/not-a-real-token")
        assert unknown.status_code == 404 and "This link is not valid" in unknown.text
    # The token is a secret: the server's log never holds it, nor the patient's details.
    code, log = server.stop()
    assert code == 0
    assert token not in log and "/manage/…/cancel" in log
    assert "Lovelace" not in log and "0412" not in log and "ada@example.com" not in log


def test_inside_the_notice_the_link_refuses_to_cancel_or_move(clinic, server) -> None:
    # The clinic's notice (read from the database on each request) made longer than the
    # time to next week, on any day the suite runs at.
    clinic_settings.set_setting(clinic, "online.cancel_notice_hours", "720")
    start = at(_next_week(clinic, 1), 9)
    with server.client(None) as client:
        booked = _post_booking(client, start, _csrf(_details_form(client, start)))
        assert booked.status_code == 303, booked.text
        token = booked.headers["location"].split("/")[2].split("?")[0]
        page = client.get(f"/manage/{token}").text
        assert "can no longer be changed or cancelled online" in page
        assert "/cancel" not in page
        csrf = _csrf(_details_form(client, at(_next_week(clinic, 1), 10)))
        cancel = client.post(f"/manage/{token}/cancel", data={"csrf": csrf})
        move = client.post(
            f"/manage/{token}/move",
            data={"csrf": csrf, "start": _iso(at(_next_week(clinic, 2), 11))},
        )
    assert cancel.status_code == 409 and "too close to your appointment to cancel" in cancel.text
    assert move.status_code == 409 and "too close to your appointment to move" in move.text
    assert _starts(clinic) == [(start, "booked")]


def test_framing_headers_weeks_and_no_outside_resources(clinic, server) -> None:
    online.create_api_key(clinic, "site", "availability", origin="https://clinic.example")
    with server.client(None) as client:
        plain = client.get("/book", params={"type": "Standard"})
        embed = client.get("/book", params={"type": "Standard", "embed": "1"})
        week = _next_week(clinic, 0)
        later = client.get("/book", params={"type": "Standard", "week": week.isoformat()})
        later_embed = client.get(
            "/book", params={"type": "Standard", "week": week.isoformat(), "embed": "1"}
        )
        style = client.get("/book/style.css")
    assert plain.status_code == 200 and embed.status_code == 200
    assert "frame-ancestors 'none'" in plain.headers["content-security-policy"]
    assert (
        "frame-ancestors 'self' https://clinic.example" in embed.headers["content-security-policy"]
    )
    for answer in (plain, embed):
        assert "x-frame-options" not in answer.headers
        assert not re.search(r'(src|href)="(https?:)?//', answer.text), "only this server's files"
    assert ">Next week</a>" in plain.text and "Previous week" in plain.text
    assert ">Previous week</a>" in later.text
    # The embed flag rides along on links and forms.
    assert re.search(r'href="[^"]*embed=1[^"]*">Next week</a>', embed.text)
    assert "embed=1" not in plain.text
    assert 'name="embed" value="1"' in later_embed.text
    iso = _iso(at(week, 9))
    assert f'name="start" value="{iso}"' in later.text
    assert style.headers["content-type"].startswith("text/css")
