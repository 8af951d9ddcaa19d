#!/usr/bin/env python3
"""Permission flood from one authenticated user: one allocation, ever-new peers.

Allocates once (401, then with long-term credentials), then at --rate requests per second sends,
alternately, CreatePermission for a new peer IP and ChannelBind of a new channel number to a
new peer (a new port on one of four IPs, so that channels reach their cap before the
permissions they need do), and Refreshes the allocation every --refresh-s. A server with per-
allocation caps (max-allocation-permissions, max-allocation-channels) answers the requests over
the cap with 508 and must stay flat. At the end the allocation is deleted with Refresh 0. The
live permissions and channels are counted from the successes (RFC 8656 lifetimes: 300 s, 600 s;
a ChannelBind refreshes its peer's permission).

Peers are public-looking addresses in 8.0.0.0/8 (the loopback and documentation ranges are
refused by the default peer policy, which would test the policy instead of the caps). Nothing
is ever sent to them: this client sends no Send indication and no ChannelData, so a permission
or channel only exists in the server's tables. The server it talks to and the address it binds
must be loopback addresses.

Prints a JSON line {"kind": "progress", ...} every --report-s and {"kind": "final", ...} at the
end, on stdout. Exit 0 when it ran, 1 when the allocation could not be made.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from collections import Counter

import stunmsg as stun

PERMISSION_LIFETIME_S = 300  # RFC 8656 §9
CHANNEL_LIFETIME_S = 600  # RFC 8656 §12
CHANNEL_IPS = ("8.255.0.1", "8.255.0.2", "8.255.0.3", "8.255.0.4")  # outside peer_ip()'s range
RTO_S = 0.5
TRIES = 3

class Client:
    """One UDP 5-tuple, one allocation, stop-and-wait requests with retransmissions."""

    def __init__(self, server: tuple[str, int], bind: str, user: str, password: str):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((bind, 0))
        self.sock.connect(server)
        self.user, self.password = user, password
        self.realm = self.nonce = None
        self.key = None
        self.timeouts = 0
        self.started = 0.0
        self.stale_nonces = 0

    def _exchange(self, message: bytes, transaction: bytes) -> stun.Message | None:
        for _ in range(TRIES):
            try:
                self.sock.send(message)
            except OSError:
                time.sleep(RTO_S)
                continue
            deadline = time.monotonic() + RTO_S
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                try:
                    data = self.sock.recv(2048)
                except socket.timeout:
                    break
                except OSError:  # ICMP port unreachable: the server is gone
                    time.sleep(left)
                    break
                m = stun.parse(data)
                if m and m.tid == transaction:
                    return m
        self.timeouts += 1
        return None

    def request(self, method: int, attrs: list[bytes]) -> stun.Message | None:
        """A signed request; a 438 (stale nonce) or a 401 with a fresh nonce is retried.

        `started` is set to when it was first sent: the server made what it grants at that
        moment or later, so a lifetime counted from it never outlives the server's."""
        self.started = time.monotonic()
        for _ in range(3):
            t = stun.tid()
            signed = attrs
            if self.key is not None:
                signed = attrs + [stun.attr(stun.USERNAME, self.user.encode()),
                                  stun.attr(stun.REALM, self.realm.encode()),
                                  stun.attr(stun.NONCE, self.nonce.encode())]
            m = self._exchange(stun.build(method, stun.REQUEST, t, signed, self.key), t)
            if m is None or m.cls != stun.ERROR:
                return m
            code = m.error_code()
            if code in (401, 438) and m.get(stun.NONCE) is not None:
                if code == 438:
                    self.stale_nonces += 1
                elif self.key is not None:
                    return m  # signed and still 401: the credentials are wrong
                self.nonce = m.text(stun.NONCE)
                self.realm = m.text(stun.REALM) or self.realm
                self.key = stun.long_term_key(self.user, self.realm, self.password)
                continue
            return m
        return m


def peer_ip(n: int) -> str:
    """The n-th peer IP: 8.x.y.z below 8.255/16, skipping .0 and .255 hosts."""
    n %= 254 * 255 * 256
    return f"8.{n // (254 * 256) % 255}.{n // 254 % 256}.{n % 254 + 1}"


def outcome(m: stun.Message | None) -> str:
    if m is None:
        return "timeout"
    if m.cls == stun.SUCCESS:
        return "ok"
    return str(m.error_code() or "error")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", required=True, help="HOST:PORT (loopback)")
    p.add_argument("--bind", default="127.0.0.5", help="source IP (loopback)")
    p.add_argument("--user", default="mallory")
    p.add_argument("--password", default="secret")
    p.add_argument("--duration", type=float, required=True, help="seconds")
    p.add_argument("--rate", type=float, default=100.0, help="requests per second")
    p.add_argument("--refresh-s", type=float, default=60.0, help="Refresh period")
    p.add_argument("--report-s", type=float, default=10.0, help="progress line period")
    o = p.parse_args()
    host, port = o.server.rsplit(":", 1)
    stun.require_loopback("--server", host)
    stun.require_loopback("--bind", o.bind)
    stop = stun.StopFlag()

    c = Client((host, int(port)), o.bind, o.user, o.password)
    t0 = time.monotonic()
    alloc = c.request(stun.ALLOCATE, [stun.attr(stun.REQUESTED_TRANSPORT,
                                                 bytes([stun.TRANSPORT_UDP, 0, 0, 0]))])
    if alloc is None or alloc.cls != stun.SUCCESS:
        print(json.dumps({"kind": "final", "ok": False,
                          "error": f"Allocate failed: {outcome(alloc)}"}), flush=True)
        return 1
    relay = alloc.xor_address(stun.XOR_RELAYED_ADDRESS)

    counts = {"permission": Counter(), "channel": Counter(), "refresh": Counter()}
    perms: dict[str, float] = {}  # peer IP -> when the permission the server granted expires
    chans: dict[int, float] = {}  # channel number -> when its binding expires
    max_live_perm = max_live_chan = 0
    n_peer = n_channel = sent = 0
    next_purge = t0 + 1.0
    next_refresh = t0 + o.refresh_s
    report = stun.Every(o.report_s, t0)
    end = t0 + o.duration

    def snapshot(kind: str) -> dict:
        return {"kind": kind, "t": round(time.monotonic() - t0, 3), "requests": sent,
                "relay": f"{relay[0]}:{relay[1]}" if relay else None,
                "permission": dict(counts["permission"]), "channel": dict(counts["channel"]),
                "refresh": dict(counts["refresh"]), "live_permissions": len(perms),
                "live_channels": len(chans), "max_live_permissions": max_live_perm,
                "max_live_channels": max_live_chan, "timeouts": c.timeouts,
                "stale_nonces": c.stale_nonces}

    while not stop.set:
        now = time.monotonic()
        if now >= end:
            break
        if report.due(now):
            print(json.dumps(snapshot("progress")), flush=True)
        if now >= next_refresh:
            counts["refresh"][outcome(c.request(stun.REFRESH, []))] += 1
            next_refresh += o.refresh_s
        # Pace: request number `sent` is due at t0 + sent / rate.
        due = t0 + sent / o.rate
        if due > now:
            time.sleep(min(due - now, 0.05))
            continue
        if sent % 2 == 0:
            ip = peer_ip(n_peer)
            n_peer += 1
            r = outcome(c.request(stun.CREATE_PERMISSION, [
                stun.attr(stun.XOR_PEER_ADDRESS, stun.xor_address(ip, 9))]))
            counts["permission"][r] += 1
            if r == "ok":
                perms[ip] = c.started + PERMISSION_LIFETIME_S
        else:
            # Channel numbers 0x4000-0x4FFF (RFC 8656's range, accepted everywhere), each new
            # until they wrap, to a new port on one of CHANNEL_IPS.
            number = 0x4000 + n_channel % 0x1000
            ip = CHANNEL_IPS[n_channel % len(CHANNEL_IPS)]
            peer = stun.xor_address(ip, 1024 + n_channel % 64000)
            n_channel += 1
            r = outcome(c.request(stun.CHANNEL_BIND, [
                stun.attr(stun.CHANNEL_NUMBER, struct_channel(number)),
                stun.attr(stun.XOR_PEER_ADDRESS, peer)]))
            counts["channel"][r] += 1
            if r == "ok":
                chans[number] = c.started + CHANNEL_LIFETIME_S
                perms[ip] = c.started + PERMISSION_LIFETIME_S
        sent += 1
        now = time.monotonic()
        # Exact while the tables are small (a server with caps); once a second otherwise.
        if len(perms) + len(chans) < 2000 or now >= next_purge:
            perms = {k: v for k, v in perms.items() if v > now}
            chans = {k: v for k, v in chans.items() if v > now}
            next_purge = now + 1.0
        max_live_perm = max(max_live_perm, len(perms))
        max_live_chan = max(max_live_chan, len(chans))

    # Delete the allocation so that the soak's drain check does not wait out its lifetime.
    deleted = c.request(stun.REFRESH, [stun.attr(stun.LIFETIME, b"\0\0\0\0")])
    final = snapshot("final") | {"ok": True, "deleted": outcome(deleted)}
    print(json.dumps(final), flush=True)
    return 0


def struct_channel(number: int) -> bytes:
    """CHANNEL-NUMBER: the number, then two bytes RFFU."""
    return bytes([number >> 8, number & 0xFF, 0, 0])


if __name__ == "__main__":
    sys.exit(main())
