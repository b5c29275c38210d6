"""Each clinic-wide setting is declared once: checks, page widgets and the README table follow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from montu_desktop.config.settings_registry import SPECS, ValueKind, settings_table
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.notifications.settings import check_setting

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_settings_table_is_the_generated_one() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- settings-table:[^>]*-->\n(.*?)\n<!-- /settings-table -->", text, re.S)
    assert found, "README.md has lost its settings-table markers"
    assert found.group(1) == settings_table(), (
        "README's settings table is out of date: paste the output of "
        "`python -c 'from montu_desktop.config.settings_registry import settings_table; "
        "print(settings_table())'` between the markers"
    )


@pytest.mark.parametrize("spec", list(SPECS.values()), ids=list(SPECS))
def test_every_default_is_allowed_by_its_own_declaration(spec) -> None:  # type: ignore[no-untyped-def]
    assert check_setting(spec.key, spec.default) == spec.default.strip()


@pytest.mark.parametrize(
    "spec",
    [s for s in SPECS.values() if s.kind in (ValueKind.WHOLE_NUMBER, ValueKind.SECONDS)],
    ids=lambda s: s.key,
)
def test_numbers_are_refused_just_outside_their_declared_bounds(spec) -> None:  # type: ignore[no-untyped-def]
    assert spec.low is not None and spec.high is not None
    step = 1 if spec.kind is ValueKind.WHOLE_NUMBER else spec.low / 2 or 0.5
    for outside in (spec.low - step, spec.high + step):
        text = str(int(outside)) if spec.kind is ValueKind.WHOLE_NUMBER else repr(outside)
        with pytest.raises(InvalidRequest) as refused:
            check_setting(spec.key, text)
        assert refused.value.field == spec.key and "between" in str(refused.value)
    check_setting(spec.key, f"{spec.high:g}")


def test_choices_are_refused_unless_declared() -> None:
    assert check_setting("smtp.security", "SSL ") == "SSL"
    with pytest.raises(InvalidRequest, match="none, starttls, ssl"):
        check_setting("smtp.security", "tls")


def test_every_choice_and_number_setting_declares_what_a_page_needs() -> None:
    for spec in SPECS.values():
        if spec.kind is ValueKind.CHOICE:
            assert spec.choices and spec.default in spec.choice_values, spec.key
            assert all(label for _value, label in spec.choices), spec.key
        if spec.kind in (ValueKind.WHOLE_NUMBER, ValueKind.SECONDS):
            assert spec.low is not None and spec.high is not None and spec.low < spec.high


def test_config_set_refuses_with_the_declared_bounds_and_stores_nothing(
    sqlite_db,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
) -> None:
    from montu_desktop.cli import main

    url = str(sqlite_db.url)
    assert main(["config", "set", "notifications.max_attempts", "21", "--database", url]) == 3
    refused = capsys.readouterr().err
    assert refused.count("\n") == 1 and "notifications.max_attempts" in refused
    assert "between 1 and 20" in refused
    assert main(["config", "get", "notifications.max_attempts", "--database", url]) == 0
    assert "5" in capsys.readouterr().out
    assert main(["config", "set", "notifications.max_attempts", "20", "--database", url]) == 0
