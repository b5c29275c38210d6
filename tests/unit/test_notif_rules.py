"""Notification rules without a database: settings, quiet hours, planning and templates."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.notifications import planning
from montu_desktop.notifications.model import Channel, Kind, Status
from montu_desktop.notifications.settings import (
    NotificationSettings,
    QuietHours,
    check_setting,
    parse_offsets,
    parse_quiet_hours,
)
from montu_desktop.notifications.templates import MessageFacts, render

ZONE = "Australia/Melbourne"
NIGHT = QuietHours(time(21), time(8))


def melbourne(day: int, hour: int, minute: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("smtp.port", "0", "between 1 and 65535"),
        ("smtp.security", "tls", "none, starttls, ssl"),
        ("reminders.offsets", "24h,soon", "'soon' is not a duration"),
        ("quiet_hours", "9pm-8am", "21:00-08:00"),
        ("notifications.max_attempts", "x", "whole number"),
        ("sms.base_url", "api.twilio.com", "http"),
        ("smtp.sender", "desk", "email address"),
        (
            "template.reminder.sms",
            "See Dr {doctor} for your {type}",
            "{doctor} is not a placeholder",
        ),
        ("colour.scheme", "dark", "is not a setting"),
    ],
)
def test_bad_settings_are_refused_naming_key_and_reason(key: str, value: str, reason: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_setting(key, value)
    assert refused.value.field in (key, "key")
    assert reason in refused.value.reason


def test_offsets_and_quiet_hours_are_read() -> None:
    assert parse_offsets("2h, 24h,30m") == (
        timedelta(hours=24),
        timedelta(hours=2),
        timedelta(minutes=30),
    )
    assert parse_offsets("none") == ()
    assert parse_quiet_hours("21:00-08:00") == NIGHT
    assert parse_quiet_hours("none") is None
    assert NIGHT.contains(time(23)) and NIGHT.contains(time(7, 59)) and not NIGHT.contains(time(8))


def test_defaults_and_backoff_doubling() -> None:
    settings = NotificationSettings.from_values({"notifications.backoff_seconds": "30"})
    assert settings.reminder_offsets == (timedelta(hours=24), timedelta(hours=2))
    assert settings.quiet_hours == NIGHT and settings.max_attempts == 5
    assert [settings.retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]


def test_sms_due_in_quiet_hours_waits_for_the_morning() -> None:
    assert planning.after_quiet_hours(melbourne(23, 22), NIGHT, ZONE) == melbourne(24, 8)
    assert planning.after_quiet_hours(melbourne(24, 6), NIGHT, ZONE) == melbourne(24, 8)
    assert planning.after_quiet_hours(melbourne(24, 12), NIGHT, ZONE) == melbourne(24, 12)


def test_booking_plans_confirmation_and_reminders_per_channel() -> None:
    reach = planning.Reach(email=True, sms=True, reminders_opt_out=False)
    start = melbourne(25, 9)
    planned = planning.for_booking(
        7, reach, start, melbourne(23, 22), (timedelta(hours=24), timedelta(hours=2)), NIGHT, ZONE
    )
    due = {(p.kind, p.channel): p.due_at for p in planned if p.kind is Kind.CONFIRMATION}
    # Booked at 22:00: the email goes at once, the SMS at 08:00 when quiet hours end.
    assert due == {
        (Kind.CONFIRMATION, Channel.EMAIL): melbourne(23, 22),
        (Kind.CONFIRMATION, Channel.SMS): melbourne(24, 8),
    }
    reminders = sorted((p.channel, p.due_at, p.status) for p in planned if p.kind is Kind.REMINDER)
    assert reminders == [
        (Channel.EMAIL, melbourne(24, 9), Status.PENDING),
        (Channel.EMAIL, melbourne(25, 7), Status.PENDING),
        (Channel.SMS, melbourne(24, 9), Status.PENDING),
        (Channel.SMS, melbourne(25, 8), Status.PENDING),  # 07:00 is quiet: it waits until 08:00
    ]
    late = planning.for_booking(7, reach, melbourne(25, 7, 30), melbourne(25, 6), (), NIGHT, ZONE)
    # Quiet hours end after a 07:30 start: that SMS would be useless, so it is recorded as skipped.
    assert {(p.channel, p.status) for p in late} == {
        (Channel.EMAIL, Status.PENDING),
        (Channel.SMS, Status.SKIPPED),
    }
    assert len({p.key for p in planned}) == len(planned)


def test_no_reminder_already_past_when_booked_and_none_when_opted_out() -> None:
    start = melbourne(24, 10)
    reach = planning.Reach(email=True, sms=False, reminders_opt_out=False)
    planned = planning.for_booking(
        1, reach, start, melbourne(24, 7), (timedelta(hours=24), timedelta(hours=2)), None, ZONE
    )
    assert [(p.kind, p.due_at) for p in planned] == [
        (Kind.CONFIRMATION, melbourne(24, 7)),
        (Kind.REMINDER, melbourne(24, 8)),
    ]
    opted_out = planning.Reach(email=True, sms=True, reminders_opt_out=True)
    kinds = {
        p.kind
        for p in planning.for_booking(
            1, opted_out, start, melbourne(23, 7), (timedelta(hours=2),), None, ZONE
        )
    }
    assert kinds == {Kind.CONFIRMATION}


def test_moving_before_the_confirmation_went_sends_a_confirmation_not_a_change() -> None:
    reach = planning.Reach(email=True, sms=True, reminders_opt_out=False)
    planned = planning.for_move(
        3, 99, reach, melbourne(26, 14), melbourne(23, 9), (), None, ZONE, [Channel.SMS]
    )
    assert {(p.kind, p.channel) for p in planned} == {
        (Kind.CONFIRMATION, Channel.SMS),
        (Kind.CHANGE, Channel.EMAIL),
    }


def test_messages_say_when_and_where_in_clinic_time() -> None:
    facts = MessageFacts(
        "Ruby",
        datetime(2026, 11, 24, 14, 5),
        "Montu Clinic",
        "12 Collins St",
        "03 9000 0000",
        old_start_local=datetime(2026, 11, 23, 9, 0),
    )
    subject, body = render(Kind.CHANGE, Channel.EMAIL, facts, {})
    assert "Tuesday 24 November" in subject and "2:05 pm" in subject
    assert "Monday 23 November at 9:00 am" in body and "12 Collins St" in body
    custom = {"template.change.sms": "{first_name}: {date} {time} at {clinic_address}"}
    assert render(Kind.CHANGE, Channel.SMS, facts, custom) == (
        "",
        "Ruby: Tuesday 24 November 2:05 pm at 12 Collins St",
    )
