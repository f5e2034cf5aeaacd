"""The dispatch domain: unit and incident statuses and the state machines that govern them.

docs/state-machines.md draws these tables; keep the two in step.
"""
from __future__ import annotations

UNIT_STATUSES = ("available", "dispatched", "enroute", "onscene", "busy", "offduty")
INCIDENT_STATUSES = ("new", "dispatched", "onscene", "closed")
# Alarms (docs/state-machines.md): raised by a device (a one-key alarm app, an intrusion panel), then
# acknowledged by a dispatcher, and ended as an incident or as a false alarm.
ALARM_KINDS = ("panic", "audio", "text", "video", "intrusion")
# A perimeter sensor's alert (`sensor.alert`, seed: the border stations' radar-camera linkage 雷球联动) is an
# alarm of one of these kinds, with the cameras whose view covers where it fired.
SENSOR_KINDS = ("radar", "infrared", "fence", "vibration")
ALARM_STATUSES = ("raised", "acknowledged", "incident", "false")
OPEN_ALARM_STATUSES = frozenset({"raised", "acknowledged"})
# What each alarm command may start from; any other status is a `conflict` naming it.
ALARM_TRANSITIONS: dict[str, frozenset[str]] = {
    "alarm.acknowledge": frozenset({"raised"}),
    "alarm.to_incident": frozenset({"raised", "acknowledged"}),
    "alarm.close_false": frozenset({"raised", "acknowledged"}),
}
FALSE_ALARM_REASONS = ("misdial", "test", "device_fault", "prank", "other")
# A camera's state is what was last observed of it; "unknown" until someone has looked.
CAMERA_STATES = ("online", "offline", "unknown")
# A camera with a direction but no fov_deg in its city pack (OSM gives many a direction only) is taken to
# see this wide: the map draws its cone so, and a sensor alert's cameras are chosen so (dispatch/nearby.py).
DEFAULT_CAMERA_FOV_DEG = 60.0

# Unit status changes a `unit.status` command may make. `dispatched` is reached only by `unit.assign`
# (it needs an incident), and `available` from a closed incident by `incident.close`.
UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    "available": frozenset({"busy", "offduty"}),
    "dispatched": frozenset({"enroute", "onscene", "available", "busy"}),
    "enroute": frozenset({"onscene", "available", "busy"}),
    "onscene": frozenset({"available", "busy"}),
    "busy": frozenset({"available", "offduty"}),
    "offduty": frozenset({"available"}),
}

# Statuses in which a unit is working an incident (keeps its incident_id).
ATTACHED_STATUSES = frozenset({"dispatched", "enroute", "onscene"})

# A grid officer (网格员) walks its cells: it reports grid cases and verifies them on site (dispatch/grid_cases.py).
ROLES = ("viewer", "dispatcher", "supervisor", "feed", "trainer", "grid")

# Commands each role may send. A trainer may send anything, in exercise namespaces only (checked apart).
CORE_COMMANDS = frozenset({"incident.create", "unit.assign", "unit.status", "unit.position", "incident.close"})
FEED_COMMANDS = frozenset({"unit.position", "unit.status", "camera.status", "device.seen", "alarm.raise",
                           "sensor.alert", "plate.read"})
# What a field-device gateway (TAK, docs/tak.md) may also raise: an incident from the field (a clue report),
# always with source "field_unit", and notes on incidents (a follow-up word). Its emergencies are alarms.
FEED_INCIDENT_COMMANDS = frozenset({"incident.create", "incident.note"})
# The statuses a feed (an AVL or MDT device) may report: how the unit is getting on with its incident.
# Assigning, clearing and taking units off duty stay with the dispatchers.
FEED_UNIT_STATUSES = frozenset({"enroute", "onscene"})
# Field devices a gateway reported and the units dispatchers attached them to.
DEVICE_COMMANDS = frozenset({"device.attach", "device.detach"})
# Handling an alarm is a dispatcher's (or supervisor's) work; raising one is also a feed's (alarm.raise).
ALARM_COMMANDS = frozenset({"alarm.acknowledge", "alarm.to_incident", "alarm.close_false"})
# Watchlists (布控, docs/anpr.md) are kept by supervisors; a hit is handled by a dispatcher or supervisor.
WATCHLIST_COMMANDS = frozenset({"watchlist.add", "watchlist.remove"})
HIT_COMMANDS = frozenset({"hit.accept", "hit.reject"})
# Grid cases (网格事件, GB/T 30428: report, register, dispatch, handle, verify, close, rate): the centre runs
# them, records the departments' steps, and has the citizen's rating; a grid officer reports and verifies.
CASE_COMMANDS = frozenset({"case.report", "case.register", "case.reject", "case.dispatch", "case.start",
                           "case.handle", "case.return", "case.verify", "case.close", "case.rate"})
GRID_COMMANDS = frozenset({"case.report", "case.verify"})
# Verifying is done on site: by the cell's grid officer, or a supervisor; not by a dispatcher at the desk.
CASE_VERIFY = frozenset({"case.verify"})
ALL_COMMANDS = (CORE_COMMANDS | FEED_COMMANDS | DEVICE_COMMANDS | ALARM_COMMANDS | WATCHLIST_COMMANDS
                | HIT_COMMANDS | CASE_COMMANDS | {"incident.note", "bookmark.add"})
# The log's history, for replays: any instant's state, the events of a span, the timeline's counts.
HISTORY_READS = frozenset({"history.bounds", "history.seq", "history.state", "history.events", "history.density"})
# Reads change nothing and produce no event; the ack carries the answer. A viewer may read an incident's
# history (and send nothing else); the log's history is for those who may send commands.
READ_COMMANDS = frozenset({"incident.history"}) | HISTORY_READS
ROLE_COMMANDS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"incident.history"}),
    "dispatcher": (ALL_COMMANDS - WATCHLIST_COMMANDS - CASE_VERIFY) | READ_COMMANDS,
    "supervisor": ALL_COMMANDS | READ_COMMANDS,
    "feed": FEED_COMMANDS | FEED_INCIDENT_COMMANDS,
    "trainer": ALL_COMMANDS | READ_COMMANDS,
    "grid": GRID_COMMANDS,
}
# Roles whose connections receive callers' personal data (name, call-back number); every other role gets
# each frame without it.
PERSONAL_DATA_ROLES = frozenset({"dispatcher", "supervisor", "trainer"})
# Events only those roles receive at all; everyone else gets a `withheld` event in their place (its seq and
# time, nothing of what it said), and states without the collections they fill (dispatch/privacy.py).
RESTRICTED_EVENTS = frozenset({"plate.read", "plate.hit", "hit.accepted", "hit.rejected", "watchlist.added",
                               "watchlist.removed"})
RESTRICTED_COLLECTIONS = ("watchlist", "hits")
HIT_STATUSES = ("open", "accepted", "rejected")
HIT_REJECT_REASONS = ("misread", "not_the_vehicle", "other")

LIVE = "live"
EXERCISE_PREFIX = "exercise:"
# Real past calls imported from a CAD export (dispatch/cad_import.py): read-only, no command is taken there.
HISTORY_PREFIX = "history:"


def is_exercise(namespace: str) -> bool:
    return namespace.startswith(EXERCISE_PREFIX)


def is_history(namespace: str) -> bool:
    return namespace.startswith(HISTORY_PREFIX)


def valid_namespace(namespace: object) -> bool:
    if namespace == LIVE:
        return True
    if not isinstance(namespace, str):
        return False
    for prefix in (EXERCISE_PREFIX, HISTORY_PREFIX):
        if namespace.startswith(prefix):
            name = namespace[len(prefix):]
            return 0 < len(name) <= 64 and all(c.isalnum() or c in "-_." for c in name)
    return False
