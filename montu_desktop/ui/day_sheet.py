"""The printed day sheet: one page per doctor (or one doctor), to a printer or a PDF file."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.wording import long_day_label
from montu_desktop.services.day_book import DayBook
from montu_desktop.ui.day_book_model import STATUS_WORDS


def day_sheet_html(book: DayBook, doctor_id: int | None = None) -> str:
    """The sheet as HTML: a heading and a table of appointments per doctor, a page each."""
    doctors = [d for d in book.doctors if doctor_id is None or d.id == doctor_id]
    day = long_day_label(book.day)
    pages = []
    for number, doctor in enumerate(doctors):
        rows = []
        for entry in book.for_doctor(doctor.id):
            start = to_local(entry.start, book.timezone)
            end = to_local(entry.end, book.timezone)
            rows.append(
                f"<tr><td>{start:%H:%M}–{end:%H:%M}</td><td>{escape(entry.patient_name)}</td>"
                f"<td>{escape(entry.type_name)}</td><td>{STATUS_WORDS[entry.status]}</td>"
                f"<td>{escape(entry.note or '')}</td></tr>"
            )
        hours = ", ".join(
            f"{to_local(s, book.timezone):%H:%M}–{to_local(e, book.timezone):%H:%M}"
            for s, e in book.hours.get(doctor.id, ())
        )
        body = "".join(rows) or '<tr><td colspan="5">No appointments.</td></tr>'
        brk = ' style="page-break-before: always"' if number else ""
        pages.append(
            f"<h2{brk}>{escape(doctor.name)}</h2><p>{day} · rostered {hours or '—'}</p>"
            '<table border="1" cellspacing="0" cellpadding="4" width="100%">'
            "<tr><th>Time</th><th>Patient</th><th>Type</th><th>Status</th><th>Note</th></tr>"
            f"{body}</table>"
        )
    if not pages:
        pages.append(f"<h2>{day}</h2><p>No doctor is rostered on this day.</p>")
    return "<html><body>" + "".join(pages) + "</body></html>"


def print_day_sheet(book: DayBook, printer: QPrinter, doctor_id: int | None = None) -> None:
    document = QTextDocument()
    document.setHtml(day_sheet_html(book, doctor_id))
    document.print_(printer)


def save_day_sheet_pdf(book: DayBook, path: Path, doctor_id: int | None = None) -> Path:
    """Write the day sheet as an A4 PDF file and return its path."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QPageLayout().margins(),
        )
    )
    print_day_sheet(book, printer, doctor_id)
    return path
