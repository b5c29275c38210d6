"""Small clinics for tests, built through the same services the product uses."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, text

from montu_desktop.domain.availability import Slot
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import tables as t
from montu_desktop.services.availability import week_availability
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import add_patient
from montu_desktop.services.schedules import regenerate_schedules
from montu_desktop.services.unit_of_work import UnitOfWork


def tiny_clinic(
    ctx: ServiceContext, doctors: int = 2, hours: tuple[time, time] = (time(9), time(12))
) -> list[int]:
    """A Melbourne clinic open Mon–Sat with `doctors` doctors rostered all opening hours, no bookings."""
    with UnitOfWork(ctx, write=True) as uow:
        s = uow.session
        s.add(
            t.Clinic(
                name="Test Clinic",
                timezone="Australia/Melbourne",
                slot_minutes=15,
                horizon_weeks=4,
                min_notice_minutes=0,
                region="AU",
                subdivision="VIC",
                address="1 Test St",
                phone="",
            )
        )
        for weekday in range(6):
            s.add(t.OpeningHours(weekday=weekday, opens=hours[0], closes=hours[1]))
        for name, minutes in (("Standard", 15), ("Long", 30), ("Procedure", 60)):
            s.add(t.AppointmentType(name=name, length_minutes=minutes, colour="#336699"))
        now = ctx.clock()
        ids = []
        for i in range(doctors):
            doctor = t.Doctor(name=f"Dr {chr(65 + i)}", active=True, created_at=now, updated_at=now)
            s.add(doctor)
            s.flush()
            ids.append(doctor.id)
            for weekday in range(6):
                s.add(
                    t.RosterTemplate(
                        doctor_id=doctor.id,
                        weekday=weekday,
                        starts=hours[0],
                        ends=hours[1],
                        valid_from=date(2020, 1, 1),
                    )
                )
        uow.touches("reference")
        uow.commit()
    regenerate_schedules(ctx)
    return ids


def new_patients(ctx: ServiceContext, count: int) -> list[int]:
    return [add_patient(ctx, PatientDetails(f"Pat{i}", "Tester")).id for i in range(count)]


def offered_slots(ctx: ServiceContext, type_name: str, day: date) -> list[Slot]:
    week = week_availability(ctx, type_name, day)
    return [s for d in week.days for s in d.slots if s.free_doctors > 0]


def overlapping_pairs(ctx: ServiceContext) -> int:
    """Pairs of live appointments of one doctor (or one patient) that overlap, counted in SQL."""
    sql = text(
        """
        SELECT count(*) FROM appointment a JOIN appointment b
          ON a.id < b.id AND (a.doctor_id = b.doctor_id OR a.patient_id = b.patient_id)
         AND a.start_at < b.end_at AND b.start_at < a.end_at
        WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
        """
    )
    with UnitOfWork(ctx) as uow:
        return int(uow.session.execute(sql).scalar_one())


def appointment_count(ctx: ServiceContext, live_only: bool = True) -> int:
    with UnitOfWork(ctx) as uow:
        query = select(t.Appointment.id)
        if live_only:
            query = query.where(t.Appointment.status != "cancelled")
        return len(uow.session.scalars(query).all())


def outbox_names(ctx: ServiceContext) -> list[str]:
    with UnitOfWork(ctx) as uow:
        return list(uow.session.scalars(select(t.OutboxEvent.name).order_by(t.OutboxEvent.id)))


def at(day: date, hh: int, mm: int = 0) -> datetime:
    from montu_desktop.domain.clinic_time import local_instant

    return local_instant(day, time(hh), "Australia/Melbourne") + timedelta(minutes=mm)
