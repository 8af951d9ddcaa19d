"""A small STUN/TURN codec for the soak's Python clients (RFC 8489, RFC 8656).

Enough to build requests with long-term credentials (RFC 8489 §9.2: MESSAGE-INTEGRITY is
HMAC-SHA1 keyed by MD5("user:realm:password"), FINGERPRINT is CRC-32 xor 0x5354554e) and to
read the answers: message type, transaction id, attributes, ERROR-CODE, XOR addresses. Standard
library only (struct, hmac, hashlib, zlib).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import signal
import struct
import zlib

MAGIC = 0x2112A442
HEADER = 20

# Methods (RFC 8489 §18.2, RFC 8656 §17).
BINDING, ALLOCATE, REFRESH, SEND, DATA, CREATE_PERMISSION, CHANNEL_BIND = (
    0x001, 0x003, 0x004, 0x006, 0x007, 0x008, 0x009)
# Classes.
REQUEST, INDICATION, SUCCESS, ERROR = 0b00, 0b01, 0b10, 0b11

# Attributes.
MAPPED_ADDRESS = 0x0001
USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
CHANNEL_NUMBER = 0x000C
LIFETIME = 0x000D
XOR_PEER_ADDRESS = 0x0012
DATA_ATTR = 0x0013
REALM = 0x0014
NONCE = 0x0015
XOR_RELAYED_ADDRESS = 0x0016
REQUESTED_TRANSPORT = 0x0019
XOR_MAPPED_ADDRESS = 0x0020
SOFTWARE = 0x8022
FINGERPRINT = 0x8028

TRANSPORT_UDP = 17


def message_type(method: int, cls: int) -> int:
    """The 14-bit type: method bits M0-M11 interleaved with the class bits C0, C1 (§5)."""
    return ((method & 0x0F80) << 2) | ((method & 0x0070) << 1) | (method & 0x000F) | \
        ((cls & 0b10) << 7) | ((cls & 0b01) << 4)


def split_type(t: int) -> tuple[int, int]:
    """(method, class) of a message type."""
    method = (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2)
    cls = ((t & 0x0100) >> 7) | ((t & 0x0010) >> 4)
    return method, cls


def long_term_key(user: str, realm: str, password: str) -> bytes:
    """RFC 8489 §9.2.2: MD5(username ":" realm ":" password)."""
    return hashlib.md5(f"{user}:{realm}:{password}".encode()).digest()


def tid() -> bytes:
    return os.urandom(12)


def attr(kind: int, value: bytes) -> bytes:
    """One TLV, padded to 4 bytes."""
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def xor_address(ip: str, port: int) -> bytes:
    """XOR-MAPPED-ADDRESS-style value of an IPv4 address (the soak uses IPv4 only)."""
    addr = int(ipaddress.IPv4Address(ip))
    return struct.pack("!BBHI", 0, 1, port ^ (MAGIC >> 16), addr ^ MAGIC)


def build(method: int, cls: int, transaction: bytes, attrs: list[bytes],
          key: bytes | None = None, fingerprint: bool = True) -> bytes:
    """A whole message; with `key`, MESSAGE-INTEGRITY (HMAC-SHA1) after the attributes."""
    body = b"".join(attrs)
    head = struct.pack("!HHI", message_type(method, cls), 0, MAGIC) + transaction
    if key is not None:
        # The length covers the attributes up to and including MESSAGE-INTEGRITY (§14.5).
        head = head[:2] + struct.pack("!H", len(body) + 24) + head[4:]
        mac = hmac.new(key, head + body, hashlib.sha1).digest()
        body += attr(MESSAGE_INTEGRITY, mac)
    if fingerprint:
        head = head[:2] + struct.pack("!H", len(body) + 8) + head[4:]
        crc = (zlib.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += attr(FINGERPRINT, struct.pack("!I", crc))
    return head[:2] + struct.pack("!H", len(body)) + head[4:] + body


class Message:
    """A parsed message: type, transaction id and attributes in order (value bytes)."""

    def __init__(self, method: int, cls: int, transaction: bytes,
                 attrs: list[tuple[int, bytes]]):
        self.method, self.cls, self.tid, self.attrs = method, cls, transaction, attrs

    def get(self, kind: int) -> bytes | None:
        for k, v in self.attrs:
            if k == kind:
                return v
        return None

    def error_code(self) -> int | None:
        v = self.get(ERROR_CODE)
        if v is None or len(v) < 4:
            return None
        return (v[2] & 0x7) * 100 + v[3]

    def xor_address(self, kind: int) -> tuple[str, int] | None:
        v = self.get(kind)
        if v is None or len(v) < 8 or v[1] != 1:
            return None
        port, addr = struct.unpack("!HI", v[2:8])
        return str(ipaddress.IPv4Address(addr ^ MAGIC)), port ^ (MAGIC >> 16)

    def text(self, kind: int) -> str | None:
        v = self.get(kind)
        return None if v is None else v.decode(errors="replace")


def parse(data: bytes) -> Message | None:
    """A STUN message, or None for anything that is not one (no integrity check: the soak only
    reads answers of a server it started itself)."""
    if len(data) < HEADER or data[0] & 0xC0:
        return None
    t, length, magic = struct.unpack("!HHI", data[:8])
    if magic != MAGIC or length % 4 or HEADER + length > len(data):
        return None
    attrs, pos, end = [], HEADER, HEADER + length
    while pos + 4 <= end:
        kind, size = struct.unpack("!HH", data[pos:pos + 4])
        value = data[pos + 4:pos + 4 + size]
        if len(value) < size:
            return None
        attrs.append((kind, value))
        pos += 4 + size + (-size % 4)
    method, cls = split_type(t)
    return Message(method, cls, data[8:20], attrs)


def require_loopback(what: str, host: str) -> None:
    """Every soak client talks to and binds loopback addresses only: refuse anything else."""
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise SystemExit(f"{what} must be a loopback address, got {host!r}")


class StopFlag:
    """Set by SIGTERM or SIGINT: a flood stops at its next step and prints its final line."""

    def __init__(self) -> None:
        self.set = False
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        self.set = True


class Every:
    """A periodic step (progress lines): due() is true once per `period_s` from `start`."""

    def __init__(self, period_s: float, start: float) -> None:
        self.period_s = period_s
        self.next = start + period_s

    def due(self, now: float) -> bool:
        if now < self.next:
            return False
        self.next += self.period_s
        return True
