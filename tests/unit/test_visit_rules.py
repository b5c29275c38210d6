"""The visit rules: status moves that fit the appointment's day, undo, notes and cancel reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import AppointmentStatus as S
from montu_desktop.domain.visits import (
    allowed_moves,
    check_status_move,
    clean_note,
    clean_reason,
    parse_status,
    status_refusal,
    times_after_move,
)

ZONE = "Australia/Melbourne"
# Tuesday 24 November 2026, 09:00 in Melbourne (UTC+11).
START = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)


def refusal(current: S, wanted: S, now: datetime) -> str | None:
    return status_refusal(current, wanted, start=START, now=now, timezone=ZONE)


def test_arrived_is_allowed_from_an_hour_before_the_start_on_the_day() -> None:
    assert refusal(S.BOOKED, S.ARRIVED, START - timedelta(hours=1)) is None
    assert refusal(S.BOOKED, S.ARRIVED, START + timedelta(hours=5)) is None
    early = refusal(S.BOOKED, S.ARRIVED, START - timedelta(hours=1, minutes=1))
    assert early is not None and "an hour" in early


def test_arrived_is_refused_on_any_other_local_day_even_when_within_hours() -> None:
    day_before = START - timedelta(hours=20)  # Monday 13:00 local
    assert "appointment's day (2026-11-24)" in (refusal(S.BOOKED, S.ARRIVED, day_before) or "")
    next_day = START + timedelta(hours=16)  # Wednesday 01:00 local, still Tuesday in UTC
    assert refusal(S.BOOKED, S.ARRIVED, next_day) is not None
    # 23:30 UTC on Monday is already Tuesday 10:30 in Melbourne: the local day counts.
    assert refusal(S.BOOKED, S.ARRIVED, datetime(2026, 11, 23, 23, 30, tzinfo=UTC)) is None


def test_the_local_day_is_the_clinics_across_a_daylight_saving_change() -> None:
    # Sunday 5 April 2026: Melbourne falls back from UTC+11 to UTC+10 at 03:00.
    start = datetime(2026, 4, 5, 0, 0, tzinfo=UTC)  # 10:00 local (UTC+10)
    assert status_refusal(S.BOOKED, S.ARRIVED, start=start, now=start, timezone=ZONE) is None
    saturday_evening = datetime(2026, 4, 4, 12, 0, tzinfo=UTC)  # 23:00 Saturday local
    assert (
        status_refusal(S.BOOKED, S.ARRIVED, start=start, now=saturday_evening, timezone=ZONE)
        is not None
    )


@pytest.mark.parametrize("mark", [S.ARRIVED, S.NO_SHOW, S.COMPLETED])
def test_every_mark_can_be_undone_back_to_booked(mark: S) -> None:
    assert refusal(mark, S.BOOKED, START + timedelta(days=3)) is None
    assert S.BOOKED in allowed_moves(
        mark, start=START, now=START + timedelta(days=3), timezone=ZONE
    )


def test_which_moves_are_allowed_from_which_status() -> None:
    now = START
    assert allowed_moves(S.BOOKED, start=START, now=now, timezone=ZONE) == {S.ARRIVED, S.NO_SHOW}
    assert allowed_moves(S.ARRIVED, start=START, now=now, timezone=ZONE) == {S.COMPLETED, S.BOOKED}
    assert allowed_moves(S.COMPLETED, start=START, now=now, timezone=ZONE) == {S.ARRIVED, S.BOOKED}
    assert allowed_moves(S.NO_SHOW, start=START, now=now, timezone=ZONE) == {S.BOOKED}
    assert allowed_moves(S.CANCELLED, start=START, now=now, timezone=ZONE) == frozenset()
    tomorrow = START - timedelta(days=1)
    assert allowed_moves(S.BOOKED, start=START, now=tomorrow, timezone=ZONE) == {S.NO_SHOW}
    assert "cannot become completed" in (refusal(S.BOOKED, S.COMPLETED, now) or "")
    assert "already arrived" in (refusal(S.ARRIVED, S.ARRIVED, now) or "")
    assert "cancelled" in (refusal(S.CANCELLED, S.BOOKED, now) or "")


def test_a_refused_move_names_the_status_field() -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_status_move(S.NO_SHOW, S.COMPLETED, start=START, now=START, timezone=ZONE)
    assert refused.value.field == "status"


def test_arrival_and_completion_times_are_kept_and_cleared_by_an_undo() -> None:
    t1, t2 = START, START + timedelta(minutes=20)
    assert times_after_move(S.ARRIVED, t1, None, None) == (t1, None)
    assert times_after_move(S.COMPLETED, t2, t1, None) == (t1, t2)
    assert times_after_move(S.ARRIVED, t2, t1, t2) == (t1, None)  # completion undone
    assert times_after_move(S.BOOKED, t2, t1, t2) == (None, None)
    assert times_after_move(S.NO_SHOW, t2, None, None) == (None, None)


@pytest.mark.parametrize(
    ("typed", "status"),
    [("arrived", S.ARRIVED), ("no-show", S.NO_SHOW), ("No_Show", S.NO_SHOW), ("booked", S.BOOKED)],
)
def test_statuses_are_read_as_typed(typed: str, status: S) -> None:
    assert parse_status(typed) is status


@pytest.mark.parametrize("typed", ["cancelled", "gone", ""])
def test_other_words_are_not_statuses(typed: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_status(typed)
    assert refused.value.field == "status"


def test_a_note_is_trimmed_and_at_most_500_characters() -> None:
    assert clean_note("  knee pain \n") == "knee pain"
    assert clean_note("   ") is None and clean_note(None) is None
    assert clean_note("x" * 500) == "x" * 500
    with pytest.raises(InvalidRequest) as refused:
        clean_note("x" * 501)
    assert refused.value.field == "note"


def test_a_cancel_reason_is_one_line_of_at_most_200_characters() -> None:
    assert clean_reason(" Patient\n unwell ") == "Patient unwell"
    assert clean_reason("") is None
    with pytest.raises(InvalidRequest) as refused:
        clean_reason("y" * 201)
    assert refused.value.field == "reason"
