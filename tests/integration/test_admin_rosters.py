"""Roster generation across daylight-saving changes and horizon roll-forwards, with exceptions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import RosterTemplate, WeeklyHours
from montu_desktop.domain.roster_rules import ExceptionKind, RosterException
from montu_desktop.domain.settings_rules import ClinicDetails
from montu_desktop.persistence import tables as t
from montu_desktop.services.admin import clinic, doctors, rosters, types
from montu_desktop.services.admin.rollover import JOB_ID, roll_forward, schedule_nightly
from montu_desktop.services.admin.utilisation import week_utilisation
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.integration.test_admin_settings import TUESDAY, at, patient, set_up_clinic
from tests.support.clock import FixedClock

ZONE = "Australia/Melbourne"


def blocks_on(ctx: ServiceContext, day: date) -> list[tuple[int, datetime, datetime, str]]:
    s = t.DoctorSchedule
    with UnitOfWork(ctx) as uow:
        rows = uow.session.execute(
            select(s.doctor_id, s.start_at, s.end_at, s.source)
            .where(s.day == day)
            .order_by(s.doctor_id, s.start_at)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def monday_clinic(ctx: ServiceContext, weeks: int) -> int:
    clinic.save_clinic(ctx, ClinicDetails("DST Clinic", timezone=ZONE, horizon_weeks=weeks))
    clinic.set_opening_hours(ctx, [WeeklyHours(d, time(8), time(18)) for d in range(7)])
    types.add_type(ctx, "Standard", 15, "#3b7dd8")
    doctor = doctors.add_doctor(ctx, "Dr Dee")
    rosters.save_templates(
        ctx,
        doctor,
        [RosterTemplate(doctor, d, time(8), time(12), date(2026, 1, 1)) for d in range(7)],
    )
    return doctor


@pytest.mark.parametrize(
    ("today", "before", "after", "utc_before", "utc_after"),
    [
        # Daylight saving ends Sunday 5 April 2026 (Easter): 08:00 is 21:00 UTC (AEDT) on
        # Thursday, 22:00 UTC (AEST) on the Tuesday after Easter Monday.
        (date(2026, 3, 30), date(2026, 4, 2), date(2026, 4, 7), 21, 22),
        # It starts Sunday 4 October 2026: 08:00 is 22:00 UTC (AEST), then 21:00 (AEDT).
        (date(2026, 9, 28), date(2026, 10, 3), date(2026, 10, 5), 22, 21),
    ],
)
def test_roster_keeps_local_hours_across_a_daylight_saving_change(
    ctx: ServiceContext,
    clock: FixedClock,
    today: date,
    before: date,
    after: date,
    utc_before: int,
    utc_after: int,
) -> None:
    clock.now = datetime.combine(today - timedelta(days=1), time(20), tzinfo=UTC)
    doctor = monday_clinic(ctx, weeks=2)
    for day, hour in ((before, utc_before), (after, utc_after)):
        [(who, start, end, source)] = blocks_on(ctx, day)
        assert (who, source) == (doctor, "template")
        assert (start.hour, end - start) == (hour, timedelta(hours=4))
    # The changeover Sunday itself still has a four-hour block of wall-clock time 08:00–12:00
    # (Easter Sunday 2026 is a public holiday: the clinic keeps it open for this).
    changeover = after - timedelta(days=after.weekday() + 1)
    if clinic.closures(ctx, changeover, changeover):
        clinic.open_day(ctx, changeover)
    [(_, start, end, _)] = blocks_on(ctx, changeover)
    assert end - start == timedelta(hours=4)


def test_roll_forward_extends_to_the_horizon_and_keeps_what_was_generated(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    (ada,) = set_up_clinic(ctx, ("Dr Ada",))  # six-week horizon from Monday 23 November
    horizon = date(2026, 11, 23) + timedelta(weeks=6)
    assert blocks_on(ctx, horizon) and not blocks_on(ctx, horizon + timedelta(days=1))
    leave_day = horizon + timedelta(days=8)  # beyond today's horizon: generated next week
    rosters.add_exception(
        ctx, RosterException(ada, horizon + timedelta(days=1), ExceptionKind.LEAVE)
    )
    assert roll_forward(ctx) is None  # nothing missing

    clock.advance(days=9)  # a desk off for a week and a bit: the start catches up
    first, last = roll_forward(ctx)  # type: ignore[misc]

    assert (first, last) == (horizon + timedelta(days=1), horizon + timedelta(days=9))
    assert blocks_on(ctx, horizon + timedelta(days=1)) == []  # the leave day
    assert len(blocks_on(ctx, horizon + timedelta(days=2))) == 2
    assert blocks_on(ctx, leave_day)
    assert roll_forward(ctx) is None


def test_the_nightly_job_is_a_cron_at_two_in_clinic_time(ctx: ServiceContext) -> None:
    scheduler = BackgroundScheduler()
    schedule_nightly(scheduler, ctx, ZONE)
    job = scheduler.get_job(JOB_ID)
    assert str(job.trigger) == "cron[hour='2', minute='0']"
    assert str(job.trigger.timezone) == ZONE


def test_leave_cuts_a_hole_and_an_extra_session_adds_a_block(ctx: ServiceContext) -> None:
    ada, ben = set_up_clinic(ctx)
    booked = book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 10), patient(ctx), ada))
    leave = RosterException(ada, TUESDAY, ExceptionKind.LEAVE, time(9), time(11), "dentist")

    preview = rosters.add_exception(ctx, leave, confirm=False)
    assert [(s.appointment_id, s.offer_doctor_id) for s in preview.stranded] == [(booked.id, ben)]
    rosters.add_exception(ctx, leave, reassign=True)
    extra = RosterException(ben, TUESDAY, ExceptionKind.EXTRA, time(12), time(13))
    rosters.add_exception(ctx, extra)

    ada_blocks = [(s, e) for who, s, e, _ in blocks_on(ctx, TUESDAY) if who == ada]
    assert [(s, e) for s, e in ada_blocks] == [
        (at(TUESDAY, 11), at(TUESDAY, 12)),
        (at(TUESDAY, 13), at(TUESDAY, 17)),
    ]
    assert (ben, at(TUESDAY, 12), at(TUESDAY, 13), "extra") in blocks_on(ctx, TUESDAY)
    [saved_leave] = [x for x in rosters.exceptions(ctx, ada, TUESDAY)]
    rosters.remove_exception(ctx, saved_leave.id)
    assert len([b for b in blocks_on(ctx, TUESDAY) if b[0] == ada]) == 2
    assert (at(TUESDAY, 9), at(TUESDAY, 12)) in [
        (s, e) for w, s, e, _ in blocks_on(ctx, TUESDAY) if w == ada
    ]


def test_an_extra_session_outside_opening_hours_is_refused(ctx: ServiceContext) -> None:
    ada, _ = set_up_clinic(ctx)
    with pytest.raises(InvalidRequest) as refused:
        rosters.add_exception(
            ctx, RosterException(ada, TUESDAY, ExceptionKind.EXTRA, time(17), time(19))
        )
    assert refused.value.field == "starts"
    with pytest.raises(InvalidRequest) as refused:
        rosters.add_exception(
            ctx, RosterException(ada, TUESDAY, ExceptionKind.EXTRA, time(11), time(10))
        )
    assert refused.value.field == "ends"
    assert rosters.exceptions(ctx, ada, TUESDAY) == []


def test_refusals_about_closed_days_name_the_day_as_people_read_it(
    sqlite_ctx: ServiceContext,
) -> None:
    # Found in the trial: "the clinic is closed on 2026-11-24" where the product says
    # "Tue 24 Nov 2026" everywhere else.
    ada, _ = set_up_clinic(sqlite_ctx)
    clinic.close_day(sqlite_ctx, TUESDAY, "Staff training")
    with pytest.raises(InvalidRequest) as refused:
        rosters.add_exception(
            sqlite_ctx, RosterException(ada, TUESDAY, ExceptionKind.EXTRA, time(12), time(13))
        )
    assert refused.value.reason == "the clinic is closed on Tue 24 Nov 2026"
    with pytest.raises(InvalidRequest) as refused:
        clinic.close_day(sqlite_ctx, TUESDAY, "Power works")
    assert refused.value.reason == "Tue 24 Nov 2026 is already closed"
    with pytest.raises(InvalidRequest) as refused:
        clinic.open_day(sqlite_ctx, TUESDAY + timedelta(days=1))
    assert refused.value.reason == "Wed 25 Nov 2026 is not a closure"


def test_utilisation_compares_booked_and_rostered_hours(ctx: ServiceContext) -> None:
    ada, ben = set_up_clinic(ctx)
    book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 10), patient(ctx, "A"), ada))
    book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 10), patient(ctx, "B"), ben))
    week = {d.name: d for d in week_utilisation(ctx, TUESDAY)}
    assert week["Dr Ada"].rostered_minutes == 5 * 7 * 60
    assert (week["Dr Ada"].booked_minutes, week["Dr Ben"].booked_minutes) == (30, 15)
    assert week["Dr Ada"].share == pytest.approx(30 / 2100)
