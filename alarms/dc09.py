"""SIA DC-09 (ANSI/SIA DC-09-2013) as alarm-receiving centres get it from alarm panels over TCP, sans I/O.

A frame is LF, CRC (4 hex), length (4 hex), "ID" token, sequence, receiver, line prefix, #account, [data],
timestamp, CR. `Framer` cuts a connection's bytes into frames, bounded; `Receiver` reads each with pysiaalarm
(SIA-DCS and ADM-CID, whose Contact ID codes it maps to SIA codes; AES for panels with a key) and says what
goes back to the panel and what, if anything, goes to OneMap.

What the panel is answered is what pysiaalarm answers per the standard: ACK for a message received without
errors, NAK for one whose timestamp is outside the accepted window (and, framed with the receiver's time,
for one from an account that is not in the panel table), DUH
for a correctly received message with a code it does not know. A frame that cannot be read, or whose CRC is
wrong, gets no answer: the standard has none, and the panel sends it again.

Only an alarm becomes an `alarm.raise` (ALARM_CODES); anything else a panel says (restores, openings and
closings, troubles, tests, fire and medical alarms, which go to their own centres) is acknowledged, counted by
code and logged, and raises nothing.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from pysiaalarm import SIAAccount
from pysiaalarm.errors import EventFormatError, NoAccountError
from pysiaalarm.event import NAKEvent, OHEvent, SIAEvent
from pysiaalarm.utils import ResponseType

from alarms.panels import PanelTable

log = logging.getLogger("onemap.alarms.dc09")

LF, CR = 0x0A, 0x0D
MAX_FRAME_BYTES = 2048  # DC-09 frames are a few hundred bytes; extended data leaves room
# SIA codes that are alarms for a police centre -> OneMap's alarm kind (ADM-CID codes arrive mapped to these).
ALARM_CODES = {
    "PA": "panic",  # panic alarm: emergency assistance request, manually activated (Contact ID 120)
    "HA": "panic",  # holdup alarm: silent, user under duress (Contact ID 121-125)
    "QA": "panic",  # emergency alarm: emergency assistance request (Contact ID 101)
    "BA": "intrusion",  # burglary alarm: a zone violated while armed (Contact ID 130-134, 138-140)
    "BV": "intrusion",  # burglary verified
    "TA": "intrusion",  # tamper alarm (Contact ID 137)
}
# How long a message's timestamp may lie before and after the receiver's clock (seconds): pysiaalarm's
# default, as the standard's timestamp test asks of encrypted messages.
TIMEBAND_S = (40, 20)


@dataclass(frozen=True)
class Reception:
    outcome: str  # alarm, not_an_alarm, heartbeat, malformed, bad_crc, unknown_account, bad_timestamp, unknown_code
    reply: bytes | None  # to the panel; None: nothing
    command: tuple[str, dict] | None = None  # to OneMap
    code: str | None = None


class Framer:
    """A connection's bytes -> frames (LF ... CR, without them); what lies between frames, and frames over
    MAX_FRAME_BYTES, are dropped and counted in `dropped_bytes`."""

    def __init__(self):
        self._buffer = bytearray()
        self.dropped_bytes = 0
        self.oversized = 0

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        frames = []
        while True:
            end = self._buffer.find(CR)
            if end < 0:
                if len(self._buffer) > MAX_FRAME_BYTES:  # no end in sight: drop it, look for the next start
                    self.oversized += 1
                    self.dropped_bytes += len(self._buffer)
                    self._buffer.clear()
                return frames
            start = self._buffer.rfind(LF, 0, end)  # a frame starts at the last LF before its CR
            if start < 0:
                self.dropped_bytes += end + 1
            elif end - start - 1 > MAX_FRAME_BYTES:
                self.oversized += 1
                self.dropped_bytes += end + 1
            else:
                self.dropped_bytes += start
                frames.append(bytes(self._buffer[start + 1:end]))
            del self._buffer[:end + 1]


class Receiver:
    def __init__(self, panels: PanelTable, now=time.time):
        self.panels = panels
        self.now = now
        self.accounts = {p.account: SIAAccount(p.account, p.key, allowed_timeband=TIMEBAND_S)
                         for p in panels.by_account.values()}

    def receive(self, frame: bytes) -> Reception:
        line = frame.decode("ascii", errors="replace").strip()
        try:
            event = SIAEvent.from_line(line, self.accounts)
        except NoAccountError:  # encrypted, from an account without a key here
            return Reception("unknown_account", NAKEvent().create_response())
        except EventFormatError:
            return Reception("malformed", None)
        except Exception:  # pysiaalarm meeting input it did not expect: that frame's problem only
            log.exception("DC-09 frame pysiaalarm could not read: %r", line[:200])
            return Reception("malformed", None)
        if isinstance(event, OHEvent):
            return Reception("heartbeat", event.create_response())
        if not event.valid_message:
            return Reception("bad_crc", None)
        if event.sia_account is None:  # pysiaalarm's bare "NAK" is no frame: a framed one, with the time
            return Reception("unknown_account", NAKEvent().create_response())
        reply = event.create_response()
        if event.code_not_found:
            return Reception("unknown_code", reply, code=event.code)
        if event.response != ResponseType.ACK:
            return Reception("bad_timestamp", reply, code=event.code)
        kind = ALARM_CODES.get(event.code or "")
        if kind is None:
            return Reception("not_an_alarm", reply, code=event.code)
        return Reception("alarm", reply, ("alarm.raise", self._alarm(event, kind)), event.code)

    def _alarm(self, event: SIAEvent, kind: str) -> dict:
        panel = self.panels.get(event.account)
        said = event.sia_code.type if event.sia_code else event.code
        zone = str(int(event.ri)) if (event.ri or "").isdigit() else "0"  # Contact ID says 015, SIA 15
        when = event.timestamp if isinstance(event.timestamp, datetime) else \
            datetime.fromtimestamp(self.now(), timezone.utc)
        # One alarm per panel, zone and kind: a panel sending the event again updates it; a panic after a
        # burglary on the same panel is an alarm of its own.
        return {"device_id": f"dc09:{panel.account}:{zone}:{kind}", "kind": kind, "lon": panel.lon,
                "lat": panel.lat,
                "ts": when.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "text": f"{panel.name}: {said}" + (f", zone {zone}" if zone != "0" else "")
                        + f" (DC-09 {event.code}, account {panel.account})"}
