"""Run inside one node's network namespace: listen, and probe other nodes when asked.

    ip netns exec NS python harness/probe_agent.py --tcp 22,80 --udp 161,5060

Standalone (stdlib only, nothing from the project), like the OpenStack service scripts.

* **Listeners**: every given TCP port answers each connection with ``ok``; every given UDP
  port echoes each datagram; over IPv4 and IPv6. The kernel answers ICMP echo itself. So
  a probe that gets nothing back was dropped on the way, never refused for want of a
  listener.
* **Probes**: each line on stdin is a JSON object, ``{"timeout": seconds, "probes": [...]}``,
  each probe ``[address, protocol, port]`` (``protocol`` ``tcp``, ``udp`` or ``icmp``, the
  port null for an ICMP echo request). The agent probes them, ``--concurrency`` at a
  time, and writes one JSON line, the verdicts in order:

  - ``open``: the reply came back (TCP: connected and read ``ok``; UDP: the datagram's
    echo; ICMP: the echo reply). The flow passed both ways, the reply by connection
    tracking alone, since no group admits replies by a rule of their own.
  - ``refused``: a TCP reset or an ICMP port unreachable came back: the packet passed,
    but nothing listened (never expected here).
  - ``filtered``: nothing came back before the timeout (one resend for UDP and ICMP; TCP
    retransmits its SYN itself).
  - ``error:<reason>``: the probe could not be sent (no route, no neighbour): the test
    bed is broken, which is neither verdict.

It prints ``READY`` once every listener is bound, and stops at the end of its input.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import struct
import sys
from typing import Any

ICMP_ECHO = {4: (8, 0), 6: (128, 129)}  # (request, reply) types per family
REPLY = b"ok"


def _family(address: str) -> int:
    return 6 if ":" in address else 4


def _normal(address: str) -> str:
    """One text per address, as the kernel reports a sender."""
    family = _socket_family(_family(address))
    return socket.inet_ntop(family, socket.inet_pton(family, address))


def _socket_family(version: int) -> socket.AddressFamily:
    return socket.AF_INET6 if version == 6 else socket.AF_INET


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.transport.sendto(data, addr)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        writer.write(REPLY)
        await writer.drain()
        writer.close()


async def listen(tcp: list[int], udp: list[int]) -> list[Any]:
    loop = asyncio.get_running_loop()
    servers: list[Any] = []
    for version, host in ((4, "0.0.0.0"), (6, "::")):
        for port in tcp:
            servers.append(await asyncio.start_server(_answer, host, port, backlog=4096))
        for port in udp:
            sock = socket.socket(_socket_family(version), socket.SOCK_DGRAM)
            if version == 6:  # beside the IPv4 socket on the same port
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, port))
            transport, _ = await loop.create_datagram_endpoint(Echo, sock=sock)
            servers.append(transport)
    return servers


class Prober:
    def __init__(self, timeout: float, concurrency: int) -> None:
        self.timeout = timeout
        self.slots = asyncio.Semaphore(concurrency)
        self.icmp: dict[int, socket.socket] = {}
        self.waiting: dict[tuple[int, str, int], asyncio.Future[str]] = {}
        self.identifier = os.getpid() & 0xFFFF
        self.sequence = 0

    async def probe(self, address: str, protocol: str, port: int | None) -> str:
        async with self.slots:
            try:
                if protocol == "tcp":
                    assert port is not None
                    return await self.tcp(address, port)
                if protocol == "udp":
                    assert port is not None
                    return await self.udp(address, port)
                return await self.echo(address)
            except OSError as exc:
                return f"error:{exc.strerror or exc}"

    async def tcp(self, address: str, port: int) -> str:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(address, port), self.timeout
            )
        except ConnectionRefusedError:
            return "refused"
        except TimeoutError:
            return "filtered"
        try:
            # Connected: the SYN passed both ways. The answer may be slow on a busy machine.
            data = await asyncio.wait_for(reader.read(len(REPLY)), 4 * self.timeout)
        except TimeoutError:
            data = b""
        finally:
            writer.close()
        return "open" if data == REPLY else "error:no answer after connecting"

    async def udp(self, address: str, port: int) -> str:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str] = loop.create_future()
        payload = os.urandom(8)

        class Client(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                if not answer.done():
                    answer.set_result("open" if data == payload else "error:wrong echo")

            def error_received(self, exc: Exception) -> None:
                if not answer.done():
                    refused = isinstance(exc, ConnectionRefusedError)
                    answer.set_result("refused" if refused else f"error:{exc}")

        transport, _ = await loop.create_datagram_endpoint(Client, remote_addr=(address, port))
        try:
            return await self._with_resend(answer, lambda: transport.sendto(payload))
        finally:
            transport.close()

    async def _with_resend(self, answer: asyncio.Future[str], send: Any) -> str:
        for _ in range(2):  # one resend: a datagram lost under load is not a drop
            send()
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(asyncio.shield(answer), self.timeout / 2)
        return "filtered"

    def _icmp_socket(self, version: int) -> socket.socket:
        if version not in self.icmp:
            protocol = socket.IPPROTO_ICMPV6 if version == 6 else socket.IPPROTO_ICMP
            sock = socket.socket(_socket_family(version), socket.SOCK_RAW, protocol)
            sock.setblocking(False)
            asyncio.get_running_loop().add_reader(sock.fileno(), self._icmp_received, version)
            self.icmp[version] = sock
        return self.icmp[version]

    def _icmp_received(self, version: int) -> None:
        sock = self.icmp[version]
        while True:
            try:
                data, addr = sock.recvfrom(2048)
            except BlockingIOError:
                return
            if version == 4:
                data = data[(data[0] & 0x0F) * 4 :]  # IPv4 raw sockets include the IP header
            if len(data) < 8:
                continue
            kind, _, _, identifier, sequence = struct.unpack("!BBHHH", data[:8])
            waiting = self.waiting.get((identifier, addr[0], sequence))
            if kind == ICMP_ECHO[version][1] and waiting is not None and not waiting.done():
                waiting.set_result("open")

    async def echo(self, address: str) -> str:
        version = _family(address)
        sock = self._icmp_socket(version)
        self.sequence = (self.sequence + 1) & 0xFFFF
        key = (self.identifier, _normal(address), self.sequence)
        answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.waiting[key] = answer
        header = struct.pack("!BBHHH", ICMP_ECHO[version][0], 0, 0, key[0], key[2])
        message = header + b"clearwater-sg"
        if version == 4:  # the kernel computes ICMPv6 checksums itself, not ICMPv4's
            message = header[:2] + struct.pack("!H", _checksum(message)) + message[4:]
        try:
            return await self._with_resend(answer, lambda: sock.sendto(message, (address, 0)))
        finally:
            del self.waiting[key]


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


async def main(args: argparse.Namespace) -> None:
    servers = await listen(args.tcp, args.udp)
    prober = Prober(1.5, args.concurrency)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print("READY", flush=True)
    while line := await reader.readline():
        job = json.loads(line)
        prober.timeout = job["timeout"]
        verdicts = await asyncio.gather(*(prober.probe(*probe) for probe in job["probes"]))
        print(json.dumps(verdicts), flush=True)
    for server in servers:
        server.close()


def _ports(text: str) -> list[int]:
    return [int(port) for port in text.split(",") if port]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tcp", type=_ports, default=[])
    parser.add_argument("--udp", type=_ports, default=[])
    parser.add_argument("--concurrency", type=int, default=256)
    # Hundreds of listeners and probes in flight: raise the open-files limit to the hard one.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(parser.parse_args()))
