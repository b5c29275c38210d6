"""Scheduling a real clinic, on SQLite and PostgreSQL: doctors' types, fair choice with reasons,
held urgent time, the waitlist, recurring series and holidays over the whole horizon."""

from __future__ import annotations

from collections import Counter
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from montu_desktop.domain.availability import Unavailable
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.series import Repeat
from montu_desktop.domain.settings_rules import ClinicDetails
from montu_desktop.persistence import scheduling_tables as st
from montu_desktop.persistence import tables as t
from montu_desktop.services import series, waitlist
from montu_desktop.services.admin import clinic, doctor_types, holds
from montu_desktop.services.admin.rollover import roll_forward
from montu_desktop.services.availability import week_availability
from montu_desktop.services.booking import (
    BookingRequest,
    book_appointment,
    cancel_appointment,
)
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import appointment_count, at, new_patients, tiny_clinic

TUESDAY = date(2026, 11, 24)


# 1. Which doctors do which types


def test_a_doctor_without_the_type_is_never_chosen_nor_counted(ctx) -> None:
    a, b, c = tiny_clinic(ctx, doctors=3)
    doctor_types.set_doctor_types(ctx, a, ["Standard"])
    patients = new_patients(ctx, 8)
    chosen = Counter(
        book_appointment(
            ctx, BookingRequest("Long", at(TUESDAY, 9 + i // 2, 30 * (i % 2)), p)
        ).doctor_id
        for i, p in enumerate(patients[:6])
    )
    assert a not in chosen and sum(chosen.values()) == 6  # Dr A was the least loaded every time
    slot = week_availability(ctx, "Long", TUESDAY).slot_at(at(TUESDAY, 11, 30))
    assert slot is not None and slot.rostered_doctors == 2  # Dr A is not offered for Long
    # Dr A still does Standard: free at 9:00 with whichever of B and C was not booked then.
    assert week_availability(ctx, "Standard", TUESDAY).slot_at(at(TUESDAY, 9)).free_doctors == 2
    with pytest.raises(InvalidRequest) as refused:
        book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 11, 30), patients[6], a))
    assert refused.value.field == "doctor"
    assert b in chosen and c in chosen


def test_taking_a_type_away_previews_its_future_bookings_first(ctx) -> None:
    a, b = tiny_clinic(ctx, doctors=2)
    (p,) = new_patients(ctx, 1)
    booked = book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 10), p, a))
    preview = doctor_types.set_doctor_types(ctx, a, ["Standard"], confirm=False)
    assert not preview.applied
    assert [(s.appointment_id, s.offer_doctor_id) for s in preview.stranded] == [(booked.id, b)]
    assert [k.name for k in doctor_types.doctor_types(ctx, a).skips] == []  # nothing changed
    done = doctor_types.set_doctor_types(ctx, a, ["Standard"], reassign=True)
    assert done.applied and [m.appointment_id for m in done.moved] == [booked.id]
    with UnitOfWork(ctx) as uow:
        assert uow.session.get(t.Appointment, booked.id).doctor_id == b
    assert {k.name for k in doctor_types.doctor_types(ctx, a).skips} == {"Long", "Procedure"}


# 5. Fairness that knows the roster and says why


def test_the_fair_choice_weighs_booked_minutes_against_the_roster(ctx) -> None:
    a, b = tiny_clinic(ctx, doctors=2)
    # Dr B works only 9-10 on Tuesday; Dr A the whole 9-12 morning.
    with UnitOfWork(ctx, write=True) as uow:
        block = uow.session.scalars(
            select(t.DoctorSchedule).where(
                t.DoctorSchedule.doctor_id == b, t.DoctorSchedule.day == TUESDAY
            )
        ).one()
        block.end_at = at(TUESDAY, 10)
        uow.commit()
    p1, p2, p3 = new_patients(ctx, 3)
    book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 11), p1, a))  # A: 30 of 180
    book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 9, 45), p2, b))  # B: 15 of 60
    booked = book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 9), p3))
    assert booked.doctor_id == a  # fewer minutes booked is not enough: 1/6 < 1/4
    assert booked.choice is not None
    assert {
        (c.doctor_id, c.booked_minutes, c.rostered_minutes) for c in booked.choice.candidates
    } == {(a, 30, 180), (b, 15, 60)}
    assert booked.choice.why("Dr A") == "Dr A: 30 min of 3 h booked, the least of 2 free"


# 4. Held slots for urgent patients


def test_held_time_is_urgent_only_until_it_releases_itself(ctx, clock) -> None:
    (a,) = tiny_clinic(ctx, doctors=1)
    holds.add_hold(ctx, a, TUESDAY.weekday(), time(11), time(11, 30))
    p1, p2 = new_patients(ctx, 2)
    slot = week_availability(ctx, "Standard", TUESDAY).slot_at(at(TUESDAY, 11))
    assert (slot.free_doctors, slot.unavailable) == (0, Unavailable.HELD)
    assert (
        week_availability(ctx, "Standard", TUESDAY, urgent=True)
        .slot_at(at(TUESDAY, 11))
        .free_doctors
        == 1
    )
    with pytest.raises(InvalidRequest) as refused:
        book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 11), p1))
    assert refused.value.field == "start"
    urgent = book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 11), p1, urgent=True))
    assert urgent.doctor_id == a
    # Two hours (the default) before 11:00 the rest of the held time is anyone's.
    clock.now = at(TUESDAY, 9) - timedelta(seconds=1)
    assert week_availability(ctx, "Standard", TUESDAY).slot_at(at(TUESDAY, 11, 15)).unavailable is (
        Unavailable.HELD
    )
    clock.now = at(TUESDAY, 9)
    assert (
        week_availability(ctx, "Standard", TUESDAY).slot_at(at(TUESDAY, 11, 15)).free_doctors == 1
    )
    ordinary = book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 11, 15), p2))
    assert ordinary.doctor_id == a


# 2. Waitlist


def test_a_cancellation_finds_the_waitlisted_patient_who_fits_and_books_them(ctx) -> None:
    tiny_clinic(ctx, doctors=1)
    booked_patient, early, late, other_type = new_patients(ctx, 4)
    booked = book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 10), booked_patient))
    first = waitlist.add_to_waitlist(ctx, early, "Long", part="morning")
    waitlist.add_to_waitlist(ctx, late, "Long", part="afternoon")
    waitlist.add_to_waitlist(ctx, other_type, "Procedure")
    second = waitlist.add_to_waitlist(ctx, other_type, "Long", from_day=TUESDAY)
    assert waitlist.waitlist_matches(ctx, "Long", at(TUESDAY, 10)) == []  # not free yet
    cancel_appointment(ctx, booked.id)
    matches = waitlist.waitlist_matches(ctx, "Long", at(TUESDAY, 10))
    assert [m.id for m in matches] == [first, second]  # oldest first; afternoon does not fit
    book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 10), early, waitlist_id=first))
    assert first not in [i.id for i in waitlist.list_waitlist(ctx)]
    with UnitOfWork(ctx) as uow:
        entry = uow.session.get(st.WaitlistEntry, first)
        assert entry.closed_at is not None and entry.appointment_id is not None
    before = appointment_count(ctx)
    with pytest.raises(InvalidRequest) as refused:  # closed entries cannot be used twice
        book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 11), early, waitlist_id=first))
    assert refused.value.field == "waitlist" and appointment_count(ctx) == before


# 3. Recurring series


def _starts(ctx, first, count):  # type: ignore[no-untyped-def]
    return series.series_starts(ctx, first, Repeat.parse("weekly"), count=count)


def test_a_series_whose_middle_occurrence_clashes(ctx) -> None:
    tiny_clinic(ctx, doctors=1)
    mine, theirs = new_patients(ctx, 2)
    middle = at(TUESDAY + timedelta(weeks=1), 10)
    book_appointment(ctx, BookingRequest("Long", middle, theirs))
    request = BookingRequest("Long", at(TUESDAY, 10), mine)
    starts = _starts(ctx, request.start, 3)
    assert starts == [at(TUESDAY + timedelta(weeks=w), 10) for w in range(3)]
    preview = series.preview_series(ctx, request, starts)
    assert [o.free for o in preview] == [True, False, True]
    assert preview[1].alternatives and all(s != middle for s in preview[1].alternatives)
    before = appointment_count(ctx)
    with pytest.raises(InvalidRequest) as refused:
        series.book_series(ctx, request, starts, Repeat.parse("weekly"))
    assert "Tue 1 Dec 2026" in refused.value.reason and appointment_count(ctx) == before
    result = series.book_series(ctx, request, starts, Repeat(1), skip_clashes=True)
    assert [b.start for b in result.appointments] == [starts[0], starts[2]]
    assert [c.start for c in result.clashes] == [middle]
    with UnitOfWork(ctx) as uow:
        linked = uow.session.scalar(
            select(func.count()).where(st.SeriesOccurrence.series_id == result.series_id)
        )
    assert linked == 2
    cancelled = series.cancel_following(ctx, result.appointments[0].id)
    assert [c.id for c in cancelled] == [b.id for b in result.appointments]
    assert appointment_count(ctx) == before


def test_monthly_repeats_keep_the_weekday_of_the_month() -> None:
    from montu_desktop.domain.series import occurrence_days

    days = occurrence_days(date(2026, 11, 24), Repeat.parse("monthly"), count=3)
    assert days == [date(2026, 11, 24), date(2026, 12, 22), date(2027, 1, 26)]  # 4th Tuesday
    fortnightly = occurrence_days(
        date(2026, 11, 24), Repeat.parse("fortnightly"), until=date(2026, 12, 22)
    )
    assert fortnightly == [date(2026, 11, 24), date(2026, 12, 8), date(2026, 12, 22)]
    assert Repeat.parse("every-3-weeks").weeks == 3
    with pytest.raises(InvalidRequest):
        Repeat.parse("daily")


# 6. Holidays over the whole horizon


def _clinic(ctx, horizon_weeks: int, state: str = "VIC") -> None:  # type: ignore[no-untyped-def]
    clinic.save_clinic(
        ctx,
        ClinicDetails(
            "Far Clinic", "1 Long Rd", "", "Australia/Melbourne", state, 15, horizon_weeks
        ),
    )


def _closures(ctx) -> dict[date, str]:  # type: ignore[no-untyped-def]
    with UnitOfWork(ctx) as uow:
        return dict(uow.session.execute(select(t.Closure.day, t.Closure.reason)).tuples().all())


def test_holidays_reach_the_third_year_of_a_30_month_horizon(ctx) -> None:
    _clinic(ctx, 130)  # November 2026 + 30 months: May 2029
    closed = _closures(ctx)
    assert date(2028, 1, 26) in closed and date(2029, 1, 1) in closed
    assert date(2029, 4, 25) in closed  # Anzac Day in the horizon's last months
    with UnitOfWork(ctx) as uow:
        row = uow.session.scalars(
            select(t.ClinicSchedule).where(t.ClinicSchedule.day == date(2028, 1, 26))
        ).one()
        assert not row.active


def test_the_roll_forward_adds_the_new_years_holidays(ctx, clock) -> None:
    _clinic(ctx, 4)  # to 21 December 2026: only 2026 holidays so far
    assert date(2027, 1, 26) not in _closures(ctx)
    clock.advance(days=30)
    roll_forward(ctx)
    assert _closures(ctx)[date(2027, 1, 26)] == "Australia Day"


def test_a_change_of_state_re_derives_holidays_keeping_days_kept_open(ctx) -> None:
    _clinic(ctx, 60)
    cup = date(2027, 11, 2)  # Melbourne Cup: Victoria only
    assert cup in _closures(ctx)
    clinic.open_day(ctx, date(2027, 1, 26))  # the manager keeps Australia Day 2027 open
    clinic.close_day(ctx, date(2027, 3, 3), "Staff training")
    _clinic(ctx, 60, state="NSW")
    closed = _closures(ctx)
    assert cup not in closed
    assert closed[date(2027, 10, 4)] == "Labor Day"  # NSW; Victoria's is in March
    assert date(2027, 1, 26) not in closed  # still kept open
    assert closed[date(2027, 3, 3)] == "Staff training"


def test_the_waitlist_shows_the_earliest_fit_and_a_leave_change_moves_it(ctx) -> None:
    from montu_desktop.domain.roster_rules import ExceptionKind, RosterException
    from montu_desktop.services.admin import rosters

    (a,) = tiny_clinic(ctx, doctors=1)
    first, other = new_patients(ctx, 2)
    wednesday = TUESDAY + timedelta(days=1)
    morning = waitlist.add_to_waitlist(ctx, first, "Long", doctor_id=a, from_day=wednesday)
    afternoon = waitlist.add_to_waitlist(ctx, other, "Standard", part="afternoon")
    rosters.add_exception(ctx, RosterException(a, wednesday, ExceptionKind.LEAVE))
    fits = waitlist.earliest_fits(ctx, waitlist.list_waitlist(ctx))
    assert fits == {morning: at(wednesday + timedelta(days=1), 9)}  # the clinic shuts at noon
    assert afternoon not in fits
    leave = rosters.exceptions(ctx, a, wednesday)[0]
    rosters.remove_exception(ctx, leave.id)
    fits = waitlist.earliest_fits(ctx, waitlist.list_waitlist(ctx))
    assert fits[morning] == at(wednesday, 9)


def test_this_and_following_occurrences_move_together_or_not_at_all(ctx) -> None:
    tiny_clinic(ctx, doctors=1)
    mine, theirs = new_patients(ctx, 2)
    request = BookingRequest("Long", at(TUESDAY, 10), mine)
    result = series.book_series(ctx, request, _starts(ctx, request.start, 3), Repeat(1))
    second = result.appointments[1]
    week = timedelta(weeks=1)
    moved = series.move_following(ctx, second.id, at(TUESDAY + 2 * week, 11))
    # A week later each, at 11:00 (the third moves first, so the second can take its day).
    assert [m.start for m in moved] == [at(TUESDAY + 2 * week, 11), at(TUESDAY + 3 * week, 11)]
    with UnitOfWork(ctx) as uow:
        first = uow.session.get(t.Appointment, result.appointments[0].id)
        assert first.start_at == at(TUESDAY, 10)  # the earlier visit stays
    book_appointment(ctx, BookingRequest("Long", at(TUESDAY + 3 * week, 9), theirs))
    with pytest.raises(InvalidRequest) as refused:
        series.move_following(ctx, second.id, at(TUESDAY + 2 * week, 9))
    assert "2026-12-15" in refused.value.reason  # the last one would clash: none moved
    cancelled = series.cancel_following(ctx, second.id)
    assert [c.start for c in cancelled] == [at(TUESDAY + 2 * week, 11), at(TUESDAY + 3 * week, 11)]


def test_two_desks_booking_clashing_series_at_once_never_overlap(ctx, clock) -> None:
    import random
    import threading

    from montu_desktop.services.context import ServiceContext
    from tests.support.clinic import overlapping_pairs

    tiny_clinic(ctx, doctors=1)
    patients = new_patients(ctx, 2)
    starts = _starts(ctx, at(TUESDAY, 10), 3)
    outcomes: list[object] = []
    go = threading.Barrier(2)

    def desk(patient: int) -> None:
        mine = ServiceContext(ctx.database, clock=clock, rng=random.Random(patient), actor="desk")
        go.wait()
        try:
            made = series.book_series(
                mine, BookingRequest("Long", starts[0], patient), starts, Repeat(1)
            )
            outcomes.append(len(made.appointments))
        except InvalidRequest as refused:
            outcomes.append(refused.field)

    threads = [threading.Thread(target=desk, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes, key=str) == [3, "start"]  # one whole series; the other refused
    assert overlapping_pairs(ctx) == 0 and appointment_count(ctx) == 3
