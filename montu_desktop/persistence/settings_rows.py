"""The statements of the clinic-wide settings every PC shares: the `setting` table's key → text.

Only values a manager changed are stored; a key with no row has its declared default
(config/settings_registry.py), which this module does not know.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from montu_desktop.persistence.tables import Setting


def stored_value(session: Session, key: str) -> str | None:
    """The stored text of `key` (None: not stored, the default holds)."""
    row = session.get(Setting, key)
    return None if row is None else row.value


def stored_values(session: Session, keys: Collection[str] | None = None) -> dict[str, str]:
    """The stored text of `keys` (every stored key when None) that have a row."""
    query = select(Setting.key, Setting.value)
    if keys is not None:
        query = query.where(Setting.key.in_(keys))
    return dict(session.execute(query).tuples().all())


def store_value(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def forget_value(session: Session, key: str) -> None:
    """Drop the stored value: the default holds again."""
    row = session.get(Setting, key)
    if row is not None:
        session.delete(row)
