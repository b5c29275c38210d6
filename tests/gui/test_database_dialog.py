"""Settings → Database: test a server, save this PC's choice, password only in the keyring."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from montu_desktop.config import database as config
from montu_desktop.config import paths
from montu_desktop.ui.database_dialog import RESTART_NOTE, DatabaseDialog
from tests.conftest import PG_ADMIN_URL, _pg_unreachable


@pytest.fixture
def dialog(qtbot) -> DatabaseDialog:  # type: ignore[no-untyped-def]
    shown = DatabaseDialog()
    qtbot.addWidget(shown)
    return shown


def fill_server(dialog: DatabaseDialog, url: str, password: str = "") -> None:
    parsed = make_url(url)
    dialog.server.setChecked(True)
    dialog.host.setText(parsed.host or "")
    dialog.port.setValue(parsed.port or 5432)
    dialog.database.setText(parsed.database or "")
    dialog.user.setText(parsed.username or "")
    dialog.password.setText(password)
    dialog.tls_mode.setCurrentText("disable")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_new_pc_starts_on_the_embedded_file(dialog: DatabaseDialog) -> None:
    assert dialog.embedded.isChecked()
    assert not dialog.server_form.isEnabled()
    assert not dialog.test_button.isEnabled()


@pytest.mark.postgres
def test_test_connection_reports_an_up_to_date_server(qtbot, dialog, pg_server_url) -> None:  # type: ignore[no-untyped-def]
    fill_server(dialog, pg_server_url)
    dialog.test_button.click()
    assert dialog.message.text() == "Testing the connection…"
    qtbot.waitUntil(lambda: "up to date" in dialog.message.text(), timeout=10_000)
    assert dialog.test_button.isEnabled()


def test_test_connection_explains_an_unreachable_server(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    fill_server(dialog, f"postgresql://montu@127.0.0.1:{free_port()}/montu")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Could not connect"), timeout=10_000)


@pytest.fixture
def newer_database() -> Iterator[str]:
    """A database stamped by a Montu Desktop from the future."""
    name = f"montu_test_ahead_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        _pg_unreachable(str(exc).splitlines()[0])  # skips locally, fails when CI=true
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('9999_from_the_future')"))
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
def test_a_newer_database_is_explained_with_what_to_do(qtbot, dialog, newer_database) -> None:  # type: ignore[no-untyped-def]
    fill_server(dialog, newer_database)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: "newer Montu Desktop" in dialog.message.text(), timeout=10_000)
    assert "Install that version" in dialog.message.text()


def test_saving_a_server_keeps_the_password_in_the_keyring_only(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    fill_server(dialog, "postgresql://reception@db.clinic.lan:5433/montu", password="s3cret!")
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        dialog.save()
    assert dialog.message.text() == RESTART_NOTE

    saved_file = (paths.config_dir() / "database.json").read_text(encoding="utf-8")
    assert "s3cret" not in saved_file
    url = config.resolve_database_url()
    assert (url.host, url.port, url.database, url.username) == (
        "db.clinic.lan",
        5433,
        "montu",
        "reception",
    )
    assert url.password == "s3cret!"

    reopened = DatabaseDialog()
    qtbot.addWidget(reopened)
    assert reopened.server.isChecked()
    assert reopened.host.text() == "db.clinic.lan"
    assert reopened.password.text() == ""
    assert "keyring" in reopened.password.placeholderText()


def test_verify_full_without_a_ca_file_is_refused_and_nothing_is_saved(dialog) -> None:  # type: ignore[no-untyped-def]
    fill_server(dialog, "postgresql://reception@db.clinic.lan/montu", password="pw")
    dialog.tls_mode.setCurrentText("verify-full")
    dialog.save()
    assert dialog.message.text() == "CA certificate: is needed to verify the server (verify-full)"
    assert dialog.result() == 0  # still open, not accepted
    assert config.saved_database_url() is None


def test_verify_full_with_a_ca_file_is_saved_in_the_url(dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ca = tmp_path / "clinic-ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    fill_server(dialog, "postgresql://reception@db.clinic.lan/montu")
    dialog.tls_mode.setCurrentText("verify-full")
    dialog.ca_file.setText(str(ca))
    dialog.save()
    query = config.resolve_database_url().query
    assert query["sslmode"] == "verify-full"
    assert query["sslrootcert"] == str(ca)


def test_no_keyring_means_nothing_is_saved_and_the_desk_is_told(dialog) -> None:  # type: ignore[no-untyped-def]
    fill_server(dialog, "postgresql://reception@db.clinic.lan/montu", password="pw")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        dialog.save()
    finally:
        keyring.set_keyring(previous)
    assert dialog.message.text().startswith("Not saved: no usable OS keyring")
    assert config.saved_database_url() is None


def test_going_back_to_the_embedded_file_forgets_the_server(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    config.save_database_url(make_url("postgresql://reception@db.clinic.lan/montu"))
    reopened = DatabaseDialog()
    qtbot.addWidget(reopened)
    assert reopened.server.isChecked()
    reopened.embedded.setChecked(True)
    reopened.save()
    assert config.saved_database_url() is None
    assert config.resolve_database_url().get_backend_name() == "sqlite"


def test_the_clinic_menu_offers_database_and_the_status_bar_follows_the_monitor(
    qtbot, sqlite_ctx
) -> None:  # type: ignore[no-untyped-def]
    import threading

    from montu_desktop.ui.main_window import MainWindow

    window = MainWindow(sqlite_ctx)
    qtbot.addWidget(window)
    entries = [a.text() for a in window.clinic_menu.actions()]
    assert "&Database…" in entries
    # The monitor calls from its own thread; the label changes on the GUI thread.
    threading.Thread(target=window.connection_changed, args=(False,)).start()
    qtbot.waitUntil(lambda: "unreachable" in window.reachable_label.text(), timeout=2000)
    threading.Thread(target=window.connection_changed, args=(True,)).start()
    qtbot.waitUntil(lambda: "Connected" in window.reachable_label.text(), timeout=2000)
