"""Online booking's use cases on SQLite and PostgreSQL: keys, patient matching, cancel tokens."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from montu_desktop.domain.errors import InvalidRequest, NotFound, SlotTaken
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import admin_tables as at
from montu_desktop.persistence import tables as t
from montu_desktop.services import booking, online, patients
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import at as local_at
from tests.support.clinic import overlapping_pairs, tiny_clinic

TUESDAY = date(2026, 11, 24)


def _key(ctx, name: str = "site", scopes: str = "availability,book") -> online.ApiKeyInfo:
    return online.create_api_key(ctx, name, scopes)[0]


def _zoe(**changes: object) -> PatientDetails:
    values: dict[str, object] = {
        "given_name": "Zoë",
        "family_name": "Ngô",
        "date_of_birth": date(1990, 1, 2),
        "phone": "0412 345 678",
        "email": None,
    }
    values.update(changes)
    return PatientDetails(**values)  # type: ignore[arg-type]


def test_a_key_authenticates_until_revoked_and_only_its_hash_is_stored(ctx) -> None:
    key, token = online.create_api_key(
        ctx, "site", "book", rate="30/min", origin="https://c.example/"
    )
    assert (key.scopes, key.rate_per_minute, key.origin) == ({"book"}, 30, "https://c.example")
    assert online.authenticate(ctx, token) == key
    assert online.authenticate(ctx, token + "x") is None
    with UnitOfWork(ctx) as uow:
        stored = uow.session.execute(select(online.ApiKey.token_hash)).scalars().all()
        audited = uow.session.scalars(select(at.AuditEntry.action)).all()
    assert token not in stored and len(stored[0]) == 64
    assert "api_key.created" in audited
    online.revoke_api_key(ctx, "site")
    assert online.authenticate(ctx, token) is None
    assert online.allowed_origins(ctx) == set()


def test_bad_key_requests_are_refused_naming_the_field(ctx) -> None:
    _key(ctx)
    for call, field in (
        (lambda: online.create_api_key(ctx, "site", "book"), "name"),
        (lambda: online.create_api_key(ctx, "x", "admin"), "scopes"),
        (lambda: online.create_api_key(ctx, "y", "book", rate="0"), "rate"),
        (lambda: online.create_api_key(ctx, "z", "book", origin="clinic"), "origin"),
        (lambda: online.revoke_api_key(ctx, "nobody"), "name"),
    ):
        with pytest.raises(InvalidRequest) as refused:
            call()
        assert refused.value.field == field
    assert [k.name for k in online.list_api_keys(ctx)] == ["site"]


def test_an_online_booking_matches_the_existing_patient_by_the_duplicate_rule(ctx) -> None:
    tiny_clinic(ctx, doctors=2)
    existing = patients.add_patient(ctx, _zoe(given_name="Zoe", family_name="NGO", phone=None))
    key = _key(ctx)
    made = online.book_online(ctx, key, "Standard", local_at(TUESDAY, 9), _zoe(), "sore knee")
    assert made.doctor_name.startswith("Dr ") and len(made.cancel_token) >= 40
    with UnitOfWork(ctx) as uow:
        row = uow.session.get(t.Appointment, made.id)
        assert row is not None and row.patient_id == existing.id and row.note == "sore knee"
        assert row.created_by == "site"
        assert uow.session.scalar(select(t.OutboxEvent.name)) == "appointment.booked"


def test_a_new_online_patient_is_added_and_marked_as_booked_online(ctx) -> None:
    tiny_clinic(ctx, doctors=1)
    made = online.book_online(ctx, _key(ctx), "standard", local_at(TUESDAY, 9), _zoe())
    with UnitOfWork(ctx) as uow:
        patient = uow.session.scalar(select(t.Patient))
        assert patient is not None and patient.booked_online
        assert uow.session.get(t.Appointment, made.id).patient_id == patient.id


def test_online_booking_refuses_what_the_desk_refuses_and_types_kept_off_line(ctx) -> None:
    tiny_clinic(ctx, doctors=1)
    key = _key(ctx)
    online.set_bookable_online(ctx, "Long", False)
    assert [k.name for k in online.online_types(ctx)] == ["Procedure", "Standard"]
    cases = (
        (dict(type_name="Long"), "type"),
        (dict(details=_zoe(phone="12")), "patient.phone"),
        (dict(details=_zoe(date_of_birth=None)), "patient.dob"),
        (dict(details=_zoe(phone=None, email=None)), "patient.phone"),
        (dict(note="x" * 501), "note"),
    )
    for change, field in cases:
        args = {"type_name": "Standard", "details": _zoe(), "note": None, **change}
        with pytest.raises(InvalidRequest) as refused:
            online.book_online(
                ctx, key, args["type_name"], local_at(TUESDAY, 9), args["details"], args["note"]
            )
        assert refused.value.field == field
    online.book_online(ctx, key, "Standard", local_at(TUESDAY, 9), _zoe())
    with pytest.raises(SlotTaken):
        online.book_online(
            ctx, key, "Standard", local_at(TUESDAY, 9), _zoe(phone="0412 000 111", family_name="B")
        )
    assert overlapping_pairs(ctx) == 0
    nearest = online.nearest_free_starts(ctx, "Standard", local_at(TUESDAY, 9))
    assert nearest == [local_at(TUESDAY, 9, 15), local_at(TUESDAY, 9, 30), local_at(TUESDAY, 9, 45)]


def test_a_cancel_token_cancels_only_its_own_booking_and_not_too_late(ctx, clock) -> None:
    tiny_clinic(ctx, doctors=2)
    key = _key(ctx)
    first = online.book_online(ctx, key, "Standard", local_at(TUESDAY, 9), _zoe())
    second = online.book_online(
        ctx, key, "Standard", local_at(TUESDAY, 10), _zoe(phone="0412 999 888", family_name="Other")
    )
    with pytest.raises(NotFound):
        online.cancel_online(ctx, key, first.id, second.cancel_token)
    with pytest.raises(NotFound):
        online.cancel_online(ctx, key, 999999, first.cancel_token)
    online.cancel_online(ctx, key, first.id, first.cancel_token)
    with pytest.raises(NotFound):  # already cancelled
        online.cancel_online(ctx, key, first.id, first.cancel_token)
    clock.advance(hours=24 + 12)  # Tuesday 08:00 local: two hours before the second
    with pytest.raises(online.CancelRefused):
        online.cancel_online(ctx, key, second.id, second.cancel_token)
    with UnitOfWork(ctx) as uow:
        statuses = dict(uow.session.execute(select(t.Appointment.id, t.Appointment.status)).all())
    assert statuses == {first.id: "cancelled", second.id: "booked"}


def test_an_idempotency_key_is_claimed_once_and_replays_the_first_answer(ctx) -> None:
    key = _key(ctx)
    assert online.claim_request(ctx, key, "k1", "h1") is None
    pending = online.claim_request(ctx, key, "k1", "h1")
    assert pending is not None and pending.status_code is None
    online.record_answer(ctx, key, "k1", 201, {"id": 5})
    replay = online.claim_request(ctx, key, "k1", "h1")
    assert replay == online.FirstAnswer(True, 201, {"id": 5})
    assert not online.claim_request(ctx, key, "k1", "h2").same_body
    assert online.claim_request(ctx, key, "k2", "h1") is None
    online.release_request(ctx, key, "k2")
    assert online.claim_request(ctx, key, "k2", "h1") is None
    with pytest.raises(InvalidRequest):
        online.claim_request(ctx, key, "\n", "h1")


def test_cancelling_through_the_desk_still_works_for_an_online_booking(ctx) -> None:
    tiny_clinic(ctx, doctors=1)
    made = online.book_online(ctx, _key(ctx), "Standard", local_at(TUESDAY, 9), _zoe())
    assert booking.cancel_appointment(ctx, made.id).status == "cancelled"


def test_first_answers_are_forgotten_after_a_day(ctx, clock) -> None:
    key = _key(ctx)
    assert online.claim_request(ctx, key, "k1", "h1") is None
    online.record_answer(ctx, key, "k1", 201, {"cancel_token": "secret"})
    clock.advance(hours=25)
    assert online.claim_request(ctx, key, "k2", "h1") is None
    assert online.claim_request(ctx, key, "k1", "h1") is None  # k1 was purged: new again
