"""Entry point of the installed build: the same `montu-desktop` command as when run from source."""

import multiprocessing
import sys

from montu_desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
