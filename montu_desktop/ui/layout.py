"""Where things go on screen, without Qt: week grid cells and day book blocks and lanes.

Rows are clinic-local wall-clock times one slot apart; columns are days (week grid) or
doctors (day book). Kept free of Qt so the geometry is tested with plain pytest.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from montu_desktop.domain.availability import DayAvailability, Unavailable
from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.domain.model import from_epoch


class CellKind(enum.Enum):
    """What a week grid cell means to the desk."""

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    PAST = "past"
    CLOSED = "closed"
    HELD = "held"
    """Held for urgent patients: only an urgent booking may take it."""
    NOT_OPEN = "not open"
    """Beyond the booking horizon: not open for booking yet."""


@dataclass(frozen=True, slots=True)
class WeekCell:
    kind: CellKind
    start: datetime | None = None
    free: int = 0
    rostered: int = 0
    reason: str = ""
    held: int = 0
    """Doctors whose time here is held for urgent patients (marked even while others are free)."""

    @property
    def bookable(self) -> bool:
        return self.kind is CellKind.AVAILABLE

    @property
    def urgent_only(self) -> bool:
        return self.kind is CellKind.HELD


CLOSED_CELL = WeekCell(CellKind.CLOSED, reason="the clinic is closed")


@dataclass(frozen=True, slots=True)
class WeekGrid:
    """Rows are local slot times, columns the seven days; cells[row][column]."""

    days: tuple[date, ...]
    times: tuple[time, ...]
    cells: tuple[tuple[WeekCell, ...], ...]

    def cell(self, row: int, column: int) -> WeekCell:
        return self.cells[row][column]

    def position_of(self, start: datetime) -> tuple[int, int] | None:
        for row, line in enumerate(self.cells):
            for column, cell in enumerate(line):
                if cell.start == start:
                    return row, column
        return None


def _kind(reason: Unavailable | None) -> CellKind:
    if reason is None:
        return CellKind.AVAILABLE
    if reason is Unavailable.HELD:
        return CellKind.HELD
    if reason is Unavailable.BEYOND_HORIZON:
        return CellKind.NOT_OPEN
    return CellKind.PAST if reason is Unavailable.PAST else CellKind.UNAVAILABLE


def _slot_times(first: time, last: time, slot_minutes: int) -> list[time]:
    times, cursor = [], datetime.combine(date.min, first)
    end = datetime.combine(date.min, last)
    while cursor <= end:
        times.append(cursor.time())
        cursor += timedelta(minutes=slot_minutes)
    return times


def week_grid(
    days: Sequence[DayAvailability],
    timezone: str,
    slot_minutes: int,
    now: datetime | None = None,
    closed_reasons: Mapping[date, str] | None = None,
) -> WeekGrid:
    """The grid of a week's availability: one row per slot time any open day has.

    Times with no slot (closed, or before the clinic existed) read as past once `now` has
    gone by them; a closed day's cells carry why it is closed (e.g. the public holiday's name).
    """
    why_closed = closed_reasons or {}
    by_day: list[dict[time, WeekCell]] = []
    for day in days:
        cells = {}
        for slot in day.slots:
            start = from_epoch(slot.start)
            reason = slot.unavailable.value if slot.unavailable else ""
            local = to_local(start, timezone).time()
            cells[local] = WeekCell(
                _kind(slot.unavailable),
                start,
                slot.free_doctors,
                slot.rostered_doctors,
                reason,
                slot.held_doctors,
            )
        by_day.append(cells)
    seen = [t for cells in by_day for t in cells]
    times = _slot_times(min(seen), max(seen), slot_minutes) if seen else []
    rows = tuple(
        tuple(
            cells.get(t) or _closed_at(day.day, t, timezone, why_closed.get(day.day), now)
            for day, cells in zip(days, by_day, strict=True)
        )
        for t in times
    )
    return WeekGrid(tuple(d.day for d in days), tuple(times), rows)


def _closed_at(
    day: date, wall: time, timezone: str, why: str | None = None, now: datetime | None = None
) -> WeekCell:
    start = local_instant(day, wall, timezone)
    if now is not None and start < now:
        return WeekCell(CellKind.PAST, start, reason="clinic closed")
    reason = why if why and why not in ("closed", "no schedule") else "clinic closed"
    return WeekCell(CellKind.CLOSED, start, reason=reason)


@dataclass(frozen=True, slots=True)
class Block:
    """An appointment placed in the day book: its column, first row, rows spanned and lane."""

    key: int
    column: int
    first_row: int
    rows: int
    lane: int = 0
    lanes: int = 1
    offset: float = 0.0
    """Where its lane starts across the column (0..1)."""
    share: float = 1.0
    """How much of the column's width its lane takes (a work-in's lane is narrower)."""

    def covers(self, row: int) -> bool:
        return self.first_row <= row < self.first_row + self.rows


def day_rows(opens: datetime, closes: datetime, timezone: str, slot_minutes: int) -> list[time]:
    """The local slot times of a day from opening up to (not including) closing."""
    first = to_local(opens, timezone).time()
    last = (to_local(closes, timezone) - timedelta(minutes=slot_minutes)).time()
    return _slot_times(first, last, slot_minutes)


def place_blocks(
    items: Sequence[tuple[int, int, datetime, datetime]],
    columns: Sequence[int],
    origin: datetime,
    slot_minutes: int,
    row_count: int,
    narrow: Collection[int] = (),
) -> list[Block]:
    """Blocks for (key, column id, start, end) items; overlapping ones in a column share lanes.

    `origin` is the instant of row 0. Parts before row 0 or after the last row are cut off.
    The `narrow` keys (work-ins) take the later lanes of their cluster, each half as wide.
    """
    step = slot_minutes * 60
    index = {column: i for i, column in enumerate(columns)}
    placed: list[Block] = []
    by_column: dict[int, list[tuple[int, int, int]]] = {}
    for key, column_id, start, end in items:
        if column_id not in index:
            continue
        first = int((start - origin).total_seconds()) // step
        last = -(-int((end - origin).total_seconds()) // step)  # ceiling
        first, last = max(first, 0), min(last, row_count)
        if first < last:
            by_column.setdefault(index[column_id], []).append((first, last, key))
    for column, spans in by_column.items():
        ordered = sorted(spans, key=lambda s: (s[0], s[2] in narrow, s[1], s[2]))
        placed.extend(_lanes(column, ordered, set(narrow)))
    return placed


def _lanes(column: int, spans: list[tuple[int, int, int]], narrow: set[int]) -> list[Block]:
    """Greedy lanes; every block in a cluster of overlaps gets the cluster's lane count."""
    result: list[Block] = []
    cluster: list[tuple[int, int, int, int]] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def flush() -> None:
        weights = [1.0] * len(lane_ends)
        for lane in range(len(lane_ends)):
            keys = [k for _f, _e, k, at in cluster if at == lane]
            if keys and all(k in narrow for k in keys):
                weights[lane] = 0.5
        total = sum(weights)
        starts = [sum(weights[:i]) / total for i in range(len(weights))]
        result.extend(
            Block(k, column, f, end - f, lane, len(lane_ends), starts[lane], weights[lane] / total)
            for f, end, k, lane in cluster
        )

    for first, last, key in spans:
        if first >= cluster_end and cluster:
            flush()
            cluster, lane_ends = [], []
        lane = next((i for i, end in enumerate(lane_ends) if end <= first), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(last)
        else:
            lane_ends[lane] = last
        cluster.append((first, last, key, lane))
        cluster_end = max(cluster_end, last)
    if cluster:
        flush()
    return result


def now_position(times: Sequence[time], wall: time, slot_minutes: int) -> tuple[int, float] | None:
    """The row holding local wall time `wall` and how far down it (0..1), or None off the grid."""
    seconds = wall.hour * 3600 + wall.minute * 60 + wall.second
    step = slot_minutes * 60
    for row, start in enumerate(times):
        first = start.hour * 3600 + start.minute * 60
        if first <= seconds < first + step:
            return row, (seconds - first) / step
    return None


def doctor_header(name: str, compact: bool) -> str:
    """A doctor's column title; compact puts the family name on its own line ('Dr Ava\\nChen')."""
    if not compact:
        return name
    words = name.split()
    if len(words) < 2:
        return name
    return " ".join(words[:-1]) + "\n" + words[-1]
