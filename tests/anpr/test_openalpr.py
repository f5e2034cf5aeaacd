"""OpenALPR webhooks read into plate reads (anpr/openalpr.py). The sample bodies follow the documented shapes
(openalpr/doc source/app_integration.include for alpr_group and heartbeat; alpr_alert as cited in the module);
a malformed body is refused with a ValueError naming what is missing or wrong."""
from __future__ import annotations

import copy
import json
import re

import pytest

from anpr.openalpr import PlateRead, parse_webhook
from support.openalpr import AGENT, ALERT, GROUP, HEARTBEAT



def test_a_group_is_one_read():
    assert parse_webhook(json.dumps(GROUP).encode()) == PlateRead(
        AGENT, "2090267338", "粤S12345", 90.2536163330078, 1538924513.527, 285.945404052734, None)


def test_the_image_url_is_the_agents_when_its_address_is_known():
    read = parse_webhook(GROUP, agent_host="10.20.0.7")
    assert read.image_url == f"http://10.20.0.7:8355/img/{AGENT}-2090267338-1538924513527.jpg"


def test_an_alert_is_its_groups_read_with_the_alerts_plate():
    body = copy.deepcopy(ALERT)
    body["plate_number"] = "粤S 12345"
    read = parse_webhook(json.dumps(body, ensure_ascii=False))
    assert (read.agent_uid, read.camera_id, read.plate, read.time) == (AGENT, "2090267338", "粤S 12345", 1538924513.527)
    del body["plate_number"]
    assert parse_webhook(body).plate == "粤S12345"


def test_direction_and_image_are_optional_and_a_camera_id_may_be_text():
    body = {k: v for k, v in GROUP.items() if k not in ("travel_direction", "best_uuid")} | {"camera_id": "lane-2"}
    read = parse_webhook(body, agent_host="10.20.0.7")
    assert (read.camera_id, read.direction, read.image_url) == ("lane-2", None, None)


def test_a_heartbeat_is_no_read():
    assert parse_webhook(json.dumps(HEARTBEAT)) is None


def changed(body, **fields):
    return {k: v for k, v in body.items() if k not in fields} | {k: v for k, v in fields.items() if v is not ...}


MALFORMED = [
    (b"{not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[1, 2]", "JSON list, not an object"),
    (b"[" * 100_000, "not JSON"),
    (json.dumps({"version": 2}), "data_type None"),
    (json.dumps(changed(GROUP, data_type="alpr_results")), "data_type 'alpr_results'"),
    (changed(GROUP, best_plate_number=...), "'best_plate_number' is missing"),
    (changed(GROUP, best_plate_number="  "), "'best_plate_number' is missing or not text"),
    (changed(GROUP, best_plate_number=12345), "'best_plate_number' is missing or not text"),
    (changed(GROUP, agent_uid=...), "'agent_uid' is missing"),
    (changed(GROUP, camera_id=...), "'camera_id' is missing"),
    (changed(GROUP, camera_id=True), "'camera_id'"),
    (changed(GROUP, best_confidence="high"), "'best_confidence' is missing or not a number"),
    (changed(GROUP, best_confidence=130.0), "'best_confidence' 130.0 is not a percentage"),
    ('{"data_type": "alpr_group", "agent_uid": "A", "camera_id": 1, "best_plate_number": "X1",'
     ' "best_confidence": NaN, "epoch_start": 1}', "'best_confidence' is missing or not a number"),
    (changed(GROUP, epoch_start=...), "'epoch_start' is missing"),
    (changed(GROUP, epoch_start=-5), "'epoch_start' -5 is not a time"),
    (changed(GROUP, travel_direction="north"), "'travel_direction' is missing or not a number"),
    (changed(GROUP, best_uuid=7), "'best_uuid'"),
    (changed(ALERT, group=...), "alpr_alert: 'group' is missing"),
    (changed(ALERT, group=[1]), "alpr_alert: 'group' is missing or not an object"),
    (changed(ALERT, group=changed(ALERT["group"], best_confidence=...)), "alpr_alert group: 'best_confidence'"),
    (changed(ALERT, plate_number=""), "alpr_alert: 'plate_number'"),
]


@pytest.mark.parametrize("body, complaint", MALFORMED)
def test_a_malformed_body_is_refused_naming_what_is_wrong(body, complaint):
    with pytest.raises(ValueError, match=re.escape(complaint)):
        parse_webhook(body, agent_host="10.20.0.7")
