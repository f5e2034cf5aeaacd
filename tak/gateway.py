"""The CoT gateway: TAK devices on one side, one OneMap feed connection per namespace on the other.

Devices reach it by connecting to its listeners (TCP, or TLS with client certificates), by UDP multicast
(the SA mesh), or through a TAK server it connects to (`connect`). What devices send goes through
`tak.stream` and `tak.inbound` to OneMap; what OneMap's state and events say goes through `tak.outbound` to
every device. Nothing a device sends can stop it: a malformed or oversized event is refused and counted, a
flooding connection has its excess refused, a device too slow to take what it is sent is dropped
(docs/tak.md).
"""
from __future__ import annotations

import asyncio
import logging
import socket
import ssl as ssl_module
import struct
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from dispatch.feedlink import RECONNECT_MAX_S, RECONNECT_MIN_S, FeedLink, parse_endpoint, wait_or_stop
from dispatch.domain import LIVE
from layers.tables import pack_then_file
from tak.cot import Cot, CotRefused, parse_protobuf, parse_xml, to_protobuf, to_xml
from tak.inbound import DeviceTable, Inbound
from tak import DEFAULT_UNIT_RANGE_KM
from tak.outbound import Outbound, UnitRange
from tak.stream import PROTOBUF, StreamReader

log = logging.getLogger("onemap.tak")

DEFAULT_MULTICAST = ("239.2.3.1", 6969)  # TAK's SA multicast group
READ_BYTES = 65536
DEVICE_QUEUE_BYTES = 8 * 1024 * 1024  # CoT waiting for one device; more, and it is dropped as too slow
DEVICE_RATE, DEVICE_BURST = 20.0, 100.0  # events a second per device connection (ATAK sends a few)
UPSTREAM_RATE, UPSTREAM_BURST = 2000.0, 4000.0  # a TAK server carries many devices (a feed's own rate limit)
GREETING_REUSE_S = 1.0
INTRODUCTION_WAIT_S = 2.0
FLUSH_S = 1.0  # how often what changed goes to each device (one write each): at most this late
# The devices take turns, one slice of them every FLUSH_S / FLUSH_SLICES: 2,000 writes at one moment would
# hold up what the devices send for as long.
FLUSH_SLICES = 10
STATS_EVERY_S = 60.0
OWN_UID_PREFIX = "OneMap."
FLOOD = "flood"
SLOW_DEVICE = "slow_device"


def parse_group(text: str | None) -> tuple[str, int]:
    if not text:
        return DEFAULT_MULTICAST
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{text!r}: give GROUP:PORT, e.g. 239.2.3.1:6969")
    return host, int(port)


def server_tls(cert: str, key: str, ca: str) -> ssl_module.SSLContext:
    """A listener's TLS: its own certificate, and a client certificate signed by `ca` required of every device."""
    context = ssl_module.SSLContext(ssl_module.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.load_verify_locations(ca)
    context.verify_mode = ssl_module.CERT_REQUIRED
    return context


def client_tls(cert: str, key: str, ca: str) -> ssl_module.SSLContext:
    """TLS to a TAK server: its certificate checked against `ca`, ours presented."""
    context = ssl_module.SSLContext(ssl_module.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(ca)
    context.load_cert_chain(cert, key)
    return context


class _Bucket:
    def __init__(self, rate: float, burst: float):
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class _Encoded:
    """CoT encoded at most once per form, however many devices they go to: one event, or a flush's batch as
    one write (2,000 devices each sent every unit's move one by one would be millions of writes a second).
    A `subset` (what devices in one place see) shares its CoT's encodings with the whole."""

    def __init__(self, cots: list[Cot]):
        self.cots = cots
        self._pieces: dict[str, list[bytes]] = {}
        self._forms: dict[str, bytes] = {}
        self._whole: _Encoded | None = None
        self._indices: list[int] = []
        self._parts: list[_Encoded] = []

    @classmethod
    def joined(cls, parts: list["_Encoded"]) -> "_Encoded":
        """Several in one, sharing their encodings."""
        if len(parts) == 1:
            return parts[0]
        whole = cls([cot for part in parts for cot in part.cots])
        whole._parts = parts
        return whole

    def subset(self, indices: list[int]) -> "_Encoded":
        part = _Encoded([self.cots[i] for i in indices])
        part._whole, part._indices = self, indices
        return part

    def pieces(self, protocol: str) -> list[bytes]:
        if protocol not in self._pieces:
            if self._whole is not None:
                whole = self._whole.pieces(protocol)
                self._pieces[protocol] = [whole[i] for i in self._indices]
            elif self._parts:
                self._pieces[protocol] = [piece for part in self._parts for piece in part.pieces(protocol)]
            else:
                self._pieces[protocol] = [to_protobuf(cot) if protocol == PROTOBUF else to_xml(cot) + b"\n"
                                          for cot in self.cots]
        return self._pieces[protocol]

    def form(self, protocol: str) -> bytes:
        if protocol not in self._forms:
            self._forms[protocol] = b"".join(self.pieces(protocol))
        return self._forms[protocol]


class DeviceConnection:
    """A TCP or TLS connection carrying CoT: a device on a listener, or a TAK server we connected to."""

    def __init__(self, gateway: "Gateway", reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 name: str, upstream: bool = False):
        self.gateway, self.reader, self.writer, self.name, self.upstream = gateway, reader, writer, name, upstream
        self.stream = StreamReader()
        self.bucket = _Bucket(*((UPSTREAM_RATE, UPSTREAM_BURST) if upstream else gateway.device_rate))
        self.heard: set[str] = set()  # uids and callsigns of the devices heard on this connection
        self.square: tuple[int, int] | None = None  # where its device last reported itself (UnitRange)
        self.flush_slice = 0  # its turn among the flushes (Gateway.join)
        self.closed = False
        self.first_data = asyncio.Event()  # the peer has said something

    def addressed(self, cot: Cot) -> bool:
        """Whether a CoT addressed to some devices (marti dest) goes here: a TAK server routes it itself."""
        return self.upstream or bool(self.heard & {*cot.dest, cot.chat_to})

    def send(self, encoded: _Encoded) -> None:
        if self.closed:
            return
        # A TAK server reads its clients' events one write at a time (FreeTAKServer resets a client whose
        # first read holds several): to it one write each; to devices one write for all.
        for data in (encoded.pieces(self.stream.protocol) if self.upstream else [encoded.form(self.stream.protocol)]):
            # Written at once: what the socket cannot take yet waits in the transport, bounded here.
            waiting = self.writer.transport.get_write_buffer_size()
            if waiting + len(data) > DEVICE_QUEUE_BYTES:
                self.gateway.count(SLOW_DEVICE)
                log.warning("%s cannot keep up (%d bytes waiting): dropped", self.name, waiting)
                self.close()
                return
            try:
                self.writer.write(data)
            except (ConnectionError, OSError):
                self.close()
                return

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.writer.close()

    async def serve(self) -> None:
        try:
            while not self.closed:
                data = await self.reader.read(READ_BYTES)
                if not data:
                    break
                self.first_data.set()
                for item in self.stream.feed(data):
                    self.gateway.on_device_item(item, self)
        except (ConnectionError, ssl_module.SSLError, OSError) as exc:
            log.info("%s: %s", self.name, exc)
        except Exception:  # a bug met by one device's input closes that connection only
            self.gateway.count("internal_error")
            log.exception("%s: closed", self.name)
        finally:
            self.close()
            self.gateway.connections.discard(self)


class _Multicast(asyncio.DatagramProtocol):
    def __init__(self, gateway: "Gateway"):
        self.gateway = gateway
        self.transport: asyncio.DatagramTransport | None = None
        self.buckets: dict[str, _Bucket] = {}

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        bucket = self.buckets.setdefault(addr[0], _Bucket(*self.gateway.device_rate))
        if len(self.buckets) > 10_000:  # a spoofing sender must not grow this without bound
            self.buckets.clear()
        if not bucket.take():
            self.gateway.count(FLOOD)
            return
        try:
            item = parse_protobuf(data) if data[:1] == b"\xbf" else parse_xml(data)
        except CotRefused as refused:
            item = refused
        try:
            self.gateway.on_device_item(item, None)
        except Exception:  # an exception here would close the transport: the mesh would go deaf
            self.gateway.count("internal_error")
            log.exception("multicast event from %s", addr[0])


class Gateway:
    def __init__(self, server_url: str, token: str, namespace: str = LIVE, devices: DeviceTable | None = None,
                 callsign: str = "OneMap", server_ssl: ssl_module.SSLContext | None = None,
                 now: Callable[[], float] = time.time, device_rate: tuple[float, float] = (DEVICE_RATE, DEVICE_BURST),
                 unit_range_km: float = DEFAULT_UNIT_RANGE_KM):
        self.server_url, self.token, self.namespace, self.server_ssl, self.now = (
            server_url, token, namespace, server_ssl, now)
        # None: every device sees every unit. A TAK server and the multicast mesh always do: they carry
        # devices in many places.
        self.unit_range = UnitRange(unit_range_km) if unit_range_km > 0 else None
        self.device_rate = device_rate  # events a second and burst, per device connection
        self.devices = devices or DeviceTable()
        self.counters: Counter[str] = Counter()  # what was refused, by reason, and what went through
        self.inbound = Inbound(namespace, self.devices, callsign, via="tak", refused=self.counters)
        self.outbound = Outbound(namespace, callsign, self.devices, centre_uid=self.inbound.centre_uid)
        namespaces = {namespace} | {e.namespace for e in (*self.devices.by_uid.values(),
                                                          *self.devices.by_callsign.values()) if e.namespace}
        self.links = {ns: FeedLink(server_url, token, ns, ssl=server_ssl, count=self.count,
                                   on_event=self.on_onemap_event if ns == namespace else None,
                                   on_connected=self._picture_to_all if ns == namespace else None)
                      for ns in sorted(namespaces)}
        self.connections: set[DeviceConnection] = set()
        self._batch: list[Cot] = []  # CoT for every device since the last flush
        self._waiting: list[list[_Encoded]] = [[] for _ in range(FLUSH_SLICES)]  # each slice's, since its turn
        self._turn = 0
        self._joined = 0  # connections so far: the next one's slice
        self._greeting: tuple[float, _Encoded] | None = None  # (built at, the picture a new device gets)
        self.multicast: _Multicast | None = None
        self.multicast_target: tuple[str, int] | None = None
        self._servers: list[asyncio.base_events.Server] = []
        self._tasks: list[asyncio.Task] = []

    def count(self, what: str, n: int = 1) -> None:
        self.counters[what] += n

    # ---- device -> OneMap ----------------------------------------------------------------------

    def on_device_item(self, item: Cot | CotRefused, connection: DeviceConnection | None) -> None:
        if isinstance(item, CotRefused):
            self.count(item.reason)
            return
        if connection is not None and not connection.bucket.take():
            self.count(FLOOD)
            return
        if item.uid.startswith(OWN_UID_PREFIX):
            return  # our own CoT, heard back from the mesh or a TAK server
        self.count("received")
        if connection is not None and item.endpoint:  # a device's report of itself, not a marker it placed
            connection.heard.update(v for v in (item.uid, item.callsign) if v)
            if self.unit_range is not None and item.has_fix and not connection.upstream:
                connection.square = self.unit_range.square(item.lon, item.lat)
        namespace = self.inbound.namespace_for(item)
        link = self.links[namespace]
        link.submit(self.inbound.handle(item, namespace, link.state, self.now()))

    # ---- OneMap -> devices ---------------------------------------------------------------------

    def _picture_to_all(self, state: dict) -> None:
        self.fan_out(self.outbound.everything(state, self.now()))

    def on_onemap_event(self, event: dict) -> None:
        link = self.links[self.namespace]
        if link.client is not None and link.client.state is not None:
            self.fan_out(self.outbound.on_event(event, link.client.state, self.now()))

    def fan_out(self, cots: list[Cot]) -> None:
        """To every device in the next flush (every FLUSH_S, one write each), except CoT addressed to some
        devices (a tasking), which go to those at once."""
        for cot in cots:
            if cot.dest:
                encoded = _Encoded([cot])
                for connection in list(self.connections):
                    if connection.addressed(cot):
                        connection.send(encoded)
            else:
                self._batch.append(cot)
            if self.multicast is not None and self.multicast.transport is not None:
                try:
                    self.multicast.transport.sendto(to_xml(cot), self.multicast_target)
                except OSError as exc:
                    self.count("multicast_send_failed")
                    log.debug("multicast send: %s", exc)
            self.count("cot_out")

    def flush(self) -> None:
        """The next slice's turn: what changed since its last turn, one write to each of its devices: what it
        sees from where it is, selected once per square (UnitRange); all of it to a device that has not said
        where it is. Every CoT is encoded once, whichever slices and squares it goes to."""
        if self._batch:
            chunk, self._batch = _Encoded(self._batch), []
            for waiting in self._waiting:
                waiting.append(chunk)
        turn, self._turn = self._turn, (self._turn + 1) % FLUSH_SLICES
        chunks, self._waiting[turn] = self._waiting[turn], []
        if not chunks:
            return
        everything = _Encoded.joined(chunks)
        seen_from = self.unit_range.selection(everything.cots) if self.unit_range is not None else None
        by_square: dict[tuple[int, int], _Encoded] = {}
        for connection in [c for c in self.connections if c.flush_slice == turn]:
            if seen_from is None or connection.square is None:
                connection.send(everything)
                continue
            if connection.square not in by_square:
                by_square[connection.square] = everything.subset(seen_from(connection.square))
            if by_square[connection.square].cots:
                connection.send(by_square[connection.square])

    def join(self, connection: "DeviceConnection") -> None:
        connection.flush_slice = self._joined % FLUSH_SLICES
        self._joined += 1
        self.connections.add(connection)

    def _greet(self, connection: DeviceConnection) -> None:
        """A device that just connected gets the whole picture at once, not bit by bit as things change. The
        picture is built and encoded once for the devices that connect within GREETING_REUSE_S of each other
        (2,000 devices coming back after an outage would otherwise cost 2,000 times the city)."""
        state = self.links[self.namespace].state
        if state is None:
            return
        now = self.now()
        if self._greeting is None or now - self._greeting[0] >= GREETING_REUSE_S:
            self._greeting = (now, _Encoded(self.outbound.everything(state, now)))
        picture = self._greeting[1]  # units and incidents: addressed to nobody in particular
        if picture.cots:
            connection.send(picture)
            self.count("cot_out", len(picture.cots))

    # ---- I/O -------------------------------------------------------------------------------------

    async def listen(self, host: str, port: int, tls: ssl_module.SSLContext | None = None) -> int:
        async def accept(reader, writer):
            peer = writer.get_extra_info("peername")
            connection = DeviceConnection(self, reader, writer, f"device {peer}")
            self.join(connection)
            self._greet(connection)
            await connection.serve()

        server = await asyncio.start_server(accept, host, port, ssl=tls, limit=READ_BYTES)
        self._servers.append(server)
        bound = server.sockets[0].getsockname()[1]
        log.info("listening for TAK devices on %s://%s:%d", "tls" if tls else "tcp", host, bound)
        return bound

    async def join_multicast(self, group: str, port: int, interface: str = "0.0.0.0") -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("", port))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                        struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(interface)))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        self.multicast = _Multicast(self)
        self.multicast_target = (group, port)
        await asyncio.get_running_loop().create_datagram_endpoint(lambda: self.multicast, sock=sock)
        log.info("on the SA multicast group %s:%d", group, port)

    async def upstream(self, host: str, port: int, tls: ssl_module.SSLContext | None, stop: asyncio.Event) -> None:
        """Keep a connection to a TAK server open: its devices' CoT in, OneMap's CoT out."""
        delay = RECONNECT_MIN_S
        while not stop.is_set():
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port, ssl=tls, limit=READ_BYTES), 10.0)
            except (OSError, asyncio.TimeoutError) as exc:
                log.warning("TAK server %s:%d unreachable (%s); again in %.1f s", host, port, exc, delay)
                await wait_or_stop(stop, delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
                continue
            delay = RECONNECT_MIN_S
            log.info("connected to the TAK server %s:%d", host, port)
            connection = DeviceConnection(self, reader, writer, f"TAK server {host}:{port}", upstream=True)
            # A TAK server takes a client's first event as its introduction, alone (FreeTAKServer resets a
            # client whose first read holds more): the centre introduces itself, and only once the server
            # has answered (or INTRODUCTION_WAIT_S passed) does the picture follow.
            connection.send(_Encoded([self.outbound.introduction(self.now())]))
            answered = asyncio.ensure_future(connection.first_data.wait())
            serving = asyncio.ensure_future(connection.serve())
            await asyncio.wait({answered, serving}, timeout=INTRODUCTION_WAIT_S, return_when=asyncio.FIRST_COMPLETED)
            answered.cancel()
            self.join(connection)
            self._greet(connection)
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if stop.is_set():
                connection.close()
                serving.cancel()
                return
            log.warning("lost the TAK server %s:%d; connecting again", host, port)

    def stats_line(self) -> str:
        return " ".join(f"{k}={v}" for k, v in sorted(self.counters.items())) or "nothing yet"

    async def run(self, stop: asyncio.Event, upstreams: tuple = ()) -> None:
        """Until `stop`: the feed links, the ticker of CoT due again, the counters' log line, any upstreams.
        Listeners and multicast are opened before (`listen`, `join_multicast`)."""
        self._tasks = [asyncio.ensure_future(link.run(stop)) for link in self.links.values()]
        self._tasks += [asyncio.ensure_future(self.upstream(host, port, tls, stop)) for host, port, tls in upstreams]
        next_stats = time.monotonic() + STATS_EVERY_S
        try:
            while not stop.is_set():
                await wait_or_stop(stop, FLUSH_S / FLUSH_SLICES)
                self.fan_out(self.outbound.due(self.now()))
                self.flush()
                if time.monotonic() >= next_stats:
                    log.info("CoT gateway: %s", self.stats_line())
                    next_stats += STATS_EVERY_S
        finally:
            for server in self._servers:
                server.close()
            for connection in list(self.connections):
                connection.close()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if self.multicast is not None and self.multicast.transport is not None:
                self.multicast.transport.close()
            log.info("CoT gateway stopped: %s", self.stats_line())


@dataclass
class GatewayOptions:
    server: str
    token: str
    namespace: str = LIVE
    listen: tuple[str, ...] = ()
    connect: str | None = None
    cert: str | None = None
    key: str | None = None
    ca: str | None = None
    multicast: str | None = None  # "" for the default group
    multicast_interface: str = "0.0.0.0"
    devices: str | None = None
    city: str | None = None  # a city pack whose devices.toml, if it has one, maps devices too
    callsign: str = "OneMap"
    unit_range_km: float = DEFAULT_UNIT_RANGE_KM  # 0: every device sees every unit


def device_table(city: str | None, devices_file: str | None) -> DeviceTable:
    """The city pack's devices.toml (when there is one), then the --devices file over it."""
    table = DeviceTable()
    for path in pack_then_file(city, "devices.toml", devices_file):
        table = table.overridden_by(DeviceTable.load(path))
    return table


async def run_gateway(options: GatewayOptions, stop: asyncio.Event | None = None,
                      ready: Callable[[Gateway], None] | None = None) -> Gateway:
    """The CLI's gateway: everything from the options; `ready` hears the gateway once it listens."""
    stop = stop or asyncio.Event()
    devices = device_table(options.city, options.devices)
    gateway = Gateway(options.server, options.token, options.namespace, devices, options.callsign,
                      unit_range_km=options.unit_range_km)

    def tls_for(scheme: str, make) -> ssl_module.SSLContext | None:
        if scheme != "tls":
            return None
        if not (options.cert and options.key and options.ca):
            raise ValueError("tls:// needs --cert, --key and --ca")
        return make(options.cert, options.key, options.ca)

    for endpoint in options.listen:
        scheme, host, port = parse_endpoint(endpoint)
        bound = await gateway.listen(host, port, tls_for(scheme, server_tls))
        print(f"listening on {scheme}://{host}:{bound}", flush=True)
    upstreams = ()
    if options.connect:
        scheme, host, port = parse_endpoint(options.connect)
        upstreams = ((host, port, tls_for(scheme, client_tls)),)
    if options.multicast is not None:
        group, port = parse_group(options.multicast)
        await gateway.join_multicast(group, port, options.multicast_interface)
    if ready is not None:
        ready(gateway)
    await gateway.run(stop, upstreams)
    return gateway
