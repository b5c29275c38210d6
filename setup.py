"""Build hook: the top-level db/ (Alembic) and resources/ folders travel inside the package.

db/ and resources/ stay the source of truth at the top level; a wheel (pip install ., pipx)
carries copies as montu_desktop._migrations and montu_desktop._resources, which
persistence/migrate.py and ui/style.py look for next to the installed package.
"""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent
SHIPPED = {"montu_desktop._migrations": "db", "montu_desktop._resources": "resources"}


def shipped_packages() -> dict[str, list[str]]:
    """Every folder of db/ and resources/ (no caches) as a data package, with all its files."""
    found: dict[str, list[str]] = {}
    for package, folder in SHIPPED.items():
        for path in [ROOT / folder, *sorted((ROOT / folder).rglob("*"))]:
            if path.is_dir() and path.name != "__pycache__":
                relative = path.relative_to(ROOT / folder).parts
                found[".".join((package, *relative))] = ["*"]
    return found


DATA = shipped_packages()

setup(
    packages=[*find_packages(include=["montu_desktop", "montu_desktop.*"]), *DATA],
    package_dir=SHIPPED,
    package_data=DATA,
    exclude_package_data={"": ["*.pyc"]},
)
