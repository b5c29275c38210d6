"""Staff roles and the rules for usernames and passwords (the hashing lives in the services)."""

from __future__ import annotations

import enum
import re

from montu_desktop.domain.errors import InvalidRequest

MIN_PASSWORD_LENGTH = 8
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class Role(enum.StrEnum):
    """What a person may do: receptionists book; managers also change the clinic's settings."""

    RECEPTIONIST = "receptionist"
    MANAGER = "manager"

    @property
    def can_manage(self) -> bool:
        return self is Role.MANAGER


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise InvalidRequest(
            "username", "use 2–64 letters, digits, dots, dashes or underscores, no spaces"
        )
    return name


def check_password(password: str, username: str = "") -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise InvalidRequest("password", "must not start or end with a space")
    if username and password.casefold() == username.strip().casefold():
        raise InvalidRequest("password", "must not be the same as the username")
    return password


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        raise InvalidRequest("role", "must be receptionist or manager") from exc
