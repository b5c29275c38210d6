"""Who an online booking may be (the identity rule) and whether a claiming server still runs."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from montu_desktop.config import process_identity
from montu_desktop.domain.duplicates import same_person_online
from montu_desktop.domain.patients import PatientDetails

STORED = PatientDetails("Zoë", "Ngô", date(1990, 1, 2), "+61412345678", "zoe@example.com")


@pytest.mark.parametrize(
    "typed",
    [
        PatientDetails(" zoe ", "NGO", date(1990, 1, 2), "+61412345678"),
        PatientDetails("ZOË", "ngô", date(1990, 1, 2), None, "ZOE@example.com"),
        PatientDetails("Zoe", "Ngo", date(1990, 1, 2), "+61499999999", "zoe@example.com"),
    ],
)
def test_the_same_names_birth_date_and_phone_or_email_is_the_same_person(typed) -> None:
    assert same_person_online(typed, STORED)


@pytest.mark.parametrize(
    "typed",
    [
        PatientDetails("Mallory", "Ngô", date(1990, 1, 2), "+61412345678", "zoe@example.com"),
        PatientDetails("Zoë", "Other", date(1990, 1, 2), "+61412345678"),
        PatientDetails("Zoë", "Ngô", date(1990, 1, 3), "+61412345678"),
        PatientDetails("Zoë", "Ngô", None, "+61412345678"),
        PatientDetails("Zoë", "Ngô", date(1990, 1, 2), "+61499999999", "other@example.com"),
        PatientDetails("Zoë", "Ngô", date(1990, 1, 2)),
    ],
)
def test_anything_less_is_not_the_same_person(typed) -> None:
    assert not same_person_online(typed, STORED)


def test_a_killed_process_is_known_to_be_gone_and_a_running_one_is_not() -> None:
    assert process_identity.is_gone(process_identity.this_process()) is False
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from montu_desktop.config import process_identity as p;"
            "print(p.this_process(), flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    theirs = child.stdout.readline().strip()
    try:
        if process_identity.is_gone(theirs) is None:
            pytest.skip("this system cannot say whether a process runs (no /proc)")
        assert process_identity.is_gone(theirs) is False
    finally:
        child.kill()
        child.wait(10)
    assert process_identity.is_gone(theirs) is True
    host, boot, pid, start = theirs.split("|")
    assert process_identity.is_gone(f"{host}|{boot}|{pid}|{int(start) + 1}") is True
    assert process_identity.is_gone(f"elsewhere|{boot}|{pid}|{start}") is None
    assert process_identity.is_gone("not an identity") is None
