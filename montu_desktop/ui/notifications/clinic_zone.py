"""The clinic's time zone for showing times, or UTC before a clinic is set up."""

from __future__ import annotations

from montu_desktop.domain.errors import NoSchedule
from montu_desktop.services import reference
from montu_desktop.services.context import ServiceContext


def clinic_zone(ctx: ServiceContext) -> str:
    try:
        return reference.clinic_policy(ctx).timezone
    except NoSchedule:
        return "UTC"
