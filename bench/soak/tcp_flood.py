#!/usr/bin/env python3
"""TCP connection flood from one source address: open, stay silent, reopen what is closed.

Opens non-blocking connections from --bind (one loopback address: one source for the server's
per-source connection cap) to --server at most --rate attempts per second, keeps at most
--max-open of them, sends nothing on them, and replaces every connection the server closes
(the cap refusing it, or the first-message / idle timeout). A connect that has not completed
within --connect-timeout-s is abandoned. --server must be a loopback address.

Counts attempts, connections established, connect failures and timeouts, closes by the server
(with how long each had been open: the cap shows as ~0 s, the idle timeouts as their value)
and the largest number open at once. Prints {"kind": "progress", ...} every --report-s and
{"kind": "final", ...} at the end.
"""

from __future__ import annotations

import argparse
import errno
import json
import resource
import select
import socket
import sys
import time
from collections import Counter

import stunmsg as stun

IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)
BATCH = 64  # connects per pacing step

def quantiles(values: list[float]) -> dict:
    if not values:
        return {}
    v = sorted(values)
    return {q: round(v[min(len(v) - 1, int(len(v) * f))], 3)
            for q, f in (("p10", 0.10), ("p50", 0.50), ("p90", 0.90), ("max", 1.0))}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", required=True, help="HOST:PORT (loopback)")
    p.add_argument("--bind", default="127.0.0.3", help="source IP (loopback)")
    p.add_argument("--rate", type=float, default=5000.0, help="connect attempts per second")
    p.add_argument("--max-open", type=int, default=4000, help="connections open at most")
    p.add_argument("--connect-timeout-s", type=float, default=3.0)
    p.add_argument("--duration", type=float, required=True, help="seconds")
    p.add_argument("--report-s", type=float, default=10.0, help="progress line period")
    o = p.parse_args()
    host, port = o.server.rsplit(":", 1)
    server = (host, int(port))
    stun.require_loopback("--server", host)
    stun.require_loopback("--bind", o.bind)
    stop = stun.StopFlag()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = o.max_open + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    max_open = min(o.max_open, soft - 64)

    ep = select.epoll()
    conns: dict[int, list] = {}  # fd -> [socket, opened at, connected at or None]
    c = Counter()
    lifetimes: list[float] = []  # seconds a connection was up before the server closed it
    max_seen = 0
    established = 0  # connections in conns that completed their handshake
    t0 = time.monotonic()
    end, report, next_sweep = t0 + o.duration, stun.Every(o.report_s, t0), t0 + 0.5

    def close(fd: int):
        nonlocal established
        s, _, connected = conns.pop(fd)
        if connected is not None:
            established -= 1
        try:
            ep.unregister(fd)
        except OSError:
            pass
        s.close()

    def open_one(now: float):
        c["attempts"] += 1
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            s.bind((o.bind, 0))
            s.setblocking(False)
            rc = s.connect_ex(server)
        except OSError as e:
            c[f"local_error_{errno.errorcode.get(e.errno, e.errno)}"] += 1
            s.close()
            return
        if rc not in (0, errno.EINPROGRESS):
            c[f"connect_{errno.errorcode.get(rc, rc)}"] += 1
            s.close()
            return
        conns[s.fileno()] = [s, now, None]
        ep.register(s.fileno(), select.EPOLLOUT | select.EPOLLIN | select.EPOLLRDHUP)

    def snapshot(kind: str) -> dict:
        elapsed = max(1e-9, time.monotonic() - t0)
        return {"kind": kind, "t": round(elapsed, 3), **dict(c),
                "attempt_rate": round(c["attempts"] / elapsed), "open": established,
                "connecting": len(conns) - established, "max_open": max_seen,
                "open_s_before_server_close": quantiles(lifetimes)}

    while not stop.set:
        now = time.monotonic()
        if now >= end:
            break
        if report.due(now):
            print(json.dumps(snapshot("progress")), flush=True)
            if len(lifetimes) > 100000:
                lifetimes = lifetimes[-50000:]
        if now >= next_sweep:
            for fd in [fd for fd, v in conns.items()
                       if v[2] is None and now - v[1] > o.connect_timeout_s]:
                c["connect_timeouts"] += 1
                close(fd)
            next_sweep = now + 0.5
        due = min(int((now - t0) * o.rate) - c["attempts"], max_open - len(conns), BATCH)
        for _ in range(max(0, due)):
            open_one(now)
        for fd, ev in ep.poll(0.002 if due > 0 else 0.01):
            entry = conns.get(fd)
            if entry is None:
                continue
            s, opened, connected = entry
            if connected is None:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    c[f"connect_{errno.errorcode.get(err, err)}"] += 1
                    close(fd)
                    continue
                if ev & select.EPOLLOUT:
                    entry[2] = time.monotonic()
                    c["connected"] += 1
                    ep.modify(fd, select.EPOLLIN | select.EPOLLRDHUP)
                    established += 1
                    max_seen = max(max_seen, established)
                    if not ev & (select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLHUP):
                        continue
                else:
                    continue
            # Established and readable: the server sent something (it should not) or closed.
            try:
                data = s.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                c[f"server_{errno.errorcode.get(e.errno, e.errno)}"] += 1
                lifetimes.append(time.monotonic() - entry[2])
                close(fd)
                continue
            if data:
                c["bytes_from_server"] += len(data)
                continue
            c["server_closed"] += 1
            lifetimes.append(time.monotonic() - entry[2])
            close(fd)
    final = snapshot("final") | {"ok": True}
    for fd in list(conns):
        close(fd)
    print(json.dumps(final), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
