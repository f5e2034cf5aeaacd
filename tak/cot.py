"""Cursor-on-Target events: one `Cot` value, read from and written to CoT XML and TAK protobuf.

Reading is for input from devices nobody vouches for: XML goes through defusedxml with DTDs forbidden (no
entity expansion, no external entities), an event is at most `MAX_EVENT_BYTES`, and anything malformed is
a `CotRefused` with a short fixed `reason` that the gateway counts (docs/tak.md lists them).
"""
from __future__ import annotations

import functools

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone

import defusedxml
import defusedxml.ElementTree as SafeET
from google.protobuf.message import DecodeError
from takproto.proto import TakMessage

MAX_EVENT_BYTES = 64 * 1024
UNKNOWN = 9999999.0  # CoT's "not known" for hae, ce and le
NO_FIX_DEGREES = 0.01  # a point this close to 0,0 is a device without a GPS fix, not a place in the sea
STREAM_MAGIC = 0xBF  # TAK protocol: streaming is 0xbf varint(length) message, mesh is 0xbf 0x01 0xbf message
MESH_HEADER = b"\xbf\x01\xbf"

# Reasons an event is refused (docs/tak.md); the codec's and the framing's.
TOO_LARGE = "too_large"
NOT_XML = "not_xml"
FORBIDDEN_XML = "forbidden_xml"
NOT_EVENT = "not_event"
NO_POINT = "no_point"
BAD_POINT = "bad_point"
BAD_TIME = "bad_time"
BAD_PROTOBUF = "bad_protobuf"


class CotRefused(ValueError):
    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclass
class Cot:
    uid: str
    type: str
    time: datetime
    start: datetime
    stale: datetime
    lat: float
    lon: float
    how: str = "h-e"
    hae: float = UNKNOWN
    ce: float = UNKNOWN
    le: float = UNKNOWN
    callsign: str | None = None
    endpoint: str | None = None  # contact endpoint: set by a device reporting itself, absent on markers
    group_name: str | None = None
    group_role: str | None = None
    course: float | None = None
    speed: float | None = None
    remarks: str | None = None  # GeoChat: the message's text
    opex: str | None = None  # e-NAME exercise, s-NAME simulation, o operation
    chat_sender: str | None = None  # GeoChat: senderCallsign
    chat_room: str | None = None  # GeoChat: chatroom (a contact's callsign for a direct message)
    chat_to: str | None = None  # GeoChat: the addressee's uid (remarks' `to`)
    sender_uid: str | None = None  # GeoChat: the sender's uid (chatgrp uid0)
    links: list[str] = field(default_factory=list)  # link uids; a marker's first is the device that made it
    dest: list[str] = field(default_factory=list)  # marti dest callsigns/uids the event is addressed to

    @property
    def has_fix(self) -> bool:
        """False for a device without GPS: ATAK reports near 0,0 (with ce 9999999) then."""
        return not (abs(self.lat) <= NO_FIX_DEGREES and abs(self.lon) <= NO_FIX_DEGREES)

    @property
    def exercise_marked(self) -> bool:
        """CoT that says it is an exercise or a simulation: opex e.../s..., or how m-s (simulated)."""
        return bool(self.opex and self.opex[0] in "es") or self.how == "m-s"


# ---- times -----------------------------------------------------------------------------------------

def format_time(value: datetime) -> str:
    """RFC 3339 UTC with milliseconds. The gateway formats three times for every CoT in and out (6 % of its
    time in strftime): the part down to the second is formatted once per second."""
    return _utc_second(int(value.timestamp() // 1)) + f"{value.microsecond // 1000:03d}Z"


@functools.lru_cache(maxsize=1024)  # time, start and stale of the CoT of the last minutes
def _utc_second(epoch_second: int) -> str:
    return datetime.fromtimestamp(epoch_second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")


def _parse_time(text: str | None, name: str) -> datetime:
    if not text:
        raise CotRefused(BAD_TIME, f"the event has no {name} time")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CotRefused(BAD_TIME, f"{name} {text[:40]!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise CotRefused(BAD_TIME, f"{name} {text[:40]!r} has no time zone")
    return value.astimezone(timezone.utc)


def _from_millis(ms: int, name: str) -> datetime:
    try:
        return datetime.fromtimestamp(ms / 1000, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise CotRefused(BAD_TIME, f"{name} {ms} ms is not a time") from None


def _millis(value: datetime) -> int:
    return round(value.timestamp() * 1000)


# ---- numbers ---------------------------------------------------------------------------------------

def _number(text: str | None, default: float | None = None) -> float | None:
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        return default
    return value if math.isfinite(value) else default


def _check_point(lat: float | None, lon: float | None) -> tuple[float, float]:
    if lat is None or lon is None:
        raise CotRefused(BAD_POINT, "the point has no numeric lat and lon")
    if not -90.0 <= lat <= 90.0:
        raise CotRefused(BAD_POINT, f"lat {lat} is outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise CotRefused(BAD_POINT, f"lon {lon} is outside -180..180")
    return lat, lon


# ---- XML -------------------------------------------------------------------------------------------

def parse_xml(data: bytes) -> Cot:
    if len(data) > MAX_EVENT_BYTES:
        raise CotRefused(TOO_LARGE, f"{len(data)} bytes is over the {MAX_EVENT_BYTES} byte cap of an event")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:  # DTD, entity or external reference
        raise CotRefused(FORBIDDEN_XML, f"{type(exc).__name__}: DTDs and entities are not accepted") from None
    except (ET.ParseError, ValueError) as exc:
        raise CotRefused(NOT_XML, f"not well-formed XML ({exc})") from None
    if root.tag != "event":
        raise CotRefused(NOT_EVENT, f"the root element is <{root.tag[:40]}>, not <event>")
    uid, kind = root.get("uid"), root.get("type")
    if not uid or not kind:
        raise CotRefused(NOT_EVENT, "the event has no uid or no type")
    point = root.find("point")
    if point is None:
        raise CotRefused(NO_POINT, "the event has no <point>")
    lat, lon = _check_point(_number(point.get("lat")), _number(point.get("lon")))
    cot = Cot(uid=uid, type=kind, how=root.get("how") or "", opex=root.get("opex") or None,
              time=_parse_time(root.get("time"), "time"), start=_parse_time(root.get("start"), "start"),
              stale=_parse_time(root.get("stale"), "stale"), lat=lat, lon=lon,
              hae=_number(point.get("hae"), UNKNOWN), ce=_number(point.get("ce"), UNKNOWN),
              le=_number(point.get("le"), UNKNOWN))
    detail = root.find("detail")
    if detail is not None:
        _read_detail(detail, cot)
    return cot


def _read_detail(detail: ET.Element, cot: Cot) -> None:
    """Fill `cot` from a <detail> element (also the protobuf's xmlDetail, which holds what it has no field for)."""
    contact = detail.find("contact")
    if contact is not None:
        cot.callsign = contact.get("callsign") or cot.callsign
        cot.endpoint = contact.get("endpoint") or cot.endpoint
    group = detail.find("__group")
    if group is not None:
        cot.group_name, cot.group_role = group.get("name"), group.get("role")
    track = detail.find("track")
    if track is not None:
        cot.course, cot.speed = _number(track.get("course")), _number(track.get("speed"))
    remarks = detail.find("remarks")
    if remarks is not None:
        cot.remarks = (remarks.text or "").strip() or None
        cot.chat_to = remarks.get("to") or cot.chat_to
    chat = detail.find("__chat")
    if chat is not None:
        cot.chat_sender, cot.chat_room = chat.get("senderCallsign"), chat.get("chatroom")
        group_uids = chat.find("chatgrp")
        if group_uids is not None:
            cot.sender_uid = group_uids.get("uid0")
            cot.chat_to = cot.chat_to or group_uids.get("uid1")
    cot.links = [link.get("uid") for link in detail.findall("link") if link.get("uid")]
    marti = detail.find("marti")
    if marti is not None:
        cot.dest = [value for dest in marti.findall("dest")
                    for value in (dest.get("callsign"), dest.get("uid")) if value]


def _detail_extras(cot: Cot) -> list[ET.Element]:
    """The detail elements TAK protobuf has no typed field for (they travel as xmlDetail)."""
    extras = []
    if cot.remarks is not None or cot.chat_to:
        remarks = ET.Element("remarks", {k: v for k, v in (("to", cot.chat_to),) if v})
        remarks.text = cot.remarks or ""
        extras.append(remarks)
    if cot.chat_sender or cot.chat_room:
        chat = ET.Element("__chat", {k: v for k, v in (("senderCallsign", cot.chat_sender),
                                                         ("chatroom", cot.chat_room),
                                                         ("id", cot.chat_to)) if v})
        if cot.sender_uid or cot.chat_to:
            ET.SubElement(chat, "chatgrp", {k: v for k, v in (("uid0", cot.sender_uid), ("uid1", cot.chat_to),
                                                              ("id", cot.chat_to)) if v})
        extras.append(chat)
    for uid in cot.links:
        extras.append(ET.Element("link", {"uid": uid, "relation": "p-p"}))
    if cot.dest:
        marti = ET.Element("marti")
        for dest in cot.dest:
            ET.SubElement(marti, "dest", {"callsign": dest})
        extras.append(marti)
    return extras


def _fmt(value: float) -> str:
    return repr(float(value))


def to_xml(cot: Cot) -> bytes:
    attrs = {"version": "2.0", "uid": cot.uid, "type": cot.type, "how": cot.how, "time": format_time(cot.time),
             "start": format_time(cot.start), "stale": format_time(cot.stale)}
    if cot.opex:
        attrs["opex"] = cot.opex
    event = ET.Element("event", attrs)
    ET.SubElement(event, "point", {"lat": _fmt(cot.lat), "lon": _fmt(cot.lon), "hae": _fmt(cot.hae),
                                   "ce": _fmt(cot.ce), "le": _fmt(cot.le)})
    detail = ET.SubElement(event, "detail")
    if cot.callsign or cot.endpoint:
        ET.SubElement(detail, "contact", {k: v for k, v in (("callsign", cot.callsign),
                                                              ("endpoint", cot.endpoint)) if v})
    if cot.group_name or cot.group_role:
        ET.SubElement(detail, "__group", {k: v for k, v in (("name", cot.group_name), ("role", cot.group_role)) if v})
    if cot.course is not None or cot.speed is not None:
        ET.SubElement(detail, "track", {"course": _fmt(cot.course or 0.0), "speed": _fmt(cot.speed or 0.0)})
    detail.extend(_detail_extras(cot))
    return b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>" + ET.tostring(event, encoding="utf-8",
                                                                                  xml_declaration=False)


# ---- TAK protobuf ----------------------------------------------------------------------------------

def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def to_message(cot: Cot) -> TakMessage:
    message = TakMessage()
    event = message.cotEvent
    event.type, event.uid, event.how = cot.type, cot.uid, cot.how
    if cot.opex:
        event.opex = cot.opex
    event.sendTime, event.startTime, event.staleTime = _millis(cot.time), _millis(cot.start), _millis(cot.stale)
    event.lat, event.lon, event.hae, event.ce, event.le = cot.lat, cot.lon, cot.hae, cot.ce, cot.le
    detail = event.detail
    if cot.callsign:
        detail.contact.callsign = cot.callsign
    if cot.endpoint:
        detail.contact.endpoint = cot.endpoint
    if cot.group_name:
        detail.group.name = cot.group_name
    if cot.group_role:
        detail.group.role = cot.group_role
    if cot.course is not None or cot.speed is not None:
        detail.track.course, detail.track.speed = cot.course or 0.0, cot.speed or 0.0
    extras = _detail_extras(cot)
    if extras:
        detail.xmlDetail = "".join(ET.tostring(element, encoding="unicode") for element in extras)
    return message


def to_protobuf(cot: Cot, mesh: bool = False) -> bytes:
    """TAK protocol version 1: the streaming form (0xbf, varint length, message) for TCP and TLS, or with
    `mesh` the form for UDP (0xbf 0x01 0xbf, message)."""
    body = to_message(cot).SerializeToString()
    if mesh:
        return MESH_HEADER + body
    return bytes([STREAM_MAGIC]) + _encode_varint(len(body)) + body


def parse_protobuf(data: bytes) -> Cot:
    """A TAK protocol message: streaming or mesh form, or the bare TakMessage bytes."""
    if len(data) > MAX_EVENT_BYTES + 16:
        raise CotRefused(TOO_LARGE, f"{len(data)} bytes is over the {MAX_EVENT_BYTES} byte cap of an event")
    body = data
    if data[:3] == MESH_HEADER:
        body = data[3:]
    elif data[:1] == bytes([STREAM_MAGIC]):
        length, offset = 0, 1
        for shift in range(0, 64, 7):
            if offset >= len(data):
                raise CotRefused(BAD_PROTOBUF, "the length varint is cut short")
            byte = data[offset]
            offset += 1
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
        body = data[offset:]
        if len(body) != length:
            raise CotRefused(BAD_PROTOBUF, f"the header says {length} bytes, {len(body)} follow")
    message = TakMessage()
    try:
        message.ParseFromString(bytes(body))
    except DecodeError as exc:
        raise CotRefused(BAD_PROTOBUF, f"not a TAK message ({exc})") from None
    return from_message(message)


def from_message(message: TakMessage) -> Cot:
    event = message.cotEvent
    if not event.uid or not event.type:
        raise CotRefused(NOT_EVENT, "the message has no cotEvent with a uid and a type")
    lat, lon = _check_point(event.lat if math.isfinite(event.lat) else None,
                            event.lon if math.isfinite(event.lon) else None)
    for name, value in (("time", event.sendTime), ("start", event.startTime), ("stale", event.staleTime)):
        if value <= 0:
            raise CotRefused(BAD_TIME, f"the message has no {name} time")
    cot = Cot(uid=event.uid, type=event.type, how=event.how, opex=event.opex or None,
              time=_from_millis(event.sendTime, "time"), start=_from_millis(event.startTime, "start"),
              stale=_from_millis(event.staleTime, "stale"), lat=lat, lon=lon,
              hae=event.hae, ce=event.ce, le=event.le)
    detail = event.detail
    if detail.xmlDetail:
        # What the typed fields do not carry, as XML: read as carefully as an XML event.
        _read_detail(parse_detail_xml(detail.xmlDetail.encode("utf-8")), cot)
    if detail.HasField("contact"):
        cot.callsign = detail.contact.callsign or cot.callsign
        cot.endpoint = detail.contact.endpoint or cot.endpoint
    if detail.HasField("group"):
        cot.group_name, cot.group_role = detail.group.name or None, detail.group.role or None
    if detail.HasField("track"):
        cot.course, cot.speed = detail.track.course, detail.track.speed
    if not cot.sender_uid and message.takControl.contactUid:
        cot.sender_uid = message.takControl.contactUid
    return cot


def parse_detail_xml(fragment: bytes) -> ET.Element:
    try:
        return SafeET.fromstring(b"<detail>" + fragment + b"</detail>", forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise CotRefused(FORBIDDEN_XML, f"{type(exc).__name__} in xmlDetail") from None
    except (ET.ParseError, ValueError) as exc:
        raise CotRefused(NOT_XML, f"xmlDetail is not well-formed XML ({exc})") from None
