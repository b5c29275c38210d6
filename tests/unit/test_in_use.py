"""The in-use markers a restore looks at: held while open, gone after, stale ones swept."""

from __future__ import annotations

import os
from pathlib import Path

from montu_desktop.persistence.in_use import InUseMarker, holders, marker_folder


def test_a_marker_is_seen_while_held_and_leaves_nothing_behind(tmp_path: Path) -> None:
    database = tmp_path / "clinic.sqlite3"
    first = InUseMarker.hold(database)
    second = InUseMarker.hold(database)
    assert first is not None and second is not None
    # Locks are per open file: this process's other marker still counts as a holder.
    assert holders(database, mine=first) == [f"process {os.getpid()}"]
    assert len(holders(database)) == 2
    second.release()
    assert holders(database, mine=first) == []
    first.release()
    assert not marker_folder(database).exists()


def test_a_marker_left_by_a_dead_process_is_swept_away(tmp_path: Path) -> None:
    database = tmp_path / "clinic.sqlite3"
    folder = marker_folder(database)
    folder.mkdir()
    (folder / "999999-deadbeef.lock").write_text("process 999999\n", encoding="utf-8")
    assert holders(database) == []
    assert list(folder.iterdir()) == []


def test_nothing_is_marked_where_nothing_can_be_written(tmp_path: Path) -> None:
    a_file = tmp_path / "plain"
    a_file.write_text("x", encoding="utf-8")
    assert InUseMarker.hold(a_file / "clinic.sqlite3") is None
