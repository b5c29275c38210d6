"""The tables whose changes other desks must hear of, and the kind of change each one is.

The one list both backends watch: SQLite desks poll these tables' fingerprints, and on
PostgreSQL migrations 0004 and 0023 put a notify trigger on each (a test checks the two
agree). Every table a cached load reads must be here, or another desk's edit of it reaches
no cache (bench/FRESHNESS.md).
"""

from __future__ import annotations

from montu_desktop.domain.op_changes import ChangeKind

WATCHED_TABLES: dict[str, ChangeKind] = {
    "appointment": ChangeKind.APPOINTMENTS,
    "patient": ChangeKind.PATIENTS,
    "clinic": ChangeKind.REFERENCE,
    "opening_hours": ChangeKind.REFERENCE,
    "closure": ChangeKind.REFERENCE,
    "clinic_schedule": ChangeKind.REFERENCE,
    "doctor": ChangeKind.REFERENCE,
    "roster_template": ChangeKind.REFERENCE,
    "doctor_schedule": ChangeKind.REFERENCE,
    "appointment_type": ChangeKind.REFERENCE,
    "setting": ChangeKind.REFERENCE,
    "doctor_type_skipped": ChangeKind.REFERENCE,
    "held_time": ChangeKind.REFERENCE,
}

WATCHED_KINDS: tuple[ChangeKind, ...] = tuple(dict.fromkeys(WATCHED_TABLES.values()))
"""The kinds a change feed can hear, in a stable order."""


def watched_kind(kind: ChangeKind) -> ChangeKind | None:
    """Which watched kind a local change of `kind` shows up as on the wire (None: not watched)."""
    if kind in WATCHED_KINDS:
        return kind
    return ChangeKind.REFERENCE if kind is ChangeKind.SETTINGS else None
