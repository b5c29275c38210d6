"""A desk that books through the command line: one `montu-desktop` process per booking or
cancellation, each opening the database, writing and exiting, as IT's scripts and other desks'
commands do beside a running app. It keeps what the commands reported, to check at the end."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from montu_desktop.config.clock import utc_now
from montu_desktop.domain.clinic_time import to_local

ROOT = Path(__file__).resolve().parents[2]


class CommandLineDesk(threading.Thread):
    def __init__(self, url: str, zone: str, patients: range, seed: int = 9) -> None:
        super().__init__(name="cli-desk", daemon=True)
        self.url, self.zone, self.patients = url, zone, patients
        self.chance = random.Random(seed)
        self.kept: set[int] = set()
        """Appointments a command reported booked and no command cancelled since."""
        self.cancelled: set[int] = set()
        self.refused = 0
        self.errors: list[str] = []
        self._halt = threading.Event()

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "montu_desktop", *args, "--database", self.url],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
        )

    def _starts(self) -> list[str]:
        today = to_local(utc_now(), self.zone).date()
        monday = today + timedelta(days=7 - today.weekday())
        done = self._run("availability", "--type", "Standard", "--week", str(monday), "--json")
        if done.returncode != 0:
            self.errors.append(f"availability: {done.stderr.strip()}")
            return []
        week = json.loads(done.stdout)
        return [s["start"] for d in week["days"] for s in d["slots"] if s["free_doctors"]]

    def run(self) -> None:
        starts = self._starts()
        while starts and not self._halt.is_set():
            if self.kept and self.chance.random() < 0.25:
                victim = self.chance.choice(sorted(self.kept))
                done = self._run("cancel", str(victim), "--reason", "soak")
                if done.returncode == 0:
                    self.kept.discard(victim)
                    self.cancelled.add(victim)
                else:
                    self.errors.append(f"cancel {victim}: exit {done.returncode} {done.stderr}")
                continue
            start = self.chance.choice(starts)
            patient = str(self.chance.choice(self.patients))
            done = self._run(
                "book", "--type", "Standard", "--start", start, "--patient", patient, "--json"
            )
            if done.returncode == 0:
                self.kept.add(int(json.loads(done.stdout)["id"]))
            elif done.returncode == 3:  # taken meanwhile, or the patient is busy then
                self.refused += 1
            else:
                self.errors.append(f"book: exit {done.returncode} {done.stderr.strip()}")

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=150)
