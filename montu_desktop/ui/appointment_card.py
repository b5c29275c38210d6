"""Printing an appointment card (to a printer or a PDF file) and the day sheet's page setup."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from montu_desktop.domain.wording import long_day_label
from montu_desktop.services.cards import AppointmentCard


def card_html(card: AppointmentCard) -> str:
    """The card as HTML: the clinic at the top, then who, when, with whom, what for."""
    clinic = escape(card.clinic_name or "Your clinic")
    where = " · ".join(escape(x) for x in (card.clinic_address, card.clinic_phone) if x)
    rows = (
        ("Patient", card.patient_name),
        ("Day", long_day_label(card.start.date())),
        ("Time", f"{card.start:%H:%M}–{card.end:%H:%M}"),
        ("Doctor", card.doctor_name),
        ("Appointment", card.type_name),
    )
    table = "".join(f"<tr><th align='left'>{k}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return (
        f"<html><body><h2>{clinic}</h2><p>{where}</p>"
        f"<h3>Your appointment</h3><table cellpadding='4'>{table}</table>"
        "<p>If you cannot come, please call us as early as you can.</p></body></html>"
    )


def print_card(card: AppointmentCard, printer: QPrinter) -> None:
    document = QTextDocument()
    document.setHtml(card_html(card))
    document.print_(printer)


def pdf_printer(path: Path, size: QPageSize.PageSizeId = QPageSize.PageSizeId.A4) -> QPrinter:
    """A printer writing a portrait PDF file at `path`."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setPageLayout(
        QPageLayout(QPageSize(size), QPageLayout.Orientation.Portrait, QPageLayout().margins())
    )
    return printer


def save_card_pdf(card: AppointmentCard, path: Path) -> Path:
    """Write the card as an A5 PDF file and return its path."""
    print_card(card, pdf_printer(path, QPageSize.PageSizeId.A5))
    return path


def offer_card(parent: QWidget, card: AppointmentCard) -> str | None:
    """Ask Print or Save as PDF, do it; what was done in words (None when called off)."""
    box = QMessageBox(parent)
    box.setWindowTitle("Appointment card")
    box.setText(
        f"Appointment card for {card.patient_name}: {long_day_label(card.start.date())} "
        f"at {card.start:%H:%M} with {card.doctor_name}."
    )
    print_button = box.addButton("&Print…", QMessageBox.ButtonRole.AcceptRole)
    pdf_button = box.addButton("Save as P&DF…", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    if box.clickedButton() is print_button:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, parent).exec() == QPrintDialog.DialogCode.Accepted:
            print_card(card, printer)
            return f"Appointment card for {card.patient_name} printed."
    elif box.clickedButton() is pdf_button:
        suggested = str(Path.home() / f"appointment-{card.start:%Y-%m-%d-%H%M}.pdf")
        path, _filter = QFileDialog.getSaveFileName(
            parent, "Save appointment card as PDF", suggested, "PDF files (*.pdf)"
        )
        if path:
            save_card_pdf(card, Path(path))
            return f"Appointment card for {card.patient_name} saved as PDF: {path}"
    return None
