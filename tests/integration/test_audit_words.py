"""The audit log reads as sentences: names not ids, clinic-local times, one date format; CSV too."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, time, timedelta

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.wording import when_label
from montu_desktop.services import booking, online, patients, reference, waitlist
from montu_desktop.services.admin import doctors, holds, staff
from montu_desktop.services.admin.audit import audit_csv, audit_log, plain_audit
from montu_desktop.services.booking_view import nearest_free_slots
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.services.move_options import move_options

ZONE = "Australia/Melbourne"
TUESDAY = date(2026, 11, 24)


def test_a_move_reads_like_a_sentence_with_names_and_local_times(
    sqlite_ctx: ServiceContext,
) -> None:
    ctx = sqlite_ctx
    create_demo_clinic(ctx, doctors=3, weeks=1, seed=4)
    staff.add_staff(ctx, "alice", "Alice", "front desk 1", "receptionist")
    ctx.actor = "alice"
    book = day_book(ctx, TUESDAY)
    entry = next(e for e in book.appointments if e.status is AppointmentStatus.BOOKED)
    doctor = next(d.name for d in book.doctors if d.id == entry.doctor_id)
    same_day = [
        o
        for o in move_options(ctx, entry.id, TUESDAY, 1)
        if o.same_doctor and o.start != entry.start
    ]
    assert same_day, "the demo day should leave the doctor a free time"
    moved = booking.reschedule_appointment(ctx, entry.id, same_day[0].start)
    ctx.clock.now = moved.start  # type: ignore[attr-defined]  # no-show once it has started
    booking.set_status(ctx, entry.id, AppointmentStatus.NO_SHOW)
    lines = plain_audit(ctx, audit_log(ctx, action="appointment"), ZONE)
    old, new = to_local(entry.start, ZONE), to_local(moved.start, ZONE)
    assert lines[1].what == (
        f"Alice moved {entry.patient_name} from {when_label(old)} to {new:%H:%M} ({doctor})"
    )
    assert lines[0].what == f"Alice marked {entry.patient_name} a no-show"
    assert lines[0].who == "Alice" and lines[0].when.startswith("Tue 24 Nov 2026 ")
    assert lines[1].when.startswith("Mon 23 Nov 2026 ")
    assert "appointment " not in lines[1].what and "+00:00" not in lines[1].what
    rows = list(csv.reader(io.StringIO(audit_csv(lines))))
    assert rows[0][:3] == ["When", "Who", "What happened"]
    assert rows[2][2] == lines[1].what and len(rows) == len(lines) + 1


def test_staff_entries_name_the_people(sqlite_ctx: ServiceContext) -> None:
    ctx = sqlite_ctx
    staff.create_first_manager(ctx, "maria", "Maria Rossi", "correct horse")
    ctx.actor = "maria"
    staff.add_staff(ctx, "ros", "Ros Lee", "front desk 1", "receptionist")
    staff.sign_in(ctx, "maria", "correct horse")
    lines = plain_audit(ctx, audit_log(ctx, action="staff"), ZONE)
    assert [line.what for line in lines[:2]] == [
        "Maria Rossi signed in",
        "Maria Rossi created the account Ros Lee (ros, receptionist)",
    ]


def test_cancellations_keys_and_patient_edits_read_as_sentences(sqlite_ctx: ServiceContext) -> None:
    from montu_desktop.services import online, patients

    ctx = sqlite_ctx
    create_demo_clinic(ctx, doctors=2, weeks=1, seed=4)
    staff.add_staff(ctx, "alice", "Alice", "front desk 1", "receptionist")
    ctx.actor = "alice"
    entry = next(
        e for e in day_book(ctx, TUESDAY).appointments if e.status is AppointmentStatus.BOOKED
    )
    booking.cancel_appointment(ctx, entry.id, reason="Patient unwell")
    patients.edit_patient(ctx, entry.patient_id, phone="0412 000 999")
    online.create_api_key(ctx, "Clinic website", "availability")
    lines = [line.what for line in plain_audit(ctx, audit_log(ctx), ZONE)]
    cancelled = next(w for w in lines if "cancelled" in w)
    assert cancelled.startswith(f"Alice cancelled {entry.patient_name}'s appointment on ")
    assert cancelled.endswith("(reason: Patient unwell)")
    assert f"Alice edited {entry.patient_name} (phone)" in lines
    assert "Alice created the online-booking key 'Clinic website'" in lines
    assert not any("0412 000 999" in w or "+61412000999" in w for w in lines)


NUMBERED = re.compile(r"\b(doctor|patient|waitlist|type|exception|notification) \d+\b")


def test_no_line_names_a_record_by_its_number(sqlite_ctx: ServiceContext) -> None:
    """Issue 28: "settings hold added doctor 3", "booked from the waitlist waitlist 1" and
    "added patient 322" name the doctor and the patient instead."""
    ctx = sqlite_ctx
    create_demo_clinic(ctx, doctors=2, weeks=1, seed=4)
    staff.create_first_manager(ctx, "maria", "Maria Rossi", "correct horse")
    ctx.actor = "maria"
    lee = reference.doctors(ctx)[0]
    holds.add_hold(ctx, lee.id, 1, time(14, 0), time(14, 30))
    doctors.rename_doctor(ctx, lee.id, "Dr Lee Renamed")
    zelda = patients.add_patient(ctx, PatientDetails("Zelda", "Quimby"))
    entry_id = waitlist.add_to_waitlist(ctx, zelda.id, "Standard")
    start = nearest_free_slots(ctx, "Standard", ctx.clock() + timedelta(days=1), count=1)[0]
    booking.book_appointment(
        ctx, booking.BookingRequest("Standard", start, zelda.id, waitlist_id=entry_id)
    )
    online.set_bookable_online(ctx, "Standard", True)

    lines = [line.what for line in plain_audit(ctx, audit_log(ctx), ZONE)]
    assert "Maria Rossi held Tuesday 14:00–14:30 for urgent patients (Dr Lee Renamed)" in lines
    assert f"Maria Rossi renamed the doctor {lee.name} to Dr Lee Renamed" in lines
    assert "Maria Rossi added Zelda Quimby" in lines
    assert "Maria Rossi put Zelda Quimby on the waitlist (Standard)" in lines
    assert "Maria Rossi booked Zelda Quimby from the waitlist" in lines
    assert "Maria Rossi made Standard bookable online" in lines
    assert not [w for w in lines if NUMBERED.search(w)], [w for w in lines if NUMBERED.search(w)]

    # Staff not allowed to see patients get record numbers for them, never names.
    hidden = [line.what for line in plain_audit(ctx, audit_log(ctx), ZONE, with_patients=False)]
    assert f"Maria Rossi added patient {zelda.id}" in hidden
    assert not any("Zelda" in w for w in hidden)
