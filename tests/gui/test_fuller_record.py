"""The fuller patient record on the desk: the record form's fields, the alert mark on the day
book and in the booking dialog, the day sheet's clinic and patient lines, the appointment card."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from montu_desktop.persistence import tables as t
from montu_desktop.services import patients
from montu_desktop.services.booking import set_note
from montu_desktop.services.cards import appointment_card
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.services.unit_of_work import UnitOfWork
from montu_desktop.ui.appointment_card import card_html, save_card_pdf
from montu_desktop.ui.day_book_delegate import ALERT_FILL, alert_mark_rect
from montu_desktop.ui.day_sheet import day_sheet_html
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.wording import format_phone
from tests.gui.mnemonics import clashes, window_mnemonics
from tests.gui.test_patient_record import TUESDAY, _booking_dialog, _find_and_pick, _open_panel

SCREENSHOTS = Path("/tmp/montu-screens")


def _clinic(ctx: ServiceContext) -> tuple[str, str, str]:
    with UnitOfWork(ctx) as uow:
        clinic = uow.session.query(t.Clinic).one()
        return clinic.name, clinic.address, clinic.phone


def test_the_record_form_edits_the_fuller_record_and_names_a_bad_field(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    window.resize(1366, 768)
    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    panel = _open_panel(qtbot, window, entry.patient_id)
    assert not panel.alert_mark.isVisible()
    before = patients.get_patient(demo_ctx, entry.patient_id).details

    panel.detail_tabs.setCurrentIndex(1)
    assert clashes(window_mnemonics(panel)) == {}  # the second page's Alt keys
    qtbot.keyClicks(panel.address, "12 High St, Fitzroy VIC 3065")
    qtbot.keyClicks(panel.medicare, "2428 77814 2")  # check digit wrong
    qtbot.keyClicks(panel.irn, "2")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.details_message.text() != "", timeout=5_000)
    assert panel.details_message.text().startswith("Medicare card number: check digit")
    assert patients.get_patient(demo_ctx, entry.patient_id).details == before

    panel.detail_tabs.setCurrentIndex(0)
    panel.emergency_phone.setText("12")
    panel.medicare.setText("2428 77813 2")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: panel.details_message.text().startswith("Emergency contact's phone"),
        timeout=5_000,
    )
    assert panel.detail_tabs.currentIndex() == 1  # the refused field is shown

    panel.emergency_name.setText("Raj Singh")
    panel.emergency_phone.setText("0412 000 222")
    panel.dva.setText("nx123456")
    allergy = panel.alert_boxes["allergy"]
    qtbot.mouseClick(allergy, Qt.MouseButton.LeftButton, pos=QPoint(6, allergy.height() // 2))
    assert allergy.isChecked()
    panel.alert_boxes["interpreter"].setChecked(True)
    panel.alert_note.setText("penicillin")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.details_message.text().startswith("Saved"), timeout=5_000)
    after = patients.get_patient(demo_ctx, entry.patient_id).details
    assert (after.medicare_number, after.medicare_irn) == ("2428778132", 2)
    assert after.address == "12 High St, Fitzroy VIC 3065" and after.dva_number == "NX123456"
    assert (after.emergency_name, after.emergency_phone) == ("Raj Singh", "+61412000222")
    assert after.alerts == ("allergy", "interpreter") and after.alert_note == "penicillin"
    assert panel.medicare.text() == "2428 77813 2" and panel.dva.text() == "NX123456"
    assert panel.alert_mark.isVisible()
    assert panel.alert_mark.text() == "! Allergy, Interpreter needed — penicillin"
    assert panel.width() <= 1366 and panel.height() <= 768
    SCREENSHOTS.mkdir(exist_ok=True)
    assert panel.grab().save(str(SCREENSHOTS / "patient-record-more.png"))
    panel.detail_tabs.setCurrentIndex(0)
    assert panel.grab().save(str(SCREENSHOTS / "patient-record-contact.png"))

    # A patient found by the card's number (typed as printed on it).
    found = patients.find_patients(demo_ctx, "2428 77813 2")
    assert [p.id for p in found] == [entry.patient_id]


def _painted_block(window: MainWindow, entry_id: int) -> tuple[QImage, QRect]:
    view, model = window.day.table, window.day.model
    index = model.index_of_entry(entry_id)
    assert index.isValid()
    rect = QRect(0, 0, 200, view.rowHeight(index.row()))
    option = QStyleOptionViewItem()
    option.initFrom(view)
    option.rect = QRect(rect)
    option.font = view.font()
    image = QImage(200, rect.height(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    view.itemDelegate().paint(painter, option, index)
    painter.end()
    return image, rect


def test_alerts_show_as_a_mark_on_the_day_book_block_and_when_booking(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    book = day_book(demo_ctx, TUESDAY)
    entry, plain = book.appointments[0], book.appointments[1]
    assert entry.patient_id != plain.patient_id
    patients.edit_patient(
        demo_ctx, entry.patient_id, alerts="allergy,mobility", medicare_number="2123456701"
    )
    window.load_day(TUESDAY)
    qtbot.waitUntil(
        lambda: any(
            e.id == entry.id and e.patient_alerts
            for e in (window.day.model.book.appointments if window.day.model.book else ())
        ),
        timeout=5_000,
    )
    model = window.day.model
    index = model.index_of_entry(entry.id)
    assert "Alert: Allergy, Mobility" in model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert "alert: Allergy, Mobility" in model.data(index, Qt.ItemDataRole.AccessibleTextRole)

    image, rect = _painted_block(window, entry.id)
    mark = alert_mark_rect(rect.adjusted(2, 2, 0, 0))
    reds = sum(
        image.pixelColor(x, y) == ALERT_FILL
        for x in range(rect.left(), rect.right())
        for y in range(rect.top(), rect.bottom())
    )
    assert reds >= mark.width() * mark.height() // 2  # the red square is there
    image, rect = _painted_block(window, plain.id)
    assert not any(
        image.pixelColor(x, y) == ALERT_FILL
        for x in range(rect.left(), rect.right())
        for y in range(rect.top(), rect.bottom())
    )

    assert window.day.select_entry(entry.id)
    qtbot.waitUntil(lambda: window.day.details.entry is not None, timeout=5_000)
    assert window.day.details.fields["alerts"].text() == "Allergy, Mobility"
    window.resize(1366, 768)
    window.tabs.setCurrentWidget(window.day)
    qtbot.wait(100)
    SCREENSHOTS.mkdir(exist_ok=True)
    assert window.grab().save(str(SCREENSHOTS / "day-book-alert.png"))

    dialog = _booking_dialog(window)
    _find_and_pick(qtbot, dialog, "2123 45670 1", entry.patient_id)  # by Medicare number
    assert dialog.patient_alerts.isVisible()
    assert dialog.patient_alerts.text() == "! Alert: Allergy, Mobility"
    assert dialog.grab().save(str(SCREENSHOTS / "booking-alert.png"))
    dialog.reject()


def test_the_day_sheet_carries_the_clinic_and_each_patients_phone_and_birth_date(
    demo_ctx: ServiceContext,
) -> None:
    name, address, _phone = _clinic(demo_ctx)
    book = day_book(demo_ctx, TUESDAY)
    entry = next(e for e in book.appointments if e.patient_phone)
    born = patients.edit_patient(demo_ctx, entry.patient_id, date_of_birth="1950-06-07")
    patients.edit_patient(demo_ctx, entry.patient_id, alerts="allergy", alert_note="latex")
    assert born.details.date_of_birth is not None
    html = day_sheet_html(day_book(demo_ctx, TUESDAY))
    assert name and name in html and address and address in html
    assert format_phone(entry.patient_phone or "") in html
    assert "07/06/1950" in html
    assert "latex" not in html and "Allergy" not in html


def test_an_appointment_card_is_written_as_pdf_without_the_note_or_alerts(
    tmp_path: Path, demo_ctx: ServiceContext
) -> None:
    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    set_note(demo_ctx, entry.id, "Sore knee after the fall")
    patients.edit_patient(
        demo_ctx,
        entry.patient_id,
        alerts="allergy",
        alert_note="latex",
        medicare_number="2428778132",
    )
    card = appointment_card(demo_ctx, entry.id)
    name, address, phone = _clinic(demo_ctx)
    assert (card.clinic_name, card.clinic_address, card.clinic_phone) == (name, address, phone)
    assert card.patient_name == entry.patient_name and card.type_name == entry.type_name
    html = card_html(card)
    for wanted in (name, entry.patient_name, f"{card.start:%H:%M}", card.doctor_name):
        assert wanted in html
    for never in ("Sore knee", "latex", "Allergy", "2428"):
        assert never not in html
    path = save_card_pdf(card, tmp_path / "card.pdf")
    assert path.exists() and path.stat().st_size > 500
    assert path.read_bytes().startswith(b"%PDF")
