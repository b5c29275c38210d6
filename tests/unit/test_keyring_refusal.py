"""A keyring that writes secrets to a plain or merely encoded file counts as no keyring."""

from __future__ import annotations

import io
from typing import ClassVar

import keyring
import pytest
from keyring.backend import KeyringBackend

from montu_desktop.cli import main as cli
from montu_desktop.config import secrets


class PlaintextKeyring(KeyringBackend):
    """Shaped like keyrings.alt.file.PlaintextKeyring (base64 in a file), kept in memory here."""

    priority = 0.5  # type: ignore[assignment]
    stored: ClassVar[dict[tuple[str, str], str]] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.stored[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.stored.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.stored.pop((service, username), None)


PlaintextKeyring.__module__ = "keyrings.alt.file"


@pytest.fixture
def plain_file_keyring() -> PlaintextKeyring:
    backend = PlaintextKeyring()
    PlaintextKeyring.stored.clear()
    keyring.set_keyring(backend)
    return backend


def test_a_plain_file_keyring_is_refused_and_nothing_is_written(
    plain_file_keyring: PlaintextKeyring,
) -> None:
    with pytest.raises(secrets.KeyringUnavailable, match="plain file"):
        secrets.set_secret("smtp.password", "hunter22")
    assert PlaintextKeyring.stored == {}
    PlaintextKeyring.stored[(secrets.SERVICE, "smtp.password")] = "left by another tool"
    assert secrets.get_secret("smtp.password") is None  # not trusted either


def test_the_cli_says_so(
    plain_file_keyring: PlaintextKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("hunter22\n"))
    assert cli(["secrets", "set", "smtp.password"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PlaintextKeyring" in err and "no keyring" in err
    assert PlaintextKeyring.stored == {}


def test_a_real_keyring_still_works() -> None:
    secrets.set_secret("smtp.password", "hunter22")  # the tests' in-memory keyring
    assert secrets.get_secret("smtp.password") == "hunter22"
