"""The figures as rows of a table, each with its target and verdict; printed and written to RESULTS.md."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Row:
    section: str
    what: str
    figure: str
    ratio: str = ""
    target: str = ""
    met: bool | None = None

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: ""}[self.met]


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    measured_on: list[str] | None = None
    """The machine lines recorded when measured (set when re-rendering a kept run)."""

    def add(self, *args: object, **kwargs: object) -> Row:
        row = Row(*args, **kwargs)  # type: ignore[arg-type]
        self.rows.append(row)
        print(f"  {row.section:<12} {row.what:<52} {row.figure:>22} {row.ratio:>12}  {row.verdict}")
        return row

    def table(self) -> str:
        lines = [
            "| section | what | figure | ratio | target | verdict |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {r.section} | {r.what} | {r.figure} | {r.ratio} | {r.target} | {r.verdict} |"
            for r in self.rows
        ]
        return "\n".join(lines)


def save_run(path: Path, report: Report, header: list[str]) -> None:
    """Keep the figures so RESULTS.md can be rewritten (new notes) without measuring again."""
    rows = [dataclasses.asdict(r) for r in report.rows]
    data = {"rows": rows, "notes": report.notes, "header": header, "machine": machine()}
    path.write_text(json.dumps(data, indent=1))


def load_run(path: Path) -> tuple[Report, list[str]]:
    data = json.loads(path.read_text())
    report = Report([Row(**r) for r in data["rows"]], data["notes"])
    report.measured_on = data["machine"]
    return report, data["header"]


def _first_line(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
        return out.stdout.strip().splitlines()[0]
    except Exception:
        return "unknown"


def machine() -> list[str]:
    """The machine the figures were measured on, in a few plain lines."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    memory = "unknown"
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; memory {memory}",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{_first_line(['psql', '--version'])}",
        f"- load average when the report was written: {load} (the machine is shared)",
    ]


def write_results(report: Report, path: str, header: list[str], notes: str) -> None:
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            "Recorded by `bench/run`. Every ratio compares figures measured in the same run.",
            "",
            "## Machine",
            *(report.measured_on or machine()),
            "",
            *header,
            "",
            "## Figures",
            "",
            report.table(),
            "",
            *(["## Run notes", "", *[f"- {n}" for n in report.notes], ""] if report.notes else []),
            notes.strip(),
            "",
        ]
    )
    with open(path, "w") as out:
        out.write(text)
