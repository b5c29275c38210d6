"""Two-way SMS rules: Twilio's signature (its published vectors), reading replies, receipts."""

from __future__ import annotations

import pytest

from montu_desktop.domain import sms_replies as rules
from montu_desktop.domain.sms_replies import Ask, Delivery

URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
FIELDS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
]


def test_the_signature_matches_twilios_published_vector() -> None:
    assert rules.signature("12345", URL, FIELDS) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert rules.signature_ok("12345", URL, list(reversed(FIELDS)), "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


def test_a_repeated_field_is_signed_with_its_values_sorted() -> None:
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678")]
    repeated += [("Digits", "1234"), ("Digits", "1234")]
    assert rules.signature_ok("12345", URL, repeated, "IK+Dwps556ElfBT0I3Rgjkr1wJU=")


@pytest.mark.parametrize(
    ("token", "url", "fields", "given"),
    [
        ("12345", URL, FIELDS, "RSOYDt4T1cUTdK1PDd93/VVr8B9="),
        ("54321", URL, FIELDS, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("12345", URL + "&x=1", FIELDS, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("12345", URL, [*FIELDS[:-1], ("To", "+18005551213")], "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("12345", URL, FIELDS, ""),
        ("", URL, FIELDS, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("12345", URL, FIELDS, "not base64 王"),
    ],
)
def test_any_change_or_a_missing_part_fails_the_check(token, url, fields, given) -> None:  # type: ignore[no-untyped-def]
    assert not rules.signature_ok(token, url, fields, given)


@pytest.mark.parametrize(
    ("body", "ask"),
    [
        ("C", Ask.CANCEL),
        (" cancel ", Ask.CANCEL),
        ("Cancel.", Ask.CANCEL),
        ("y", Ask.CONFIRM),
        ("YES!", Ask.CONFIRM),
        ("Stop", Ask.STOP),
        ("yes please but can I come at 3?", Ask.OTHER),
        ("", Ask.OTHER),
        ("C C", Ask.OTHER),
    ],
)
def test_only_the_one_word_answers_act(body: str, ask: Ask) -> None:
    assert rules.read_reply(body) is ask


def test_receipts_only_move_forward() -> None:
    assert rules.moves_forward(None, Delivery.SENT)
    assert rules.moves_forward("sent", Delivery.DELIVERED)
    assert rules.moves_forward("sent", Delivery.UNDELIVERED)
    assert not rules.moves_forward("delivered", Delivery.SENT)
    assert not rules.moves_forward("delivered", Delivery.DELIVERED)
    assert rules.delivery_reason("30003") == "phone unreachable or switched off (error 30003)"
    assert rules.delivery_reason("") == "no reason given"


def test_the_default_reminder_sms_invites_a_reply_only_when_two_way_is_on() -> None:
    from datetime import datetime

    from montu_desktop.notifications.model import Channel, Kind
    from montu_desktop.notifications.templates import MessageFacts, render

    facts = MessageFacts("Ruby", datetime(2027, 3, 11, 9, 15), "Clinic", "1 St", "03 9000 0000")
    invite = "Reply C to cancel or Y to confirm"
    assert invite not in render(Kind.REMINDER, Channel.SMS, facts, {})[1]
    assert invite in render(Kind.REMINDER, Channel.SMS, facts, {}, two_way=True)[1]
    assert invite not in render(Kind.REMINDER, Channel.EMAIL, facts, {}, two_way=True)[1]
    own = {"template.reminder.sms": "See you {date}, {first_name}. " + invite}
    assert render(Kind.REMINDER, Channel.SMS, facts, own)[1].endswith(invite)
    assert "too close to cancel by SMS" in render(Kind.LATE_CANCEL, Channel.SMS, facts, {})[1]
