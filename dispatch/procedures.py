"""A city's standing procedures: how an incident may be closed (disposition codes) and which units each
kind of incident needs (run cards). City packs carry them in city.json (docs/city-pack.md); packs without
them use the defaults here. Plain data, no I/O: the rules and the recommender read them as given.
"""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CARD = "default"  # the run card of every incident kind a pack's run_cards does not name

# code, English label, Chinese label: outcomes for police, fire and EMS calls.
DEFAULT_DISPOSITIONS: tuple[dict[str, str], ...] = tuple(
    {"code": code, "label": label, "label_zh": label_zh} for code, label, label_zh in (
        ("REPORT", "Report taken", "已立案"),
        ("ARREST", "Arrest made", "已抓获"),
        ("CITATION", "Citation issued", "已开具罚单"),
        ("ADVISED", "Advised / warned", "已劝诫警告"),
        ("RESOLVED", "Resolved on scene", "现场已处置"),
        ("NO_TRACE", "Gone on arrival / no trace", "到场未发现"),
        ("FALSE_ALARM", "False alarm", "误报"),
        ("DUPLICATE", "Duplicate of another incident", "重复报警"),
        ("REFERRED", "Referred to another agency", "已移交其他部门"),
        ("FIRE_OUT", "Fire extinguished", "火已扑灭"),
        ("TRANSPORTED", "Patient transported to hospital", "已送医"),
        ("TREATED", "Treated on scene, not transported", "现场救治未送医"),
        ("CANCELLED", "Cancelled by the caller", "报警人取消"),
    )
)

# incident kind -> what it needs: each need is a count of units of any of the listed unit kinds.
DEFAULT_RUN_CARDS: dict[str, list[dict]] = {
    DEFAULT_CARD: [{"kinds": ["patrol"], "count": 1}],
    "theft": [{"kinds": ["patrol"], "count": 1}],
    "burglary": [{"kinds": ["patrol"], "count": 2}],
    "robbery": [{"kinds": ["patrol"], "count": 2}],
    "assault": [{"kinds": ["patrol"], "count": 2}, {"kinds": ["ems"], "count": 1}],
    "fight": [{"kinds": ["patrol"], "count": 2}],
    "traffic accident": [{"kinds": ["traffic", "patrol"], "count": 1}, {"kinds": ["ems"], "count": 1}],
    "fire": [{"kinds": ["fire"], "count": 2}, {"kinds": ["ems"], "count": 1}],
    "medical": [{"kinds": ["ems"], "count": 1}],
    "disturbance": [{"kinds": ["patrol"], "count": 1}],
    "suspicious person": [{"kinds": ["patrol"], "count": 1}],
    "missing person": [{"kinds": ["patrol"], "count": 2}],
    "domestic": [{"kinds": ["patrol"], "count": 2}],
}


def disposition_codes(dispositions) -> frozenset[str]:
    return frozenset(d["code"] for d in dispositions)


DEFAULT_DISPOSITION_CODES = disposition_codes(DEFAULT_DISPOSITIONS)


@dataclass(frozen=True)
class Need:
    """`count` units of any of `kinds`; `met` of them are assigned to the incident now."""

    kinds: tuple[str, ...]
    count: int
    met: int = 0

    @property
    def name(self) -> str:
        return " or ".join(self.kinds)


def card_for(run_cards: dict[str, list[dict]], incident_kind: str) -> list[Need]:
    """The needs of an incident kind: its own card, else the default card."""
    card = run_cards.get(incident_kind, run_cards[DEFAULT_CARD])
    return [Need(tuple(need["kinds"]), need["count"]) for need in card]


def fill(needs: list[Need], unit_kinds) -> tuple[list[Need], list[tuple[int, int] | None]]:
    """Give each unit (by kind, in order) to the first need of its kind still short. Returns the needs with
    what they now have and, per unit, (index of the need it filled, how many that need has with it), or
    None for a unit the card does not need."""
    met = [need.met for need in needs]
    filled: list[tuple[int, int] | None] = []
    for kind in unit_kinds:
        index = next((i for i, need in enumerate(needs) if kind in need.kinds and met[i] < need.count), None)
        if index is None:
            filled.append(None)
        else:
            met[index] += 1
            filled.append((index, met[index]))
    return [Need(need.kinds, need.count, m) for need, m in zip(needs, met)], filled


def needs_of(state: dict, incident_id: str, run_cards: dict[str, list[dict]]) -> list[Need]:
    """The incident's run card, with how many of each need its assigned units meet."""
    incident = state["incidents"][incident_id]
    units = state["units"]
    kinds = [units[u].get("kind") for u in incident["units"] if u in units]
    needs, _ = fill(card_for(run_cards, incident["kind"]), kinds)
    return needs
