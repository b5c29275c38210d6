"""`schedules generate` (and the demo data) rebuild schedules without losing leave or extra sessions."""

from __future__ import annotations

from datetime import time

from montu_desktop.domain.roster_rules import ExceptionKind, RosterException
from montu_desktop.services.admin import rosters
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.schedules import regenerate_schedules
from tests.integration.test_admin_rosters import blocks_on
from tests.integration.test_admin_settings import TUESDAY, at, set_up_clinic


def test_regenerating_keeps_leave_and_extra_sessions(ctx: ServiceContext) -> None:
    ada, ben = set_up_clinic(ctx)
    rosters.add_exception(
        ctx, RosterException(ada, TUESDAY, ExceptionKind.LEAVE, time(9), time(11))
    )
    rosters.add_exception(
        ctx, RosterException(ben, TUESDAY, ExceptionKind.EXTRA, time(12), time(13))
    )
    before = blocks_on(ctx, TUESDAY)
    regenerate_schedules(ctx)
    assert blocks_on(ctx, TUESDAY) == before
    assert (ben, at(TUESDAY, 12), at(TUESDAY, 13), "extra") in before
    assert all(
        not (who == ada and s < at(TUESDAY, 11) and e > at(TUESDAY, 9)) for who, s, e, _ in before
    )
