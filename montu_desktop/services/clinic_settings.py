"""Clinic-wide settings every PC shares (SMTP, SMS, reminders, quiet hours, templates).

Each key is declared once with its default and meaning (config/settings_registry.py, and the
message templates in notifications/templates.py); a bad key or value is refused naming the
key and the reason, and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from montu_desktop.config import secrets
from montu_desktop.config.settings_registry import (
    CHECKED_TOGETHER,
    SECRET_NAMES,
    SPECS,
    SettingSpec,
    check_together,
    check_value,
)
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.notifications.templates import DEFAULTS as TEMPLATE_DEFAULTS
from montu_desktop.notifications.templates import TEMPLATE_KEYS, check_template_setting
from montu_desktop.persistence import settings_rows
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class SettingValue:
    """A setting as people see it: its value, whether it is still the default, and its meaning."""

    key: str
    value: str
    is_default: bool
    meaning: str


def _default(key: str) -> tuple[str, str]:
    if key in SPECS:
        return SPECS[key].default, SPECS[key].meaning
    if key in TEMPLATE_KEYS:
        return TEMPLATE_DEFAULTS[key], "message template (" + key.split(".", 1)[1] + ")"
    raise InvalidRequest("key", f"{key!r} is not a setting (see `montu-desktop config list`)")


def _check(key: str, value: str) -> str:
    if key in TEMPLATE_KEYS:
        return check_template_setting(key, value)
    return check_value(key, value)


def setting_spec(key: str) -> SettingSpec:
    """How `key` is declared (kind, bounds, choices, default, help): screens build fields from it."""
    return SPECS[key]


def known_keys() -> list[str]:
    return [*SPECS, *sorted(TEMPLATE_KEYS)]


def get_setting(ctx: ServiceContext, key: str) -> SettingValue:
    default, meaning = _default(key)
    with UnitOfWork(ctx) as uow:
        stored = settings_rows.stored_value(uow.session, key)
        if stored is None:
            return SettingValue(key, default, True, meaning)
        return SettingValue(key, stored, False, meaning)


def list_settings(ctx: ServiceContext) -> list[SettingValue]:
    keys = known_keys()
    with UnitOfWork(ctx) as uow:
        stored = settings_rows.stored_values(uow.session, keys)
    found = []
    for key in keys:
        default, meaning = _default(key)
        found.append(SettingValue(key, stored.get(key, default), key not in stored, meaning))
    return found


def set_setting(ctx: ServiceContext, key: str, value: str) -> SettingValue:
    """Store a checked value for every PC; refused with the key and reason if wrong."""
    return set_settings(ctx, {key: value})[0]


def set_settings(ctx: ServiceContext, values: dict[str, str]) -> list[SettingValue]:
    """Store several values at once: all are checked first, and none is stored if one is wrong."""
    require_manager(ctx, "change settings")
    if any(k in SECRET_NAMES for k in values):
        secret = next(k for k in values if k in SECRET_NAMES)
        raise InvalidRequest(
            secret, "is a secret: store it with `montu-desktop secrets set` (kept in the keyring)"
        )
    clean = {key: _check(key, value) for key, value in values.items()}
    with UnitOfWork(ctx, write=True) as uow:
        _check_together(uow, clean)
        for key, value in clean.items():
            settings_rows.store_value(uow.session, key, value)
            uow.audit("setting.changed", key, value=value)
        uow.touches("settings")
        if any(k.startswith("holds.") for k in clean):
            uow.touches("reference")  # the held-time rules are cached with reference data
        uow.commit()
    return [SettingValue(k, v, False, _default(k)[1]) for k, v in clean.items()]


def reset_setting(ctx: ServiceContext, key: str) -> SettingValue:
    """Go back to the default value."""
    require_manager(ctx, "change settings")
    default, meaning = _default(key)
    with UnitOfWork(ctx, write=True) as uow:
        _check_together(uow, {key: default})
        settings_rows.forget_value(uow.session, key)
        uow.audit("setting.reset", key)
        uow.touches("settings")
        uow.commit()
    return SettingValue(key, default, True, meaning)


def _check_together(uow: UnitOfWork, changed: dict[str, str]) -> None:
    """The registry's checks across keys (amber before red), over what would be stored."""
    if any(key in changed for key in CHECKED_TOGETHER):
        stored = settings_rows.stored_values(uow.session, CHECKED_TOGETHER)
        check_together({**stored, **changed}, changed)


def store_secret(name: str, value: str) -> None:
    """Put a secret in the OS keyring (never in the database or a file)."""
    if name not in SECRET_NAMES and not name.startswith("database:"):
        known = ", ".join(SECRET_NAMES)
        raise InvalidRequest("name", f"{name!r} is not a secret Montu uses ({known})")
    if not value:
        raise InvalidRequest(name, "is empty: nothing was read from standard input")
    secrets.set_secret(name, value)


def secret_is_set(name: str) -> bool:
    return bool(secrets.get_secret(name))
