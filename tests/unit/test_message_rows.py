"""The notification columns persistence/message_rows.py names agree with the table's declaration."""

from __future__ import annotations

from montu_desktop.notifications.records import NotificationRow
from montu_desktop.persistence.message_rows import NOTIFICATION


def test_every_column_named_is_declared_with_the_same_type() -> None:
    declared = NotificationRow.__table__.c
    for named in NOTIFICATION.c:
        assert named.name in declared, named.name
        # The same type class: instants must go through UTCDateTime both ways.
        assert type(named.type) is type(declared[named.name].type), named.name
