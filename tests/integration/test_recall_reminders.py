"""Recall reminders: planned N days before the due day through the notifications planning,
sent by the dispatcher to real local SMTP/SMS servers, never naming the reason; opt-out and
a closed recall respected. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.notifications.planning import RECALL_HOUR, Reach, for_recall
from montu_desktop.notifications.settings import parse_quiet_hours
from montu_desktop.services import clinic_settings, recalls
from montu_desktop.services import notifications as notif
from tests.support.clock import FixedClock
from tests.support.notif_fixtures import (  # noqa: F401  (fixtures)
    MELBOURNE,
    NotifClinic,
    notif_clinic,
    sms_server,
    smtp_server,
)

ZONE = "Australia/Melbourne"
REASON = "Melanoma excision follow-up"


def _recall_rows(clinic: NotifClinic) -> list[notif.NotificationView]:
    return [n for n in notif.list_notifications(clinic.ctx, names=True) if n.kind == "recall"]


def test_a_recall_reminder_is_planned_sent_and_never_names_the_reason(
    notif_clinic: NotifClinic,  # noqa: F811
    clock: FixedClock,
) -> None:
    ctx = notif_clinic.ctx
    clinic_settings.set_settings(ctx, {"recalls.remind_days_before": "10"})
    today = to_local(clock(), ZONE).date()
    due = today + timedelta(days=40)
    patient = notif_clinic.patient()
    opted_out = notif_clinic.patient("Olive", reminders_opt_out=True)
    made = recalls.add_recall(ctx, patient, due, REASON, type_name="Long")
    recalls.add_recall(ctx, opted_out, due, REASON)
    closed = recalls.add_recall(ctx, patient, due + timedelta(days=1), REASON)

    notif.dispatch_now(ctx)  # plans the recalls' events; nothing is due yet
    planned = _recall_rows(notif_clinic)
    reminder_at = local_instant(due - timedelta(days=10), RECALL_HOUR, ZONE)
    mine = [n for n in planned if n.patient_name == "Ruby Nguyen"]
    assert sorted((n.due_at, n.channel, n.status) for n in mine) == [
        (reminder_at, "email", "pending"),
        (reminder_at, "sms", "pending"),
        (reminder_at + timedelta(days=1), "email", "pending"),
        (reminder_at + timedelta(days=1), "sms", "pending"),
    ]
    assert len(mine) == 4  # two recalls of Ruby's, two channels each
    assert not [n for n in planned if n.patient_name.startswith("Olive")]  # opted out
    assert all(n.appointment_id is None for n in planned)

    recalls.cancel_recall(ctx, closed.id)
    clock.now = reminder_at - timedelta(minutes=1)
    assert notif.dispatch_now(ctx)["sent"] == 0
    clock.now = reminder_at + timedelta(days=1, minutes=1)
    outcome = notif.dispatch_now(ctx)
    assert outcome["sent"] == 2 and outcome["withdrawn"] == 2, outcome
    [email] = notif_clinic.smtp.messages
    body = email.get_body().get_content()
    [sms] = notif_clinic.sms.delivered
    said = f"{body}\n{email['Subject']}\n{sms.body}"
    day_words = f"{due:%A} {due.day} {due:%B}"
    assert day_words in body and day_words in sms.body
    for secret in (REASON, "Melanoma", "excision", "Long"):
        assert secret.lower() not in said.lower()
    statuses = {(n.channel, n.status) for n in _recall_rows(notif_clinic)}
    assert statuses == {
        ("email", "sent"),
        ("sms", "sent"),
        ("email", "withdrawn"),
        ("sms", "withdrawn"),
    }
    assert recalls.get_recall(ctx, made.id).status == "due"
    # The desk's notifications log reads them as recall reminders, without the reason.
    from montu_desktop.domain.wording import day_label
    from montu_desktop.ui.notifications.log_model import COLUMNS, NotificationLogModel

    model = NotificationLogModel(ZONE)
    cells = [[model.text(n, c) for c in range(len(COLUMNS))] for n in _recall_rows(notif_clinic)]
    assert all(row[COLUMNS.index("Kind")] == "Recall reminder" for row in cells)
    assert f"recall due {day_label(due)}" in [row[COLUMNS.index("Appointment")] for row in cells]
    assert not any("melanoma" in cell.lower() for row in cells for cell in row)
    # A second pass sends nothing again.
    assert notif.dispatch_now(ctx)["sent"] == 0


def test_a_recall_booked_before_its_reminder_gets_none(
    notif_clinic: NotifClinic,  # noqa: F811
    clock: FixedClock,
) -> None:
    ctx = notif_clinic.ctx
    today = to_local(clock(), ZONE).date()
    patient = notif_clinic.patient()
    recall = recalls.add_recall(ctx, patient, today + timedelta(days=60), REASON, type_name="Long")
    booked = notif_clinic.book(
        patient,
        (clock() + timedelta(days=1)).astimezone(MELBOURNE).replace(hour=10, minute=0, tzinfo=None),
    )
    assert recalls.get_recall(ctx, recall.id).appointment_id == booked.id
    notif.dispatch_now(ctx)
    clock.now = local_instant(today + timedelta(days=60 - 14), RECALL_HOUR, ZONE) + timedelta(
        hours=1
    )
    notif.dispatch_now(ctx)
    assert {n.status for n in _recall_rows(notif_clinic)} == {"withdrawn"}
    assert not any("next visit" in b for b in notif_clinic.sms.bodies())


def test_recall_planning_rules() -> None:
    from datetime import UTC, datetime

    reach = Reach(email=True, sms=True, reminders_opt_out=False)
    made = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    due = made.date() + timedelta(days=30)
    quiet = parse_quiet_hours("21:00-08:00")
    planned = for_recall(7, reach, due, made, 14, quiet, ZONE)
    assert {p.channel.value for p in planned} == {"email", "sms"}
    assert all(p.key.startswith("r7:recall:") for p in planned)
    assert for_recall(7, reach, due, made, 0, quiet, ZONE) == []  # reminders off
    assert for_recall(7, reach, due, made, 40, quiet, ZONE) == []  # already past when made
    opted = Reach(email=True, sms=True, reminders_opt_out=True)
    assert for_recall(7, opted, due, made, 14, quiet, ZONE) == []
