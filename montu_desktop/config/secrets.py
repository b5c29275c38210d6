"""Secrets (database password, SMTP and SMS credentials) kept only in the OS keyring."""

from __future__ import annotations

import contextlib

import keyring
from keyring.errors import KeyringError, NoKeyringError

from montu_desktop.domain.errors import MontuError

SERVICE = "montu-desktop"


class KeyringUnavailable(MontuError):
    """No usable OS keyring: secrets cannot be stored, and are never written to a plain file."""


def _usable() -> bool:
    backend = keyring.get_keyring()
    return getattr(backend, "priority", 0) > 0 and "fail" not in type(backend).__module__


def set_secret(name: str, value: str) -> None:
    if not _usable():
        raise KeyringUnavailable(
            "no usable OS keyring on this PC; the secret was not stored "
            "(install or unlock a keyring such as Secret Service, Keychain or Credential Manager)"
        )
    try:
        keyring.set_password(SERVICE, name, value)
    except (NoKeyringError, KeyringError) as exc:
        raise KeyringUnavailable(f"the OS keyring refused to store the secret: {exc}") from exc


def get_secret(name: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, name)
    except (NoKeyringError, KeyringError):
        return None


def delete_secret(name: str) -> None:
    with contextlib.suppress(NoKeyringError, KeyringError):
        keyring.delete_password(SERVICE, name)
