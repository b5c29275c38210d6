"""Adding, editing and finding patients (search by name, phone or date of birth)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import NoSchedule, NotFound
from montu_desktop.domain.patients import PatientDetails, check_patient
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence import tables as t
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """A stored patient."""

    id: int
    details: PatientDetails

    @property
    def display_name(self) -> str:
        return f"{self.details.family_name}, {self.details.given_name}"


def _record(row: t.Patient) -> PatientRecord:
    return PatientRecord(
        row.id,
        PatientDetails(
            row.given_name,
            row.family_name,
            row.date_of_birth,
            row.phone,
            row.email,
            row.sms_reminders,
            row.email_reminders,
            row.reminders_opt_out,
        ),
    )


def _today(ctx: ServiceContext) -> date:
    try:
        zone = clinic_policy(ctx).timezone
    except NoSchedule:
        zone = "UTC"
    return to_local(ctx.clock(), zone).date()


def _apply(row: t.Patient, details: PatientDetails) -> None:
    row.given_name, row.family_name = details.given_name, details.family_name
    row.date_of_birth, row.phone, row.email = details.date_of_birth, details.phone, details.email
    row.sms_reminders, row.email_reminders = details.sms_reminders, details.email_reminders
    row.reminders_opt_out = details.reminders_opt_out


def add_patient(ctx: ServiceContext, details: PatientDetails) -> PatientRecord:
    """Store a new patient after checking every field; nothing is stored if one is wrong."""
    clean = check_patient(details, _today(ctx))
    with UnitOfWork(ctx, write=True) as uow:
        now = ctx.clock()
        row = t.Patient(created_at=now, updated_at=now)
        _apply(row, clean)
        uow.session.add(row)
        uow.session.flush()
        record = _record(row)
        uow.audit("patient.added", f"patient {row.id}")
        uow.touches("patients")
        uow.commit()
        return record


def update_patient(ctx: ServiceContext, patient_id: int, details: PatientDetails) -> PatientRecord:
    clean = check_patient(details, _today(ctx))
    with UnitOfWork(ctx, write=True) as uow:
        row = uow.session.get(t.Patient, patient_id)
        if row is None:
            raise NotFound("patient", f"no patient with id {patient_id}")
        before = _record(row).details
        _apply(row, clean)
        row.updated_at = ctx.clock()
        uow.session.flush()
        record = _record(row)
        # Which fields changed, never their values (no patient details in the audit log).
        changed = sorted(
            k for k in before.__dataclass_fields__ if getattr(before, k) != getattr(clean, k)
        )
        uow.audit("patient.edited", f"patient {row.id}", fields=changed)
        uow.touches("patients")
        uow.commit()
        return record


def get_patient(ctx: ServiceContext, patient_id: int) -> PatientRecord:
    with UnitOfWork(ctx) as uow:
        row = uow.session.get(t.Patient, patient_id)
        if row is None:
            raise NotFound("patient", f"no patient with id {patient_id}")
        return _record(row)


_DATE_FORMS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$"),
)


def _as_date(text: str) -> date | None:
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def find_patients(ctx: ServiceContext, text: str, limit: int = 50) -> list[PatientRecord]:
    """Patients matching what was typed: name prefixes, a phone number, or a date of birth."""
    text = text.strip()
    birth = _as_date(text)
    digits = re.sub(r"\D", "", text)
    if birth is None and len(digits) >= 4 and not re.search(r"[A-Za-z]", text):
        # Phone numbers are stored in E.164: match on the digits after the trunk zero.
        with UnitOfWork(ctx) as uow:
            rows = repo.find_patients(uow.session, [], digits.lstrip("0"), None, limit)
            return [_record(r) for r in rows]
    words = [] if birth else [w for w in re.split(r"[\s,]+", text) if w]
    with UnitOfWork(ctx) as uow:
        rows = repo.find_patients(uow.session, words, None, birth, limit)
        return [_record(r) for r in rows]
