"""The one patient form (issue 25, 7): the five fields, their error lines and the one rule."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from montu_desktop.domain.patients import PatientDetails
from montu_desktop.ui.patient_form import PatientForm
from tests.support.clock import clinic_today


def _form(qtbot: QtBot) -> PatientForm:
    form = PatientForm()
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    return form


def test_every_wrong_field_shows_beneath_it_at_once_and_the_cursor_goes_to_the_first(
    qtbot: QtBot,
) -> None:
    form = _form(qtbot)
    today = clinic_today()
    form.family.setText("Quimby")
    form.birth.setText(f"{today + timedelta(days=1):%d/%m/%Y}")
    form.phone.setText("12")
    form.email.setText("zelda@")

    problems = form.problems(today)
    assert [p.field for p in problems] == ["given_name", "date_of_birth", "phone", "email"]
    assert form.show_problems(problems) is form.given
    shown = {field for field, line in form.errors.items() if line.isVisibleTo(form)}
    assert shown == {"given_name", "date_of_birth", "phone", "email"}
    assert form.errors["given_name"].text() == "Must not be empty"
    assert form.errors["date_of_birth"].text() == "Is in the future"
    assert form.focusWidget() is form.given

    qtbot.keyClicks(form.phone, "3")  # editing a field takes its error line away
    assert not form.errors["phone"].isVisibleTo(form)
    assert form.errors["email"].isVisibleTo(form)
    form.clear()
    assert not any(line.isVisibleTo(form) for line in form.errors.values())
    assert all(line.text() == "" for line in form.lines.values())


def test_details_round_trip_and_the_labels_keep_their_alt_keys(qtbot: QtBot) -> None:
    form = _form(qtbot)
    born = clinic_today() - timedelta(days=40 * 365)
    stored = PatientDetails("Ava", "Singh", born, "+61412345678", "ava@example.com")
    form.set_details(stored)
    assert form.birth.text() == f"{born:%d/%m/%Y}"
    assert form.phone.text() == "0412 345 678"
    assert form.problems(clinic_today()) == []
    typed = form.details()
    assert (typed.given_name, typed.family_name, typed.date_of_birth) == ("Ava", "Singh", born)
    assert typed.email == "ava@example.com"

    label = form.form.labelForField(form.errors["date_of_birth"].parentWidget())
    assert isinstance(label, QLabel) and label.text() == "Date of b&irth:"
    assert label.buddy() is form.birth  # Alt+I goes to the field (tests/gui/test_mnemonics.py)
