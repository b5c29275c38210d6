"""Lets `python -m montu_desktop` behave exactly like the `montu-desktop` command."""

from montu_desktop.cli import main

raise SystemExit(main())
