"""The CoT codec and stream framing on real captures and on hostile input."""
from __future__ import annotations

from pathlib import Path

import pytest
import takproto

from tak.cot import Cot, CotRefused, parse_protobuf, parse_xml, to_protobuf, to_xml
from tak.stream import PROTOBUF, XML, StreamReader

CAPTURES = sorted(Path("/work/shared/data/cot/freetakserver").glob("*.xml"))
PLI_STREAM = Path("/work/shared/data/cot/freetakserver_pli_stream_2020-02-08.txt")


def test_there_are_the_24_captures():
    assert len(CAPTURES) == 24


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_every_capture_parses_and_round_trips_through_takproto(path):
    data = path.read_bytes()
    cot = parse_xml(data)
    assert cot.uid and cot.type == path.name.rsplit("-", 1)[0]
    # takproto's own XML -> protobuf conversion reads back to the same event ...
    assert parse_protobuf(bytes(takproto.xml2proto(data.decode(), takproto.TAKProtoVer.STREAM))) == cot
    # ... and ours is what takproto parses, both forms
    for mesh in (False, True):
        message = takproto.parse_proto(bytearray(to_protobuf(cot, mesh=mesh)))
        assert (message.cotEvent.uid, message.cotEvent.lat, message.cotEvent.lon) == (cot.uid, cot.lat, cot.lon)
        assert parse_protobuf(to_protobuf(cot, mesh=mesh)) == cot
    assert parse_xml(to_xml(cot)) == cot


def test_what_the_captures_say():
    by_name = {path.name: parse_xml(path.read_bytes()) for path in CAPTURES}
    pli = by_name["a-f-G-U-C-1581186300261.xml"]
    assert (pli.callsign, pli.lat, pli.lon, pli.course, pli.speed, pli.group_name) == (
        "C0rv0", 43.967295, -66.12627, 209.49418484, 0.97000003, "Yellow")
    assert pli.has_fix and pli.endpoint == "192.168.0.100:4242:tcp"
    assert not by_name["a-f-G-U-C-1581185446278.xml"].has_fix  # corvTab, no GPS: near 0,0
    chat = by_name["b-t-f-1581185463563.xml"]
    assert (chat.chat_sender, chat.chat_room, chat.remarks, chat.sender_uid) == (
        "corvTab", "Eliopoli HQ", "need supoort", "ANDROID-R52JB0CDC4E")
    marker = by_name["b-m-p-s-m-1581185985900.xml"]
    assert marker.links == ["ANDROID-351811095448994"] and marker.endpoint is None


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                             for n in range(1, 10))
                  + b']><event version="2.0" uid="x" type="a-f-G" time="2020-02-08T18:10:46Z" '
                    b'start="2020-02-08T18:10:46Z" stale="2020-02-08T18:11:46Z"><point lat="1" lon="1"/>'
                    b'<detail><remarks>&lol9;</remarks></detail></event>')
EXTERNAL_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                   b'<event version="2.0" uid="x" type="a-f-G" time="2020-02-08T18:10:46Z" start="2020-02-08T18:10:46Z"'
                   b' stale="2020-02-08T18:11:46Z"><point lat="1" lon="1"/><detail><remarks>&xxe;</remarks></detail></event>')


def event(uid="D1", lat="60.17", lon="24.94", point=True, time="2026-12-02T08:00:00Z", extra=b""):
    body = f'<point lat="{lat}" lon="{lon}" hae="0" ce="5" le="5"/>'.encode() if point else b""
    return (f'<event version="2.0" uid="{uid}" type="a-f-G-U-C" how="m-g" time="{time}" start="{time}" '
            f'stale="2026-12-02T08:01:00Z">').encode() + body + b"<detail>" + extra + b"</detail></event>"


@pytest.mark.parametrize("data,reason", [
    (b"this is not xml", "not_xml"),
    (b"<event uid='x' type='a'><point", "not_xml"),
    (BILLION_LAUGHS, "forbidden_xml"),
    (EXTERNAL_ENTITY, "forbidden_xml"),
    (b"<html><body/></html>", "not_event"),
    (event(point=False), "no_point"),
    (event(lat="91"), "bad_point"),
    (event(lon="-180.5"), "bad_point"),
    (event(lat="north"), "bad_point"),
    (event(time="yesterday"), "bad_time"),
    (event(time="2026-12-02T08:00:00"), "bad_time"),
    (event(extra=b"x" * 70_000), "too_large"),
])
def test_bad_xml_is_refused_with_its_reason(data, reason):
    with pytest.raises(CotRefused) as refused:
        parse_xml(data)
    assert refused.value.reason == reason


def test_bad_protobuf_is_refused():
    with pytest.raises(CotRefused) as refused:
        parse_protobuf(b"\xbf\x05\xff\xff\xff\xff\xff")
    assert refused.value.reason == "bad_protobuf"
    with pytest.raises(CotRefused) as refused:
        parse_protobuf(b"\xbf\x01\xbf")  # an empty message: no event in it
    assert refused.value.reason == "not_event"


def test_the_stream_splits_the_502_events_however_the_bytes_arrive():
    data = PLI_STREAM.read_bytes()
    for size in (1, 7, 1000, len(data)):
        reader = StreamReader()
        events = [e for offset in range(0, len(data), size) for e in reader.feed(data[offset:offset + size])]
        assert len(events) == 502 and all(isinstance(e, Cot) for e in events)
    assert [e.uid for e in events].count("ANDROID-351811095448994") == 28


def test_xml_and_protobuf_events_mix_on_one_stream():
    first, second = parse_xml(CAPTURES[5].read_bytes()), parse_xml(CAPTURES[6].read_bytes())
    reader = StreamReader()
    assert reader.feed(to_xml(first) + b"\n" + to_protobuf(second)) == [first, second]
    assert reader.protocol == PROTOBUF
    assert reader.feed(b"\r\n" + to_xml(first)) == [first] and reader.protocol == XML


def test_an_oversized_event_is_skipped_without_buffering_it_and_the_stream_goes_on():
    good = event()
    reader = StreamReader()
    huge = event(extra=b"<remarks>" + b"x" * 10_000_000 + b"</remarks>")
    out = []
    for offset in range(0, len(huge), 65536):
        out += reader.feed(huge[offset:offset + 65536])
        assert len(reader._buffer) <= 2 * 65536 + 64  # never the whole event
    out += reader.feed(good)
    assert [o.reason for o in out if isinstance(o, CotRefused)] == ["too_large"]
    assert [o.uid for o in out if isinstance(o, Cot)] == ["D1"]
    # the same for a protobuf event whose length says 10 MB
    cot = parse_xml(good)
    big = cot.__class__(**{**cot.__dict__, "remarks": "y" * 10_000_000})
    out = reader.feed(to_protobuf(big) + to_protobuf(cot))
    assert [type(o).__name__ for o in out] == ["CotRefused", "Cot"] and out[0].reason == "too_large"


def test_junk_between_events_is_refused_once_and_the_next_event_read():
    reader = StreamReader()
    out = reader.feed(b"GET / HTTP/1.1\r\n\r\n" + event() + b"\n" + BILLION_LAUGHS + event(uid="D2"))
    assert [o.reason if isinstance(o, CotRefused) else o.uid for o in out] == [
        "not_xml", "D1", "forbidden_xml", "D2"]


def test_the_tak_package_never_imports_qt():
    import subprocess
    import sys

    from support.server import ROOT

    done = subprocess.run([sys.executable, "-c", "import sys, tak.cot, tak.stream, tak.inbound, tak.outbound, "
                           "tak.gateway; print(sorted(m for m in sys.modules if m.split('.')[0] in "
                           "('PySide6', 'pyqtgraph')))"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
