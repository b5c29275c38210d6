"""Write conflicts in the persistence layer's own words, so services need no SQLAlchemy errors.

The no-overlap guard's refusal becomes OverlapRefused (naming whose overlap), and a deadlock,
serialisation failure or SQLite lock time-out becomes WriteConflict (run the transaction again);
a booking for a merged patient becomes PatientRetired, and a PostgreSQL lock_timeout
LockWaitTimedOut (another desk holds the doctor: say so rather than wait).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from montu_desktop.persistence.engine import (
    is_retryable,
    lock_timed_out,
    overlap_refused,
    retired_patient_refused,
)


class OverlapRefused(Exception):
    """The database refused a write that would overlap another appointment."""

    def __init__(self, who: str) -> None:
        super().__init__(f"the {who} already has an appointment at that time")
        self.who = who
        """'doctor' or 'patient'."""


class WriteConflict(Exception):
    """Another transaction got in the way (deadlock, serialisation, lock time-out): retry."""


class PatientRetired(Exception):
    """The database refused a live appointment for a patient merged into another record."""


class LockWaitTimedOut(Exception):
    """PostgreSQL gave up waiting for another desk's lock (lock_timeout): that desk is busy."""


@contextlib.contextmanager
def translate_write_errors() -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        if retired_patient_refused(exc):
            raise PatientRetired() from exc
        who = overlap_refused(exc)
        if who is None:
            raise
        raise OverlapRefused(who) from exc
    except DBAPIError as exc:
        if is_retryable(exc):
            raise WriteConflict(str(exc.orig).strip().splitlines()[0]) from exc
        if lock_timed_out(exc):
            raise LockWaitTimedOut() from exc
        raise


@contextlib.contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A nested transaction: on OverlapRefused only its own changes are undone."""
    with translate_write_errors(), session.begin_nested():
        yield
