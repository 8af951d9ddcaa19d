#!/usr/bin/env python3
"""Malformed UDP flood: datagrams a TURN server must drop or refuse cheaply, at a bounded rate.

From --sockets UDP sockets bound to --bind (a loopback address of its own, so per-source
defences see one attacker), sends at --rate datagrams per second, round robin over:
- garbage: random bytes of random length, first byte outside STUN/ChannelData/DTLS;
- truncated: STUN headers cut short, or announcing more attribute bytes than follow;
- badmi: Allocate requests with USERNAME, REALM and a random MESSAGE-INTEGRITY but no NONCE
  (the server answers 400/401, or drops them once its unauthorized rate limit is reached);
- channeldata: ChannelData for channels no allocation has (no allocation on the 5-tuple);
- dtls: random bytes whose first byte is 20..63 (DTLS record types), DTLS-looking headers.
Answers are read and counted (by STUN class and error code), so the flood's own receive buffers
never fill. Everything goes to --server, which must be a loopback address.

Prints {"kind": "progress", ...} every --report-s and {"kind": "final", ...} at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import struct
import sys
import time
from collections import Counter

import stunmsg as stun

KINDS = ("garbage", "truncated", "badmi", "channeldata", "dtls")
POOL = 512  # precomputed datagrams per kind
BATCH = 64  # datagrams per pacing step

def garbage(rng: random.Random) -> bytes:
    first = rng.choice([b for b in range(64, 256) if not 0x40 <= b <= 0x4F])
    return bytes([first]) + os.urandom(rng.randint(0, 1199))


def truncated(rng: random.Random) -> bytes:
    t = stun.message_type(rng.choice([stun.BINDING, stun.ALLOCATE, stun.REFRESH,
                                      stun.CREATE_PERMISSION, stun.CHANNEL_BIND]), stun.REQUEST)
    if rng.random() < 0.5:  # a header cut short
        return struct.pack("!HHI", t, 0, stun.MAGIC)[:rng.randint(1, 19)]
    # A whole header announcing attributes that are not (all) there.
    claimed = rng.randrange(4, 1024, 4)
    return struct.pack("!HHI", t, claimed, stun.MAGIC) + stun.tid() + \
        os.urandom(rng.randrange(0, claimed, 4))


def bad_integrity(rng: random.Random) -> bytes:
    user = f"user{rng.randint(0, 999)}".encode()
    attrs = [stun.attr(stun.REQUESTED_TRANSPORT, bytes([stun.TRANSPORT_UDP, 0, 0, 0])),
             stun.attr(stun.USERNAME, user), stun.attr(stun.REALM, b"soak"),
             stun.attr(stun.MESSAGE_INTEGRITY, os.urandom(20))]
    return stun.build(stun.ALLOCATE, stun.REQUEST, stun.tid(), attrs,
                      fingerprint=rng.random() < 0.5)


def channel_data(rng: random.Random) -> bytes:
    size = rng.randint(0, 400)
    return struct.pack("!HH", rng.randint(0x4000, 0x4FFF), size) + os.urandom(size)


def dtls_like(rng: random.Random) -> bytes:
    first = rng.randint(20, 63)
    if rng.random() < 0.5:  # a DTLS 1.2 record header (type, version, epoch, seq, length)
        body = os.urandom(rng.randint(0, 300))
        return struct.pack("!BHH6sH", first, 0xFEFD, 0, os.urandom(6), len(body)) + body
    return bytes([first]) + os.urandom(rng.randint(0, 600))


MAKERS = {"garbage": garbage, "truncated": truncated, "badmi": bad_integrity,
          "channeldata": channel_data, "dtls": dtls_like}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", required=True, help="HOST:PORT (loopback)")
    p.add_argument("--bind", default="127.0.0.2", help="source IP (loopback)")
    p.add_argument("--rate", type=float, default=20000.0, help="datagrams per second")
    p.add_argument("--sockets", type=int, default=8, help="source ports")
    p.add_argument("--duration", type=float, required=True, help="seconds")
    p.add_argument("--report-s", type=float, default=10.0, help="progress line period")
    p.add_argument("--seed", type=int, default=1)
    o = p.parse_args()
    host, port = o.server.rsplit(":", 1)
    stun.require_loopback("--server", host)
    stun.require_loopback("--bind", o.bind)
    stop = stun.StopFlag()

    rng = random.Random(o.seed)
    # Interleaved: kind i of datagram n is KINDS[n % 5].
    pool = [MAKERS[KINDS[n % len(KINDS)]](rng) for n in range(POOL * len(KINDS))]
    socks = []
    for _ in range(o.sockets):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((o.bind, 0))
        s.connect((host, int(port)))
        s.setblocking(False)
        socks.append(s)

    sent, dropped, received = Counter(), 0, Counter()
    t0 = time.monotonic()
    end, report = t0 + o.duration, stun.Every(o.report_s, t0)
    n = 0

    def snapshot(kind: str) -> dict:
        elapsed = max(1e-9, time.monotonic() - t0)
        return {"kind": kind, "t": round(elapsed, 3), "sent": dict(sent),
                "sent_total": sum(sent.values()), "rate": round(sum(sent.values()) / elapsed),
                "local_drops": dropped, "answers": dict(received),
                "answers_total": sum(received.values())}

    def drain():
        for s in socks:
            for _ in range(256):
                try:
                    data = s.recv(2048)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:  # ICMP errors (server gone): nothing to read
                    break
                m = stun.parse(data)
                if m is None:
                    received["not-stun"] += 1
                elif m.cls == stun.ERROR:
                    received[f"error-{m.error_code()}"] += 1
                else:
                    received[{stun.SUCCESS: "success", stun.INDICATION: "indication"}.get(
                        m.cls, "other")] += 1

    while not stop.set:
        now = time.monotonic()
        if now >= end:
            break
        if report.due(now):
            print(json.dumps(snapshot("progress")), flush=True)
        due = int((now - t0) * o.rate) - n
        if due <= 0:
            drain()
            time.sleep(min(0.002, BATCH / o.rate))
            continue
        for _ in range(min(due, BATCH)):
            data = pool[n % len(pool)]
            try:
                socks[n % len(socks)].send(data)
                sent[KINDS[n % len(KINDS)]] += 1
            except OSError:  # buffer full, or ICMP port unreachable reported on send
                dropped += 1
            n += 1
        drain()
    drain()
    print(json.dumps(snapshot("final") | {"ok": True}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
