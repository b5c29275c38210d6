"""Australian states: each one's time zone, and which state an address is in."""

from __future__ import annotations

import re

STATE_ZONES = {
    "VIC": "Australia/Melbourne",
    "NSW": "Australia/Sydney",
    "QLD": "Australia/Brisbane",
    "SA": "Australia/Adelaide",
    "WA": "Australia/Perth",
    "TAS": "Australia/Hobart",
    "NT": "Australia/Darwin",
    "ACT": "Australia/Sydney",
}
_STATE_WORD = re.compile(r"\b(VIC|NSW|QLD|SA|WA|TAS|NT|ACT)\b", re.IGNORECASE)
_NAMES = {
    "victoria": "VIC",
    "new south wales": "NSW",
    "queensland": "QLD",
    "south australia": "SA",
    "western australia": "WA",
    "tasmania": "TAS",
    "northern territory": "NT",
    "australian capital territory": "ACT",
}
_POSTCODE = re.compile(r"\b(0[89]\d\d|[2-7]\d{3})\b")


def _state_of_postcode(code: int) -> str | None:
    if 800 <= code <= 999:
        return "NT"
    if 2600 <= code <= 2618 or 2900 <= code <= 2920:
        return "ACT"
    return {2: "NSW", 3: "VIC", 4: "QLD", 5: "SA", 6: "WA", 7: "TAS"}.get(code // 1000)


def state_from_address(address: str) -> str | None:
    """The state an Australian address names ('… Fitzroy VIC 3065'), or None when unclear."""
    text = address.strip()
    words = _STATE_WORD.findall(text)
    if words:
        return words[-1].upper()
    lowered = text.lower()
    for name, state in sorted(_NAMES.items(), key=lambda item: -len(item[0])):
        if name in lowered:
            return state
    codes = _POSTCODE.findall(text)
    return _state_of_postcode(int(codes[-1])) if codes else None
