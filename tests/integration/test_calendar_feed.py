"""Doctors' calendar feeds (issue 27 item 5), in-process on SQLite and PostgreSQL: the .ics
parses with `icalendar`, carries the clinic's VTIMEZONE and the right times across a
daylight-saving change, names no patient unless the clinic says so, and a wrong or revoked
token gets 404; `calendar-tokens create/list/revoke` on the command line."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
from sqlalchemy import select

from montu_desktop.api.app import create_app
from montu_desktop.domain.clinic_time import clinic_zone, to_local
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.staff import Role
from montu_desktop.persistence.admin_tables import AuditEntry
from montu_desktop.persistence.feed_rows import CalendarFeed
from montu_desktop.services import booking, calendar_feed
from montu_desktop.services.booking import BookingRequest
from montu_desktop.services.clinic_settings import set_setting
from montu_desktop.services.context import NotAllowed, ServiceContext
from montu_desktop.services.patients import add_patient
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.cli_runner import in_process_cli
from tests.support.clinic import at, tiny_clinic
from tests.support.clock import FixedClock

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx versions
    from fastapi.testclient import TestClient

ZONE = "Australia/Melbourne"
_PHONES = itertools.count(100)


def _today(ctx: ServiceContext) -> date:
    return to_local(ctx.clock(), ZONE).date()


def _open_day(day: date) -> date:
    """`day`, or the next day the tiny clinic opens (Monday to Saturday)."""
    return day + timedelta(days=1) if day.weekday() == 6 else day


@pytest.fixture
def clinic(ctx: ServiceContext) -> list[int]:
    return tiny_clinic(ctx)


@pytest.fixture
def api(ctx: ServiceContext, clinic: list[int]) -> Iterator[TestClient]:
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        yield client


def _book(ctx: ServiceContext, doctor: int, start: datetime, given: str = "Ava") -> int:
    phone = f"0412 345 {next(_PHONES):03d}"
    patient = add_patient(ctx, PatientDetails(given, "Singh", phone=phone), allow_duplicate=True)
    return booking.book_appointment(
        ctx, BookingRequest("Standard", start, patient.id, doctor_id=doctor)
    ).id


def _feed(api: TestClient, doctor: int, token: str) -> icalendar.Calendar:
    answer = api.get(f"/v1/calendar/{doctor}.ics", params={"token": token})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(answer.content)


def _events(feed: icalendar.Calendar) -> list[icalendar.Event]:
    return [c for c in feed.walk("VEVENT")]


def test_the_feed_parses_in_the_clinic_zone_and_names_no_patient_by_default(
    ctx: ServiceContext, clinic: list[int], api: TestClient
) -> None:
    day = _open_day(_today(ctx) + timedelta(days=1))
    mine = _book(ctx, clinic[0], at(day, 9))
    _book(ctx, clinic[1], at(day, 9), given="Other")  # another doctor's: not in this feed
    gone = _book(ctx, clinic[0], at(day, 10))
    booking.cancel_appointment(ctx, gone)
    made = calendar_feed.create_token(ctx, clinic[0])
    assert made.url.endswith(f"/v1/calendar/{clinic[0]}.ics?token={made.token}")

    feed = _feed(api, clinic[0], made.token)
    [zone] = feed.walk("VTIMEZONE")
    assert str(zone["TZID"]) == ZONE
    assert feed.walk("STANDARD") and feed.walk("DAYLIGHT")
    [event] = _events(feed)
    assert str(event["SUMMARY"]) == "Booked — Standard, 15 min"
    assert str(event["UID"]).startswith(f"montu-appointment-{mine}@")
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == ZONE
    assert (
        start == at(day, 9)
        and start.utcoffset() == at(day, 9).astimezone(clinic_zone(ZONE)).utcoffset()
    )
    assert event.decoded("DTEND") - start == timedelta(minutes=15)
    body = feed.to_ical().decode()
    assert "Ava" not in body and "Singh" not in body and "Other" not in body


def test_names_only_when_the_clinic_turns_them_on(
    ctx: ServiceContext, clinic: list[int], api: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    day = _open_day(_today(ctx) + timedelta(days=2))
    _book(ctx, clinic[0], at(day, 11))
    token = calendar_feed.create_token(ctx, clinic[0]).token
    set_setting(ctx, "calendar.patient_names", "on")
    with caplog.at_level(logging.DEBUG, logger="montu_desktop"):
        [event] = _events(_feed(api, clinic[0], token))
    assert str(event["SUMMARY"]) == "Booked — Standard, 15 min — Ava Singh"
    # The product's request log has the path only: never the token nor the patient (the
    # test client's own httpx logger, which prints whole URLs, is not the product's).
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("montu_desktop"))
    assert "/v1/calendar/" in ours
    assert token not in ours and "Singh" not in ours
    set_setting(ctx, "calendar.patient_names", "off")
    [event] = _events(_feed(api, clinic[0], token))
    assert "Singh" not in str(event["SUMMARY"])


def _next_change(after: date) -> date:
    """The first day whose noon has another UTC offset in Melbourne than the day before."""
    zone = clinic_zone(ZONE)
    day = after
    while True:
        before = datetime.combine(day, time(12), zone).utcoffset()
        if datetime.combine(day + timedelta(days=1), time(12), zone).utcoffset() != before:
            return day + timedelta(days=1)
        day += timedelta(days=1)


def test_event_times_are_right_across_a_daylight_saving_change(any_db, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    change = _next_change(to_local(clock(), ZONE).date())
    # Five days before the change, so the week grid reaches both sides of it.
    clock.now = datetime.combine(change - timedelta(days=5), time(7), clinic_zone(ZONE))
    ctx = ServiceContext(any_db, clock=clock, actor="test")
    doctors = tiny_clinic(ctx)
    before = change - timedelta(days=1) if change.weekday() != 0 else change - timedelta(days=2)
    after = _open_day(change + timedelta(days=1))
    ids = {
        _book(ctx, doctors[0], at(before, 9)): before,
        _book(ctx, doctors[0], at(after, 9)): after,
    }
    token = calendar_feed.create_token(ctx, doctors[0]).token
    with TestClient(create_app(ctx), raise_server_exceptions=False) as api:
        events = _events(_feed(api, doctors[0], token))
    assert len(events) == 2
    offsets = set()
    for event in events:
        appointment = int(str(event["UID"]).split("@")[0].rsplit("-", 1)[1])
        start = event.decoded("DTSTART")
        # 9:00 on the clinic's wall clock on both sides, an hour apart in UTC terms.
        assert start.astimezone(UTC) == at(ids[appointment], 9)
        assert (start.hour, start.minute) == (9, 0) and str(start.tzinfo) == ZONE
        assert "T090000" in event["DTSTART"].to_ical().decode()
        offsets.add(start.utcoffset())
    assert len(offsets) == 2


def test_the_feed_runs_from_seven_days_back(
    ctx: ServiceContext, clinic: list[int], api: TestClient, clock: FixedClock
) -> None:
    today = _today(ctx)
    first, second = today + timedelta(days=1), today + timedelta(days=2)
    old = _book(ctx, clinic[0], at(first, 9))
    kept = _book(ctx, clinic[0], at(second, 9))
    token = calendar_feed.create_token(ctx, clinic[0]).token
    clock.advance(days=9)  # `first` is now 8 days back, `second` 7
    uids = {str(e["UID"]) for e in _events(_feed(api, clinic[0], token))}
    assert any(u.startswith(f"montu-appointment-{kept}@") for u in uids)
    assert not any(u.startswith(f"montu-appointment-{old}@") for u in uids)


def test_a_wrong_or_revoked_token_gets_404_and_only_a_hash_is_kept(
    ctx: ServiceContext, clinic: list[int], api: TestClient
) -> None:
    token = calendar_feed.create_token(ctx, clinic[0]).token
    other = calendar_feed.create_token(ctx, clinic[1]).token
    assert api.get(f"/v1/calendar/{clinic[0]}.ics?token={token}").status_code == 200
    for path in (
        f"/v1/calendar/{clinic[0]}.ics?token={token[:-1]}x",
        f"/v1/calendar/{clinic[0]}.ics?token={other}",  # another doctor's token
        f"/v1/calendar/{clinic[0]}.ics",
        f"/v1/calendar/abc.ics?token={token}",
        f"/v1/calendar/99999.ics?token={token}",
    ):
        answer = api.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["error"]["reason"] == "no calendar feed matches this address"
    with UnitOfWork(ctx) as uow:
        rows = uow.session.execute(select(CalendarFeed.token_hash)).scalars().all()
    assert hashlib.sha256(token.encode()).hexdigest() in rows and token not in rows

    calendar_feed.revoke_token(ctx, clinic[0])
    assert api.get(f"/v1/calendar/{clinic[0]}.ics?token={token}").status_code == 404
    assert api.get(f"/v1/calendar/{clinic[1]}.ics?token={other}").status_code == 200
    # A new token replaces the doctor's live one at once.
    newer = calendar_feed.create_token(ctx, clinic[1])
    assert newer.replaced
    assert api.get(f"/v1/calendar/{clinic[1]}.ics?token={other}").status_code == 404
    assert api.get(f"/v1/calendar/{clinic[1]}.ics?token={newer.token}").status_code == 200
    with UnitOfWork(ctx) as uow:
        actions = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("calendar_token.%"))
        ).all()
    assert sorted(actions) == sorted(
        ["calendar_token.created"] * 3 + ["calendar_token.revoked"] * 2
    )


def test_a_receptionist_cannot_make_or_revoke_a_token(sqlite_ctx: ServiceContext) -> None:
    doctors = tiny_clinic(sqlite_ctx)
    calendar_feed.create_token(sqlite_ctx, doctors[0])
    sqlite_ctx.role = Role.RECEPTIONIST
    with pytest.raises(NotAllowed):
        calendar_feed.create_token(sqlite_ctx, doctors[0])
    with pytest.raises(NotAllowed):
        calendar_feed.revoke_token(sqlite_ctx, doctors[0])
    assert calendar_feed.list_tokens(sqlite_ctx)[0].active


def test_calendar_tokens_on_the_command_line(
    ctx: ServiceContext,
    clinic: list[int],
    api: TestClient,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = in_process_cli(ctx, clock, monkeypatch, capsys)
    code, out, _err = run("calendar-tokens", "create", str(clinic[0]), "--json")
    assert code == 0
    made = json.loads(out)
    assert made["doctor_id"] == clinic[0] and not made["revoked"] and not made["replaced"]
    assert made["url"].endswith(f"/v1/calendar/{clinic[0]}.ics?token={made['token']}")
    assert api.get(made["url"].split("8470", 1)[1]).status_code == 200

    code, out, _err = run("calendar-tokens", "create", str(clinic[1]))
    assert code == 0 and f"/v1/calendar/{clinic[1]}.ics?token=" in out
    code, out, _err = run("calendar-tokens", "list", "--json")
    assert code == 0
    assert [(t["doctor_id"], t["revoked"]) for t in json.loads(out)] == [
        (clinic[0], False),
        (clinic[1], False),
    ]

    code, out, _err = run("calendar-tokens", "revoke", str(clinic[0]))
    assert code == 0 and "revoked" in out
    assert api.get(made["url"].split("8470", 1)[1]).status_code == 404
    code, out, _err = run("calendar-tokens", "list")
    assert "(revoked)" in out.splitlines()[0] and "(revoked)" not in out.splitlines()[1]

    code, _out, err = run("calendar-tokens", "revoke", str(clinic[0]))
    assert code == 3 and err.strip() == (
        f"refused: doctor: doctor {clinic[0]} has no live calendar feed token"
    )
    code, _out, err = run("calendar-tokens", "create", "99999")
    assert code == 3 and err.strip() == "refused: doctor: no doctor with id 99999"
