"""Ten desks (real processes) book the same slot at the same moment: the database decides."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from tests.support.clinic import at, new_patients, outbox_names, overlapping_pairs, tiny_clinic

RACERS = 10
FREE_DOCTORS = 3
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_exactly_as_many_desks_win_as_doctors_were_free(any_db, tmp_path: Path) -> None:
    ctx = ServiceContext(any_db)  # the real clock: the racers use it too
    doctors = tiny_clinic(ctx, doctors=FREE_DOCTORS)
    patients = new_patients(ctx, RACERS)
    today = to_local(ctx.clock(), clinic_policy(ctx).timezone).date()
    day = today + timedelta(days=7 - today.weekday() + 1)  # Tuesday next week
    start = at(day, 10).isoformat()
    url = any_db.url.render_as_string(hide_password=False)
    go = tmp_path / "go"
    racers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.race_worker",
                url,
                "Long",
                start,
                str(p),
                str(go),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in patients
    ]
    for racer in racers:
        assert racer.stdout.readline().strip() == "ready", racer.stderr.read()
    go.touch()
    results = [
        (racer.wait(timeout=120), racer.stdout.read(), racer.stderr.read()) for racer in racers
    ]

    codes = sorted(code for code, _, _ in results)
    assert codes == [0] * FREE_DOCTORS + [3] * (RACERS - FREE_DOCTORS), results
    winners = [json.loads(out) for code, out, _ in results if code == 0]
    assert sorted(w["doctor_id"] for w in winners) == sorted(doctors)
    losers = [json.loads(out) for code, out, _ in results if code == 3]
    assert all("taken" in loser["refused"] or "free" in loser["refused"] for loser in losers)
    assert overlapping_pairs(ctx) == 0
    assert outbox_names(ctx) == ["appointment.booked"] * FREE_DOCTORS
