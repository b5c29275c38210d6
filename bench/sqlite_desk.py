"""One desk booking on SQLite, alone: the `--only booking` section's first figures in seconds.

`python -m bench.sqlite_desk` (with PYTHONPATH at the work tree, as bench/run sets it)
builds or reuses the booking clinic, then books `--count` times in a row on an empty day,
`--rounds` times, and prints p50, p99 and the desk's CPU per booking with the load beside
them; `--race 8` has 8 desks race over a week instead, as the booking section's last figures. `--compare` alternates batches of the one-transaction path and the statements path
(the same minutes, so their ratio holds under load); `--profile FILE` writes cProfile
stats of one more batch.
"""

from __future__ import annotations

import argparse
import cProfile
import os

from bench import booking as bk
from bench.dataset import benchmark_monday, build_clinic
from bench.main import _ms


def _batch(clinic, day, count: int, mode: str) -> bk.DeskResult:  # type: ignore[no-untyped-def]
    bk.clear_bookings(clinic)
    return bk.single_desk(clinic, day, count, statements=mode == "statements")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sqlite_desk", description=__doc__)
    parser.add_argument("--count", type=int, default=400, help="bookings per batch")
    parser.add_argument("--rounds", type=int, default=1, help="batches (per mode)")
    parser.add_argument("--compare", action="store_true", help="alternate with the statements")
    parser.add_argument("--profile", metavar="FILE", help="cProfile one more batch into FILE")
    parser.add_argument(
        "--race", type=int, metavar="DESKS", help="instead: DESKS racing processes for 3 s"
    )
    args = parser.parse_args(argv)
    clinic = build_clinic("sqlite", 50, 13, benchmark_monday(), label="book")
    days = bk.open_weekdays(clinic, 7)
    day = days[0]
    if args.race:
        bk.clear_bookings(clinic)
        load = os.getloadavg()[0]
        week = days[1:6]
        r = bk.summarise(
            bk.racing_desks(clinic, week, days[6], args.race, 3.0),
            3.0,
            bk.overlaps_on(clinic, week),
        )
        print(
            f"sqlite {args.race} desks: {r.per_second:.0f} bookings/s, p50 {_ms(r.p50)}, "
            f"p99 {_ms(r.p99)}, worst {_ms(r.worst)}, overlaps {r.overlaps}, fewest attempts "
            f"{r.fewest_attempts} vs mean {r.mean_attempts:.1f}; load {load:.2f}"
        )
        return 0
    modes = ["fast", "statements"] if args.compare else ["fast"]
    batches: dict[str, list[bk.DeskResult]] = {m: [] for m in modes}
    loads = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        for mode in modes:
            batches[mode].append(_batch(clinic, day, args.count, mode))
        loads.append(os.getloadavg()[0])
    for mode, results in batches.items():
        r = bk.summarise(results, 1.0, 0)
        print(
            f"sqlite one desk, {mode}: p50 {_ms(r.p50)}, p99 {_ms(r.p99)}, "
            f"desk CPU {_ms(r.desk_cpu_per_booking or 0)} ({r.booked} booked, "
            f"{r.refused} refused, errors {r.errors or 'none'}); "
            f"load {min(loads):.2f}-{max(loads):.2f}"
        )
    if args.profile:
        profiler = cProfile.Profile()
        bk.clear_bookings(clinic)
        profiler.enable()
        bk._single_desk_process((clinic, day, bk.patient_ids(clinic)[: args.count], False))
        profiler.disable()
        profiler.dump_stats(args.profile)
        print(f"profile written to {args.profile}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
