"""The pure rules of online booking: scopes, rates, origins, tokens and the rate limit."""

from __future__ import annotations

import pytest

from montu_desktop.domain import online as rules
from montu_desktop.domain.errors import InvalidRequest


def test_scopes_are_read_from_a_comma_list_and_unknown_ones_refused() -> None:
    assert rules.parse_scopes("availability, BOOK") == {"availability", "book"}
    with pytest.raises(InvalidRequest) as refused:
        rules.parse_scopes("availability,admin")
    assert refused.value.field == "scopes" and "admin" in refused.value.reason
    with pytest.raises(InvalidRequest):
        rules.parse_scopes(" , ")


@pytest.mark.parametrize(("text", "rate"), [("60/min", 60), ("120", 120), (" 5/MIN ", 5)])
def test_rates_read_per_minute(text: str, rate: int) -> None:
    assert rules.parse_rate(text) == rate


@pytest.mark.parametrize("text", ["0/min", "-1", "1.5", "ten", "100001", "٣/min"])
def test_bad_rates_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        rules.parse_rate(text)
    assert refused.value.field == "rate"


def test_origins_are_normalised_and_must_be_a_site_address() -> None:
    assert rules.parse_origin("https://Clinic.Example/") == "https://clinic.example"
    assert rules.parse_origin("http://localhost:8080") == "http://localhost:8080"
    for bad in (
        "clinic.example",
        "ftp://clinic.example",
        "https://clinic.example/book",
        "https://x:y",
    ):
        with pytest.raises(InvalidRequest) as refused:
            rules.parse_origin(bad)
        assert refused.value.field == "origin"


def test_tokens_are_long_random_and_only_their_hash_is_compared() -> None:
    one, two = rules.new_token(), rules.new_token()
    assert one != two and len(one) >= 40
    assert rules.token_hash(one) == rules.token_hash(one) != rules.token_hash(two)
    assert len(rules.token_hash(one)) == 64


def test_body_hash_ignores_key_order_but_not_content() -> None:
    assert rules.body_hash({"a": 1, "b": [1, 2]}) == rules.body_hash({"b": [1, 2], "a": 1})
    assert rules.body_hash({"a": 1}) != rules.body_hash({"a": 2})


def test_the_rate_limit_counts_per_key_per_minute_and_says_how_long_to_wait() -> None:
    now = [1000.0]
    limiter = rules.RateLimiter(lambda: now[0])
    assert [limiter.retry_after(1, 3) for _ in range(3)] == [0, 0, 0]
    now[0] += 20
    assert limiter.retry_after(1, 3) == 41
    assert limiter.retry_after(2, 3) == 0  # another key has its own budget
    now[0] += 40
    assert limiter.retry_after(1, 3) == 0
