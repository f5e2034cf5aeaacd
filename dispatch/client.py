"""An asyncio client of the dispatch server, for the console, feeds, drills and tests.

    client = await DispatchClient.connect("ws://127.0.0.1:8765/ws", token)
    reply = await client.command("unit.assign", unit_id="P-01", incident_id="I7")

The client folds every event into `state` with the shared reducer, checks that seqs come without a
gap, and matches replies to commands by id. One connection; reconnecting is the caller's choice
(`connect(..., resume_from=client.seq)`), so that a console can show the connection state honestly.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import ssl as ssl_module
from typing import Any, Callable

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from dispatch.reducer import State, apply, empty_state

EventListener = Callable[[dict], None]
# A `cmds` frame stays well under the server's 64 KiB frame cap and its 1,000 commands per frame.
CMDS_FRAME_BYTES = 60_000
CMDS_FRAME_COMMANDS = 1000

log = logging.getLogger("onemap.client")


class ProtocolError(RuntimeError):
    pass


class Refused(RuntimeError):
    """The server refused the hello (unauthorized, bad_request)."""

    def __init__(self, code: str, message: str, close_code: int | None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.close_code = close_code


class Disconnected(ConnectionError):
    pass


class DispatchClient:
    def __init__(self, ws: ClientConnection, welcome: dict, seq: int, state: State | None, keep_state: bool,
                 on_event: EventListener | None):
        self.ws = ws
        self.welcome = welcome
        self.user = welcome["user"]
        self.role = welcome["role"]
        self.namespace = welcome["namespace"]
        self.seq = seq  # the last event folded; after a resume, events up to the welcome's seq follow
        self.failure: BaseException | None = None
        self.state = state
        self.keep_state = keep_state
        self._listener = on_event
        self.errors: list[dict] = []
        self._replies: dict[str, asyncio.Future] = {}
        self._ids = itertools.count(1)
        # Unique to this client, not only in this process: a retried id names one command of one user
        self._id_prefix = f"c{secrets.token_hex(6)}-"
        self._seq_waiters: list[tuple[int, asyncio.Future]] = []
        self._reader = asyncio.create_task(self._read())
        self.closed = asyncio.Event()

    @classmethod
    async def connect(cls, url: str, token: str, *, namespace: str = "live", resume_from: int | None = None,
                      state: State | None = None, batch: bool = True, subscribe: bool = True,
                      keep_state: bool = True, ssl: ssl_module.SSLContext | None = None,
                      open_timeout: float = 10.0, on_event: EventListener | None = None) -> "DispatchClient":
        """Open a connection and say hello. With `resume_from`, pass the `state` as of that seq to go on
        folding into it. `on_event` hears every event from the first one: the reader may fold events
        that came with the welcome before this returns, so a listener added afterwards can miss them."""
        ws = await connect(url, max_size=None, compression=None, ssl=ssl, open_timeout=open_timeout)
        try:
            hello = {"op": "hello", "token": token, "resume_from": resume_from, "namespace": namespace,
                     "batch": batch, "subscribe": subscribe}
            await ws.send(orjson.dumps(hello), text=True)
            welcome = orjson.loads(await asyncio.wait_for(ws.recv(), open_timeout))
        except ConnectionClosed as exc:
            raise Disconnected(f"connection closed during hello: {exc}") from exc
        except BaseException:
            await ws.close()
            raise
        if welcome.get("op") == "error":
            await ws.wait_closed()
            raise Refused(welcome.get("code", "?"), welcome.get("message", ""), ws.close_code)
        if welcome.get("op") != "welcome":
            await ws.close()
            raise ProtocolError(f"expected welcome, got {welcome!r}")
        if keep_state:
            state = welcome["snapshot"] if resume_from is None else (state or empty_state())
        seq = welcome["seq"] if resume_from is None else resume_from
        return cls(ws, welcome, seq, state if keep_state else None, keep_state, on_event)

    async def close(self) -> None:
        await self.ws.close()
        await self._finish_reader()

    async def _finish_reader(self) -> None:
        try:
            await self._reader
        except (ConnectionClosed, ProtocolError, asyncio.CancelledError):
            pass

    @property
    def close_code(self) -> int | None:
        return self.ws.close_code

    # ---- commands --------------------------------------------------------------------------------

    def send_command(self, cmd: str, args: dict[str, Any] | None = None, *, cmd_id: str | None = None,
                     retry: bool = False) -> asyncio.Future:
        """Send without waiting; the future resolves to the ack or nack frame. `retry`: this id was sent
        before (on a connection lost before its answer): the server applies it only if it was not stored,
        and else answers the original's ack marked `duplicate` (docs/protocol.md)."""
        if self.closed.is_set():
            raise Disconnected("not connected")
        cmd_id = cmd_id or f"{self._id_prefix}{next(self._ids)}"
        future = asyncio.get_running_loop().create_future()
        self._replies[cmd_id] = future
        frame = orjson.dumps({"op": "cmd", "id": cmd_id, "cmd": cmd, "args": args or {}, **({"retry": True} if retry else {})})
        asyncio.ensure_future(self._send(frame, cmd_id))
        return future

    def send_commands(self, commands: list[tuple[str, dict[str, Any]]]) -> list[asyncio.Future]:
        """Send many commands in as few `cmds` frames as fit under the frame cap (a feed's way: one frame
        and one reply frame for many position reports); one future per command, as `send_command`."""
        if self.closed.is_set():
            raise Disconnected("not connected")
        loop = asyncio.get_running_loop()
        futures, encoded, size = [], [], 0
        for cmd, args in commands:
            cmd_id = f"{self._id_prefix}{next(self._ids)}"
            item = orjson.dumps({"id": cmd_id, "cmd": cmd, "args": args})
            if encoded and (size + len(item) > CMDS_FRAME_BYTES or len(encoded) == CMDS_FRAME_COMMANDS):
                self._send_cmds(encoded)
                encoded, size = [], 0
            encoded.append((cmd_id, item))
            size += len(item) + 1
            future = loop.create_future()
            self._replies[cmd_id] = future
            futures.append(future)
        if encoded:
            self._send_cmds(encoded)
        return futures

    def _send_cmds(self, encoded: list[tuple[str, bytes]]) -> None:
        frame = b'{"op":"cmds","cmds":[' + b",".join(item for _, item in encoded) + b"]}"
        asyncio.ensure_future(self._send(frame, *(cmd_id for cmd_id, _ in encoded)))

    async def _send(self, frame: bytes, *cmd_ids: str) -> None:
        try:
            await self.ws.send(frame, text=True)
        except ConnectionClosed as exc:
            for cmd_id in cmd_ids:
                future = self._replies.pop(cmd_id, None)
                if future is not None and not future.done():
                    future.set_exception(Disconnected(f"connection closed: {exc}"))

    async def command(self, cmd: str, timeout: float = 10.0, **args: Any) -> dict:
        """Send and wait for the reply: the ack (its `incident_id` names the incident an `incident.create`
        made) or the nack."""
        return await asyncio.wait_for(self.send_command(cmd, args), timeout)

    async def send_raw(self, frame: str | bytes) -> None:
        """Send a frame as it is (tests of hostile input)."""
        await self.ws.send(frame, text=True)

    # ---- events ----------------------------------------------------------------------------------

    async def wait_for_seq(self, seq: int, timeout: float = 10.0) -> None:
        if self.seq >= seq:
            return
        future = asyncio.get_running_loop().create_future()
        self._seq_waiters.append((seq, future))
        await asyncio.wait_for(future, timeout)

    def _on_event(self, event: dict) -> None:
        if event["seq"] != self.seq + 1:
            raise ProtocolError(f"event seq {event['seq']} after {self.seq}: a gap or a repeat")
        self.seq = event["seq"]
        if self.keep_state:
            apply(self.state, event)
        if self._listener is not None:
            try:
                self._listener(event)
            except Exception:  # a listener's bug is that event's; the connection and its state go on
                log.exception("the event listener failed on event %d (%s)", event["seq"], event.get("type"))

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = orjson.loads(raw)
                op = msg.get("op")
                if op == "event":
                    self._on_event(msg)
                elif op == "events":
                    for event in msg["events"]:
                        self._on_event(event)
                elif op in ("ack", "nack"):
                    self._on_reply(msg)
                elif op == "replies":
                    for reply in msg["replies"]:
                        self._on_reply(reply)
                elif op == "error":
                    self.errors.append(msg)
                if self._seq_waiters:
                    self._wake_seq_waiters()
        except ConnectionClosed:
            pass  # the close code says why; waiters are told below
        except ProtocolError as exc:
            self.failure = exc
            await self.ws.close(1002, str(exc)[:120])
            raise
        finally:
            self.closed.set()
            error = Disconnected(f"connection closed ({self.ws.close_code})"
                                 + (f": {self.failure}" if self.failure else ""))
            for future in self._replies.values():
                if not future.done():
                    future.set_exception(error)
            self._replies.clear()
            for _, future in self._seq_waiters:
                if not future.done():
                    future.set_exception(error)
            self._seq_waiters.clear()

    def _on_reply(self, reply: dict) -> None:
        future = self._replies.pop(reply.get("id"), None)
        if future is not None and not future.done():
            future.set_result(reply)

    def _wake_seq_waiters(self) -> None:
        remaining = []
        for seq, future in self._seq_waiters:
            if self.seq >= seq:
                if not future.done():
                    future.set_result(None)
            else:
                remaining.append((seq, future))
        self._seq_waiters = remaining
