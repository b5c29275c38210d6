"""The patient record, corrections, duplicates, merging, notes and status moves (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.notifications.records import NotificationRow
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.admin_tables import AuditEntry
from montu_desktop.services.booking import (
    BookingRequest,
    book_appointment,
    cancel_appointment,
    mark_status,
    set_note,
)
from montu_desktop.services.day_book import day_book
from montu_desktop.services.patients import (
    DuplicatePatient,
    add_patient,
    edit_patient,
    find_patients,
    get_patient,
    likely_duplicate_ids,
    merge_patients,
    merge_preview,
    patient_record,
    same_day_bookings,
)
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import at, overlapping_pairs, tiny_clinic

MONDAY, TUESDAY, WEDNESDAY = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)
AVA = PatientDetails("Ava", "Singh", date(1990, 3, 4), "0412 000 111", "ava@example.com")


def audit(ctx, action: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    with UnitOfWork(ctx) as uow:
        return [
            {"subject": e.subject, **e.details}
            for e in uow.session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        ]


def everything(ctx) -> str:  # type: ignore[no-untyped-def]
    """Every patient and appointment row as text: to show a refusal changed nothing."""
    with UnitOfWork(ctx) as uow:
        rows = [
            *uow.session.scalars(select(t.Patient).order_by(t.Patient.id)),
            *uow.session.scalars(select(t.Appointment).order_by(t.Appointment.id)),
        ]
        return repr([sorted((k, str(v)) for k, v in vars(r).items() if k[0] != "_") for r in rows])


def book(ctx, patient: int, day: date, hour: int, minute: int = 0, kind: str = "Long", **kw):  # type: ignore[no-untyped-def]
    return book_appointment(ctx, BookingRequest(kind, at(day, hour, minute), patient, **kw))


def test_the_record_lists_upcoming_and_past_appointments_with_doctor_and_note(ctx, clock) -> None:
    tiny_clinic(ctx)
    ava = add_patient(ctx, AVA).id
    early = book(ctx, ava, MONDAY, 9, note="  Knee pain ")
    later = book(ctx, ava, WEDNESDAY, 10)
    dropped = book(ctx, ava, TUESDAY, 11)
    cancel_appointment(ctx, dropped.id, reason="Patient unwell")
    clock.now = at(TUESDAY, 8)

    record = patient_record(ctx, ava)
    assert record.details.phone == "+61412000111" and record.merged_into is None
    assert [a.id for a in record.upcoming] == [later.id]
    assert [a.id for a in record.past] == [dropped.id, early.id]  # most recent first
    first = record.past[1]
    assert (first.note, first.type_name, first.start) == ("Knee pain", "Long", at(MONDAY, 9))
    assert first.doctor_name.startswith("Dr ")
    assert record.past[0].status is AppointmentStatus.CANCELLED
    assert record.past[0].cancel_reason == "Patient unwell"
    assert [a.id for a in record.appointments] == [early.id, dropped.id, later.id]
    assert record.next_appointment is not None and record.next_appointment.id == later.id
    with pytest.raises(NotFound) as missing:
        patient_record(ctx, 999)
    assert missing.value.field == "patient"


def test_an_edit_is_validated_like_adding_and_audited_without_values(ctx) -> None:
    ava = add_patient(ctx, AVA).id
    edited = edit_patient(
        ctx, ava, phone="0413 222 333", email="", sms_reminders=False, reminders_opt_out=True
    )
    assert edited.details.phone == "+61413222333" and edited.details.email is None
    assert edited.reminders_opt_out and not edited.details.sms_reminders
    assert get_patient(ctx, ava).details == edited.details
    (entry,) = audit(ctx, "patient.edited")
    assert entry["fields"] == ["phone", "email", "sms_reminders", "reminders_opt_out"]
    assert "413" not in json.dumps(entry) and "example" not in json.dumps(entry)
    assert edit_patient(ctx, ava, date_of_birth="1990-03-05").details.date_of_birth == date(
        1990, 3, 5
    )
    edit_patient(ctx, ava, given_name="Ava")  # nothing changed: nothing audited
    assert len(audit(ctx, "patient.edited")) == 2

    before = everything(ctx)
    for change, field in (
        ({"phone": "123"}, "phone"),
        ({"email": "ava@"}, "email"),
        ({"family_name": "  "}, "family_name"),
        ({"date_of_birth": date(2030, 1, 1)}, "date_of_birth"),
        ({"date_of_birth": "1990-02-30"}, "date_of_birth"),
        ({"shoe_size": 9}, "shoe_size"),
    ):
        with pytest.raises(InvalidRequest) as refused:
            edit_patient(ctx, ava, **change)
        assert refused.value.field == field
    with pytest.raises(NotFound):
        edit_patient(ctx, 999, given_name="X")
    assert everything(ctx) == before


def test_a_likely_duplicate_is_refused_unless_added_on_purpose(ctx) -> None:
    first = add_patient(ctx, AVA).id
    by_phone = add_patient(ctx, PatientDetails("Bo", "Jones", phone="+61 413 000 999")).id
    assert likely_duplicate_ids(ctx, PatientDetails("Zed", "Other")) == []
    assert likely_duplicate_ids(ctx, PatientDetails("A.", "SÍNGH", date(1990, 3, 4))) == [first]
    assert likely_duplicate_ids(ctx, PatientDetails("X", "Y", email="AVA@example.com")) == [first]
    assert likely_duplicate_ids(ctx, PatientDetails("X", "Y", phone="0413 000 999")) == [by_phone]
    assert likely_duplicate_ids(ctx, PatientDetails("X", "Y", phone="not a phone")) == []

    before = everything(ctx)
    with pytest.raises(DuplicatePatient) as refused:
        add_patient(
            ctx, PatientDetails("Ava", "Singh", phone="0413 000 999", email="ava@example.com")
        )
    assert refused.value.field == "patient" and refused.value.ids == [first, by_phone]
    assert f"{first}, {by_phone}" in refused.value.reason
    assert isinstance(refused.value, InvalidRequest)
    assert everything(ctx) == before

    again = add_patient(ctx, AVA, allow_duplicate=True).id
    assert likely_duplicate_ids(ctx, AVA) == [first, again]  # oldest first
    assert audit(ctx, "patient.added")[-1]["despite_duplicate"] is True


def test_merging_moves_appointments_and_messages_and_retires_the_duplicate(ctx) -> None:
    tiny_clinic(ctx)
    keep = add_patient(ctx, AVA).id
    dup = add_patient(
        ctx, PatientDetails("Ava", "Singh", date(1990, 3, 4)), allow_duplicate=True
    ).id
    mine = book(ctx, keep, TUESDAY, 9)
    theirs = [book(ctx, dup, TUESDAY, 10), book(ctx, dup, WEDNESDAY, 9)]
    cancel_appointment(ctx, theirs[1].id)
    now = at(MONDAY, 7)
    with UnitOfWork(ctx, write=True) as uow:
        for i, appointment in enumerate(theirs):
            uow.session.add(
                NotificationRow(
                    idempotency_key=f"k{i}",
                    appointment_id=appointment.id,
                    patient_id=dup,
                    channel="sms",
                    kind="confirmation",
                    status="sent",
                    due_at=now,
                    appointment_start=appointment.start,
                    created_at=now,
                    updated_at=now,
                )
            )
        uow.commit()

    preview = merge_preview(ctx, keep, dup)
    assert [a.id for a in preview.appointments] == [a.id for a in theirs]
    assert preview.notifications == 2 and preview.can_merge and preview.refusal is None
    assert patient_record(ctx, keep).upcoming[0].id == mine.id  # the preview changed nothing

    result = merge_patients(ctx, keep, dup)
    assert result.appointment_ids == tuple(a.id for a in theirs) and result.notifications == 2
    record = patient_record(ctx, keep)
    assert {a.id for a in record.appointments} == {mine.id, *(a.id for a in theirs)}
    assert patient_record(ctx, dup).merged_into == keep and patient_record(ctx, dup).retired
    with UnitOfWork(ctx) as uow:
        owners = set(uow.session.scalars(select(NotificationRow.patient_id)))
    assert owners == {keep}
    assert [p.id for p in find_patients(ctx, "singh")] == [keep]
    assert likely_duplicate_ids(ctx, AVA) == [keep]
    (entry,) = audit(ctx, "patient.merged")
    assert entry == {
        "subject": f"patient {dup}",
        "into": keep,
        "appointments": [a.id for a in theirs],
        "notifications": 2,
    }

    before = everything(ctx)
    for keep_id, dup_id, words in (
        (keep, keep, "into itself"),
        (keep, dup, f"patient {dup} was merged into patient {keep}"),
        (dup, keep, "was merged"),
        (keep, 999, "no patient with id 999"),
    ):
        with pytest.raises(InvalidRequest) as refused:
            merge_patients(ctx, keep_id, dup_id)
        assert refused.value.field == "patient" and words in refused.value.reason
    with pytest.raises(InvalidRequest):
        edit_patient(ctx, dup, given_name="Changed")
    with pytest.raises(InvalidRequest) as booking_retired:
        book(ctx, dup, WEDNESDAY, 11)
    assert "merged into" in booking_retired.value.reason
    assert everything(ctx) == before


def test_a_merge_that_would_overlap_is_refused_naming_the_appointments(ctx) -> None:
    tiny_clinic(ctx)
    keep = add_patient(ctx, AVA).id
    dup = add_patient(ctx, PatientDetails("Ava", "Singh"), allow_duplicate=True).id
    mine = book(ctx, keep, TUESDAY, 9)
    cancelled = book(ctx, dup, TUESDAY, 9)
    cancel_appointment(ctx, cancelled.id)  # a cancelled appointment never counts
    theirs = book(ctx, dup, TUESDAY, 9, 15, kind="Standard")

    preview = merge_preview(ctx, keep, dup)
    assert preview.overlaps == ((mine.id, theirs.id),) and not preview.can_merge
    before = everything(ctx)
    with pytest.raises(InvalidRequest) as refused:
        merge_patients(ctx, keep, dup)
    assert refused.value.field == "patient"
    assert f"{mine.id} and {theirs.id}" in refused.value.reason
    assert everything(ctx) == before and overlapping_pairs(ctx) == 0

    cancel_appointment(ctx, theirs.id)
    assert merge_patients(ctx, keep, dup).appointment_ids == (cancelled.id, theirs.id)
    assert overlapping_pairs(ctx) == 0


def test_search_shows_each_patients_next_appointment_and_same_day_bookings(ctx, clock) -> None:
    tiny_clinic(ctx)
    ava = add_patient(ctx, AVA).id
    bo = add_patient(ctx, PatientDetails("Bo", "Singh")).id
    book(ctx, ava, MONDAY, 9)
    tuesday = book(ctx, ava, TUESDAY, 11)
    book(ctx, ava, WEDNESDAY, 9)
    clock.now = at(MONDAY, 10)
    found = {p.id: p.next_appointment for p in find_patients(ctx, "singh")}
    assert found[bo] is None
    assert found[ava] is not None and found[ava].id == tuesday.id
    assert [a.id for a in same_day_bookings(ctx, ava, TUESDAY)] == [tuesday.id]
    assert same_day_bookings(ctx, bo, TUESDAY) == []


def test_status_moves_store_times_can_be_undone_and_are_audited(ctx, clock) -> None:
    tiny_clinic(ctx)
    ava = add_patient(ctx, AVA).id
    booked = book(ctx, ava, TUESDAY, 9)
    before = everything(ctx)
    with pytest.raises(InvalidRequest) as tomorrow:
        mark_status(ctx, booked.id, "arrived")
    assert tomorrow.value.field == "status" and "appointment's day" in tomorrow.value.reason
    assert everything(ctx) == before

    clock.now = at(TUESDAY, 8, 5)
    arrived = mark_status(ctx, booked.id, "arrived")
    assert arrived.status == "arrived" and arrived.arrived_at == at(TUESDAY, 8, 5)
    clock.now = at(TUESDAY, 9, 40)
    done = mark_status(ctx, booked.id, AppointmentStatus.COMPLETED)
    assert (done.arrived_at, done.completed_at) == (at(TUESDAY, 8, 5), at(TUESDAY, 9, 40))
    undone = mark_status(ctx, booked.id, "booked")
    assert (undone.status, undone.arrived_at, undone.completed_at) == ("booked", None, None)
    assert mark_status(ctx, booked.id, "no-show").status == "no_show"
    assert mark_status(ctx, booked.id, "booked").status == "booked"
    moves = [(e["old"], e["new"]) for e in audit(ctx, "appointment.status")]
    assert moves == [
        ("booked", "arrived"),
        ("arrived", "completed"),
        ("completed", "booked"),
        ("booked", "no_show"),
        ("no_show", "booked"),
    ]
    with pytest.raises(NotFound):
        mark_status(ctx, 999, "arrived")


def test_notes_and_cancel_reasons_are_kept_but_never_sent_or_logged(ctx) -> None:
    tiny_clinic(ctx)
    ava = add_patient(ctx, AVA).id
    secret = "Discuss biopsy result"
    booked = book(ctx, ava, TUESDAY, 9, note=secret)
    assert booked.note == secret
    entry = next(e for e in day_book(ctx, TUESDAY).appointments if e.id == booked.id)
    assert entry.note == secret
    assert set_note(ctx, booked.id, "Follow-up: " + secret).note == "Follow-up: " + secret
    with pytest.raises(InvalidRequest) as too_long:
        set_note(ctx, booked.id, "x" * 501)
    assert too_long.value.field == "note"
    with pytest.raises(InvalidRequest):
        book(ctx, ava, WEDNESDAY, 9, note="y" * 501)
    assert set_note(ctx, booked.id, "").note is None
    set_note(ctx, booked.id, secret)
    cancelled = cancel_appointment(ctx, booked.id, reason="Doctor unavailable")
    assert (cancelled.cancel_reason, cancelled.note) == ("Doctor unavailable", secret)
    (entry,) = audit(ctx, "appointment.cancelled")
    assert entry["reason"] == "Doctor unavailable"
    with UnitOfWork(ctx) as uow:
        logged = json.dumps(
            [e.details for e in uow.session.scalars(select(AuditEntry))]
            + [e.payload for e in uow.session.scalars(select(t.OutboxEvent))]
        )
    assert "biopsy" not in logged
    assert len(audit(ctx, "appointment.note")) == 3


def test_the_overlap_guard_still_holds_after_the_migration(ctx) -> None:
    tiny_clinic(ctx, doctors=1)
    ava = add_patient(ctx, AVA).id
    first = book(ctx, ava, TUESDAY, 9)
    with UnitOfWork(ctx, write=True) as uow:
        row = uow.session.get(t.Appointment, first.id)
        copy = t.Appointment(
            doctor_id=row.doctor_id,
            patient_id=row.patient_id,
            type_id=row.type_id,
            start_at=row.start_at + timedelta(minutes=15),
            end_at=row.end_at + timedelta(minutes=15),
            status="booked",
            created_by="test",
            created_at=row.created_at,
            updated_at=row.created_at,
        )
        uow.session.add(copy)
        with pytest.raises(Exception, match="overlap"):
            uow.session.flush()
    cancel_appointment(ctx, first.id)
    assert book(ctx, ava, TUESDAY, 9, 15).start == at(TUESDAY, 9, 15)  # cancelled rows don't count


def test_database_errors_never_carry_what_was_written(ctx) -> None:
    tiny_clinic(ctx, doctors=1)
    ava = add_patient(ctx, AVA).id
    with UnitOfWork(ctx, write=True) as uow:
        wrong = t.Appointment(
            doctor_id=1,
            patient_id=ava,
            type_id=1,
            start_at=at(TUESDAY, 10),
            end_at=at(TUESDAY, 9),  # refused by the database's own check
            status="booked",
            note="Discuss biopsy result",
            created_by="test",
            created_at=at(MONDAY, 7),
            updated_at=at(MONDAY, 7),
        )
        uow.session.add(wrong)
        with pytest.raises(Exception) as refused:
            uow.session.flush()
    said = str(refused.value)
    assert "ck_appointment_order" in said or "CHECK" in said
    # Bound values are hidden; PostgreSQL's own DETAIL line may still echo the failing row,
    # which is why notes are checked before they reach the database.
    assert "biopsy" not in said.replace(str(refused.value.orig), "")  # type: ignore[attr-defined]
    assert "[parameters:" not in said


def test_the_database_refuses_a_live_appointment_for_a_retired_patient(ctx, monkeypatch) -> None:
    from montu_desktop.persistence import booking_rows

    tiny_clinic(ctx, doctors=1)
    keep = add_patient(ctx, AVA).id
    dup = add_patient(ctx, PatientDetails("Ava", "Singh"), allow_duplicate=True).id
    merge_patients(ctx, keep, dup)

    # A desk that read the patient just before the merge committed: its first look says
    # the duplicate is still live; the database refuses, and the retry says why.
    real = booking_rows.request_standing
    looks = []

    def stale_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        standing = real(*args, **kwargs)
        looks.append(standing)
        if len(looks) == 1:
            return booking_rows.RequestStanding(True, False, standing.clinic_day)
        return standing

    monkeypatch.setattr(booking_rows, "request_standing", stale_once)
    before = everything(ctx)
    with pytest.raises(InvalidRequest) as refused:
        book(ctx, dup, TUESDAY, 9)
    assert refused.value.field == "patient"
    assert f"merged into patient {keep}" in refused.value.reason
    # On SQLite the desk read just before the write and the retry said why; on PostgreSQL
    # the booking is one call to the server (montu_book), which reads the patient inside the
    # booking's own transaction: there is no earlier look to go stale.
    assert len(looks) == (2 if ctx.database.is_sqlite else 0)
    assert everything(ctx) == before

    with UnitOfWork(ctx, write=True) as uow:
        uow.session.add(
            t.Appointment(
                doctor_id=1,
                patient_id=dup,
                type_id=1,
                start_at=at(TUESDAY, 10),
                end_at=at(TUESDAY, 10, 30),
                status="booked",
                created_by="test",
                created_at=at(MONDAY, 7),
                updated_at=at(MONDAY, 7),
            )
        )
        with pytest.raises(Exception, match="appointment_patient_retired"):
            uow.session.flush()


# --- issue 28 feature 20: the fuller record -------------------------------------------------


def test_the_fuller_record_is_stored_edited_and_found_by_medicare(ctx, caplog) -> None:
    caplog.set_level("DEBUG")
    ava = add_patient(
        ctx,
        replace(
            AVA,
            address="12 High St, Fitzroy VIC 3065",
            medicare_number="2428 77813 2",
            medicare_irn=2,
            alerts=("allergy",),
            alert_note="penicillin",
        ),
    ).id
    other = add_patient(ctx, PatientDetails("Bo", "Lee", phone="0413 555 666")).id
    stored = get_patient(ctx, ava).details
    assert (stored.medicare_number, stored.medicare_irn) == ("2428778132", 2)
    assert stored.alerts == ("allergy",) and stored.alert_note == "penicillin"
    assert stored.address == "12 High St, Fitzroy VIC 3065"

    edited = edit_patient(
        ctx,
        ava,
        dva_number="nx123456",
        emergency_name="Raj Singh",
        emergency_phone="0412 000 222",
        alerts="allergy,interpreter",
        address="",
    ).details
    assert edited.dva_number == "NX123456" and edited.emergency_phone == "+61412000222"
    assert edited.alerts == ("allergy", "interpreter") and edited.address is None
    assert get_patient(ctx, ava).details == edited
    assert audit(ctx, "patient.edited")[-1]["fields"] == [
        "address",
        "dva_number",
        "emergency_name",
        "emergency_phone",
        "alerts",
    ]

    for typed in ("2428 77813 2", "2428778132", " 2428 778 132 "):
        assert [p.id for p in find_patients(ctx, typed)] == [ava]
    assert find_patients(ctx, "2123 45670 1") == []  # a valid card nobody holds
    assert [p.id for p in find_patients(ctx, "0413 555 666")] == [other]  # phones still work

    before = everything(ctx)
    with pytest.raises(InvalidRequest) as refused:
        edit_patient(ctx, ava, medicare_number="2428 77814 2")
    assert refused.value.field == "medicare_number" and everything(ctx) == before
    with pytest.raises(InvalidRequest) as refused:
        edit_patient(ctx, other, medicare_irn=3)  # no card
    assert refused.value.field == "medicare_irn" and everything(ctx) == before
    cleared = edit_patient(ctx, ava, medicare_number="", medicare_irn="", alerts="").details
    assert cleared.medicare_number is None and cleared.alerts == ()
    assert find_patients(ctx, "2428778132") == []
    # Neither the log nor the audit trail holds any of it (field names only).
    with UnitOfWork(ctx) as uow:
        trail = json.dumps([e.details for e in uow.session.scalars(select(AuditEntry))])
    for secret in ("2428778132", "2428 77813 2", "penicillin", "NX123456", "Raj", "High St"):
        assert secret not in caplog.text and secret not in trail
