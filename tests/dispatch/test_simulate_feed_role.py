"""A feed (an AVL or MDT device, such as the simulator) may report a unit en route and on scene, and nothing
else: judged by the pure rules, for every step the state machine allows a dispatcher."""
from __future__ import annotations

from datetime import timezone

import pytest

from dispatch.commands import Centre, Context, Rejected, decide
from dispatch.domain import ATTACHED_STATUSES, UNIT_TRANSITIONS

STEPS = [(current, target) for current, targets in UNIT_TRANSITIONS.items() for target in sorted(targets)]


def state_with_unit(status: str) -> dict:
    incident_id = "I1" if status in ATTACHED_STATUSES else None
    return {"units": {"U0": {"unit_id": "U0", "callsign": "P-0", "status": status, "incident_id": incident_id}},
            "incidents": {"I1": {"incident_id": "I1", "status": "dispatched", "units": ["U0"]}},
            "cameras": {}, "checkpoints": {}, "grids": {}}


def judge(role: str, current: str, target: str):
    return decide(state_with_unit(current), "unit.status", {"unit_id": "U0", "status": target},
                  Context(role, "live", lambda lon, lat: None, "2026-12-02T06:00:00.000Z", Centre("T", timezone.utc)))


@pytest.mark.parametrize("current,target", STEPS)
def test_a_feed_may_report_enroute_and_onscene_and_no_other_status(current, target):
    assert judge("dispatcher", current, target)  # a step the dispatcher may take
    if target in ("enroute", "onscene"):
        assert judge("feed", current, target) == judge("dispatcher", current, target)
    else:
        with pytest.raises(Rejected) as refused:
            judge("feed", current, target)
        assert refused.value.code == "forbidden"
        assert refused.value.message == f"a feed may report only enroute or onscene, not {target}"


def test_a_feed_still_follows_the_state_machine():
    with pytest.raises(Rejected) as refused:
        judge("feed", "available", "onscene")
    assert refused.value.code == "invalid_transition"
