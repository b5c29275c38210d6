"""`montu-desktop` with every CSV row of an export written slowly (2 ms), so that a test can
kill the process while the file is half written. Everything else is the product's code."""

from __future__ import annotations

import csv
import sys
import time
import types
from typing import Any

from montu_desktop import cli
from montu_desktop.services import exports


class _SlowWriter:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def writerow(self, row: Any) -> Any:
        time.sleep(0.002)
        return self._inner.writerow(row)

    def writerows(self, rows: Any) -> None:
        for row in rows:
            self.writerow(row)


exports.csv = types.SimpleNamespace(  # type: ignore[assignment]
    writer=lambda handle, **options: _SlowWriter(csv.writer(handle, **options))
)
sys.exit(cli.main(sys.argv[1:]))
