"""Write conflicts in the persistence layer's own words, so services need no SQLAlchemy errors.

The no-overlap guard's refusal becomes OverlapRefused (naming whose overlap), and a deadlock,
serialisation failure or SQLite lock time-out becomes WriteConflict (run the transaction again).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from montu_desktop.persistence.engine import is_retryable, overlap_refused


class OverlapRefused(Exception):
    """The database refused a write that would overlap another appointment."""

    def __init__(self, who: str) -> None:
        super().__init__(f"the {who} already has an appointment at that time")
        self.who = who
        """'doctor' or 'patient'."""


class WriteConflict(Exception):
    """Another transaction got in the way (deadlock, serialisation, lock time-out): retry."""


@contextlib.contextmanager
def translate_write_errors() -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        who = overlap_refused(exc)
        if who is None:
            raise
        raise OverlapRefused(who) from exc
    except DBAPIError as exc:
        if is_retryable(exc):
            raise WriteConflict(str(exc.orig).strip().splitlines()[0]) from exc
        raise


@contextlib.contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A nested transaction: on OverlapRefused only its own changes are undone."""
    with translate_write_errors(), session.begin_nested():
        yield
