"""Reading another system's CSV export: the bytes as text, the columns by their headers.

Pure: no database. A file is UTF-8 with or without a byte-order mark, its cells separated by
commas or semicolons (whichever the header line holds more of). Columns are found by their
header in the words other systems use ("First Name", "Surname", "Mobile", "DOB"…), case,
spaces, underscores and dots aside. Rows keep the line of the file they start on (the header
is line 1; a quoted cell may span lines), so a refusal can name the line a person sees.

A cell Montu's export guarded against spreadsheet formulas (an apostrophe before = + - @,
a tab or a carriage return) has that one apostrophe taken off again.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from montu_desktop.domain.errors import InvalidRequest

MAX_FILE_BYTES = 50 * 1024 * 1024
"""A clinic's patients or years of appointments fit many times over; a bigger file is a mistake."""
MAX_ROWS = 200_000
_BOM = b"\xef\xbb\xbf"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HEADER_NOISE = re.compile(r"[\s_.\-/()#:]+")


def header_key(text: str) -> str:
    """A header as compared: 'First_Name ' -> 'first name', 'D.O.B.' -> 'd o b'."""
    return _HEADER_NOISE.sub(" ", text.replace("\ufeff", "").casefold()).strip()


@dataclass(frozen=True, slots=True)
class Column:
    """One field an import reads and the headers that may hold it, the likeliest first."""

    name: str
    headers: tuple[str, ...]
    label: str
    """How a person names the field in a refusal."""


@dataclass(frozen=True, slots=True)
class Layout:
    """The fields one kind of import reads."""

    columns: tuple[Column, ...]
    required: tuple[tuple[str, ...], ...]
    """Each item is a set of alternatives: at least one of its fields must have a column."""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _col(name: str, label: str, *headers: str) -> Column:
    return Column(name, tuple(header_key(h) for h in (name, *headers)), label)


_GIVEN = _col(
    "given_name", "given name", "given name", "given names", "first name", "firstname",
    "first names", "forename", "forenames", "first", "patient first name", "patient given name",
)  # fmt: skip
_FAMILY = _col(
    "family_name", "family name", "family name", "last name", "lastname", "surname",
    "family", "last", "patient last name", "patient surname", "patient family name",
)  # fmt: skip
_BIRTH = _col(
    "date_of_birth", "date of birth", "date of birth", "dob", "d o b", "birth date",
    "birthdate", "birthday", "born", "patient dob", "patient date of birth",
)  # fmt: skip
_PHONE = _col(
    "phone", "phone", "mobile", "mobile phone", "mobile number", "mobile no", "mobile phone number",
    "cell", "cell phone", "phone number", "telephone", "phone mobile", "home phone", "work phone",
)  # fmt: skip
_EMAIL = _col("email", "email", "e mail", "email address", "e mail address")

PATIENTS = Layout(
    columns=(
        _GIVEN,
        _FAMILY,
        _BIRTH,
        _PHONE,
        _EMAIL,
        _col("sms_reminders", "SMS reminders", "sms reminders", "sms"),
        _col("email_reminders", "email reminders", "email reminders"),
        _col("reminders_opt_out", "reminders opt-out", "opt out", "no reminders"),
    ),
    required=(("given_name",), ("family_name",)),
)

APPOINTMENTS = Layout(
    columns=(
        _col("patient_id", "patient id", "patient id", "patient number", "patient no"),
        _GIVEN,
        _FAMILY,
        _BIRTH,
        _col(
            "doctor",
            "doctor",
            "doctor name",
            "practitioner",
            "practitioner name",
            "provider",
            "clinician",
            "gp",
        ),
        _col(
            "type",
            "type",
            "appointment type",
            "appointment type name",
            "visit type",
            "service",
            "type name",
        ),
        _col(
            "start",
            "start",
            "starts",
            "start at",
            "start date time",
            "start datetime",
            "appointment start",
            "date time",
            "datetime",
            "appointment date time",
            "when",
        ),
        _col("date", "date", "date", "appointment date", "start date", "day"),
        _col("time", "time", "time", "appointment time", "start time"),
        _col("end", "end", "ends", "end at", "end time", "finish", "appointment end"),
        _col("status", "status", "status", "appointment status", "state", "attendance"),
        _col("note", "note", "note", "notes", "reason", "reason for visit", "comment", "comments"),
        _col(
            "cancel_reason",
            "cancel reason",
            "cancel reason",
            "cancellation reason",
            "reason cancelled",
        ),
    ),
    required=(
        ("patient_id", "family_name"),
        ("doctor",),
        ("type",),
        ("start", "date"),
    ),
)


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: the file line it starts on and its cells by field (absent: empty)."""

    line: int
    cells: dict[str, str]

    def get(self, name: str) -> str:
        return self.cells.get(name, "")


@dataclass(frozen=True, slots=True)
class Table:
    """A file read for one layout: its rows and the fields found, with the headers not read."""

    rows: list[Row]
    fields: frozenset[str]
    ignored: tuple[str, ...] = field(default=())


def undo_formula_guard(cell: str) -> str:
    """'\\'=Ngô' -> '=Ngô': the apostrophe Montu's export put before a formula character."""
    if len(cell) > 1 and cell[0] == "'" and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell


def decode(data: bytes) -> str:
    """The file's text: UTF-8, a byte-order mark dropped; refused naming "file" otherwise."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidRequest("file", f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            "file",
            f"is not UTF-8 text (byte {exc.start + 1} cannot be read); save it as CSV UTF-8",
        ) from None
    if "\x00" in text:
        raise InvalidRequest("file", "is not a text file (it holds NUL bytes)")
    return text


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) per record; blank lines skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    last = 0
    try:
        for cells in reader:
            start, last = last + 1, reader.line_num
            if any(c.strip() for c in cells):
                yield start, cells
    except csv.Error as exc:
        raise InvalidRequest("file", f"line {last + 1}: cannot be read as CSV ({exc})") from None


def read_table(data: bytes, layout: Layout) -> Table:
    """The rows of `data` by the fields of `layout`; refused naming "file" when the file is not
    UTF-8 text, has no header line, or lacks a column the import needs."""
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise InvalidRequest("file", "has no header line (the first line must name the columns)")
    records = _records(text, _delimiter(first_line))
    _line, header = next(records, (0, []))
    keys = [header_key(undo_formula_guard(h)) for h in header]
    where: dict[str, list[int]] = {}
    for column in layout.columns:
        # Every header that may hold the field, likeliest first ("mobile" before "home phone").
        found = [keys.index(h) for h in column.headers if h in keys]
        if found:
            where[column.name] = found
    used = {i for found in where.values() for i in found}
    ignored = tuple(h.strip() for i, h in enumerate(header) if i not in used and h.strip())
    for alternatives in layout.required:
        if not any(a in where for a in alternatives):
            wanted = " or ".join(
                f"{layout.column(a).label} ({', '.join(repr(h) for h in layout.column(a).headers[1:4])})"
                for a in alternatives
            )
            raise InvalidRequest("file", f"has no column for the {wanted}")
    rows = []
    for line, cells in records:
        if len(rows) >= MAX_ROWS:
            raise InvalidRequest("file", f"has more than {MAX_ROWS} rows; split it")
        values = {}
        for name, indexes in where.items():
            for i in indexes:
                value = undo_formula_guard(cells[i]).strip() if i < len(cells) else ""
                if value:
                    values[name] = value
                    break
        rows.append(Row(line, values))
    return Table(rows, frozenset(where), ignored)


# --- cells as values -----------------------------------------------------------------------

_YES = frozenset({"true", "yes", "y", "1", "on", "t"})
_NO = frozenset({"false", "no", "n", "0", "off", "f"})


def yes_no(text: str, name: str, default: bool) -> bool:
    """A yes/no cell (true/false, yes/no, y/n, 1/0); empty: `default`."""
    value = text.strip().casefold()
    if not value:
        return default
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise InvalidRequest(name, f"{text!r} is not yes or no (true/false)")


_DATE_FORMS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_TIME_FORMS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p", "%I:%M%p", "%I%p")


def _date(text: str) -> date | None:
    for form in _DATE_FORMS:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def _time(text: str) -> time | None:
    for form in _TIME_FORMS:
        try:
            return datetime.strptime(text.upper(), form).time()
        except ValueError:
            continue
    return None


def wall_time(text: str, name: str = "start") -> datetime:
    """A date and time as other systems write them: ISO 8601 (with or without an offset;
    'T' or a space) or DD/MM/YYYY HH:MM (seconds and AM/PM allowed). Without an offset the
    result is naive: the caller reads it in the clinic's time zone."""
    value = " ".join(text.split())
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    day_text, _sep, clock = value.partition(" ")
    day, wall = _date(day_text), _time(clock) if clock else None
    if day is None or wall is None:
        raise InvalidRequest(name, f"{text!r} is not a date and time like 31/12/2027 09:30")
    return datetime.combine(day, wall)


def start_text(row: Row) -> str:
    """The start as written: the start column, else the date and time columns together."""
    if row.get("start"):
        return row.get("start")
    return " ".join(p for p in (row.get("date"), row.get("time")) if p)


_STATUS_WORDS: dict[str, str] = {
    "booked": "booked", "booking": "booked", "scheduled": "booked", "confirmed": "booked",
    "pending": "booked", "unconfirmed": "booked", "future": "booked",
    "arrived": "arrived", "checked in": "arrived", "waiting": "arrived", "here": "arrived",
    "called in": "called_in",
    "in consultation": "in_consultation", "with doctor": "in_consultation",
    "in progress": "in_consultation",
    "completed": "completed", "complete": "completed", "attended": "completed",
    "seen": "completed", "finished": "completed", "done": "completed",
    "no show": "no_show", "noshow": "no_show", "dna": "no_show", "did not attend": "no_show",
    "did not arrive": "no_show", "missed": "no_show", "failed to attend": "no_show",
    "did not wait": "did_not_wait", "dnw": "did_not_wait", "left": "did_not_wait",
    "left without being seen": "did_not_wait",
    "cancelled": "cancelled", "canceled": "cancelled", "cancellation": "cancelled",
    "cancelled by patient": "cancelled", "cancelled by clinic": "cancelled",
}  # fmt: skip
STATUSES: Sequence[str] = (
    "booked", "arrived", "called_in", "in_consultation", "completed", "no_show",
    "did_not_wait", "cancelled",
)  # fmt: skip


def status_value(text: str) -> str:
    """A status as other systems name it ('DNA', 'Attended', 'Canceled'…) as Montu's; empty:
    booked."""
    key = header_key(text)
    if not key:
        return "booked"
    found = _STATUS_WORDS.get(key) or _STATUS_WORDS.get(key.replace(" ", ""))
    if found is None:
        raise InvalidRequest(
            "status", f"{text!r} is not a status (use one of {', '.join(STATUSES)})"
        )
    return found
