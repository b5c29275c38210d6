"""What one operation changed, in the domain's words: kinds, ids, and who started it."""

from __future__ import annotations

import pytest

from montu_desktop.domain.op_changes import LOCAL, ChangeKind, Initiator, OpChanges


def test_a_notice_names_kinds_and_ids_and_says_whether_it_came_from_elsewhere() -> None:
    here = OpChanges(
        frozenset({ChangeKind.APPOINTMENTS}),
        frozenset({(ChangeKind.APPOINTMENTS, 7), (ChangeKind.PATIENTS, 3)}),
        LOCAL,
    )
    assert here.touches("appointments") and not here.touches(ChangeKind.REFERENCE)
    assert here.ids_of("appointments") == [7] and here.ids_of(ChangeKind.PATIENTS) == [3]
    assert not here.remote
    assert OpChanges.of("reference").remote  # no origin: heard from another desk
    assert not OpChanges(frozenset())


def test_an_initiator_is_a_token_that_matches_only_its_own_screen() -> None:
    class Screen:
        pass

    mine, other = Screen(), Screen()
    notice = OpChanges.of("appointments", origin=Initiator.of(mine))
    assert notice.started_by(mine) and not notice.started_by(other)
    assert notice.origin is not None and notice.origin.name == "Screen"


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        OpChanges.of("appointment")  # a typo must not pass silently


def test_a_new_screen_never_takes_a_closed_ones_initiator() -> None:
    """id() of a freed object is handed to the next one at once in CPython: keys are not ids."""

    class Screen:
        pass

    seen: set[int] = set()
    reused_ids = 0
    previous_id = None
    for _ in range(200):
        screen = Screen()
        reused_ids += id(screen) == previous_id
        previous_id = id(screen)
        key = Initiator.of(screen).key
        assert Initiator.of(screen).key == key  # the same screen keeps its key
        assert key not in seen and key != LOCAL.key
        seen.add(key)
        del screen
    assert reused_ids > 0  # the case the keys exist for did happen here
