"""A moved appointment tells the patient, the audit log and the screens the same way,
whether a desk rescheduled it or a roster change gave it to another doctor."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from montu_desktop.domain.clinic_time import local_instant
from montu_desktop.domain.op_changes import OpChanges
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.admin_tables import AuditEntry
from montu_desktop.services.booking import BookingRequest, book_appointment, reschedule_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic

ZONE = "Australia/Melbourne"
TUESDAY = date(2026, 11, 24)


def test_a_reschedule_writes_one_event_one_audit_row_and_one_notice(ctx: ServiceContext) -> None:
    create_demo_clinic(ctx, doctors=2, weeks=1, fill=0.0, patients=3)
    booked = book_appointment(
        ctx, BookingRequest("Standard", local_instant(TUESDAY, time(10), ZONE), 1)
    )
    heard: list[OpChanges] = []
    ctx.on_change.append(heard.append)
    new_start = local_instant(TUESDAY, time(11), ZONE)
    moved = reschedule_appointment(ctx, booked.id, new_start)

    with ctx.database.session() as session:
        events = session.scalars(
            select(t.OutboxEvent).where(t.OutboxEvent.name == "appointment.rescheduled")
        ).all()
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "appointment.rescheduled")
        ).all()
        assert len(events) == 1 and events[0].payload["appointment_id"] == booked.id
        assert events[0].payload["old_start"] == booked.start.isoformat()
        assert len(audit) == 1 and audit[0].subject == f"appointment {booked.id}"
        assert audit[0].details["old_start"] == booked.start.isoformat()
        assert audit[0].details["start"] == moved.start.isoformat()
    assert [n.ids_of("appointments") for n in heard] == [[booked.id]]


def test_reschedule_offers_only_what_the_move_accepts(ctx: ServiceContext) -> None:
    """Never the appointment's own time, never a doctor who does not do the type, never
    time held for urgent patients; and every doctor offered at every time is accepted."""
    from datetime import timedelta

    from montu_desktop.services.admin.doctor_types import set_doctor_types
    from montu_desktop.services.admin.holds import add_hold
    from montu_desktop.services.move_options import move_options
    from tests.support.clinic import at, new_patients, tiny_clinic

    a, b, c = tiny_clinic(ctx, doctors=3)
    (patient,) = new_patients(ctx, 1)
    set_doctor_types(ctx, c, ["Long"])  # Dr C does not do Standard
    add_hold(ctx, b, TUESDAY.weekday(), time(11), time(12))  # Dr B's 11-12 held for urgent
    booked = book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 10), patient, a))
    options = move_options(ctx, booked.id, TUESDAY, 1)
    assert options
    assert booked.start not in [o.start for o in options]
    offered = {(o.start, d.id) for o in options for d in o.doctors}
    assert not [s for s, d in offered if d == c]
    assert not [s for s, d in offered if d == b and at(TUESDAY, 11) <= s < at(TUESDAY, 12)]
    assert (at(TUESDAY, 11), a) in offered and (at(TUESDAY, 10, 30), b) in offered
    for start, doctor in sorted(offered)[:: max(len(offered) // 12, 1)]:
        moved = reschedule_appointment(ctx, booked.id, start, doctor)
        assert (moved.start, moved.doctor_id) == (start, doctor)
    assert all(o.start - at(TUESDAY, 9) < timedelta(hours=3) for o in options)
