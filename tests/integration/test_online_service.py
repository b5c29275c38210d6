"""Online booking's use cases on SQLite and PostgreSQL: keys, patient matching, cancel tokens."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from montu_desktop.config import process_identity
from montu_desktop.domain.errors import InvalidRequest, NotFound, SlotTaken
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import admin_tables as at
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.online_tables import ApiKey, ApiRequest
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
        stored = uow.session.execute(select(ApiKey.token_hash)).scalars().all()
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


def test_an_online_booking_joins_a_record_only_when_names_birth_date_and_contact_match(
    ctx,
) -> None:
    tiny_clinic(ctx, doctors=2)
    existing = patients.add_patient(ctx, _zoe(given_name="ZOE ", family_name="ngo"))
    key = _key(ctx)
    made = online.book_online(ctx, key, "Standard", local_at(TUESDAY, 9), _zoe(), "sore knee")
    assert made.doctor_name.startswith("Dr ") and len(made.cancel_token) >= 40
    with UnitOfWork(ctx) as uow:
        row = uow.session.get(t.Appointment, made.id)
        assert row is not None and row.patient_id == existing.id and row.note == "sore knee"
        assert row.created_by == "site"
        assert uow.session.scalar(select(t.OutboxEvent.name)) == "appointment.booked"
        assert uow.session.scalar(select(func.count()).select_from(t.Patient)) == 1


def test_a_known_phone_with_another_name_books_into_a_new_record_to_check(ctx) -> None:
    """Knowing a patient's mobile number (or name and birthday) is not enough to book into,
    or learn about, their record: a new record is made and marked to check."""
    tiny_clinic(ctx, doctors=4)
    victim = patients.add_patient(ctx, _zoe())
    victims_own = booking.book_appointment(
        ctx, booking.BookingRequest("Standard", local_at(TUESDAY, 9), victim.id)
    )
    key = _key(ctx)
    strangers = (
        _zoe(given_name="Mallory"),  # the victim's phone and birthday, another name
        _zoe(phone="0412 999 000"),  # the victim's names and birthday, another phone
        _zoe(date_of_birth=date(1991, 1, 2)),  # names and phone, another birthday
    )
    made = [online.book_online(ctx, key, "Standard", local_at(TUESDAY, 9), d) for d in strangers]
    with UnitOfWork(ctx) as uow:
        booked_for = {
            uow.session.get(t.Appointment, m.id).patient_id  # type: ignore[union-attr]
            for m in made
        }
        added = uow.session.scalars(select(t.Patient).where(t.Patient.id.in_(booked_for))).all()
        marks = [(p.booked_online, p.online_unchecked) for p in added]
        events = uow.session.scalars(select(t.OutboxEvent.payload)).all()
    assert victim.id not in booked_for and len(booked_for) == 3
    assert marks == [(True, True)] * 3
    # The only event naming the victim is the victim's own booking: no confirmation goes to
    # the victim's record for a stranger's booking.
    assert [e["appointment_id"] for e in events if e["patient_id"] == victim.id] == [victims_own.id]
    assert patients.get_patient(ctx, victim.id).details == victim.details

    to_check = patients.online_patients_to_check(ctx)
    assert [c.patient.id for c in to_check] == sorted(booked_for)
    assert all(victim.id in [x.id for x in c.look_alikes] for c in to_check)
    assert patients.online_patients_to_check_count(ctx) == 3
    first, second, third = sorted(booked_for)
    patients.keep_online_patient(ctx, first)
    with pytest.raises(InvalidRequest):  # settled already
        patients.keep_online_patient(ctx, first)
    with pytest.raises(InvalidRequest):  # the victim's own record is no online booking to check
        patients.merge_online_patient(ctx, victim.id, second)
    # The stranger's appointment overlaps the victim's: the merge is refused, nothing moves.
    with pytest.raises(InvalidRequest):
        patients.merge_online_patient(ctx, second, victim.id)
    booking.cancel_appointment(ctx, made[1].id)
    merged = patients.merge_online_patient(ctx, second, victim.id)
    assert merged.appointment_ids == (made[1].id,)
    assert [c.patient.id for c in patients.online_patients_to_check(ctx)] == [third]


def test_a_refused_online_booking_leaves_no_trace(ctx, clock) -> None:
    tiny_clinic(ctx, doctors=1)
    key = _key(ctx)

    def counts() -> tuple[int, ...]:
        with UnitOfWork(ctx) as uow:
            return tuple(
                uow.session.scalar(select(func.count()).select_from(table)) or 0
                for table in (t.Patient, t.Appointment, t.OutboxEvent, at.AuditEntry)
            )

    before = counts()
    in_the_past = clock() - timedelta(days=1)
    beyond = local_at(TUESDAY + timedelta(weeks=8), 9)
    for start, field in (
        (in_the_past, "start"),
        (local_at(TUESDAY, 9).replace(tzinfo=None), "start"),
        (beyond, "start"),
        (local_at(TUESDAY, 9, 7), "start"),
        (local_at(TUESDAY, 7), "start"),
    ):
        with pytest.raises(InvalidRequest) as refused:
            online.book_online(ctx, key, "Standard", start, _zoe())
        assert refused.value.field == field, refused.value
    assert counts() == before


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
    claim = online.claim_request(ctx, key, "k1", "h1")
    assert isinstance(claim, online.Claim)
    pending = online.claim_request(ctx, key, "k1", "h1")  # this process is alive: not taken
    assert pending == online.FirstAnswer(True, None, None)
    online.record_answer(ctx, claim, 422, {"id": 5})
    replay = online.claim_request(ctx, key, "k1", "h1")
    assert replay == online.FirstAnswer(True, 422, {"id": 5})
    assert not online.claim_request(ctx, key, "k1", "h2").same_body  # type: ignore[union-attr]
    second = online.claim_request(ctx, key, "k2", "h1")
    assert isinstance(second, online.Claim)
    online.release_request(ctx, second)
    assert isinstance(online.claim_request(ctx, key, "k2", "h1"), online.Claim)
    with pytest.raises(InvalidRequest):
        online.claim_request(ctx, key, "\n", "h1")


def _claimed_by(ctx, idempotency_key: str, owner: str) -> None:
    with UnitOfWork(ctx, write=True) as uow:
        uow.session.execute(
            update(ApiRequest)
            .where(ApiRequest.idempotency_key == idempotency_key)
            .values(claimed_by=owner)
        )
        uow.commit()


def test_a_claim_whose_request_died_is_taken_over_and_the_key_books_once(ctx, clock) -> None:
    tiny_clinic(ctx, doctors=2)
    key = _key(ctx)
    host, boot, _pid, _start = process_identity.this_process().split("|")
    # A server process that no longer runs (a pid that is not running, or reused by another
    # process started at another time) on this machine's current boot.
    dead = f"{host}|{boot}|{2**22 + 1}|12345"
    reused = f"{host}|{boot}|1|0"
    rebooted = f"{host}|00000000-0000-0000-0000-000000000000|1|0"
    elsewhere = f"other-host|{boot}|1|0"
    for owner in (dead, reused, rebooted):
        first = online.claim_request(ctx, key, f"k-{owner}", "h")
        assert isinstance(first, online.Claim)
        _claimed_by(ctx, f"k-{owner}", owner)
        again = online.claim_request(ctx, key, f"k-{owner}", "h")
        assert again == online.Claim(key.id, f"k-{owner}", process_identity.this_process())

    # Another machine's request cannot be asked about: it is taken over after the time limit.
    assert isinstance(online.claim_request(ctx, key, "far", "h"), online.Claim)
    _claimed_by(ctx, "far", elsewhere)
    assert online.claim_request(ctx, key, "far", "h") == online.FirstAnswer(True, None, None)
    clock.advance(seconds=online.REQUEST_TIME_LIMIT.total_seconds() + 1)
    taken = online.claim_request(ctx, key, "far", "h")
    assert isinstance(taken, online.Claim)

    # The first request, still running after all, can no longer commit: nothing of it stays.
    stale = online.Claim(key.id, "far", elsewhere)
    with pytest.raises(online.ClaimLost):
        online.book_online(ctx, key, "Standard", local_at(TUESDAY, 10), _zoe(), claim=stale)
    with UnitOfWork(ctx) as uow:
        assert uow.session.scalar(select(func.count()).select_from(t.Patient)) == 0
        assert uow.session.scalar(select(func.count()).select_from(t.Appointment)) == 0
    # The request that took over books, and its answer is kept in the booking's transaction.
    made = online.book_online(ctx, key, "Standard", local_at(TUESDAY, 10), _zoe(), claim=taken)
    replay = online.claim_request(ctx, key, "far", "h")
    assert isinstance(replay, online.FirstAnswer) and replay.status_code == 201
    assert replay.response == online.booked_answer(made, "Australia/Melbourne")


def test_cancelling_through_the_desk_still_works_for_an_online_booking(ctx) -> None:
    tiny_clinic(ctx, doctors=1)
    made = online.book_online(ctx, _key(ctx), "Standard", local_at(TUESDAY, 9), _zoe())
    assert booking.cancel_appointment(ctx, made.id).status == "cancelled"


def test_first_answers_are_forgotten_after_a_day(ctx, clock) -> None:
    key = _key(ctx)
    claim = online.claim_request(ctx, key, "k1", "h1")
    assert isinstance(claim, online.Claim)
    online.record_answer(ctx, claim, 201, {"cancel_token": "secret"})
    clock.advance(hours=25)
    assert isinstance(online.claim_request(ctx, key, "k2", "h1"), online.Claim)
    # k1 was purged: new again
    assert isinstance(online.claim_request(ctx, key, "k1", "h1"), online.Claim)


def test_online_patients_to_check_from_the_command_line(ctx, clock, monkeypatch, capsys) -> None:
    import json

    from tests.support.cli_runner import in_process_cli

    tiny_clinic(ctx, doctors=2)
    run = in_process_cli(ctx, clock, monkeypatch, capsys)

    assert run("online-patients", "list")[:2] == (0, "no online bookings to check\n")
    known = patients.add_patient(ctx, _zoe())
    key = _key(ctx)
    zed = online.book_online(ctx, key, "Standard", local_at(TUESDAY, 9), _zoe(given_name="Zed"))
    # A name stored before control characters were refused: the listing must escape it.
    from sqlalchemy import text as sql

    with ctx.database.engine.begin() as conn:
        conn.execute(
            sql(
                "UPDATE patient SET given_name = :g"
                " WHERE id = (SELECT patient_id FROM appointment WHERE id = :a)"
            ),
            {"g": "Zed\x1b[31m", "a": zed.id},
        )
    online.book_online(
        ctx, key, "Standard", local_at(TUESDAY, 10), _zoe(given_name="Zo", phone="0412 111 222")
    )
    code, out, err = run("online-patients", "list", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert [x["given"] for x in listed] == ["Zed\x1b[31m", "Zo"]
    first, second = (x["id"] for x in listed)
    # The stored record, and the other online booking (the same date of birth and family name).
    assert [[a["id"] for a in x["look_alikes"]] for x in listed] == [
        [known.id, second],
        [known.id, first],
    ]
    code, text, _ = run("online-patients", "list")
    assert "\x1b" not in text and "looks like" in text and "Ngô, Zoë" in text
    assert run("online-patients", "keep", str(first))[:2] == (
        0,
        f"patient {first} kept as a new record\n",
    )
    code, out, err = run("online-patients", "keep", str(first))
    assert code == 3 and err.startswith("refused: patient:"), err
    code, out, err = run("online-patients", "merge", str(second), "--into", str(known.id), "--json")
    assert code == 0, err
    assert json.loads(out)["keep_id"] == known.id
    assert run("online-patients", "list", "--json")[1] == "[]\n"


def test_the_desks_new_patient_and_booking_is_one_transaction(ctx, clock) -> None:
    tiny_clinic(ctx, doctors=1)
    request = booking.BookingRequest("Standard", local_at(TUESDAY, 9), booking.NO_PATIENT_YET)

    def patient_count() -> int:
        with UnitOfWork(ctx) as uow:
            return int(uow.session.scalar(select(func.count()).select_from(t.Patient)) or 0)

    for refused_start in (clock() - timedelta(days=1), local_at(TUESDAY, 9, 5)):
        with pytest.raises(InvalidRequest) as refused:
            booking.book_new_patient(ctx, _zoe(), replace(request, start=refused_start))
        assert refused.value.field == "start"
    with pytest.raises(InvalidRequest) as refused:
        booking.book_new_patient(ctx, _zoe(phone="12"), request)
    assert refused.value.field == "phone"
    assert patient_count() == 0
    booked = booking.book_new_patient(ctx, _zoe(), request)
    assert patients.patient_record(ctx, booked.patient_id).upcoming[0].id == booked.id
    with pytest.raises(patients.DuplicatePatient):  # the desk's duplicate check still holds
        booking.book_new_patient(ctx, _zoe(), replace(request, start=local_at(TUESDAY, 10)))
    with pytest.raises(SlotTaken):  # the only doctor is taken: the second patient is not kept
        booking.book_new_patient(ctx, _zoe(given_name="Other"), request, allow_duplicate=True)
    assert patient_count() == 1
