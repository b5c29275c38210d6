"""A clinic set up from nothing through the manager's services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from montu_desktop.domain.clinic_time import local_instant
from montu_desktop.domain.errors import InvalidRequest, NoSchedule
from montu_desktop.domain.model import RosterTemplate, WeeklyHours
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.settings_rules import ClinicDetails
from montu_desktop.persistence import tables as t
from montu_desktop.services.admin import clinic, doctors, rosters, types
from montu_desktop.services.admin.changes import move_bookings
from montu_desktop.services.availability import week_availability
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import add_patient
from montu_desktop.services.reference import clinic_policy, week_reference
from montu_desktop.services.unit_of_work import UnitOfWork

ZONE = "Australia/Melbourne"
TUESDAY = date(2026, 11, 24)
WEEKDAYS_9_TO_5 = [WeeklyHours(d, time(9), time(17)) for d in range(5)]


def weekday_blocks(*spans: tuple[time, time], weekdays=range(5)) -> list[RosterTemplate]:  # type: ignore[no-untyped-def]
    return [RosterTemplate(0, d, s, e, date(2026, 1, 1)) for d in weekdays for s, e in spans]


def set_up_clinic(
    ctx: ServiceContext, doctor_names: tuple[str, ...] = ("Dr Ada", "Dr Ben")
) -> list[int]:
    """What a manager does on an empty database: details, hours, a type, doctors with rosters."""
    clinic.save_clinic(
        ctx, ClinicDetails("Northside Clinic", "1 High St", "+61390001111", ZONE, "VIC", 15, 6)
    )
    clinic.set_opening_hours(ctx, WEEKDAYS_9_TO_5)
    types.add_type(ctx, "Standard", 15, "#3b7dd8")
    types.add_type(ctx, "Long", 30, "#8e5cc9")
    ids = []
    for name in doctor_names:
        doctor_id = doctors.add_doctor(ctx, name)
        rosters.save_templates(
            ctx, doctor_id, weekday_blocks((time(9), time(12)), (time(13), time(17)))
        )
        ids.append(doctor_id)
    return ids


def patient(ctx: ServiceContext, given: str = "Ivy") -> int:
    return add_patient(
        ctx, PatientDetails(given, "Stone", phone="0412345678"), allow_duplicate=True
    ).id


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return local_instant(day, time(hour, minute), ZONE)


def test_a_clinic_set_up_from_nothing_offers_its_doctors(ctx: ServiceContext) -> None:
    with pytest.raises(NoSchedule):
        clinic_policy(ctx)
    set_up_clinic(ctx)

    week = week_availability(ctx, "Standard", TUESDAY)
    tuesday = next(d for d in week.days if d.day == TUESDAY)
    nine = next(s for s in tuesday.slots if s.start == int(at(TUESDAY, 9).timestamp()))
    assert nine.free_doctors == 2
    lunch = [s for s in tuesday.slots if s.start == int(at(TUESDAY, 12, 15).timestamp())]
    assert not lunch or lunch[0].free_doctors == 0
    saturday = next(d for d in week.days if d.day.weekday() == 5)
    assert not saturday.open
    # Christmas Day is a Victorian public holiday: preloaded as a closure.
    assert any(
        c.day == date(2026, 12, 25) and c.closed
        for c in clinic.closures(ctx, TUESDAY, date(2026, 12, 31))
    )


def test_each_change_refreshes_the_cached_week_at_once(ctx: ServiceContext) -> None:
    ada, ben = set_up_clinic(ctx)
    before = week_reference(ctx, TUESDAY)
    assert set(before.roster.doctors()) == {ada, ben}
    rosters.save_templates(ctx, ben, weekday_blocks((time(9), time(12)), weekdays=[0]))
    after = week_reference(ctx, TUESDAY)
    assert after.roster.doctors() == [ada, ben]
    assert not after.roster.covers(
        ben, int(at(TUESDAY, 9).timestamp()), int(at(TUESDAY, 10).timestamp())
    )
    clinic.close_day(ctx, TUESDAY, "Staff training")
    assert not week_reference(ctx, TUESDAY).days[TUESDAY].is_open


@pytest.mark.parametrize(
    ("length", "colour", "field"),
    [(20, "#3b7dd8", "length"), (0, "#3b7dd8", "length"), (15, "blue", "colour")],
)
def test_bad_type_is_refused_naming_the_field(
    ctx: ServiceContext, length: int, colour: str, field: str
) -> None:
    set_up_clinic(ctx)
    with pytest.raises(InvalidRequest) as refused:
        types.add_type(ctx, "Odd", length, colour)
    assert refused.value.field == field
    assert [k.name for k in types.list_types(ctx)] == ["Long", "Standard"]


def test_bad_clinic_details_and_hours_are_refused(ctx: ServiceContext) -> None:
    with pytest.raises(InvalidRequest) as refused:
        clinic.save_clinic(ctx, ClinicDetails("", timezone=ZONE))
    assert refused.value.field == "name"
    with pytest.raises(InvalidRequest) as refused:
        clinic.save_clinic(ctx, ClinicDetails("X", timezone="Mars/Olympus"))
    assert refused.value.field == "timezone"
    set_up_clinic(ctx)
    with pytest.raises(InvalidRequest) as refused:
        clinic.set_opening_hours(ctx, [WeeklyHours(0, time(17), time(9))])
    assert refused.value.field == "hours.monday"
    assert "after opening" in refused.value.reason
    assert len(clinic.opening_hours(ctx)) == 5


def test_roster_blocks_overlapping_or_outside_hours_are_refused(ctx: ServiceContext) -> None:
    ada, _ = set_up_clinic(ctx)
    for spans, words in [
        (((time(9), time(12)), (time(11), time(14))), "overlaps"),
        (((time(8), time(12)),), "outside opening hours"),
        (((time(12), time(9)),), "end must be after"),
    ]:
        with pytest.raises(InvalidRequest) as refused:
            rosters.save_templates(ctx, ada, weekday_blocks(*spans))
        assert refused.value.field == "blocks"
        assert words in refused.value.reason
    assert len(rosters.templates(ctx, ada)) == 10


def test_a_template_change_lists_the_bookings_it_strands_before_confirming(
    ctx: ServiceContext,
) -> None:
    ada, ben = set_up_clinic(ctx)
    booked = book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 10), patient(ctx), ada))

    preview = rosters.save_templates(ctx, ada, weekday_blocks((time(13), time(17))), confirm=False)

    assert not preview.applied
    assert [s.appointment_id for s in preview.stranded] == [booked.id]
    assert preview.stranded[0].doctor_name == "Dr Ada"
    assert preview.stranded[0].offer_doctor_id == ben
    assert len(rosters.templates(ctx, ada)) == 10  # nothing changed yet

    outcome = rosters.save_templates(ctx, ada, weekday_blocks((time(13), time(17))))
    assert outcome.applied and [s.appointment_id for s in outcome.stranded] == [booked.id]
    with UnitOfWork(ctx) as uow:  # not silently dropped: still booked, still Ada's
        row = uow.session.get(t.Appointment, booked.id)
        assert (row.status, row.doctor_id) == ("booked", ada)
    [moved] = move_bookings(ctx, [(booked.id, ben)])
    assert moved.moved_to == ben, moved.problem
    with UnitOfWork(ctx) as uow:
        assert uow.session.get(t.Appointment, booked.id).doctor_id == ben


def test_no_offer_when_nobody_else_is_free(ctx: ServiceContext) -> None:
    set_up_clinic(ctx, ("Dr Ada",))
    booked = book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 10), patient(ctx)))
    preview = clinic.close_day(ctx, TUESDAY, "Power works", confirm=False)
    assert [(s.appointment_id, s.offer_doctor_id) for s in preview.stranded] == [(booked.id, None)]
    assert clinic.closures(ctx, TUESDAY, TUESDAY) == []


def test_a_longer_type_strands_the_booking_it_would_run_into(ctx: ServiceContext) -> None:
    ada, ben = set_up_clinic(ctx)
    first = book_appointment(
        ctx, BookingRequest("Standard", at(TUESDAY, 10), patient(ctx, "A"), ada)
    )
    second = book_appointment(
        ctx, BookingRequest("Standard", at(TUESDAY, 10, 15), patient(ctx, "B"), ada)
    )
    standard = next(k for k in types.list_types(ctx) if k.name == "Standard")

    preview = types.edit_type(ctx, standard.id, "Standard", 30, "#3b7dd8", True, confirm=False)
    assert [(s.appointment_id, s.offer_doctor_id) for s in preview.stranded] == [(second.id, ben)]

    outcome = types.edit_type(ctx, standard.id, "Standard", 30, "#3b7dd8", True, reassign=True)

    assert outcome.stranded == []
    assert [(s.appointment_id, s.offer_doctor_id) for s in outcome.moved] == [(second.id, ben)]
    with UnitOfWork(ctx) as uow:
        one = uow.session.get(t.Appointment, first.id)
        two = uow.session.get(t.Appointment, second.id)
        assert (one.doctor_id, (one.end_at - one.start_at).seconds) == (ada, 30 * 60)
        assert (two.doctor_id, (two.end_at - two.start_at).seconds) == (ben, 30 * 60)


def test_a_longer_type_without_reassignment_keeps_both_bookings_listed(ctx: ServiceContext) -> None:
    ada, _ = set_up_clinic(ctx)
    first = book_appointment(
        ctx, BookingRequest("Standard", at(TUESDAY, 10), patient(ctx, "A"), ada)
    )
    second = book_appointment(
        ctx, BookingRequest("Standard", at(TUESDAY, 10, 15), patient(ctx, "B"), ada)
    )
    standard = next(k for k in types.list_types(ctx) if k.name == "Standard")

    outcome = types.edit_type(ctx, standard.id, "Standard", 30, "#3b7dd8", True)

    # The second stays put, so the first cannot grow into it: both are listed, none lost.
    assert {s.appointment_id for s in outcome.stranded} == {first.id, second.id}
    with UnitOfWork(ctx) as uow:
        for booked in (first, second):
            row = uow.session.get(t.Appointment, booked.id)
            assert (row.status, (row.end_at - row.start_at).seconds) == ("booked", 15 * 60)


def test_a_type_in_use_can_only_be_deactivated(ctx: ServiceContext) -> None:
    ada, _ = set_up_clinic(ctx)
    book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 10), patient(ctx), ada))
    long_ = next(k for k in types.list_types(ctx) if k.name == "Long")
    with pytest.raises(InvalidRequest) as refused:
        types.delete_type(ctx, long_.id)
    assert "deactivate" in refused.value.reason
    types.edit_type(ctx, long_.id, "Long", 30, "#8e5cc9", False)
    assert not next(k for k in types.list_types(ctx) if k.name == "Long").active
    standard = next(k for k in types.list_types(ctx) if k.name == "Standard")
    types.delete_type(ctx, standard.id)
    assert [k.name for k in types.list_types(ctx)] == ["Long"]


def test_removing_a_doctor_lists_their_future_bookings_and_keeps_history(
    ctx: ServiceContext,
) -> None:
    ada, ben = set_up_clinic(ctx)
    booked = book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 14), patient(ctx), ada))
    preview = doctors.remove_doctor(ctx, ada, confirm=False)
    assert [(s.appointment_id, s.offer_doctor_id) for s in preview.stranded] == [(booked.id, ben)]
    assert {d.id for d in doctors.list_doctors(ctx)} == {ada, ben}

    doctors.remove_doctor(ctx, ada)
    assert [d.id for d in doctors.list_doctors(ctx)] == [ben]
    assert [d.id for d in doctors.list_doctors(ctx, include_removed=True) if d.removed] == [ada]
    assert week_reference(ctx, TUESDAY).roster.doctors() == [ben]


def test_deactivating_previews_then_reactivating_restores(ctx: ServiceContext) -> None:
    ada, _ = set_up_clinic(ctx)
    book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 14), patient(ctx), ada))
    assert len(doctors.set_doctor_active(ctx, ada, False, confirm=False).stranded) == 1
    doctors.set_doctor_active(ctx, ada, False)
    assert ada not in week_reference(ctx, TUESDAY).roster.doctors()
    doctors.set_doctor_active(ctx, ada, True)
    assert ada in week_reference(ctx, TUESDAY).roster.doctors()


def test_a_public_holiday_can_be_kept_open_and_stays_open_after_reloading(
    ctx: ServiceContext,
) -> None:
    set_up_clinic(ctx)
    boxing_day_observed = date(2026, 12, 28)  # Boxing Day falls on a Saturday in 2026
    listed = {c.day: c for c in clinic.closures(ctx, date(2026, 12, 1), date(2026, 12, 31))}
    assert listed[date(2026, 12, 25)].public_holiday and listed[date(2026, 12, 25)].closed
    assert boxing_day_observed in listed

    clinic.open_day(ctx, boxing_day_observed)
    clinic.load_public_holidays(ctx, 2026)

    kept = next(c for c in clinic.closures(ctx, boxing_day_observed, boxing_day_observed))
    assert kept.public_holiday and not kept.closed
    assert week_reference(ctx, boxing_day_observed).days[boxing_day_observed].is_open


def test_settings_changes_are_audited(ctx: ServiceContext) -> None:
    from montu_desktop.services.admin.audit import audit_log

    ada, _ = set_up_clinic(ctx)
    booked = book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 14), patient(ctx), ada))
    entries = audit_log(ctx)
    actions = [e.action for e in entries]
    assert actions[0] == "appointment.booked"
    assert entries[0].subject == f"appointment {booked.id}" and entries[0].actor == "test"
    assert "settings.roster.changed" in actions and "settings.type.added" in actions
    assert {e.action for e in audit_log(ctx, action="appointment")} == {"appointment.booked"}
    assert audit_log(ctx, actor="someone-else") == []
    with UnitOfWork(ctx) as uow:
        assert uow.session.scalars(select(t.Clinic.name)).one() == "Northside Clinic"
    assert datetime(2026, 1, 1, tzinfo=UTC) < entries[0].at
