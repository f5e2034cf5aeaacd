"""Framing of a TAK stream connection, sans I/O: feed it the bytes read, take the events out.

Two framings share a connection's byte stream, told apart at each event's first byte: TAK's XML streaming
(events back to back, each optionally after an `<?xml ...?>` declaration, with whitespace between) and TAK
protocol streaming (0xbf, a varint length, a protobuf TakMessage). A device starts in XML and may switch
to protobuf after negotiation, so the choice is made per event; `protocol` is the last one seen, so that
replies can be written the way the device speaks.

An event over `MAX_EVENT_BYTES` is refused (`too_large`) without being buffered: an XML one is skipped
up to its `</event>`, a protobuf one by its declared length; the reader then goes on with the next event.
Bytes before an event that are not XML are refused once per run (`not_xml`).
"""
from __future__ import annotations

from tak.cot import (BAD_PROTOBUF, MAX_EVENT_BYTES, NOT_XML, STREAM_MAGIC, TOO_LARGE, Cot, CotRefused,
                     parse_protobuf, parse_xml)

XML = "xml"
PROTOBUF = "protobuf"
_END = b"</event>"
_WHITESPACE = b" \t\r\n\x00"
_VARINT_MAX_BYTES = 10


class StreamReader:
    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES):
        self.max_event_bytes = max_event_bytes
        self.protocol = XML
        self._buffer = bytearray()
        self._skip_xml = False  # inside an oversized XML event: drop bytes up to its </event>
        self._skip_bytes = 0  # inside an oversized protobuf event: drop this many more bytes

    def feed(self, data: bytes) -> list[Cot | CotRefused]:
        """The events completed by `data`, in order: each a `Cot`, or the `CotRefused` it was refused with."""
        return [item if isinstance(item, CotRefused) else _decode(item[0], item[1])
                for item in self.frames(data)]

    def frames(self, data: bytes) -> list[tuple[str, bytes] | CotRefused]:
        """The same, undecoded: each event as (protocol, its bytes), or a refusal of the framing."""
        self._buffer += data
        out: list[tuple[str, bytes] | CotRefused] = []
        while self._step(out):
            pass
        return out

    def _step(self, out: list) -> bool:
        """Take at most one event or refusal off the buffer; False when more bytes are needed."""
        buffer = self._buffer
        if self._skip_bytes:
            dropped = min(self._skip_bytes, len(buffer))
            del buffer[:dropped]
            self._skip_bytes -= dropped
            return bool(buffer)
        if self._skip_xml:
            end = buffer.find(_END)
            if end < 0:
                del buffer[:max(0, len(buffer) - len(_END) + 1)]  # keep what could be the start of </event>
                return False
            del buffer[:end + len(_END)]
            self._skip_xml = False
            return True
        start = 0
        while start < len(buffer) and buffer[start] in _WHITESPACE:
            start += 1
        if start:
            del buffer[:start]
        if not buffer:
            return False
        if buffer[0] == STREAM_MAGIC:
            return self._protobuf(out)
        if buffer[0] != ord("<"):
            # Not the start of an event: refuse the run up to the next '<' (or 0xbf), and go on from there.
            next_start = min((i for i in (buffer.find(b"<"), buffer.find(bytes([STREAM_MAGIC]))) if i >= 0),
                             default=len(buffer))
            del buffer[:next_start]
            out.append(CotRefused(NOT_XML, "bytes between events that are not XML"))
            return bool(buffer)
        return self._xml(out)

    def _xml(self, out: list) -> bool:
        buffer = self._buffer
        end = buffer.find(_END, 0, self.max_event_bytes + len(_END))
        if end < 0:
            if len(buffer) > self.max_event_bytes:
                out.append(CotRefused(TOO_LARGE, f"an XML event over {self.max_event_bytes} bytes"))
                self._skip_xml = True
                del buffer[:len(buffer) - len(_END) + 1]
                return True
            return False
        chunk = bytes(buffer[:end + len(_END)])
        del buffer[:end + len(_END)]
        self.protocol = XML
        out.append((XML, chunk))
        return True

    def _protobuf(self, out: list) -> bool:
        buffer = self._buffer
        length, offset = 0, 1
        for shift in range(0, 7 * _VARINT_MAX_BYTES, 7):
            if offset >= len(buffer):
                return False  # the length is not all here yet
            byte = buffer[offset]
            offset += 1
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
        else:
            del buffer[:offset]
            out.append(CotRefused(BAD_PROTOBUF, "a length varint longer than 10 bytes"))
            return True
        self.protocol = PROTOBUF
        if length > self.max_event_bytes:
            out.append(CotRefused(TOO_LARGE, f"a {length} byte protobuf event is over {self.max_event_bytes} bytes"))
            del buffer[:offset]
            self._skip_bytes = length
            return True
        if len(buffer) < offset + length:
            return False
        chunk = bytes(buffer[:offset + length])
        del buffer[:offset + length]
        out.append((PROTOBUF, chunk))
        return True


def _decode(protocol: str, chunk: bytes) -> Cot | CotRefused:
    try:
        return parse_protobuf(chunk) if protocol == PROTOBUF else parse_xml(chunk)
    except CotRefused as refused:
        return refused
