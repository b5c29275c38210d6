"""The clinic's state (and so its time zone and public holidays) follows its address."""

from __future__ import annotations

import pytest

from montu_desktop.domain.regions import STATE_ZONES, state_from_address


@pytest.mark.parametrize(
    ("address", "state"),
    [
        ("12 Smith St, Fitzroy VIC 3065", "VIC"),
        ("1 George St, Sydney NSW 2000", "NSW"),
        ("4 Bunda St, Canberra 2601", "ACT"),
        ("2 Mitchell St, Darwin 0800", "NT"),
        ("9 Hay Street, Perth, Western Australia", "WA"),
        ("33 Queen St Brisbane 4000", "QLD"),
        ("Shop 2, the Mall", None),
    ],
)
def test_state_from_address(address: str, state: str | None) -> None:
    assert state_from_address(address) == state


def test_every_state_has_a_time_zone() -> None:
    assert STATE_ZONES["VIC"] == "Australia/Melbourne" and STATE_ZONES["ACT"] == "Australia/Sydney"
    assert len(STATE_ZONES) == 8
