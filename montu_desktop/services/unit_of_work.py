"""One use case's transaction: a session plus the outbox events it raises, committed together."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from montu_desktop.domain.events import Event
from montu_desktop.domain.op_changes import ChangeKind, OpChanges
from montu_desktop.persistence import journal
from montu_desktop.persistence.conflicts import translate_write_errors
from montu_desktop.persistence.engine import acting_as
from montu_desktop.services.context import ServiceContext, current_origin

if TYPE_CHECKING:  # the session is handed to repositories; services build no SQL
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


class UnitOfWork:
    """Rolls back unless committed; events emitted inside are written to the outbox atomically."""

    def __init__(self, ctx: ServiceContext, *, write: bool = False) -> None:
        self._ctx = ctx
        self._write = write
        self._kinds: set[ChangeKind] = set()
        self._ids: set[tuple[ChangeKind, int]] = set()
        self.changes = OpChanges(frozenset())
        """What the last commit changed (also announced to the context's listeners)."""
        self._session_cm = ctx.database.session(write=write)
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        # Outermost first: the session rolls back, then a refused write leaves as
        # OverlapRefused or WriteConflict (persistence/conflicts.py), not a SQLAlchemy error.
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(acting_as(self._ctx.actor))  # whom SQLite's audit triggers name
        self._stack.enter_context(translate_write_errors())
        self.session = self._stack.enter_context(self._session_cm)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        return self._stack.__exit__(exc_type, exc, tb)

    def emit(self, event: Event) -> None:
        """Add `event` to the outbox, in this unit's transaction."""
        journal.add_event(self.session, event.name, event.payload(), self._ctx.clock())

    def audit(self, action: str, subject: str = "", **details: object) -> None:
        """Record who (the context's actor) did `action` to `subject` now; ids only, no patient details."""
        journal.add_audit(
            self.session,
            at=self._ctx.clock(),
            actor=self._ctx.actor,
            action=action,
            subject=subject,
            details=details,
        )

    def touches(self, what: ChangeKind | str, *ids: int) -> None:
        """Record that this unit changes `what` (rows `ids`), so listeners hear of it once
        after the commit."""
        kind = ChangeKind(what)
        self._kinds.add(kind)
        self._ids.update((kind, i) for i in ids)

    def commit(self) -> OpChanges:
        """Commit, then announce what changed; a listener failing cannot unsave the change."""
        changes = OpChanges(frozenset(self._kinds), frozenset(self._ids), current_origin())
        afterwards: list[Callable[[bool], None]] = []
        if changes:
            for hook in list(self._ctx.before_commit):
                try:
                    after = hook(self.session, changes)
                except Exception:  # noting an echo is a courtesy: the change still commits
                    log.exception("a before-commit hook failed")
                else:
                    if after is not None:
                        afterwards.append(after)
        committed = False
        try:
            self.session.commit()
            committed = True
        finally:
            for after in afterwards:
                try:
                    after(committed)
                except Exception:
                    log.exception("an after-commit hook failed")
        self._kinds.clear()
        self._ids.clear()
        self.changes = changes
        if changes:
            self._ctx.changed(changes)
        return changes
