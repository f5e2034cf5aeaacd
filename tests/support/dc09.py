"""DC-09 messages built per ANSI/SIA DC-09-2013 (independently of the parser under test): what an alarm
panel sends, and a reading of what a receiver answers."""
from __future__ import annotations

from datetime import datetime, timezone


def crc16(text: str) -> str:
    """CRC-16 (polynomial 0x8005, reflected, initial 0) of the message from its ID token on, as 4 hex."""
    crc = 0
    for byte in text.encode("ascii"):
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return f"{crc:04X}"


def timestamp(at: datetime | None = None) -> str:
    return (at or datetime.now(timezone.utc)).strftime("_%H:%M:%S,%m-%d-%Y")


def frame(body: str) -> bytes:
    """LF, CRC, length (4 hex), the body (from the ID token to the timestamp), CR."""
    return f"\n{crc16(body)}{len(body):04X}{body}\r".encode("ascii")


def sia(account: str, code: str, zone: str = "1", sequence: int = 1, at: datetime | None = None) -> bytes:
    """A SIA-DCS event: `code` (PA, BA, OP, ...) on `zone`."""
    return frame(f'"SIA-DCS"{sequence:04d}R0L0#{account}[#{account}|Nri{zone}/{code}501]{timestamp(at)}')


def contact_id(account: str, qualifier: int, event: int, zone: int = 1, sequence: int = 1) -> bytes:
    """An ADM-CID (Contact ID) event: qualifier 1 new, 3 restore; event 120 panic, 130 burglary, ..."""
    return frame(f'"ADM-CID"{sequence:04d}R0L0#{account}[#{account}|{qualifier}{event:03d} 01 {zone:03d}]'
                 f'{timestamp()}')


def null_message(account: str, sequence: int = 1) -> bytes:
    return frame(f'"NULL"{sequence:04d}R0L0#{account}[]{timestamp()}')


def answer_token(reply: bytes) -> str:
    """ACK, NAK or DUH, from a receiver's framed answer, after checking its CRC and length."""
    text = reply.decode("ascii")
    assert text[0] == "\n" and text[-1] == "\r", reply
    crc, length, body = text[1:5], text[5:9], text[9:-1]
    assert crc == crc16(body) and int(length, 16) == len(body), reply
    return body.split('"')[1]
