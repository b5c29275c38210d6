"""Runs every benchmark in one go, prints the table and writes bench/RESULTS.md (see bench/run)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import availability as av
from bench import booking as bk
from bench.dataset import Clinic, benchmark_monday, build_clinic, pg_available
from bench.measure import interleaved_medians
from bench.report import Report, load_run, save_run, write_results

HERE = Path(__file__).resolve().parent
LAST_RUN = HERE / ".data" / "last-run.json"


def _notes() -> str:
    """The hand-written analysis of missed targets (bench/NOTES.md), appended to RESULTS.md."""
    notes_file = HERE / "NOTES.md"
    return notes_file.read_text() if notes_file.exists() else ""


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


def _x(ratio: float) -> str:
    return f"{ratio:.2f}×"


def availability_matrix(
    report: Report, clinics: dict[tuple[str, int, int], Clinic], rounds: int
) -> None:
    for (backend, doctors, history), clinic in clinics.items():
        f = av.measure_product(clinic, rounds=rounds)
        label = f"{backend} {doctors} doctors, {history} wk history ({clinic.week_rows} rows)"
        ratio = f.median_s / f.floor_s
        report.add(
            "availability",
            label,
            _ms(f.median_s),
            f"{_x(ratio)} {f.floor_kind}",
            "≤ 2× floor (1.7× stretch)",
            ratio <= 2.0,
        )
        per_row = f.median_s / clinic.week_rows * 1e6
        report.add(
            "availability",
            f"  µs per week row ({backend} {doctors}/{history})",
            f"{per_row:.2f} µs",
            f"floor {f.floor_s / clinic.week_rows * 1e6:.2f} µs",
            "≤ 1.5 µs",
            per_row <= 1.5,
        )
        report.add(
            "availability",
            f"  SQL statements per request ({backend} {doctors}/{history})",
            f"{f.statements} (+{f.transaction_ends} end)",
            f"first: {f.first_statements}",
            "≤ 3",
            f.statements + f.transaction_ends <= 3,
        )
    for backend in ("sqlite", "postgresql"):
        short, long = clinics.get((backend, 50, 13)), clinics.get((backend, 50, 208))
        if short is None or long is None:
            continue
        databases = [short.database(), long.database()]
        medians = interleaved_medians(
            {
                "13": av.product_call(short, databases[0]),
                "208": av.product_call(long, databases[1]),
            },
            rounds=rounds,
        )
        for database in databases:
            database.dispose()
        ratio = medians["208"] / medians["13"]
        report.add(
            "availability",
            f"{backend} 50 doctors: 208 wk history vs 13 wk (interleaved)",
            f"{_ms(medians['208'])} vs {_ms(medians['13'])}",
            _x(ratio),
            "≤ 1.15×",
            ratio <= 1.15,
        )


def peer_and_naive(report: Report, clinic: Clinic, rounds: int, with_peer: bool) -> None:
    from bench.peer import load_peer

    database = clinic.database()
    product = av.product_call(clinic, database)
    ours = av.counts_of(product())
    floor, conn = av.sqlite_floor(clinic)
    naive = av.naive_counts(clinic, database)
    started = time.perf_counter()
    naive_result = naive()
    naive_s = time.perf_counter() - started
    candidates = {"product": product, "floor": floor}
    peer_result = None
    if with_peer:
        peer = load_peer(clinic)
        peer_result = peer()
        candidates["peer"] = peer
    medians = (
        interleaved_medians(candidates, rounds=rounds, per_round=1)
        if with_peer
        else interleaved_medians(candidates, rounds=rounds)
    )
    product_s = medians["product"]
    report.add(
        "floor",
        f"sqlite3 week fetch, 50 doctors, 52 wk ({clinic.week_rows} rows)",
        _ms(medians["floor"]),
        "1.00×",
    )
    report.add(
        "peer",
        "Montu week availability (same run)",
        _ms(product_s),
        _x(product_s / medians["floor"]),
    )
    same = naive_result == ours
    report.add(
        "peer",
        f"naive per-slot queries: counts identical ({len(ours)} slots)",
        "yes" if same else "NO",
        "",
        "identical",
        same,
    )
    report.add(
        "peer",
        "naive per-slot-per-doctor overlap queries",
        _ms(naive_s),
        f"{_x(naive_s / product_s)} slower",
    )
    if peer_result is not None:
        same_peer = peer_result == ours
        report.add(
            "peer",
            "django-appointment: counts identical",
            "yes" if same_peer else "NO",
            "",
            "identical",
            same_peer,
        )
        ratio = medians["peer"] / product_s
        report.add(
            "peer",
            "django-appointment, one call per doctor per day",
            _ms(medians["peer"]),
            f"{_x(ratio)} slower" if same_peer else "(not compared)",
            "≥ 100× slower",
            same_peer and ratio >= 100,
        )
    conn.close()
    database.dispose()


def booking(
    report: Report,
    sqlite_book: Clinic,
    pg_book: Clinic | None,
    pg_noguard: Clinic | None,
    seconds: float,
    count: int,
) -> None:
    targets = {"sqlite": (1e-3, 3e-3), "postgresql": (2e-3, 5e-3)}
    days = bk.open_weekdays(sqlite_book, 7)
    warm_day = days[6]  # each racing desk books once here first
    for clinic in (c for c in (sqlite_book, pg_book) if c is not None):
        bk.clear_bookings(clinic)
        r = bk.summarise([bk.single_desk(clinic, days[0], count)], 1, 0)
        p50_target, p99_target = targets[clinic.backend]
        report.add(
            "booking",
            f"{clinic.backend} one desk p50 ({r.attempts} bookings, {clinic.doctors} doctors)",
            _ms(r.p50),
            "",
            f"≤ {p50_target * 1e3:g} ms",
            r.p50 <= p50_target,
        )
        report.add(
            "booking",
            f"{clinic.backend} one desk p99",
            _ms(r.p99),
            "",
            f"≤ {p99_target * 1e3:g} ms",
            r.p99 <= p99_target,
        )
        desk_cpu = r.desk_cpu_per_booking
        if desk_cpu is not None:
            server = r.server_cpu_per_booking
            report.add(
                "booking",
                f"{clinic.backend} one desk: desk CPU per booking",
                _ms(desk_cpu),
                f"server's backend {_ms(server)}" if server is not None else "",
                "≤ 1 ms" if clinic.backend == "postgresql" else "",
                desk_cpu <= 1e-3 if clinic.backend == "postgresql" else None,
            )
    if pg_book is not None:
        load = os.getloadavg()[0]
        both = bk.server_vs_statements(pg_book, days[0])
        server, statements = both["server"], both["statements"]
        for name, r in both.items():
            report.add(
                "booking",
                f"postgresql one desk, {name} (interleaved batches): p50, p99",
                f"{_ms(r.p50)}, {_ms(r.p99)}",
                f"desk CPU {_ms(r.desk_cpu_per_booking or 0)}, "
                f"server backend {_ms(r.server_cpu_per_booking or 0)}; load {load:.1f}",
            )
        report.add(
            "booking",
            "postgresql one desk: montu_book vs the statements, p50 (same minutes)",
            _x(server.p50 / statements.p50),
            f"desk CPU {_x((server.desk_cpu_per_booking or 0) / (statements.desk_cpu_per_booking or 1))}",
        )
    week = days[1:6]  # racing desks book anywhere in these five open weekdays
    if pg_book is not None:
        for processes in (1, 4, 8, 16):
            bk.clear_bookings(pg_book)
            r = bk.summarise(
                bk.racing_desks(pg_book, week, warm_day, processes, seconds),
                seconds,
                bk.overlaps_on(pg_book, week),
            )
            tag = f"postgresql week, {processes} processes"
            report.add(
                "booking",
                f"{tag}: attempts/s",
                f"{r.attempts_per_second:.0f}/s",
                f"{r.attempts} attempts, {r.refused} refused",
            )
            report.add(
                "booking",
                f"{tag}: bookings/s",
                f"{r.per_second:.0f}/s",
                "",
                "≥ 500/s" if processes == 16 else "",
                r.per_second >= 500 if processes == 16 else None,
            )
            report.add("booking", f"{tag}: p50", _ms(r.p50))
            report.add(
                "booking",
                f"{tag}: p99",
                _ms(r.p99),
                f"worst {_ms(r.worst)}",
                "≤ 20 ms" if processes == 8 else "",
                r.p99 <= 0.020 if processes == 8 else None,
            )
            report.add(
                "booking", f"{tag}: overlaps afterwards", str(r.overlaps), "", "0", r.overlaps == 0
            )
            report.add("booking", f"{tag}: races the database caught", str(r.races))
            _cpu_rows(report, tag, r)
            if r.errors:
                report.notes.append(f"{tag}: errors seen: {'; '.join(r.errors)}")
    if pg_noguard is not None:
        bk.drop_overlap_guard(pg_noguard)
        for label, span in (("week", week), ("one day", week[:1])):
            bk.clear_bookings(pg_noguard)
            r = bk.summarise(
                bk.racing_desks(pg_noguard, span, warm_day, 16, seconds),
                seconds,
                bk.overlaps_on(pg_noguard, span),
            )
            report.add(
                "booking",
                f"postgresql, guard removed, 16 processes, {label}: overlaps",
                str(r.overlaps),
                f"{r.booked} booked",
                "> 0 (harness sees them)" if label == "one day" else "",
                r.overlaps > 0 if label == "one day" else None,
            )
    bk.clear_bookings(sqlite_book)
    results = bk.racing_desks(sqlite_book, week, warm_day, 8, seconds)
    r = bk.summarise(results, seconds, bk.overlaps_on(sqlite_book, week))
    report.add(
        "booking",
        "sqlite 8 processes, week: attempts/s, bookings/s",
        f"{r.attempts_per_second:.0f}/s, {r.per_second:.0f}/s",
        f"p50 {_ms(r.p50)}, races {r.races}",
    )
    report.add("booking", "sqlite 8 processes: p99", _ms(r.p99), "", "≤ 50 ms", r.p99 <= 0.050)
    report.add("booking", "sqlite 8 processes: worst", _ms(r.worst), "", "≤ 1 s", r.worst <= 1.0)
    share = r.fewest_attempts / r.mean_attempts if r.mean_attempts else 0.0
    report.add(
        "booking",
        "sqlite 8 processes: fewest attempts vs mean",
        f"{r.fewest_attempts} vs {r.mean_attempts:.1f}",
        _x(share),
        "≥ 0.5× mean",
        share >= 0.5,
    )
    _cpu_rows(report, "sqlite 8 processes", r)
    report.add(
        "booking",
        "sqlite 8 processes: overlaps",
        str(r.overlaps),
        "",
        "0 overlaps",
        r.overlaps == 0,
    )
    if r.errors:
        report.notes.append(f"sqlite 8 processes: errors seen: {'; '.join(r.errors)}")


def _cpu_rows(report: Report, tag: str, r: bk.RaceFigures) -> None:
    """CPU per booking: the whole machine's and the desks' own, and the bookings per second
    this machine's cores could give at that cost (the ceiling no harness can beat here)."""
    machine, desks = r.machine_cpu_per_booking, r.desk_cpu_per_booking
    if machine is None or desks is None:
        return
    cores = os.cpu_count() or 1
    server = r.server_cpu_per_booking
    own = desks + (server or 0.0)
    report.add(
        "booking",
        f"{tag}: CPU per booking (whole machine)",
        _ms(machine),
        f"desks' own {_ms(desks)}"
        + (f", their server backends {_ms(server)}" if server is not None else "")
        + f"; ceiling {cores} cores / {_ms(machine)} = {cores / machine:.0f}/s"
        + (f" (desks + backends alone: {cores / own:.0f}/s)" if server is not None else "")
        + f"; load {os.getloadavg()[0]:.1f}",
    )


def settle(report: Report, before: str, idle_share: float = 0.85, longest: float = 90.0) -> None:
    """Wait (at most `longest` seconds) until the machine is mostly idle over two seconds:
    the last section (racing desks, their server processes) must not be in the next timing.
    The load average lags by minutes, so the cores' busy time is read instead."""
    cores = os.cpu_count() or 1
    started = time.monotonic()
    while True:
        busy_before = bk.machine_busy_seconds()
        time.sleep(2)
        busy = (bk.machine_busy_seconds() - busy_before) / (2 * cores)
        if 1 - busy >= idle_share or time.monotonic() - started >= longest:
            break
    report.notes.append(
        f"Before {before}: waited {time.monotonic() - started:.0f} s for the machine to be "
        f"{1 - busy:.0%} idle (1-minute load {os.getloadavg()[0]:.2f}); {machine_speed()}."
    )


def machine_speed() -> str:
    """This VM's speed at the moment, for comparing runs: the same pure-Python work takes
    20-30 % more CPU time when the host is busy, which load and idle time do not show."""
    spent = []
    for _ in range(5):
        began = time.process_time()
        sum(i * i for i in range(1_000_000))
        spent.append(time.process_time() - began)
    return f"a fixed pure-Python loop took {_ms(sorted(spent)[2])} of CPU (median of 5)"


def ui(report: Report, clinic: Clinic) -> None:
    from bench.ui import measure_ui

    figures = measure_ui(clinic)
    if "error" in figures:
        report.notes.append(f"UI probe failed: {figures['error']}")
        return
    shown = float(figures["window_shown_s"])  # type: ignore[arg-type]
    report.add(
        "ui",
        "process start to main window shown (from source)",
        _ms(shown),
        "",
        "≤ 1.5 s",
        shown <= 1.5,
    )
    report.add("ui", "process start to first week grid filled", _ms(float(figures["first_grid_s"])))  # type: ignore[arg-type]
    for name, key, target, limit in (
        ("warm: next week prefetched", "repaints_warm_s", "≤ 16 ms", 0.016),
        ("cold: warm store off", "repaints_cold_s", "≤ 50 ms", 0.050),
    ):
        repaints = sorted(figures[key])  # type: ignore[arg-type]
        if repaints:
            middle = repaints[len(repaints) // 2]
            report.add(
                "ui",
                f"next week key to grid repainted, {name}, 50 doctors (median of {len(repaints)})",
                _ms(middle),
                f"worst {_ms(repaints[-1])}",
                target,
                middle <= limit,
            )
    report.add(
        "ui",
        "peak resident memory after browsing 12 weeks",
        f"{float(figures['peak_rss_mib']):.0f} MiB",
    )  # type: ignore[arg-type]
    peak = float(figures["peak_rss_mib"])  # type: ignore[arg-type]
    report.rows[-1].target, report.rows[-1].met = "≤ 200 MiB", peak <= 200


def startup(report: Report) -> None:
    from bench.startup import measure_startup

    figures = measure_startup(runs=7)
    if "error" in figures:
        report.notes.append(f"Start-up not measured: {figures['error']}")
        return
    load = f"load {figures['load_before']} → {figures['load_after']}"
    if not figures["bundle"]:
        report.notes.append("No installed build in dist/: run packaging/build.sh for that row.")
    for name in ("installed build", "from source"):
        if name not in figures:
            continue
        f = figures[name]
        report.add(
            "ui",
            f"process start to sign-in window shown, {name} (median of {figures['runs']})",
            _ms(f["median_s"]),  # type: ignore[index]
            f"min {_ms(f['min_s'])}, max {_ms(f['max_s'])}; {load}",  # type: ignore[index]
            "≤ 1.5 s" if name == "installed build" else "",
            f["median_s"] <= 1.5 if name == "installed build" else None,  # type: ignore[index]
        )


def api(report: Report, clinic: Clinic, seconds: float) -> None:
    from bench.api import CLIENTS, measure_api

    before = os.getloadavg()[0]
    figures = measure_api(clinic, seconds)
    for what, load in figures.items():
        codes = ", ".join(f"{n}× {code}" for code, n in sorted(load.codes.items()))
        report.add(
            "api",
            f"{what}, {CLIENTS} clients: requests/s",
            f"{load.per_second:.0f}/s",
            f"p50 {_ms(load.percentile(0.5))}, p99 {_ms(load.percentile(0.99))}",
        )
        report.notes.append(f"API {what}: answers {codes}")
    floor = figures.get("floor: bare FastAPI, same bytes")
    cached = figures.get("availability, cached")
    if floor and cached and floor.per_second:
        share = cached.per_second / floor.per_second
        report.add(
            "api",
            "availability, cached, against the floor (interleaved)",
            _x(share),
            f"one uvicorn process, asyncio loop, h11; load {before:.1f} → {os.getloadavg()[0]:.1f}",
            "≥ 0.5× floor",
            share >= 0.5,
        )


def _booking_only(report: Report, monday, backends: list[str], args) -> int:  # type: ignore[no-untyped-def]
    """`bench/run --only booking`: the booking section alone, printed, RESULTS.md untouched."""
    seconds = 1.5 if args.quick else 3.0
    sqlite_book = build_clinic("sqlite", 50, 13, monday, label="book", fresh=args.fresh)
    pg_book = pg_noguard = None
    if "postgresql" in backends:
        pg_book = build_clinic("postgresql", 50, 13, monday, label="book", fresh=args.fresh)
        pg_noguard = build_clinic("postgresql", 50, 13, monday, label="noguard", fresh=args.fresh)
    print(f"Measuring bookings (load {os.getloadavg()[0]:.2f}; {machine_speed()})")
    booking(report, sqlite_book, pg_book, pg_noguard, seconds, 100 if args.quick else 400)
    print(f"load afterwards {os.getloadavg()[0]:.2f}")
    for note in report.notes:
        print(f"  note: {note}")
    return 0


def _ui_only(report: Report, monday, args) -> int:  # type: ignore[no-untyped-def]
    """`bench/run --only ui`: the UI probe alone (start, next-week repaints, memory), printed."""
    clinic = build_clinic("sqlite", 50, 52, monday, fresh=args.fresh)
    settle(report, "the UI probe")
    print(f"Measuring the UI (load {os.getloadavg()[0]:.2f})")
    ui(report, clinic)
    print(f"load afterwards {os.getloadavg()[0]:.2f}")
    for note in report.notes:
        print(f"  note: {note}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and short runs (a smoke test)"
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild every dataset")
    parser.add_argument("--no-peer", action="store_true", help="skip django-appointment")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    parser.add_argument(
        "--render", action="store_true", help="rewrite RESULTS.md from the last run's figures"
    )
    parser.add_argument(
        "--only",
        choices=("booking", "api", "ui"),
        help="run one section (its datasets only); implies --no-write",
    )
    args = parser.parse_args(argv)
    if args.render:
        report, header = load_run(LAST_RUN)
        write_results(report, str(HERE / "RESULTS.md"), header, _notes())
        print(f"Wrote {HERE / 'RESULTS.md'} from {LAST_RUN}")
        return 0
    monday = benchmark_monday()
    pg_reason = pg_available()
    backends = ["sqlite"] + ([] if pg_reason else ["postgresql"])
    report = Report()
    if pg_reason:
        report.notes.append(f"PostgreSQL skipped: {pg_reason}")
    if args.only == "booking":
        return _booking_only(report, monday, backends, args)
    if args.only == "ui":
        return _ui_only(report, monday, args)
    if args.only == "api":
        api(report, build_clinic("sqlite", 50, 13, monday, label="api", fresh=True), 3.0)
        for note in report.notes:
            print(f"  note: {note}")
        return 0
    doctor_sizes = (25, 50) if args.quick else (25, 50, 100, 200)
    histories = (13, 52) if args.quick else (13, 52, 208)
    rounds = 6 if args.quick else 20
    seconds = 1.5 if args.quick else 3.0
    print(f"Benchmark week: {monday.isoformat()} (Melbourne); backends: {', '.join(backends)}")
    print("Building datasets (kept in bench/.data and PostgreSQL between runs)")
    sizes = sorted({(d, 52) for d in doctor_sizes} | {(50, h) for h in histories})
    clinics = {
        (backend, d, h): build_clinic(backend, d, h, monday, fresh=args.fresh)
        for backend in backends
        for d, h in sizes
    }
    book_doctors = 50
    sqlite_book = build_clinic("sqlite", book_doctors, 13, monday, label="book", fresh=args.fresh)
    pg_book = pg_noguard = None
    if "postgresql" in backends:
        pg_book = build_clinic(
            "postgresql", book_doctors, 13, monday, label="book", fresh=args.fresh
        )
        pg_noguard = build_clinic(
            "postgresql", book_doctors, 13, monday, label="noguard", fresh=args.fresh
        )
    settle(report, "measuring (datasets were being built)")
    print("Measuring")
    peer_and_naive(report, clinics[("sqlite", 50, 52)], 3 if args.quick else 5, not args.no_peer)
    availability_matrix(report, clinics, rounds)
    booking(report, sqlite_book, pg_book, pg_noguard, seconds, 100 if args.quick else 400)
    settle(report, "the UI probe")
    ui(report, clinics[("sqlite", 50, 52)])
    api_clinic = build_clinic("sqlite", book_doctors, 13, monday, label="api", fresh=True)
    api(report, api_clinic, seconds)
    settle(report, "start-up")
    startup(report)
    if not args.no_write:
        header = [
            "## Data",
            f"- Benchmark week starting {monday.isoformat()}; the product's clock is 07:00 that Monday.",
            "- Clinics from the product's demo data (types 15/30/45/60 min, rosters with breaks), "
            "history copied back week by week; availability asks for the 60-minute type.",
            f"- Booking clinics: {book_doctors} doctors, 13 weeks of history, 'Standard' (15 min) "
            f"bookings; racing desks book any 15-minute start of one week (5 open weekdays) "
            f"for {seconds:g} s, each with its own patients (reused in turn).",
            f"- Mode: {'quick' if args.quick else 'full'}; measured "
            f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
        ]
        save_run(LAST_RUN, report, header)
        write_results(report, str(HERE / "RESULTS.md"), header, _notes())
        print(f"Wrote {HERE / 'RESULTS.md'}")
    for note in report.notes:
        print(f"  note: {note}")
    missed = [r for r in report.rows if r.met is False]
    print(f"{len(report.rows)} figures, {len(missed)} targets missed")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
