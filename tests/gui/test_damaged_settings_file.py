"""A damaged database.json at start-up: the app names the file and offers to reset it."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from montu_desktop import app
from montu_desktop.config import database as config


@pytest.fixture
def damaged() -> str:
    path = config.settings_file()
    path.write_text('{"url": "postgresql://desk@db.clinic.lan/montu"', encoding="utf-8")
    return str(path)


def test_reset_sets_the_file_aside_and_opens_the_embedded_database(
    qapp, damaged: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []

    def answer(_parent, _title, text, *_args):  # type: ignore[no-untyped-def]
        asked.append(text)
        return QMessageBox.StandardButton.Reset

    monkeypatch.setattr(QMessageBox, "question", answer)
    database = app._open_database(None, quiet=False)
    try:
        assert database is not None and database.is_sqlite
        assert len(asked) == 1 and damaged in asked[0]
        assert not config.settings_file().exists()
        assert config.settings_file().with_name("database.json.damaged").exists()
    finally:
        if database is not None:
            database.dispose()


def test_declining_keeps_the_file_and_says_why(
    qapp, damaged: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *_a: QMessageBox.StandardButton.Cancel)
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: shown.append(text))
    assert app._open_database(None, quiet=False) is None
    assert config.settings_file().exists()
    assert len(shown) == 1 and damaged in shown[0] and "damaged" in shown[0]
