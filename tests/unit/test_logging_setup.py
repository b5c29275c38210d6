"""The log file: where it goes, that it rotates, and that contact details never reach it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from montu_desktop import logging_setup
from montu_desktop.config import paths
from montu_desktop.logging_setup import configure_logging, mask_contact_details

log = logging.getLogger("montu_desktop.test")


@pytest.fixture(autouse=True)
def _clean_root_logger() -> Iterator[None]:
    level = logging.getLogger().level
    yield
    logging_setup.stop_logging()
    logging.getLogger().setLevel(level)


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def test_log_goes_to_the_platform_log_folder_with_the_version() -> None:
    log_file = configure_logging()
    log.info("appointment %d booked", 42)
    _flush()
    assert log_file.parent == paths.log_dir()
    assert logging_setup.current_log_file() == log_file
    text = log_file.read_text(encoding="utf-8")
    assert "Montu Desktop 0.1.0 starting" in text
    assert "appointment 42 booked" in text


def test_setting_up_twice_writes_each_line_once() -> None:
    configure_logging()
    log_file = configure_logging()
    log.warning("outbox message 7 failed")
    _flush()
    assert log_file.read_text(encoding="utf-8").count("outbox message 7 failed") == 1


def test_the_log_rotates_and_keeps_a_bounded_number_of_files(tmp_path: Path) -> None:
    log_file = configure_logging(directory=tmp_path, max_bytes=2_000, backup_count=3)
    for n in range(400):
        log.info("refresh %d of the week grid", n)
    _flush()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [
        "montu-desktop.log",
        "montu-desktop.log.1",
        "montu-desktop.log.2",
        "montu-desktop.log.3",
    ]
    assert all(p.stat().st_size <= 2_000 for p in tmp_path.iterdir())
    assert "refresh 399 of the week grid" in log_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "leak",
    [
        "jane.citizen@example.com.au",
        "0412 345 678",
        "+61 3 9000 0000",
        "(03) 9000-0000",
        "+61412345678",
    ],
)
def test_contact_details_are_masked(leak: str) -> None:
    masked = mask_contact_details(f"reminder to {leak} failed")
    assert leak not in masked
    assert masked.startswith("reminder to <")


@pytest.mark.parametrize(
    "kept",
    ["appointment 1234", "2026-11-23T09:00:00+11:00", "12:10:12,345", "doctor 3 at 09:15"],
)
def test_ids_dates_and_times_are_kept(kept: str) -> None:
    assert mask_contact_details(kept) == kept


def test_a_traceback_quoting_an_email_is_masked_in_the_file() -> None:
    log_file = configure_logging()
    try:
        raise ValueError("SMTP refused recipient jane@example.com")
    except ValueError:
        log.exception("reminder for appointment 5 not sent")
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert "reminder for appointment 5 not sent" in text
    assert "ValueError: SMTP refused recipient <email>" in text
    assert "jane@example.com" not in text


def test_the_scheduler_routine_lines_stay_out_and_a_week_fits_the_rotation(
    tmp_path: Path,
) -> None:
    """APScheduler says "Running job …" twice per run at INFO: every 10 s that drowned the log."""
    import threading

    from apscheduler.schedulers.background import BackgroundScheduler

    log_file = configure_logging(directory=tmp_path)
    ran = threading.Event()
    scheduler = BackgroundScheduler()
    scheduler.add_job(ran.set, "interval", seconds=0.05)
    scheduler.start()
    try:
        assert ran.wait(5)
        logging.getLogger("apscheduler.scheduler").warning("a real scheduler problem")
    finally:
        scheduler.shutdown(wait=True)
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert "Running job" not in text and "executed successfully" not in text
    assert "a real scheduler problem" in text
    # What is left of a busy desk's five minutes (31 of the trial's 113 lines at ~120 bytes)
    # around the clock for seven days must fit in the rotated files.
    week = 31 * 120 * (12 * 24) * 7
    assert week <= logging_setup.MAX_BYTES * (logging_setup.BACKUP_COUNT + 1)


def test_postgresql_error_details_lose_their_row_values() -> None:
    from montu_desktop.logging_setup import mask_contact_details

    detail = (
        'null value in column "given_name" of relation "patient" violates not-null constraint\n'
        "DETAIL:  Failing row contains (5, null, Ahmedova, 1966-03-04, +61412345678).\n"
        "[SQL parameters hidden due to hide_parameters=True]\n"
        "DETAIL:  Key (family_name, given_name)=(Ahmedova, Meiying) already exists."
    )
    masked = mask_contact_details(detail)
    assert "Ahmedova" not in masked and "1966-03-04" not in masked and "Meiying" not in masked
    assert "Failing row contains (…)" in masked and "Key (family_name, given_name)=(…)" in masked
    assert "not-null constraint" in masked  # the reason stays readable
