"""This PC's desk settings: how long the window waits, unused, before it locks."""

from __future__ import annotations

import json
import os

from montu_desktop.config import paths

DEFAULT_IDLE_LOCK_MINUTES = 10.0
ENV_VAR = "MONTU_IDLE_LOCK_MINUTES"
_FILE = "desk.json"


def idle_lock_minutes() -> float:
    """Minutes without keyboard or mouse before the desk locks (0 = never): the environment
    variable, else `idle_lock_minutes` in desk.json in the config folder, else 10."""
    text = os.environ.get(ENV_VAR)
    if text is None:
        path = paths.config_dir() / _FILE
        if path.exists():
            try:
                text = str(json.loads(path.read_text(encoding="utf-8"))["idle_lock_minutes"])
            except (ValueError, KeyError, TypeError):
                text = None
    try:
        minutes = float(text) if text is not None else DEFAULT_IDLE_LOCK_MINUTES
    except ValueError:
        return DEFAULT_IDLE_LOCK_MINUTES
    return max(0.0, minutes)

