"""The visit rules: status moves that fit the appointment's day, undo, notes and cancel reasons."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import AppointmentStatus as S
from montu_desktop.domain.visits import (
    VisitTimes,
    allowed_moves,
    check_status_move,
    clean_note,
    clean_reason,
    next_stage,
    parse_status,
    stage_back,
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
    assert "appointment's day (Tue 24 Nov 2026)" in (refusal(S.BOOKED, S.ARRIVED, day_before) or "")
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


@pytest.mark.parametrize(
    "mark",
    [S.ARRIVED, S.CALLED_IN, S.IN_CONSULTATION, S.DID_NOT_WAIT, S.NO_SHOW, S.COMPLETED],
)
def test_every_mark_can_be_undone_back_to_booked(mark: S) -> None:
    assert refusal(mark, S.BOOKED, START + timedelta(days=3)) is None
    assert S.BOOKED in allowed_moves(
        mark, start=START, now=START + timedelta(days=3), timezone=ZONE
    )


def test_which_moves_are_allowed_from_which_status() -> None:
    now = START
    assert allowed_moves(S.BOOKED, start=START, now=now, timezone=ZONE) == {S.ARRIVED, S.NO_SHOW}
    assert allowed_moves(S.ARRIVED, start=START, now=now, timezone=ZONE) == {
        S.CALLED_IN,
        S.IN_CONSULTATION,
        S.COMPLETED,
        S.DID_NOT_WAIT,
        S.BOOKED,
    }
    assert allowed_moves(S.CALLED_IN, start=START, now=now, timezone=ZONE) == {
        S.IN_CONSULTATION,
        S.COMPLETED,
        S.DID_NOT_WAIT,
        S.ARRIVED,
        S.BOOKED,
    }
    assert allowed_moves(S.IN_CONSULTATION, start=START, now=now, timezone=ZONE) == {
        S.COMPLETED,
        S.CALLED_IN,
        S.BOOKED,
    }
    assert allowed_moves(S.COMPLETED, start=START, now=now, timezone=ZONE) == {
        S.IN_CONSULTATION,
        S.ARRIVED,
        S.BOOKED,
    }
    assert allowed_moves(S.DID_NOT_WAIT, start=START, now=now, timezone=ZONE) == {
        S.ARRIVED,
        S.BOOKED,
    }
    assert allowed_moves(S.NO_SHOW, start=START, now=now, timezone=ZONE) == {S.BOOKED}
    assert allowed_moves(S.CANCELLED, start=START, now=now, timezone=ZONE) == frozenset()
    tomorrow = START - timedelta(days=1)
    assert allowed_moves(S.BOOKED, start=START, now=tomorrow, timezone=ZONE) == frozenset()
    assert "cannot become completed" in (refusal(S.BOOKED, S.COMPLETED, now) or "")
    assert "already arrived" in (refusal(S.ARRIVED, S.ARRIVED, now) or "")
    assert "cancelled" in (refusal(S.CANCELLED, S.BOOKED, now) or "")


def test_a_refused_move_names_the_status_field() -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_status_move(S.NO_SHOW, S.COMPLETED, start=START, now=START, timezone=ZONE)
    assert refused.value.field == "status"


def test_arrival_and_completion_times_are_kept_and_cleared_by_an_undo() -> None:
    t1, t2 = START, START + timedelta(minutes=20)
    assert times_after_move(S.ARRIVED, t1, VisitTimes()) == VisitTimes(t1)
    assert times_after_move(S.COMPLETED, t2, VisitTimes(t1)) == VisitTimes(t1, completed_at=t2)
    done = VisitTimes(t1, completed_at=t2)
    assert times_after_move(S.ARRIVED, t2, done) == VisitTimes(t1)  # completion undone
    assert times_after_move(S.BOOKED, t2, done) == VisitTimes()
    assert times_after_move(S.NO_SHOW, t2, VisitTimes()) == VisitTimes()


def test_each_flow_stage_stamps_its_time_and_keeps_the_earlier_ones() -> None:
    t1, t2, t3, t4 = (START + timedelta(minutes=m) for m in (0, 12, 14, 30))
    arrived = times_after_move(S.ARRIVED, t1, VisitTimes())
    called = times_after_move(S.CALLED_IN, t2, arrived)
    assert called == VisitTimes(t1, t2)
    seen = times_after_move(S.IN_CONSULTATION, t3, called)
    assert seen == VisitTimes(t1, t2, t3)
    done = times_after_move(S.COMPLETED, t4, seen)
    assert done == VisitTimes(t1, t2, t3, t4)
    # Straight from the waiting room into the consultation: called in at the same moment.
    assert times_after_move(S.IN_CONSULTATION, t2, arrived) == VisitTimes(t1, t2, t2)


def test_each_undo_one_stage_back_clears_only_the_stage_it_undoes() -> None:
    t1, t2, t3, t4 = (START + timedelta(minutes=m) for m in (0, 12, 14, 30))
    done = VisitTimes(t1, t2, t3, t4)
    assert times_after_move(S.IN_CONSULTATION, t4, done) == VisitTimes(t1, t2, t3)
    assert times_after_move(S.CALLED_IN, t4, VisitTimes(t1, t2, t3)) == VisitTimes(t1, t2)
    assert times_after_move(S.ARRIVED, t4, VisitTimes(t1, t2)) == VisitTimes(t1)
    assert times_after_move(S.BOOKED, t4, VisitTimes(t1, t2, t3)) == VisitTimes()


def test_did_not_wait_keeps_the_arrival_and_stamps_when_they_left() -> None:
    t1, t2, t3 = (START + timedelta(minutes=m) for m in (0, 12, 40))
    left = times_after_move(S.DID_NOT_WAIT, t3, VisitTimes(t1, t2))
    assert left == VisitTimes(t1, t2, left_at=t3)
    assert times_after_move(S.ARRIVED, t3, left) == VisitTimes(t1)  # undo: back in the room


def test_the_flow_stages_are_marked_only_on_the_appointments_day() -> None:
    next_day = START + timedelta(days=1)
    assert "appointment's day (Tue 24 Nov 2026)" in (
        refusal(S.ARRIVED, S.CALLED_IN, next_day) or ""
    )
    assert "in consultation can only" in (refusal(S.CALLED_IN, S.IN_CONSULTATION, next_day) or "")
    assert "did-not-wait can only" in (refusal(S.ARRIVED, S.DID_NOT_WAIT, next_day) or "")
    # An undo and completing stay allowed later (the record is put right after the day).
    assert refusal(S.IN_CONSULTATION, S.CALLED_IN, next_day) is None
    assert refusal(S.IN_CONSULTATION, S.COMPLETED, next_day) is None
    assert refusal(S.ARRIVED, S.CALLED_IN, START + timedelta(hours=3)) is None


@pytest.mark.parametrize(
    ("current", "wanted", "words"),
    [
        (S.BOOKED, S.CALLED_IN, "an appointment that is booked cannot become called in"),
        (S.BOOKED, S.DID_NOT_WAIT, "booked cannot become a did-not-wait"),
        (S.NO_SHOW, S.DID_NOT_WAIT, "a no-show cannot become a did-not-wait"),
        (S.IN_CONSULTATION, S.DID_NOT_WAIT, "in consultation cannot become a did-not-wait"),
        (S.DID_NOT_WAIT, S.COMPLETED, "a did-not-wait cannot become completed"),
        (S.DID_NOT_WAIT, S.NO_SHOW, "a did-not-wait cannot become a no-show"),
        (S.CALLED_IN, S.CALLED_IN, "already called in"),
    ],
)
def test_moves_outside_the_flow_are_refused_in_words(current: S, wanted: S, words: str) -> None:
    assert words in (refusal(current, wanted, START) or "")


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("arrived", S.ARRIVED),
        ("no-show", S.NO_SHOW),
        ("No_Show", S.NO_SHOW),
        ("booked", S.BOOKED),
        ("called-in", S.CALLED_IN),
        ("In consultation", S.IN_CONSULTATION),
        ("did-not-wait", S.DID_NOT_WAIT),
    ],
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


def test_no_show_only_once_the_visit_has_started() -> None:
    assert refusal(S.BOOKED, S.NO_SHOW, START) is None
    assert refusal(S.BOOKED, S.NO_SHOW, START + timedelta(days=2)) is None
    minute_before = refusal(S.BOOKED, S.NO_SHOW, START - timedelta(minutes=1))
    assert (
        minute_before
        == "no-show can only be marked once the visit has started (Tue 24 Nov 2026 09:00)"
    )
    assert refusal(S.BOOKED, S.NO_SHOW, START - timedelta(days=2)) == minute_before


def test_no_show_around_midnight_is_about_the_start_not_the_day() -> None:
    # A 23:15 visit (Melbourne, UTC+11): at 23:06 it has not started; at 00:05 it has.
    late = datetime(2026, 11, 24, 12, 15, tzinfo=UTC)  # 23:15 Tuesday local
    at_2306 = late - timedelta(minutes=9)
    assert "once the visit has started (Tue 24 Nov 2026 23:15)" in (
        status_refusal(S.BOOKED, S.NO_SHOW, start=late, now=at_2306, timezone=ZONE) or ""
    )
    after_midnight = late + timedelta(minutes=50)  # 00:05 Wednesday local
    assert (
        status_refusal(S.BOOKED, S.NO_SHOW, start=late, now=after_midnight, timezone=ZONE) is None
    )
    # Arrival is refused after midnight: it is no longer the appointment's day.
    assert status_refusal(S.BOOKED, S.ARRIVED, start=late, now=after_midnight, timezone=ZONE)


def test_no_show_across_the_daylight_saving_changes_uses_the_real_instant() -> None:
    # Sunday 4 October 2026: Melbourne springs forward, 02:00 becomes 03:00 (UTC+10 -> UTC+11).
    start = datetime(2026, 10, 3, 16, 30, tzinfo=UTC)  # 03:30 local (UTC+11), 30 min after
    just_before = start - timedelta(minutes=1)  # 03:29 local: one real minute earlier
    said = status_refusal(S.BOOKED, S.NO_SHOW, start=start, now=just_before, timezone=ZONE)
    assert said is not None and said.endswith("(Sun 4 Oct 2026 03:30)")
    assert status_refusal(S.BOOKED, S.NO_SHOW, start=start, now=start, timezone=ZONE) is None
    # Sunday 5 April 2026: 03:00 falls back to 02:00; 02:30 happens twice. The second 02:30
    # (UTC+10) is an hour after the first (UTC+11); at the first, the visit has not started.
    second = datetime(2026, 4, 4, 16, 30, tzinfo=UTC)  # 02:30 local, UTC+10
    first = second - timedelta(hours=1)  # 02:30 local, UTC+11
    assert status_refusal(S.BOOKED, S.NO_SHOW, start=second, now=first, timezone=ZONE)
    assert status_refusal(S.BOOKED, S.NO_SHOW, start=second, now=second, timezone=ZONE) is None
    assert allowed_moves(S.BOOKED, start=second, now=first, timezone=ZONE) == {S.ARRIVED}


def test_completed_only_after_arrival() -> None:
    # Completed is a step from arrived only: a booked visit is refused before and after it starts.
    for now in (START - timedelta(hours=1), START, START + timedelta(hours=2)):
        said = refusal(S.BOOKED, S.COMPLETED, now) or ""
        assert said == "an appointment that is booked cannot become completed"
        assert refusal(S.NO_SHOW, S.COMPLETED, now)
    # Once arrived (even early, before the start) the visit may be completed.
    assert refusal(S.ARRIVED, S.COMPLETED, START - timedelta(minutes=30)) is None
    assert refusal(S.ARRIVED, S.COMPLETED, START + timedelta(days=1)) is None


def test_the_flow_steps_on_and_back_one_stage_at_a_time() -> None:
    flow = [S.BOOKED, S.ARRIVED, S.CALLED_IN, S.IN_CONSULTATION, S.COMPLETED]
    for before, after in itertools.pairwise(flow[1:]):
        assert next_stage(before) is after
        assert stage_back(after) is before
        assert refusal(before, after, START) is None and refusal(after, before, START) is None
    assert next_stage(S.COMPLETED) is None and stage_back(S.ARRIVED) is S.BOOKED
    assert stage_back(S.DID_NOT_WAIT) is S.ARRIVED
