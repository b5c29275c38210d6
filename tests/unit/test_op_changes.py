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
