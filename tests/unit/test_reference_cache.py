"""The reference cache keeps data for ten minutes and drops it at once when told."""

from __future__ import annotations

from montu_desktop.services.reference_cache import ReferenceCache


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_values_are_reused_until_ten_minutes_pass() -> None:
    ticker, loads = Ticker(), []
    cache = ReferenceCache(clock=ticker)
    load = lambda: loads.append(1) or len(loads)  # noqa: E731
    assert cache.get("types", load) == 1
    ticker.now = 599
    assert cache.get("types", load) == 1
    ticker.now = 601
    assert cache.get("types", load) == 2


def test_invalidate_drops_everything_at_once() -> None:
    cache = ReferenceCache(clock=Ticker())
    calls = []
    cache.get("a", lambda: calls.append("a"))
    cache.invalidate()
    cache.get("a", lambda: calls.append("a again"))
    assert calls == ["a", "a again"]
