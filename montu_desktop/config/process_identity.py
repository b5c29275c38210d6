"""Which process on which boot of which machine this is, and whether such a process still runs.

An API request claims its Idempotency-Key under this process's identity; a retry after a
crash (kill -9, power cut, restart) asks whether the claimant still runs and takes the claim
over when it does not. Only claimants on this machine can be checked; for another machine's
the caller falls back to the request's time limit.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

_PROC = Path("/proc")
_SEP = "|"
_cache: tuple[int, str] | None = None


def _boot_id() -> str:
    """This boot of this machine (Linux: a new random id at every boot), else '?'."""
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip() or "?"
    except OSError:
        return "?"


def _start_ticks(pid: int) -> str | None:
    """When the process started (clock ticks since boot; Linux), None when there is none."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count after its last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def this_process() -> str:
    """'HOST|BOOT|PID|START' for the calling process (worked out again after a fork)."""
    global _cache
    pid = os.getpid()
    if _cache is None or _cache[0] != pid:
        host = socket.gethostname()[:40].replace(_SEP, "_")
        parts = (host, _boot_id(), str(pid), _start_ticks(pid) or "?")
        _cache = (pid, _SEP.join(parts))
    return _cache[1]


def is_gone(identity: str) -> bool | None:
    """True when the process `identity` names surely no longer runs, False when it surely
    does, None when this process cannot tell (another machine, or no /proc to ask)."""
    mine = this_process()
    if identity == mine:
        return False
    parts = identity.split(_SEP)
    here = mine.split(_SEP)
    if len(parts) != 4 or parts[0] != here[0] or "?" in (parts[1], here[1]):
        return None
    if parts[1] != here[1]:
        return True  # this machine has restarted since
    if parts[3] == "?" or not parts[2].isdigit():
        return None
    return _start_ticks(int(parts[2])) != parts[3]
