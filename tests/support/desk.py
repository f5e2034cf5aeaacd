"""A desk: one sender's commands judged by the server's own ledger (dispatch/ledger.py) and committed at
once, for the rule tests; a nack is raised as `Rejected`."""
from __future__ import annotations

from datetime import timezone

import orjson

from dispatch.commands import Centre, Rejected
from dispatch.ledger import Ledger
from dispatch.reducer import State


class Desk:
    def __init__(self, state: State, role: str = "dispatcher", namespace: str = "live",
                 grid_at=lambda lon, lat: None, nearby=None):
        """`nearby`: a dispatch.nearby.Nearby, for alarms' stations and cameras (None: there are none)."""
        self.ledger = Ledger(namespace, state, 0, "", centre=Centre("T", timezone.utc), grid_at=grid_at,
                             nearby=nearby)
        self.role = role
        self.sent = 0

    @property
    def state(self) -> State:
        return self.ledger.committed_state

    @staticmethod
    def ts(seq: int) -> str:
        """The time of a command whose first event is `seq`: one second per seq, from 06:00 UTC."""
        return f"2026-12-02T{6 + seq // 3600:02d}:{seq // 60 % 60:02d}:{seq % 60:02d}.000Z"

    def do(self, cmd: str, **args) -> list[dict]:
        self.sent += 1
        msg = {"id": f"c{self.sent}", "cmd": cmd, "args": args}
        outcome = self.ledger.judge("desk", "a", self.role, msg, None, self.ts(self.ledger.seq + 1))
        self.ledger.committed(self.ledger.take_group())
        if isinstance(outcome, bytes):
            nack = orjson.loads(outcome)
            raise Rejected(nack["code"], nack["message"])
        return outcome.events
