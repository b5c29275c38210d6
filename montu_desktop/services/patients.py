"""Patients: adding (with the duplicate check), editing, finding, the patient record and merging."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from montu_desktop.domain.clinic_time import local_day_bounds, parse_day, to_local
from montu_desktop.domain.duplicates import email_key, is_likely_duplicate, same_person_online
from montu_desktop.domain.errors import InvalidRequest, NoSchedule, NotFound
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.names import joined_words, name_parts, search_words
from montu_desktop.domain.patients import (
    PatientDetails,
    check_patient,
    check_search,
    is_medicare_number,
    medicare_digits,
    normalise_email,
    normalise_phone,
)
from montu_desktop.persistence import booking_rows, patient_rows
from montu_desktop.persistence.engine import overlap_refused
from montu_desktop.persistence.errors import IntegrityError
from montu_desktop.persistence.patient_rows import PatientRow
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.recalls import move_recalls
from montu_desktop.services.reference import appointment_types, clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:  # the session is handed to repositories; services build no SQL
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class PatientAppointment:
    """One of a patient's appointments as the patient record lists it (times are UTC)."""

    id: int
    start: datetime
    end: datetime
    doctor_id: int
    doctor_name: str
    type_name: str
    status: AppointmentStatus
    note: str | None = None
    cancel_reason: str | None = None
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    confirmed_at: datetime | None = None
    """The patient confirmed it by replying Y to an SMS."""


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """A stored patient; `upcoming`/`past` are filled only by patient_record(), `next_appointment`
    by find_patients() and patient_record()."""

    id: int
    details: PatientDetails
    merged_into: int | None = None
    """The kept record's id when this one was a duplicate merged into it (then it is retired)."""
    upcoming: tuple[PatientAppointment, ...] = ()
    """Live appointments that have not ended yet, soonest first."""
    past: tuple[PatientAppointment, ...] = ()
    """Ended or cancelled appointments, most recent first."""
    next_appointment: PatientAppointment | None = None
    """The soonest booked appointment still to come (what the search list shows)."""

    @property
    def display_name(self) -> str:
        return f"{self.details.family_name}, {self.details.given_name}"

    @property
    def reminders_opt_out(self) -> bool:
        return self.details.reminders_opt_out

    @property
    def retired(self) -> bool:
        return self.merged_into is not None

    @property
    def appointments(self) -> list[PatientAppointment]:
        """Every appointment, upcoming and past, in start order."""
        return sorted((*self.upcoming, *self.past), key=lambda a: (a.start, a.id))


class DuplicatePatient(InvalidRequest):
    """The new patient looks like one (or more) already stored; `ids` are theirs, oldest first."""

    def __init__(self, ids: Sequence[int]) -> None:
        self.ids = list(ids)
        names = ", ".join(str(i) for i in self.ids)
        super().__init__(
            "patient",
            f"looks like existing patient {names} (same date of birth and family name, phone "
            "or email); use that record, or add anyway on purpose",
        )


@dataclass(frozen=True, slots=True)
class MergePreview:
    """What merging `duplicate` into `keep` would do, before anything is changed."""

    keep: PatientRecord
    duplicate: PatientRecord
    appointments: tuple[PatientAppointment, ...]
    """The duplicate's appointments (every status) that would move to the kept record."""
    notifications: int
    """How many of the duplicate's messages (sent or pending) would move with them."""
    overlaps: tuple[tuple[int, int], ...]
    """(kept appointment id, duplicate appointment id) pairs of live appointments that overlap:
    any of them refuses the merge."""

    @property
    def can_merge(self) -> bool:
        return not self.overlaps

    @property
    def refusal(self) -> str | None:
        """Why the merge would be refused (None when it can go ahead)."""
        if not self.overlaps:
            return None
        pairs = "; ".join(f"{k} and {d}" for k, d in self.overlaps)
        return f"the kept patient would have overlapping appointments: {pairs}"


@dataclass(frozen=True, slots=True)
class MergeResult:
    """A merge as committed."""

    keep_id: int
    duplicate_id: int
    appointment_ids: tuple[int, ...]
    notifications: int


_DETAIL_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "phone",
    "email",
    "sms_reminders",
    "email_reminders",
    "reminders_opt_out",
    "address",
    "medicare_number",
    "medicare_irn",
    "dva_number",
    "emergency_name",
    "emergency_phone",
    "alerts",
    "alert_note",
)
_CLEARED_BY_EMPTY = frozenset(
    {
        "phone",
        "email",
        "address",
        "medicare_number",
        "medicare_irn",
        "dva_number",
        "emergency_name",
        "emergency_phone",
        "alert_note",
    }
)
"""Details an empty value removes (alerts: an empty list or text removes them all)."""


def _record(row: PatientRow, **extra: object) -> PatientRecord:
    return PatientRecord(row.id, row.details, row.merged_into, **extra)  # type: ignore[arg-type]


def _today(ctx: ServiceContext) -> date:
    return to_local(ctx.clock(), _zone(ctx)).date()


def _zone(ctx: ServiceContext) -> str:
    try:
        return clinic_policy(ctx).timezone
    except NoSchedule:
        return "UTC"


def _patient_row(session: Session, patient_id: int) -> PatientRow:
    row = patient_rows.get(session, patient_id)
    if row is None:
        raise NotFound("patient", f"no patient with id {patient_id}")
    return row


def _refuse_retired(row: PatientRow) -> None:
    if row.merged_into is not None:
        raise InvalidRequest(
            "patient", f"patient {row.id} was merged into patient {row.merged_into}"
        )


# --- duplicates -------------------------------------------------------------------------------


def _comparable(details: PatientDetails) -> PatientDetails:
    """The details with phone and email normalised when they can be (a bad one just won't match)."""
    phone = email = None
    if details.phone:
        try:
            phone = normalise_phone(details.phone)
        except InvalidRequest:
            phone = None
    if details.email:
        try:
            email = normalise_email(details.email)
        except InvalidRequest:
            email = details.email
    return replace(details, phone=phone, email=email)


def _duplicates(session: Session, details: PatientDetails, exclude: int | None = None) -> list[int]:
    """Ids of live records the domain's duplicate rule matches, oldest first.

    SQL only narrows the field to same date of birth, phone or email; the rule itself
    (accents, case) is the domain's.
    """
    near = patient_rows.live_matching_any(
        session,
        birth=details.date_of_birth,
        phone=details.phone,
        email_key=email_key(details.email),
        exclude=exclude,
    )
    return [r.id for r in near if is_likely_duplicate(details, r.details)]


def likely_duplicate_ids(ctx: ServiceContext, details: PatientDetails) -> list[int]:
    """Ids of stored (not merged) patients who are likely the person in `details`, oldest first.

    The rule (domain.duplicates): same date of birth and family name ignoring case and
    accents, or the same phone (E.164), or the same email (ignoring case). `details` may be
    as typed: phone and email are normalised first, and an unreadable one simply matches nothing.
    """
    comparable = _comparable(details)
    with UnitOfWork(ctx) as uow:
        return _duplicates(uow.session, comparable)


# --- adding and editing ------------------------------------------------------------------------


def add_patient(
    ctx: ServiceContext, details: PatientDetails, *, allow_duplicate: bool = False
) -> PatientRecord:
    """Store a new patient after checking every field; nothing is stored if one is wrong.

    Raises DuplicatePatient (field "patient", with `.ids`) when the person looks already
    stored, unless `allow_duplicate` says adding anyway is a deliberate choice.
    """
    clean = check_patient(details, _today(ctx))
    with UnitOfWork(ctx, write=True) as uow:
        record = add_in(ctx, uow, clean, allow_duplicate=allow_duplicate)
        uow.commit()
        return record


def checked_details(ctx: ServiceContext, details: PatientDetails) -> PatientDetails:
    """The details checked and normalised as add_patient stores them (for add_in)."""
    return check_patient(details, _today(ctx))


def add_in(
    ctx: ServiceContext,
    uow: UnitOfWork,
    clean: PatientDetails,
    *,
    allow_duplicate: bool = False,
    online: bool = False,
) -> PatientRecord:
    """Add a patient inside the caller's writing unit of work (the caller commits), so that
    a desk's or a website's "new patient + book" is one transaction.

    `clean` has passed check_patient. Refuses a likely duplicate as add_patient does, unless
    `allow_duplicate`; `online` marks the record booked online and not yet checked (the
    identity rule found no record to join: online_patients_to_check lists it).
    """
    if not allow_duplicate:
        found = _duplicates(uow.session, clean)
        if found:
            raise DuplicatePatient(found)
    row = patient_rows.add(uow.session, clean, ctx.clock(), online=online)
    patient_rows.replace_name_parts(
        uow.session, row.id, name_parts(clean.given_name, clean.family_name)
    )
    record = _record(row)
    if online:
        uow.audit("patient.added", f"patient {row.id}", online=True)
    elif allow_duplicate:
        uow.audit("patient.added", f"patient {row.id}", despite_duplicate=True)
    else:
        uow.audit("patient.added", f"patient {row.id}")
    uow.touches("patients")
    return record


def same_person_in(uow: UnitOfWork, clean: PatientDetails) -> int | None:
    """The oldest live record an online booking may join (domain.duplicates.same_person_online:
    names, date of birth and phone or email all match), or None."""
    if clean.date_of_birth is None:
        return None
    near = patient_rows.live_born_with_contact(
        uow.session, clean.date_of_birth, phone=clean.phone, email_key=email_key(clean.email)
    )
    return next((r.id for r in near if same_person_online(clean, r.details)), None)


def edit_patient(ctx: ServiceContext, patient_id: int, **changes: object) -> PatientRecord:
    """Change some of a patient's details, checked as when adding; returns the fresh record.

    Keys are PatientDetails' fields (given_name, family_name, date_of_birth, phone, email,
    sms_reminders, email_reminders, reminders_opt_out, address, medicare_number,
    medicare_irn, dva_number, emergency_name, emergency_phone, alerts, alert_note); an empty
    text removes that detail (alerts: a comma-separated text or a list of flags);
    date_of_birth may be a date or YYYY-MM-DD text (empty removes it).
    The audit log records which fields changed, never their values. A merged (retired)
    record cannot be edited.
    """
    unknown = sorted(set(changes) - set(_DETAIL_FIELDS))
    if unknown:
        raise InvalidRequest(unknown[0], "is not a patient detail that can be changed")
    with UnitOfWork(ctx, write=True) as uow:
        row = _patient_row(uow.session, patient_id)
        _refuse_retired(row)
        before = row.details
        wanted = {k: (v or None) if k in _CLEARED_BY_EMPTY else v for k, v in changes.items()}
        if isinstance(wanted.get("date_of_birth"), str):
            typed = str(wanted["date_of_birth"]).strip()
            wanted["date_of_birth"] = parse_day(typed, "date_of_birth") if typed else None
        clean = check_patient(replace(before, **wanted), _today(ctx))  # type: ignore[arg-type]
        changed = [f for f in _DETAIL_FIELDS if getattr(before, f) != getattr(clean, f)]
        if changed:
            row = patient_rows.update_details(uow.session, row.id, clean, ctx.clock())
            if {"given_name", "family_name"} & set(changed):
                patient_rows.replace_name_parts(
                    uow.session, row.id, name_parts(clean.given_name, clean.family_name)
                )
            uow.audit("patient.edited", f"patient {row.id}", fields=changed)
            uow.touches("patients")
        record = _record(row)
        uow.commit()
        return record


def update_patient(ctx: ServiceContext, patient_id: int, details: PatientDetails) -> PatientRecord:
    """Replace every detail of a patient (edit_patient with all fields)."""
    return edit_patient(ctx, patient_id, **{f: getattr(details, f) for f in _DETAIL_FIELDS})


def get_patient(ctx: ServiceContext, patient_id: int) -> PatientRecord:
    """The patient's details (no appointments; see patient_record)."""
    with UnitOfWork(ctx) as uow:
        return _record(_patient_row(uow.session, patient_id))


# --- the patient record ------------------------------------------------------------------------


def _appointments(
    ctx: ServiceContext,
    session: Session,
    patient_ids: Iterable[int],
    *,
    starting_from: datetime | None = None,
    starting_before: datetime | None = None,
    live_only: bool = False,
    booked_only: bool = False,
) -> list[tuple[int, PatientAppointment]]:
    """(patient id, appointment) for the patients' appointments, in start order, filtered
    as patient_rows.appointments filters them."""
    ids = list(patient_ids)
    if not ids:
        return []
    found = patient_rows.appointments(
        session,
        ids,
        starting_from=starting_from,
        starting_before=starting_before,
        live_only=live_only,
        booked_only=booked_only,
    )
    kinds = {k.id: k.name for k in appointment_types(ctx)}
    return [
        (
            r.patient_id,
            PatientAppointment(
                id=r.id,
                start=r.start,
                end=r.end,
                doctor_id=r.doctor_id,
                doctor_name=r.doctor_name,
                type_name=kinds.get(r.type_id, "?"),
                status=AppointmentStatus(r.status),
                note=r.note,
                cancel_reason=r.cancel_reason,
                arrived_at=r.arrived_at,
                completed_at=r.completed_at,
                confirmed_at=r.confirmed_at,
            ),
        )
        for r in found
    ]


def _split(
    appointments: Iterable[PatientAppointment], now: datetime
) -> tuple[tuple[PatientAppointment, ...], tuple[PatientAppointment, ...]]:
    upcoming, past = [], []
    for item in appointments:
        live = item.status is not AppointmentStatus.CANCELLED
        (upcoming if live and item.end > now else past).append(item)
    past.sort(key=lambda x: (x.start, x.id), reverse=True)
    return tuple(upcoming), tuple(past)


def _next(upcoming: Iterable[PatientAppointment], now: datetime) -> PatientAppointment | None:
    return next(
        (x for x in upcoming if x.status is AppointmentStatus.BOOKED and x.start >= now), None
    )


def patient_record(ctx: ServiceContext, patient_id: int) -> PatientRecord:
    """The patient panel: details, merged_into, upcoming and past appointments (with status,
    doctor and note). A retired record still answers, with merged_into set."""
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        row = _patient_row(uow.session, patient_id)
        found = [x for _p, x in _appointments(ctx, uow.session, [patient_id])]
        upcoming, past = _split(found, now)
        return _record(row, upcoming=upcoming, past=past, next_appointment=_next(upcoming, now))


def same_day_bookings(ctx: ServiceContext, patient_id: int, day: date) -> list[PatientAppointment]:
    """The patient's live appointments on clinic-local `day` (for "already booked that day")."""
    start, end = local_day_bounds(day, _zone(ctx))
    with UnitOfWork(ctx) as uow:
        return [
            x
            for _p, x in _appointments(
                ctx,
                uow.session,
                [patient_id],
                starting_from=start,
                starting_before=end,
                live_only=True,
            )
        ]


# --- search ------------------------------------------------------------------------------------

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
    """Patients matching what was typed: a phone number, a date of birth, or names.

    Ten digits that are a valid Medicare card number (spaces allowed) find its holders.
    Names fold as domain.names does (case, accents, apostrophes, hyphens and spaces away):
    each typed word is the start of a part of the given or family name ("nunez" and
    "zoe o'connor" find Zoë O'Connor-Núñez, "o connor" and "oconnor" find O'Connor), or the
    words run together are ("mc donald" finds McDonald). % and _ are ordinary characters.
    Merged (retired) records are left out; each record carries its next_appointment.
    What was typed is refused (field "search") past SEARCH_MAX_CHARS or with control characters.
    """
    text = check_search(text)
    birth = _as_date(text)
    digits = re.sub(r"\D", "", text)
    now = ctx.clock()
    card = medicare_digits(text)
    with UnitOfWork(ctx) as uow:
        rows = []
        if is_medicare_number(card):
            # 10 digits starting 2-6 with a good check digit: a Medicare card (a phone
            # typed locally starts with 0). An indexed equality; a phone may still match.
            rows = patient_rows.find_by_medicare(uow.session, card, limit)
        if rows:
            pass
        elif birth is None and len(digits) >= 4 and not re.search(r"[A-Za-z]", text):
            # Phone numbers are stored in E.164: match on the digits after the trunk zero.
            rows = patient_rows.find(uow.session, [], digits.lstrip("0"), None, limit)
        else:
            words = [] if birth else search_words(text)
            rows = patient_rows.find(
                uow.session, words, None, birth, limit, joined=joined_words(words)
            )
        coming: dict[int, PatientAppointment] = {}
        for patient_id, item in _appointments(
            ctx,
            uow.session,
            [r.id for r in rows],
            starting_from=now,
            booked_only=True,
        ):
            coming.setdefault(patient_id, item)
        return [_record(r, next_appointment=coming.get(r.id)) for r in rows]


# --- merging -----------------------------------------------------------------------------------


def _overlaps(
    keep: Sequence[PatientAppointment], duplicate: Sequence[PatientAppointment]
) -> tuple[tuple[int, int], ...]:
    live = [x for x in keep if x.status is not AppointmentStatus.CANCELLED]
    return tuple(
        (k.id, d.id)
        for d in duplicate
        if d.status is not AppointmentStatus.CANCELLED
        for k in live
        if k.start < d.end and d.start < k.end
    )


def _merge_standing(
    ctx: ServiceContext, session: Session, keep_id: int, duplicate_id: int
) -> MergePreview:
    if keep_id == duplicate_id:
        raise InvalidRequest("patient", "a patient cannot be merged into itself")
    keep_row = _patient_row(session, keep_id)
    duplicate_row = _patient_row(session, duplicate_id)
    _refuse_retired(keep_row)
    _refuse_retired(duplicate_row)
    found: dict[int, list[PatientAppointment]] = {keep_id: [], duplicate_id: []}
    for patient_id, item in _appointments(ctx, session, [keep_id, duplicate_id]):
        found[patient_id].append(item)
    messages = patient_rows.message_count(session, duplicate_id)
    return MergePreview(
        keep=_record(keep_row),
        duplicate=_record(duplicate_row),
        appointments=tuple(found[duplicate_id]),
        notifications=messages,
        overlaps=_overlaps(found[keep_id], found[duplicate_id]),
    )


def merge_preview(ctx: ServiceContext, keep_id: int, duplicate_id: int) -> MergePreview:
    """What merging would move (appointments, messages) and which overlaps would refuse it.

    Refuses at once (field "patient") a merge into itself, an unknown id or a retired record.
    """
    with UnitOfWork(ctx) as uow:
        return _merge_standing(ctx, uow.session, keep_id, duplicate_id)


def merge_patients(
    ctx: ServiceContext, keep_id: int, duplicate_id: int, *, uow: UnitOfWork | None = None
) -> MergeResult:
    """Move the duplicate's appointments and messages to the kept record and retire the
    duplicate (merged_into = keep_id), all in one transaction, audited.

    Refused (field "patient", nothing changed): into itself, unknown or retired records, or
    when the kept patient would get two overlapping live appointments (they are named).
    Given `uow` (a writing unit of work), it runs in it and the caller commits.
    """
    require_manager(ctx, "merge patient records")
    if uow is not None:
        return _merge_in(ctx, uow, keep_id, duplicate_id)
    with _overlap_named(), UnitOfWork(ctx, write=True) as own:
        result = _merge_in(ctx, own, keep_id, duplicate_id)
        own.commit()
        return result


@contextmanager
def _overlap_named() -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        # Another desk booked an overlapping time between the check and the move.
        if overlap_refused(exc) == "patient":
            raise InvalidRequest(
                "patient", "the kept patient would have overlapping appointments"
            ) from exc
        raise


def _merge_in(ctx: ServiceContext, uow: UnitOfWork, keep_id: int, duplicate_id: int) -> MergeResult:
    session = uow.session
    if keep_id != duplicate_id:
        booking_rows.queue_behind_patients(session, keep_id, duplicate_id)
    preview = _merge_standing(ctx, session, keep_id, duplicate_id)
    if not preview.can_merge:
        raise InvalidRequest("patient", preview.refusal or "")
    now = ctx.clock()
    patient_rows.move_appointments_and_messages(session, duplicate_id, keep_id, now)
    move_recalls(uow, duplicate_id, keep_id)  # services/recalls.py
    # Records merged into the duplicate earlier now point at the one kept.
    patient_rows.retire(session, duplicate_id, keep_id, now)
    # The retired record is found by name no more (phone and birth date skip it too).
    patient_rows.replace_name_parts(session, duplicate_id, ())
    moved = tuple(x.id for x in preview.appointments)
    uow.audit(
        "patient.merged",
        f"patient {duplicate_id}",
        into=keep_id,
        appointments=list(moved),
        notifications=preview.notifications,
    )
    uow.touches("patients")
    if moved:
        uow.touches("appointments")
    return MergeResult(keep_id, duplicate_id, moved, preview.notifications)


# --- online bookings to check ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OnlineToCheck:
    """A record an online booking created, with the stored records that look like it."""

    patient: PatientRecord
    look_alikes: tuple[PatientRecord, ...]
    """Live records the duplicate rule matches (same date of birth and family name, phone
    or email), oldest first: candidates for Merge into…."""


def online_patients_to_check(ctx: ServiceContext) -> list[OnlineToCheck]:
    """Records added by online bookings and not yet checked, oldest first, each with its
    look-alikes (the desk merges it into one, or keeps it as new)."""
    with UnitOfWork(ctx) as uow:
        found = []
        for row in patient_rows.unchecked_online(uow.session):
            details = _comparable(row.details)
            ids = _duplicates(uow.session, details, exclude=row.id)
            alikes = tuple(_record(_patient_row(uow.session, i)) for i in ids)
            found.append(OnlineToCheck(_record(row), alikes))
        return found


def online_patients_to_check_count(ctx: ServiceContext) -> int:
    """How many online records wait to be checked (the main window's count)."""
    with UnitOfWork(ctx) as uow:
        return patient_rows.unchecked_online_count(uow.session)


def _unchecked_row(session: Session, patient_id: int) -> PatientRow:
    row = _patient_row(session, patient_id)
    _refuse_retired(row)
    if not row.online_unchecked:
        raise InvalidRequest("patient", f"patient {patient_id} is not an online booking to check")
    return row


def keep_online_patient(ctx: ServiceContext, patient_id: int) -> PatientRecord:
    """Keep an online booking's new record as a patient of its own: it leaves the list."""
    with UnitOfWork(ctx, write=True) as uow:
        _unchecked_row(uow.session, patient_id)
        row = patient_rows.mark_checked(uow.session, patient_id, ctx.clock())
        uow.audit("patient.online_kept", f"patient {row.id}")
        uow.touches("patients")
        record = _record(row)
        uow.commit()
        return record


def merge_online_patient(ctx: ServiceContext, patient_id: int, into_id: int) -> MergeResult:
    """Merge an online booking's new record into the person's existing record (the merge
    that exists: a manager's, with its checks); it leaves the list."""
    with _overlap_named(), UnitOfWork(ctx, write=True) as uow:
        # Checked in the merge's own transaction: another desk keeping it first wins.
        _unchecked_row(uow.session, patient_id)
        result = merge_patients(ctx, into_id, patient_id, uow=uow)
        uow.commit()
        return result


__all__ = [
    "DuplicatePatient",
    "MergePreview",
    "MergeResult",
    "OnlineToCheck",
    "PatientAppointment",
    "PatientRecord",
    "add_in",
    "add_patient",
    "checked_details",
    "edit_patient",
    "find_patients",
    "get_patient",
    "keep_online_patient",
    "likely_duplicate_ids",
    "merge_online_patient",
    "merge_patients",
    "merge_preview",
    "online_patients_to_check",
    "online_patients_to_check_count",
    "patient_record",
    "same_day_bookings",
    "same_person_in",
    "update_patient",
]
