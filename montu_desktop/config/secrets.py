"""Secrets (database password, SMTP and SMS credentials) kept only in the OS keyring."""

from __future__ import annotations

import contextlib

import keyring
from keyring.errors import KeyringError, NoKeyringError

from montu_desktop.domain.errors import MontuError

SERVICE = "montu-desktop"


class KeyringUnavailable(MontuError):
    """No usable OS keyring: secrets cannot be stored, and are never written to a plain file."""


def _writes_plain_files(backend: object) -> bool:
    """keyrings.alt's file backends keep secrets in a file anyone with the PC's disk can read
    (PlaintextKeyring stores base64, which is encoding, not encryption): not a keyring."""
    kind = type(backend)
    return kind.__module__.startswith("keyrings.alt") or "plaintext" in kind.__name__.lower()


def _parts(backend: object) -> list[object]:
    inner = getattr(backend, "backends", None)  # keyring's ChainerBackend tries several
    return list(inner) if isinstance(inner, list | tuple) else [backend]


def usable_keyring() -> tuple[bool, str]:
    """Whether secrets may be stored here, and if not, why not (in plain words)."""
    backend = keyring.get_keyring()
    plain = [type(b).__name__ for b in _parts(backend) if _writes_plain_files(b)]
    if plain:
        return False, (
            f"the only keyring on this PC ({plain[0]}) writes secrets to a plain file, "
            "which counts as no keyring; the secret was not stored (install or unlock a "
            "keyring such as Secret Service, Keychain or Credential Manager)"
        )
    if getattr(backend, "priority", 0) > 0 and "fail" not in type(backend).__module__:
        return True, ""
    return False, (
        "no usable OS keyring on this PC; the secret was not stored "
        "(install or unlock a keyring such as Secret Service, Keychain or Credential Manager)"
    )


def _usable() -> bool:
    return usable_keyring()[0]


def set_secret(name: str, value: str) -> None:
    ok, why = usable_keyring()
    if not ok:
        raise KeyringUnavailable(why)
    try:
        keyring.set_password(SERVICE, name, value)
    except (NoKeyringError, KeyringError) as exc:
        raise KeyringUnavailable(f"the OS keyring refused to store the secret: {exc}") from exc


def get_secret(name: str) -> str | None:
    if not _usable():  # a secret left in a plain-file keyring is not trusted either
        return None
    try:
        return keyring.get_password(SERVICE, name)
    except (NoKeyringError, KeyringError):
        return None


def delete_secret(name: str) -> None:
    with contextlib.suppress(NoKeyringError, KeyringError):
        keyring.delete_password(SERVICE, name)
