"""The printed day sheet: one page per doctor (or one doctor), to a printer or a PDF file.

Each page is headed by the clinic's name and address; each row carries the patient's phone
and date of birth (so namesakes are told apart), never the patient's record or alerts."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrinter

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.wording import long_day_label
from montu_desktop.services.day_book import DayBook
from montu_desktop.ui.appointment_card import pdf_printer
from montu_desktop.ui.wording import STATUS_WORDS, format_phone


def day_sheet_html(book: DayBook, doctor_id: int | None = None) -> str:
    """The sheet as HTML: a heading and a table of appointments per doctor, a page each."""
    doctors = [d for d in book.doctors if doctor_id is None or d.id == doctor_id]
    day = long_day_label(book.day)
    clinic = escape(book.clinic_name)
    where = " · ".join(escape(x) for x in (book.clinic_address, book.clinic_phone) if x)
    heading = f"<p><b>{clinic}</b><br>{where}</p>" if clinic or where else ""
    pages = []
    for number, doctor in enumerate(doctors):
        rows = []
        for entry in book.for_doctor(doctor.id):
            start = to_local(entry.start, book.timezone)
            end = to_local(entry.end, book.timezone)
            born = f"{entry.patient_birth:%d/%m/%Y}" if entry.patient_birth else "—"
            phone = format_phone(entry.patient_phone) if entry.patient_phone else "—"
            rows.append(
                f"<tr><td>{start:%H:%M}–{end:%H:%M}</td><td>{escape(entry.patient_name)}</td>"
                f"<td>{escape(phone)}</td><td>{born}</td><td>{escape(entry.type_name)}</td>"
                f"<td>{STATUS_WORDS[entry.status]}</td>"
                f"<td>{escape(entry.note or '')}</td></tr>"
            )
        hours = ", ".join(
            f"{to_local(s, book.timezone):%H:%M}–{to_local(e, book.timezone):%H:%M}"
            for s, e in book.hours.get(doctor.id, ())
        )
        body = "".join(rows) or '<tr><td colspan="7">No appointments.</td></tr>'
        brk = ' style="page-break-before: always"' if number else ""
        pages.append(
            f"<div{brk}>{heading}</div><h2>{escape(doctor.name)}</h2>"
            f"<p>{day} · rostered {hours or '—'}</p>"
            '<table border="1" cellspacing="0" cellpadding="4" width="100%">'
            "<tr><th>Time</th><th>Patient</th><th>Phone</th><th>Born</th><th>Type</th><th>Status</th><th>Note</th></tr>"
            f"{body}</table>"
        )
    if not pages:
        pages.append(f"{heading}<h2>{day}</h2><p>No doctor is rostered on this day.</p>")
    return "<html><body>" + "".join(pages) + "</body></html>"


def print_day_sheet(book: DayBook, printer: QPrinter, doctor_id: int | None = None) -> None:
    document = QTextDocument()
    document.setHtml(day_sheet_html(book, doctor_id))
    document.print_(printer)


def save_day_sheet_pdf(book: DayBook, path: Path, doctor_id: int | None = None) -> Path:
    """Write the day sheet as an A4 PDF file and return its path."""
    print_day_sheet(book, pdf_printer(path), doctor_id)
    return path
