"""SIA DC-09 from alarm panels, without I/O: what each message raises and how the panel is answered."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from alarms.dc09 import MAX_FRAME_BYTES, Framer, Receiver
from alarms.panels import Panel, PanelTable
from support import dc09
from support.server import ROOT

SCHOOL = Panel("1234", "No. 1 Middle School, guard room", 24.9413, 60.1699)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver(PanelTable({SCHOOL.account: SCHOOL}))


def received(receiver: Receiver, message):
    """`message` is built now: its timestamp must be within the receiver's window when it is read."""
    [frame] = Framer().feed(message())
    return receiver.receive(frame)


@pytest.mark.parametrize("message, kind, code, zone", [
    (lambda: dc09.sia("1234", "PA"), "panic", "PA", "1"),
    (lambda: dc09.sia("1234", "HA"), "panic", "HA", "1"),
    (lambda: dc09.sia("1234", "BA", zone="15"), "intrusion", "BA", "15"),
    (lambda: dc09.sia("1234", "TA"), "intrusion", "TA", "1"),
    (lambda: dc09.contact_id("1234", 1, 120), "panic", "PA", "1"),  # Contact ID 1120: panic
    (lambda: dc09.contact_id("1234", 1, 130, zone=15), "intrusion", "BA", "15"),  # 1130: burglary, zone 015
])
def test_an_alarm_is_raised_where_the_panel_is_and_acknowledged(receiver, message, kind, code, zone):
    reception = received(receiver, message)
    assert (reception.outcome, reception.code) == ("alarm", code)
    assert dc09.answer_token(reception.reply) == "ACK"
    cmd, args = reception.command
    assert cmd == "alarm.raise"
    assert (args["device_id"], args["kind"], args["lon"], args["lat"]) == (f"dc09:1234:{zone}:{kind}", kind,
                                                                           SCHOOL.lon, SCHOOL.lat)
    assert args["text"].startswith("No. 1 Middle School, guard room: ") and f"zone {zone} " in args["text"]
    assert datetime.fromisoformat(args["ts"]) > datetime.now(timezone.utc) - timedelta(seconds=5)


@pytest.mark.parametrize("message, outcome, answer", [
    (lambda: dc09.sia("1234", "OP"), "not_an_alarm", "ACK"),  # an opening: acknowledged, raises nothing
    (lambda: dc09.sia("1234", "FA"), "not_an_alarm", "ACK"),  # fire goes to its own centre
    (lambda: dc09.contact_id("1234", 3, 120), "not_an_alarm", "ACK"),  # 3120: the panic restored
    (lambda: dc09.null_message("1234"), "not_an_alarm", "ACK"),  # a link test
    (lambda: dc09.sia("1234", "ZQ"), "unknown_code", "DUH"),
    (lambda: dc09.sia("9999", "PA"), "unknown_account", "NAK"),
    (lambda: dc09.sia("1234", "PA", at=datetime.now(timezone.utc) - timedelta(minutes=10)), "bad_timestamp", "NAK"),
])
def test_what_is_no_alarm_is_answered_as_the_standard_says_and_raises_nothing(receiver, message, outcome, answer):
    reception = received(receiver, message)
    assert reception.outcome == outcome and reception.command is None
    assert dc09.answer_token(reception.reply) == answer


@pytest.mark.parametrize("frame, outcome", [
    (dc09.sia("1234", "PA")[1:-1].replace(b"PA", b"PB", 1), "bad_crc"),  # changed after its CRC was made
    (b"this is no DC-09 frame", "malformed"),
    (b"", "malformed"),
    (b"\xff\xfe\x00" * 50, "malformed"),
    ("0000001E\"SIA-DCS\"0001R0L0#1234[#1234|Nri1/PA501".encode(), "malformed"),  # cut short
])
def test_a_frame_that_cannot_be_read_gets_no_answer_and_raises_nothing(receiver, frame, outcome):
    reception = receiver.receive(frame)
    assert (reception.outcome, reception.reply, reception.command) == (outcome, None, None)


def test_frames_are_cut_from_the_stream_however_it_arrives_and_oversized_ones_dropped():
    framer = Framer()
    one, two = dc09.sia("1234", "PA", sequence=1), dc09.sia("1234", "BA", sequence=2)
    stream = b"noise" + one + b"\r\n" + two
    got = [frame for i in range(len(stream)) for frame in framer.feed(stream[i:i + 1])]  # a byte at a time
    assert got == [one[1:-1], two[1:-1]]
    huge = b"\n" + b"A" * (MAX_FRAME_BYTES + 10)
    assert framer.feed(huge) == [] and framer.oversized == 1
    assert framer.feed(b"AAAA\r" + one) == [one[1:-1]]  # its end is dropped too, the next frame read


def test_the_alarms_room_never_imports_qt():
    done = subprocess.run([sys.executable, "-c", "import sys, alarms.gateway; "
                           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
