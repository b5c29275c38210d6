"""One use case's transaction: a session plus the outbox events it raises, committed together."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session

from montu_desktop.domain.events import Event
from montu_desktop.persistence.admin_tables import AuditEntry
from montu_desktop.persistence.tables import OutboxEvent
from montu_desktop.services.context import ServiceContext


class UnitOfWork:
    """Rolls back unless committed; events emitted inside are written to the outbox atomically."""

    def __init__(self, ctx: ServiceContext, *, write: bool = False) -> None:
        self._ctx = ctx
        self._write = write
        self._changes: set[str] = set()
        self._session_cm = ctx.database.session(write=write)
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self._ctx.database.actor = self._ctx.actor  # whom SQLite's audit triggers name
        self.session = self._session_cm.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._session_cm.__exit__(exc_type, exc, tb)

    # Outbox and audit rows are written at once with Core inserts (no ORM objects to flush);
    # they share the session's transaction, so they still commit or roll back with the change.
    def emit(self, event: Event) -> None:
        self.session.execute(
            OutboxEvent.__table__.insert(),
            {"name": event.name, "payload": event.payload(), "created_at": self._ctx.clock()},
        )

    def audit(self, action: str, subject: str = "", **details: object) -> None:
        """Record who (the context's actor) did `action` to `subject` now; ids only, no patient details."""
        self.session.execute(
            AuditEntry.__table__.insert(),
            {
                "at": self._ctx.clock(),
                "actor": self._ctx.actor,
                "action": action,
                "subject": subject,
                "details": details,
            },
        )

    def touches(self, what: str) -> None:
        """Record that this unit changes `what`, so listeners hear of it after the commit."""
        self._changes.add(what)

    def commit(self) -> None:
        self.session.commit()
        for what in sorted(self._changes):
            self._ctx.changed(what)
        self._changes.clear()
