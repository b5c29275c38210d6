"""The database's own failures, named here so services can catch them without SQLAlchemy.

Services catch `DatabaseError` (any failure talking to the database) or `IntegrityError`
(a constraint refused a write); the refusals the product explains in its own words are in
`persistence/conflicts.py`.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import SQLAlchemyError as DatabaseError

__all__ = ["DBAPIError", "DatabaseError", "IntegrityError", "OperationalError"]
