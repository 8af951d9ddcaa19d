#!/usr/bin/env python3
"""Run the relay benchmark scenarios against turnd, coturn and the bare forwarder; print a table.

Each scenario drives the same load generator (bench/load, `turnd_load`) with the same arguments
against every server, alternating servers round by round (turnd, coturn, floor, turnd, ...) so a
slow drift of the machine hits all of them alike. Every run gets a freshly started server, whose
CPU time is read from /proc at the moments the generator announces the measured window, so the
figures are "server CPU per relayed packet" (or per allocation cycle), not wall-clock guesses.

turnd runs twice: `turnd` relays in user space (--kernel-offload=off), `turnd-offload` with its
TC fast path (--kernel-offload=on). The fast path relays in softirq context, which the kernel
charges to whichever task sent the packet, so the server's own CPU no longer says what relaying
costs. The relay overhead does: the CPU of every task of a run (generator with its echo peer,
server, ksoftirqd) per relayed packet, minus the same of a "direct" run of the same load sent
straight from the generator to its echo peer with no relay in between.

Python 3.11 standard library only; Linux only (/proc). Traffic goes to 127.0.0.1 only. See
bench/README.md for the scenarios, the metrics and how to run it.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the only address any traffic of this script goes to
USER, PASSWORD, REALM = "alice", "secret", "bench"
SERVER_ORDER = ("turnd", "turnd-offload", "coturn", "floor")
DIRECT = "direct"  # not a server: the generator's load to its echo peer, no relay in between
RUN_ORDER = (DIRECT,) + SERVER_ORDER  # the order of the runs in a round, and of the columns
# Port slots: turnd-offload after coturn, so that without it the relay ranges are where they
# were (and --hold-clients can be as large as before).
LAYOUT_ORDER = ("turnd", "coturn", "turnd-offload", "floor")
TURND_VARIANTS = {"turnd": "off", "turnd-offload": "on"}  # server name -> --kernel-offload
START_TIMEOUT_S = 10.0  # a server that does not answer within this is a failed start
STOP_GRACE_S = 3.0  # SIGTERM, then SIGKILL after this
GENERATOR_SLACK_S = 60.0  # generator timeout = warmup + duration + this
PR_SET_PDEATHSIG = 1
RELAY_RANGE_DEFAULT = 65535 - 49152 + 1  # coturn's and turnd's default min-port..max-port

# ----------------------------------------------------------------------------------------------
# Scenarios


@dataclass(frozen=True)
class Scenario:
    """One benchmark scenario: how the generator is driven and which servers take part."""

    name: str
    kind: str  # "load" (turnd_load), "uclient" (coturn's client), "churn" (soak)
    mode: str = "channel"
    transport: str = "udp"
    args: tuple[str, ...] = ()
    floor: bool = False  # whether the bare forwarder is a meaningful baseline
    direct: bool = False  # whether a direct run (no relay) measures the relay overhead
    servers: tuple[str, ...] = SERVER_ORDER
    doc: str = ""


AUDIO = ("--clients", "50", "--shape", "audio", "--size", "200", "--rate", "10000")


def make_scenarios(hold_clients: int) -> dict[str, Scenario]:
    """The scenario list of the issue; hold's client count is a run option."""
    return {
        s.name: s
        for s in (
            Scenario("audio", "load", args=AUDIO, floor=True, direct=True,
                     doc="50 clients, 200 B, 10000 client pkt/s in total, ChannelData"),
            Scenario("video", "load", floor=True, direct=True,
                     args=("--clients", "50", "--shape", "video", "--size", "1200",
                           "--burst", "8"),
                     doc="50 clients, bursts of 8 x 1200 B every 33 ms, ChannelData"),
            Scenario("peak", "load", floor=True, direct=True,
                     args=("--clients", "50", "--shape", "flat", "--size", "200",
                           "--window", "16"),
                     doc="50 clients, 16 packets in flight each: peak relayed pkt/s"),
            Scenario("audio2x", "load", args=AUDIO[:-1] + ("20000",), direct=True,
                     doc="audio at twice the rate: with --workers 2, the per-worker load of "
                         "audio with one worker (the sharing check)"),
            Scenario("send", "load", mode="send", args=AUDIO,
                     doc="audio load as Send/Data indications"),
            Scenario("tcp", "load", transport="tcp", args=AUDIO,
                     doc="audio load, ChannelData over TCP to the server"),
            Scenario("alloc", "load", mode="alloc", args=("--inflight", "32"),
                     doc="allocate/refresh-0 cycles, 32 in flight"),
            Scenario("hold", "load", mode="hold", args=("--clients", str(hold_clients)),
                     doc=f"{hold_clients} idle allocations held: RSS per allocation"),
            Scenario("uclient", "uclient",
                     doc="coturn's turnutils_uclient -m 50 -l 200 to turnutils_peer"),
            Scenario("churn", "churn", mode="alloc", args=("--inflight", "32"),
                     servers=("turnd",), doc="soak: allocation churn, RSS flat, ports back"),
        )
    }


DEFAULT_SCENARIOS = ("audio", "video", "peak", "send", "tcp", "alloc", "hold", "uclient")

# ----------------------------------------------------------------------------------------------
# /proc readers


def cpu_ns(pid: int) -> int | None:
    """Total CPU time of a process in ns: the sum of its threads' schedstat run time.

    schedstat is ns-precise (stat's utime/stime tick at 10 ms, too coarse for a 2 s window).
    Threads that exit in between are lost from the sum; the servers keep their threads."""
    total, seen = 0, False
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
                seen = True
        except (OSError, ValueError, IndexError):
            continue  # the thread went away between listdir and open
    return total if seen else None


def ksoftirqd_pids() -> list[int]:
    """The per-CPU softirq threads. Softirq work the kernel could not finish on the sending task
    (under load) runs there, so it is part of a run's cost; others' softirqs can land there too,
    so the figure is also kept apart in the JSON (ksoftirqd_cpu_ns)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().startswith("ksoftirqd/"):
                    pids.append(int(entry))
        except OSError:
            continue
    return pids


def ksoftirqd_ns(pids: list[int]) -> int | None:
    """CPU time of the softirq threads, summed."""
    vals = [cpu_ns(p) for p in pids]
    return sum(v for v in vals if v is not None) if any(v is not None for v in vals) else None


def rss_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def socket_inodes(pid: int) -> set[int]:
    """Inodes of the sockets a process holds (from /proc/<pid>/fd links 'socket:[N]')."""
    inodes = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(int(link[8:-1]))
    return inodes


def proc_net(kind: str) -> list[tuple[int, str, int]]:
    """Rows of /proc/net/<kind> and <kind>6 as (local port, state hex, inode)."""
    rows = []
    for name in (kind, kind + "6"):
        try:
            with open(f"/proc/net/{name}") as f:
                next(f)  # header
                for line in f:
                    parts = line.split()
                    port = int(parts[1].rsplit(":", 1)[1], 16)
                    rows.append((port, parts[3], int(parts[9])))
        except (OSError, StopIteration, IndexError, ValueError):
            continue
    return rows


def udp_ports(pid: int) -> list[int]:
    """Local ports of the UDP sockets a process holds (one entry per socket)."""
    mine = socket_inodes(pid)
    return [port for port, _, inode in proc_net("udp") if inode in mine]


def tcp_listening(pid: int, port: int) -> bool:
    """Whether the process holds a TCP socket listening (state 0A) on the port."""
    mine = socket_inodes(pid)
    return any(p == port and st == "0A" and ino in mine for p, st, ino in proc_net("tcp"))


def port_is_free(port: int) -> bool:
    """Whether 127.0.0.1:port can be bound for UDP now (nobody else uses our fixed ports)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


# ----------------------------------------------------------------------------------------------
# STUN Binding probe: a server is ready when it answers one.


def stun_binding_ok(port: int, timeout_s: float = 0.2) -> bool:
    """Send one RFC 5389 Binding request to 127.0.0.1:port; True on a matching success answer."""
    txid = os.urandom(12)
    request = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + txid
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout_s)
        try:
            s.sendto(request, (HOST, port))
            data, _ = s.recvfrom(2048)
        except OSError:  # timeout, or ICMP port unreachable while the server is not bound yet
            return False
    return len(data) >= 20 and data[0:2] == b"\x01\x01" and data[8:20] == txid


# ----------------------------------------------------------------------------------------------
# Processes: every process this script starts is registered and stopped by its PID.

_started: list[subprocess.Popen] = []


def _nofile_target(need: int) -> int:
    """The RLIMIT_NOFILE (soft = hard) the children get: the hard limit, raised to `need`."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    try:
        with open("/proc/sys/fs/nr_open") as f:
            nr_open = int(f.read())
    except (OSError, ValueError):
        nr_open = hard
    want = hard if hard != resource.RLIM_INFINITY else nr_open
    return min(max(want, need), nr_open) if os.geteuid() == 0 else want


def _preexec(nofile: int):
    """Child setup: raise the fd limit (hold needs one socket per allocation) and die with us.

    PDEATHSIG makes the kernel kill the child if this script dies without its finally block
    (SIGKILL, OOM), so no server outlives the benchmark."""

    def setup():
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        except (ValueError, OSError):
            pass  # not root: keep what we have; the caller checked the limit is enough
        try:
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass

    return setup


def spawn(cmd: list[str], log_path: Path, nofile: int, stdout=None) -> subprocess.Popen:
    """Start a child in its own session (a terminal Ctrl-C reaches only us; we stop it)."""
    log = open(log_path, "ab")
    try:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=stdout if stdout is not None else log,
            stderr=log, start_new_session=True, preexec_fn=_preexec(nofile))
    finally:
        log.close()
    _started.append(proc)
    return proc


def stop(proc: subprocess.Popen) -> dict:
    """SIGTERM by PID, SIGKILL after STOP_GRACE_S; returns how it went for the record."""
    if proc in _started:
        _started.remove(proc)
    if proc.poll() is not None:
        return {"exit": proc.returncode, "sigkill": False, "already_exited": True}
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_GRACE_S)
        killed = False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        killed = True
    return {"exit": proc.returncode, "sigkill": killed, "already_exited": False}


def stop_all() -> None:
    """Stop whatever is still running (Ctrl-C, exception): only processes we started."""
    for proc in list(_started):
        try:
            stop(proc)
        except Exception as e:  # keep cleaning up the rest
            print(f"warning: could not stop pid {proc.pid}: {e}", file=sys.stderr)


# ----------------------------------------------------------------------------------------------
# Servers


@dataclass
class Layout:
    """Fixed ports: each server its own listening port and relay range, so none collide.

    Relay ranges sit above the listening ports, each the size of the servers' default range
    or what hold needs. They overlap Linux's ephemeral range (32768-60999), where the
    generator's client sockets are bound; the servers cope (a busy port is skipped)."""

    base: int
    relay_size: int

    def listen(self, server: str) -> int:
        return self.base + 1 + LAYOUT_ORDER.index(server)

    @property
    def peer(self) -> int:  # the generator's echo peer (and the floor's fixed peer)
        return self.base + 10

    @property
    def uclient_peer(self) -> int:
        return self.base + 11

    def relay_range(self, server: str) -> tuple[int, int]:
        first = self.base + 100 + LAYOUT_ORDER.index(server) * self.relay_size
        return first, first + self.relay_size - 1


@dataclass
class Server:
    """A started server process and what was measured about it at idle."""

    name: str
    proc: subprocess.Popen
    port: int
    log: Path
    idle_rss_kib: int | None = None
    idle_udp_sockets: int = 0

    @property
    def pid(self) -> int:
        return self.proc.pid


def server_cmd(name: str, opts, layout: Layout, tmp: Path) -> list[str]:
    """Command line of a server: the same realm, user, relay IP and worker count for all."""
    port = layout.listen(name)
    if name == "floor":
        return [str(opts.floor), "--listen", f"{HOST}:{port}", "--peer", f"{HOST}:{layout.peer}",
                "--relay-ip", HOST, "--threads", str(opts.workers)]
    lo, hi = layout.relay_range(name)
    common = ["-n", "--listening-ip", HOST, "--listening-port", str(port), "--relay-ip", HOST,
              "--min-port", str(lo), "--max-port", str(hi), "--realm", REALM, "--lt-cred-mech",
              "--user", f"{USER}:{PASSWORD}", "--allow-loopback-peers",
              "--relay-threads", str(opts.workers),
              # Both servers log every allocation: to /dev/null, so the cost is formatting only.
              "--simple-log", "--log-file", "/dev/null", "--no-stdout-log"]
    if name in TURND_VARIANTS:
        # Every benchmark client comes from 127.0.0.1: turnd's per-source budgets (on by
        # default; coturn has the 401 limit off by default and no request cap) would throttle
        # the allocation scenarios, so both are off here. The fast path is named either way:
        # "auto" would make plain `turnd` depend on the privileges the script runs with.
        return [str(opts.turnd)] + common + ["--unauthorized-ratelimit=off",
                                             "--request-ratelimit-rps=0",
                                             f"--kernel-offload={TURND_VARIANTS[name]}",
                                             *opts.turnd_opt]
    # coturn 4.6.1: no CLI (it would want --cli-password with loopback peers allowed), no
    # TLS/DTLS listeners (no certificate here), pidfile in our temp dir instead of /var/run.
    return [str(opts.coturn)] + common + ["--no-cli", "--no-tls", "--no-dtls",
                                          "--pidfile", str(tmp / "coturn.pid")]


def wait_ready(name: str, proc: subprocess.Popen, port: int) -> str | None:
    """Wait (bounded) until the server serves; returns an error text or None.

    turnd and coturn must answer a STUN Binding request; the floor speaks no STUN, so we wait
    until it holds a UDP socket on its listening port."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"exited with code {proc.returncode} during startup"
        if name == "floor":
            if port in udp_ports(proc.pid):
                return None
            time.sleep(0.05)
        elif stun_binding_ok(port):
            return None
    return f"did not answer within {START_TIMEOUT_S:.0f} s"


def start_server(name: str, opts, layout: Layout, tmp: Path,
                 tag: str) -> tuple[Server | None, str | None]:
    """Start a fresh server for one run and wait until it serves."""
    port = layout.listen(name)
    for _ in range(20):  # a port still held by someone: wait a little, then give up
        if port_is_free(port):
            break
        time.sleep(0.1)
    else:
        return None, f"port {HOST}:{port} is in use (choose another --port-base)"
    log = tmp / f"{tag}.server.log"
    proc = spawn(server_cmd(name, opts, layout, tmp), log, opts.nofile)
    err = wait_ready(name, proc, port)
    if err:
        stop(proc)
        return None, f"{name} {err}; log: {tail(log)}"
    time.sleep(0.2)  # let startup allocations settle before the idle RSS is read
    return Server(name, proc, port, log, rss_kib(proc.pid), len(udp_ports(proc.pid))), None


def tail(path: Path, lines: int = 5) -> str:
    """Last lines of a log, for error messages."""
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


# ----------------------------------------------------------------------------------------------
# Driving a child and reacting to its output lines


def drive(proc: subprocess.Popen, deadline: float, on_line, on_tick=None, tick_s: float = 10.0):
    """Read the child's stdout line by line until it exits or the deadline passes.

    Reads on the raw fd with select in this thread, so a line is acted on (CPU sampled) the
    moment it arrives. on_tick runs every tick_s seconds (the soak samples RSS with it).
    Returns True if the child exited on its own, False on timeout (the child is then killed)."""
    fd = proc.stdout.fileno()
    buf = b""
    next_tick = time.monotonic() + tick_s
    while True:
        now = time.monotonic()
        if now >= deadline:
            stop(proc)
            return False
        if on_tick and now >= next_tick:
            on_tick()
            next_tick += tick_s
        wait = min(deadline, next_tick if on_tick else deadline) - now
        ready, _, _ = select.select([fd], [], [], max(0.0, min(wait, 1.0)))
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:  # EOF: the child closed stdout, i.e. it is exiting
            if buf:
                on_line(buf.decode(errors="replace"))
            try:
                proc.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                stop(proc)
                return False
            if proc in _started:
                _started.remove(proc)
            return True
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            on_line(line.decode(errors="replace").rstrip("\r"))


# ----------------------------------------------------------------------------------------------
# One run of the load generator against one server


def generator_cmd(sc: Scenario, server: str, opts, layout: Layout, duration: float,
                  warmup: float) -> list[str]:
    """The generator's arguments: identical for every server but the floor's mode switch.

    The direct baseline runs the same load in --mode direct: plain UDP payloads to the echo
    peer, whose address stands in for the server's (the generator connects its clients there)."""
    mode = {"floor": "floor", DIRECT: "direct"}.get(server, sc.mode)
    target = layout.peer if server == DIRECT else layout.listen(server)
    cmd = [str(opts.load), "--server", f"{HOST}:{target}",
           "--transport", sc.transport, "--user", USER, "--password", PASSWORD,
           "--mode", mode, "--duration", f"{duration:g}", "--warmup", f"{warmup:g}", *sc.args]
    if mode in ("channel", "send", "floor", "direct"):
        # A fixed echo-peer address: the floor forwards to it and cannot be told later.
        cmd += ["--peer-bind", f"{HOST}:{layout.peer}"]
    return cmd


def run_generator(cmd: list[str], srv: Server | None, log: Path, nofile: int, timeout_s: float,
                  on_tick=None) -> dict:
    """Run the generator; sample server CPU/RSS and ksoftirqd CPU on 'phase measure' and
    'phase done' (srv None: the direct baseline, no server). The generator measures its own
    CPU over the window and reports it in its JSON (its sender thread exits at the end)."""
    rec: dict = {"cmd": cmd, "samples": {}}
    softirq = ksoftirqd_pids()
    proc = spawn(cmd, log, nofile, stdout=subprocess.PIPE)

    def on_line(line: str):
        line = line.strip()
        if line in ("phase measure", "phase done"):
            key = line.split()[1]
            rec["samples"][key] = {"t": time.monotonic(),
                                   "cpu_ns": cpu_ns(srv.pid) if srv else None,
                                   "rss_kib": rss_kib(srv.pid) if srv else None,
                                   "ksoftirqd_ns": ksoftirqd_ns(softirq)}
        elif line.startswith("{"):
            try:
                rec["gen"] = json.loads(line)
            except json.JSONDecodeError:
                rec["bad_json"] = line[:200]

    rec["exited"] = drive(proc, time.monotonic() + timeout_s, on_line, on_tick)
    proc.stdout.close()
    rec["gen_exit"] = proc.returncode
    return rec


def na(value):
    """The generator's -1 means 'not applicable': None here."""
    return None if value is None or (isinstance(value, (int, float)) and value < 0) else value


def load_metrics(sc: Scenario, srv: Server | None, rec: dict) -> dict:
    """Figures of one load run: server CPU per packet/cycle, loss, RTT, RSS, and the CPU of
    every task of the run per packet (generator + server + ksoftirqd)."""
    gen = rec.get("gen", {})
    m0, m1 = rec["samples"].get("measure"), rec["samples"].get("done")
    out = {k: na(gen.get(k)) for k in (
        "sent", "received", "peer_received", "lost", "loss_pct", "relayed_packets",
        "relayed_pps", "offered_pps", "rtt_p50_us", "rtt_p99_us", "setup_failures",
        "alloc_cycles", "alloc_failures", "alloc_cycles_per_s", "alloc_p50_us", "alloc_p99_us",
        "duration_s")}
    if m0 and m1 and m0["cpu_ns"] is not None and m1["cpu_ns"] is not None:
        cpu_us = (m1["cpu_ns"] - m0["cpu_ns"]) / 1000.0
        out["server_cpu_us"] = cpu_us
        out["server_cpu_pct"] = 100.0 * cpu_us / 1e6 / max(1e-9, m1["t"] - m0["t"])
        if out["relayed_packets"]:
            out["cpu_us_per_pkt"] = cpu_us / out["relayed_packets"]
        if out["alloc_cycles"]:
            out["cpu_us_per_cycle"] = cpu_us / out["alloc_cycles"]
    out |= total_cpu(srv, gen, m0, m1, out["relayed_packets"])
    if srv is None:
        return out
    out["rss_kib_idle"] = srv.idle_rss_kib
    if m1:
        out["rss_kib_done"] = m1["rss_kib"]
    if sc.mode == "hold" and m1 and m1["rss_kib"] and srv.idle_rss_kib is not None:
        held = int(gen.get("clients", 0) or 0) - int(na(gen.get("setup_failures")) or 0)
        if held > 0:
            out["held_allocations"] = held
            out["rss_kib_per_alloc"] = (m1["rss_kib"] - srv.idle_rss_kib) / held
    return out


def total_cpu(srv: Server | None, gen: dict, m0: dict | None, m1: dict | None,
              packets: int | None) -> dict:
    """CPU of every task of the run in the window: the generator (all threads, its echo peer
    included, and with them the softirq work the kernel charges to a sending task), the server
    (none for the direct baseline) and the ksoftirqd threads; per relayed packet in ns."""
    gen_ns = na(gen.get("cpu_ns"))
    if gen_ns is None or not m0 or not m1:
        return {}
    out = {"gen_cpu_ns": gen_ns}
    total = gen_ns
    if srv is not None:
        if m0["cpu_ns"] is None or m1["cpu_ns"] is None:
            return {}
        total += m1["cpu_ns"] - m0["cpu_ns"]
    if m0.get("ksoftirqd_ns") is not None and m1.get("ksoftirqd_ns") is not None:
        out["ksoftirqd_cpu_ns"] = m1["ksoftirqd_ns"] - m0["ksoftirqd_ns"]
        total += out["ksoftirqd_cpu_ns"]
    out["total_cpu_ns"] = total
    if packets:
        out["total_ns_per_pkt"] = total / packets
    return out


def run_direct(sc: Scenario, opts, layout: Layout, tmp: Path, tag: str) -> dict:
    """The direct baseline: the scenario's load from the generator to its echo peer, no relay."""
    result = {"scenario": sc.name, "server": DIRECT, "workers": opts.workers}
    if not port_is_free(layout.peer):
        return result | {"status": "error", "reason": f"port {HOST}:{layout.peer} is in use"}
    cmd = generator_cmd(sc, DIRECT, opts, layout, opts.duration, opts.warmup)
    result["generator_cmd"] = " ".join(cmd)
    rec = run_generator(cmd, None, tmp / f"{tag}.gen.log", opts.nofile,
                        opts.warmup + opts.duration + GENERATOR_SLACK_S)
    result |= load_metrics(sc, None, rec)
    result["status"], result["reason"] = judge_run(rec, tmp / f"{tag}.gen.log")
    return result


def run_load(sc: Scenario, server: str, opts, layout: Layout, tmp: Path, tag: str) -> dict:
    """One run: fresh server, generator, metrics, server stopped."""
    if server == DIRECT:
        return run_direct(sc, opts, layout, tmp, tag)
    result = {"scenario": sc.name, "server": server, "workers": opts.workers}
    srv, err = start_server(server, opts, layout, tmp, tag)
    if not srv:
        return result | {"status": "error", "reason": f"server start: {err}"}
    try:
        if sc.transport == "tcp" and server != "floor" and not tcp_listening(srv.pid, srv.port):
            # turnd has no TCP listener yet: that is "not applicable", not a failure.
            result |= {"status": "n/a", "reason": f"{server} has no TCP listener"}
        else:
            cmd = generator_cmd(sc, server, opts, layout, opts.duration, opts.warmup)
            result["generator_cmd"] = " ".join(cmd)
            rec = run_generator(cmd, srv, tmp / f"{tag}.gen.log", opts.nofile,
                                opts.warmup + opts.duration + GENERATOR_SLACK_S)
            result |= load_metrics(sc, srv, rec)
            result["status"], result["reason"] = judge_run(rec, tmp / f"{tag}.gen.log")
    finally:
        alive = srv.proc.poll() is None
        result["rss_kib_end"] = rss_kib(srv.pid)  # the run's last RSS, before the stop
        result["server_stop"] = stop(srv.proc)
        result["server_alive_at_end"] = alive
    if not alive and result.get("status") == "ok":
        result["status"], result["reason"] = "error", "server exited during the run"
    return result


def judge_run(rec: dict, gen_log: Path) -> tuple[str, str]:
    """ok / error with the reason, from the generator's exit and output."""
    if not rec["exited"]:
        return "error", f"generator timed out; log: {tail(gen_log)}"
    if rec["gen_exit"] != 0:
        return "error", f"generator exit {rec['gen_exit']} (setup failed?); log: {tail(gen_log)}"
    if "gen" not in rec:
        return "error", f"generator printed no JSON result; log: {tail(gen_log)}"
    missing = {"measure", "done"} - rec["samples"].keys()
    if missing:
        return "error", f"generator never printed phase {', '.join(sorted(missing))}"
    # The CPU window is only right if the phase lines arrive when printed: a generator whose
    # stdout is block-buffered on a pipe would deliver both at exit.
    window = rec["samples"]["done"]["t"] - rec["samples"]["measure"]["t"]
    planned = na(rec["gen"].get("duration_s"))
    if planned and window < 0.8 * planned:
        return "error", (f"phase lines {window:.2f} s apart for a {planned:g} s window: "
                         "generator stdout not flushed per line?")
    return "ok", ""


# ----------------------------------------------------------------------------------------------
# uclient: coturn's own load source


def run_uclient(sc: Scenario, server: str, opts, layout: Layout, tmp: Path, tag: str) -> dict:
    """turnutils_uclient (50 clients, ChannelData) to turnutils_peer through one server.

    CPU is measured from uclient's 'Total connect time' line (all allocations made, sending
    starts) to its 'Total transmit time' line (all sent and received)."""
    result = {"scenario": sc.name, "server": server, "workers": opts.workers}
    if not port_is_free(layout.uclient_peer):
        return result | {"status": "error", "reason": f"port {layout.uclient_peer} in use"}
    peer = spawn([opts.uclient_peer_bin, "-L", HOST, "-p", str(layout.uclient_peer)],
                 tmp / f"{tag}.peer.log", opts.nofile)
    srv = None
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while layout.uclient_peer not in udp_ports(peer.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        srv, err = start_server(server, opts, layout, tmp, tag)
        if not srv:
            return result | {"status": "error", "reason": f"server start: {err}"}
        cmd = [opts.uclient_bin, "-m", "50", "-n", str(opts.uclient_messages), "-l", "200",
               "-e", HOST, "-r", str(layout.uclient_peer), "-u", USER, "-w", PASSWORD,
               "-p", str(srv.port), HOST]
        result["uclient_cmd"] = " ".join(cmd)
        result |= uclient_measure(cmd, srv, opts, tmp / f"{tag}.uclient.log")
    finally:
        if srv:
            alive = srv.proc.poll() is None
            result["server_stop"] = stop(srv.proc)
            if not alive and result.get("status") == "ok":
                result["status"], result["reason"] = "error", "server exited during the run"
        stop(peer)
    return result


UCLIENT_TOTALS = re.compile(r"start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)")
UCLIENT_LOST = re.compile(r"Total lost packets (\d+) \(([\d.]+)%\)")
UCLIENT_RTT = re.compile(r"Average round trip delay ([\d.]+) ms")


def uclient_measure(cmd: list[str], srv: Server, opts, log: Path) -> dict:
    """Run uclient, sampling server CPU at its start-of-sending and end-of-transmit lines."""
    marks, parsed, lines = {}, {}, []

    def on_line(line: str):
        lines.append(line)
        if "Total connect time" in line and "start" not in marks:
            marks["start"] = (time.monotonic(), cpu_ns(srv.pid))
        elif "Total transmit time" in line and "end" not in marks:
            marks["end"] = (time.monotonic(), cpu_ns(srv.pid))
        for key, rx in (("totals", UCLIENT_TOTALS), ("lost", UCLIENT_LOST), ("rtt", UCLIENT_RTT)):
            if (mt := rx.search(line)):
                parsed[key] = mt.groups()

    proc = spawn(cmd, log, opts.nofile, stdout=subprocess.PIPE)
    timeout = 60 + opts.uclient_messages * 0.02 * 3 + GENERATOR_SLACK_S
    exited = drive(proc, time.monotonic() + timeout, on_line)
    proc.stdout.close()
    with open(log, "a") as f:  # after uclient's stderr, which went there during the run
        f.write("\n".join(lines) + "\n")
    out: dict = {"rss_kib_idle": srv.idle_rss_kib, "rss_kib_done": rss_kib(srv.pid)}
    if not exited or proc.returncode != 0 or "totals" not in parsed or len(marks) < 2:
        why = "timed out" if not exited else f"exit {proc.returncode}, output incomplete"
        return out | {"status": "error", "reason": f"uclient {why}; log: {tail(log)}"}
    sent, recv = map(int, parsed["totals"])
    (t0, c0), (t1, c1) = marks["start"], marks["end"]
    cpu_us = (c1 - c0) / 1000.0
    out |= {"sent": sent, "received": recv, "relayed_packets": sent + recv,
            "server_cpu_us": cpu_us, "duration_s": t1 - t0,
            "relayed_pps": (sent + recv) / max(1e-9, t1 - t0),
            "cpu_us_per_pkt": cpu_us / max(1, sent + recv), "status": "ok", "reason": ""}
    if "lost" in parsed:
        out["lost"], out["loss_pct"] = int(parsed["lost"][0]), float(parsed["lost"][1])
    if "rtt" in parsed:
        out["rtt_avg_us"] = float(parsed["rtt"][0]) * 1000.0
    return out


# ----------------------------------------------------------------------------------------------
# churn: the soak


def run_churn(sc: Scenario, server: str, opts, layout: Layout, tmp: Path, tag: str) -> dict:
    """Allocation churn for --soak seconds: RSS must stay flat and every relay port come back."""
    result = {"scenario": sc.name, "server": server, "workers": opts.workers}
    srv, err = start_server(server, opts, layout, tmp, tag)
    if not srv:
        return result | {"status": "error", "reason": f"server start: {err}"}
    rss_samples: list[tuple[float, int | None]] = []
    t_start = time.monotonic()
    try:
        cmd = generator_cmd(sc, server, opts, layout, opts.soak, 0)
        result["generator_cmd"] = " ".join(cmd)
        tick = lambda: rss_samples.append((time.monotonic() - t_start, rss_kib(srv.pid)))
        rec = run_generator(cmd, srv, tmp / f"{tag}.gen.log", opts.nofile,
                            opts.soak + GENERATOR_SLACK_S, on_tick=tick)
        tick()
        result |= load_metrics(sc, srv, rec)
        result["status"], result["reason"] = judge_run(rec, tmp / f"{tag}.gen.log")
        result |= churn_verdict(rss_samples, opts.soak)
        result |= sockets_back(srv)
    finally:
        result["server_stop"] = stop(srv.proc)
    result["rss_samples"] = rss_samples
    return result


def churn_verdict(samples: list[tuple[float, int | None]], soak: float) -> dict:
    """Flat RSS: the last sample within 5 % (or 2 MiB) of the one after the first minute.

    Soaks shorter than two minutes take the reference at half time instead."""
    good = [(t, r) for t, r in samples if r is not None]
    if len(good) < 2:
        return {"rss_flat": None}
    ref_t = 60.0 if soak >= 120 else soak / 2
    ref = next((r for t, r in good if t >= ref_t), good[0][1])
    last = good[-1][1]
    return {"rss_kib_ref": ref, "rss_kib_last": last,
            "rss_flat": abs(last - ref) <= max(0.05 * ref, 2048)}


def sockets_back(srv: Server) -> dict:
    """After the churn, the server must hold only its listener sockets (polled up to 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        count = len(udp_ports(srv.pid))
        if count <= srv.idle_udp_sockets or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return {"udp_sockets_idle": srv.idle_udp_sockets, "udp_sockets_after": count,
            "relay_sockets_left": max(0, count - srv.idle_udp_sockets)}


# ----------------------------------------------------------------------------------------------
# Summary: medians, ratios, targets


@dataclass
class Metric:
    """One table row: which per-run value, shown how, and the issue's target if it has one.

    A row with `derive` shows no per-run value of its own: derive(median of `key`) per server
    (capacity per core is 1 s / the median relay overhead, so the two rows agree)."""

    scenario: str
    key: str
    label: str
    fmt: str = "{:.3f}"
    target: object = None  # function(medians, runs) -> (target text, verdict) or None
    derive: object = None  # function(value) -> value or None


def ratio_target(limit: float, higher: bool = False, floor_limit: float | None = None,
                 extra=None, text: str = "", subject: str = "turnd"):
    """A target relative to coturn (and optionally the floor): subject <= limit x coturn."""

    def check(med: dict, runs: list[dict]):
        t, c, f = med.get(subject), med.get("coturn"), med.get("floor")
        who = "" if subject == "turnd" else f"{subject} "
        label = text or who + f"{'≥' if higher else '≤'} {limit:g}× coturn" + (
            f", ≤ {floor_limit:g}× floor" if floor_limit else "")
        if t is None or c is None:
            return label, "n/a"
        ok = t >= limit * c if higher else t <= limit * c
        if floor_limit is not None and f is not None:
            ok = ok and t <= floor_limit * f
        if extra is not None:
            ok = ok and extra(runs)
        return label, "PASS" if ok else "FAIL"

    return check


def no_worse_target(subject: str = "turnd-offload", than: tuple[str, ...] = ("coturn", "turnd")):
    """Lower is better (RTT): the subject no higher than each of `than` that ran."""

    def check(med: dict, runs: list[dict]):
        label = f"{subject} ≤ " + ", ≤ ".join(than)
        t = med.get(subject)
        others = [med[o] for o in than if med.get(o) is not None]
        if t is None or med.get(than[0]) is None:
            return label, "n/a"
        return label, "PASS" if all(t <= o for o in others) else "FAIL"

    return check


def no_alloc_failures(runs: list[dict]) -> bool:
    """alloc target's second half: turnd never failed an allocation cycle."""
    return all((r.get("alloc_failures") or 0) == 0 for r in runs
               if r["server"] == "turnd" and r["status"] == "ok")


def hold_target(med: dict, runs: list[dict]):
    """hold: at most 4 KiB of RSS per held allocation above idle."""
    t = med.get("turnd")
    return "≤ 4 KiB/alloc", "n/a" if t is None else ("PASS" if t <= 4.0 else "FAIL")


def churn_target(med: dict, runs: list[dict]):
    """churn: flat RSS and no relay socket left, in every turnd run."""
    mine = [r for r in runs if r["server"] == "turnd" and r["status"] == "ok"]
    if not mine:
        return "RSS flat, ports back", "n/a"
    ok = all(r.get("rss_flat") and r.get("relay_sockets_left") == 0 for r in mine)
    return "RSS flat, ports back", "PASS" if ok else "FAIL"


def per_core(overhead_ns: float | None) -> float | None:
    """Relayed packets one core could carry if relaying cost only the overhead: 1 s / it.
    None when the overhead is not above 0 (within the noise of the direct baseline)."""
    return 1e9 / overhead_ns if overhead_ns is not None and overhead_ns > 0 else None


def traffic_rows(sc: str, target, overhead: bool = False, overhead_target=None,
                 capacity_target=None, rtt_target=None) -> list[Metric]:
    """The rows every packet-relaying scenario shows; with a direct baseline (`overhead`), the
    relay overhead rows first (the figure of merit once the fast path relays in the kernel)."""
    rows = []
    if overhead:
        rows += [Metric(sc, "relay_overhead_ns", "relay overhead ns/pkt", "{:.0f}",
                        overhead_target),
                 Metric(sc, "relay_overhead_ns", "capacity pkt/s per core", "{:.0f}",
                        capacity_target, derive=per_core),
                 Metric(sc, "total_ns_per_pkt", "all tasks' CPU ns/pkt", "{:.0f}")]
    return rows + [Metric(sc, "cpu_us_per_pkt", "CPU-µs/pkt", "{:.3f}", target),
                   Metric(sc, "relayed_pps", "relayed pkt/s", "{:.0f}"),
                   Metric(sc, "loss_pct", "loss %", "{:.2f}"),
                   Metric(sc, "rtt_p50_us", "RTT p50 µs", "{:.0f}", rtt_target),
                   Metric(sc, "rtt_p99_us", "RTT p99 µs", "{:.0f}", rtt_target),
                   Metric(sc, "rss_kib_end", "RSS KiB at end", "{:.0f}")]


OFFLOAD_OVERHEAD = ratio_target(0.15, subject="turnd-offload")
OFFLOAD_CAPACITY = ratio_target(3, higher=True, subject="turnd-offload")
OFFLOAD_RTT = no_worse_target()

METRICS = [
    *traffic_rows("audio", ratio_target(0.75, floor_limit=1.2), True, OFFLOAD_OVERHEAD,
                  OFFLOAD_CAPACITY, OFFLOAD_RTT),
    *traffic_rows("video", ratio_target(0.5), True, OFFLOAD_OVERHEAD, OFFLOAD_CAPACITY,
                  OFFLOAD_RTT),
    Metric("peak", "relayed_pps", "peak relayed pkt/s", "{:.0f}", ratio_target(1.5, higher=True)),
    *[m for m in traffic_rows("peak", None, True, None, OFFLOAD_CAPACITY)
      if m.key != "relayed_pps"],
    *traffic_rows("audio2x", None, True),
    *traffic_rows("send", ratio_target(0.8)),
    *traffic_rows("tcp", ratio_target(0.6)),
    Metric("alloc", "cpu_us_per_cycle", "CPU-µs/alloc cycle", "{:.1f}",
           ratio_target(0.3, extra=no_alloc_failures, text="≤ 0.3× coturn, 0 failures")),
    Metric("alloc", "alloc_cycles_per_s", "cycles/s", "{:.0f}"),
    Metric("alloc", "alloc_failures", "failures", "{:.0f}"),
    Metric("alloc", "alloc_p50_us", "cycle p50 µs", "{:.0f}"),
    Metric("alloc", "alloc_p99_us", "cycle p99 µs", "{:.0f}"),
    Metric("hold", "rss_kib_per_alloc", "RSS KiB/alloc", "{:.2f}", hold_target),
    Metric("hold", "rss_kib_idle", "RSS KiB idle", "{:.0f}"),
    Metric("hold", "rss_kib_done", "RSS KiB held", "{:.0f}"),
    Metric("uclient", "cpu_us_per_pkt", "CPU-µs/pkt", "{:.3f}"),
    Metric("uclient", "relayed_pps", "relayed pkt/s", "{:.0f}"),
    Metric("uclient", "loss_pct", "loss %", "{:.2f}"),  # its RTT has 1 ms resolution: JSON only
    Metric("churn", "rss_kib_last", "RSS KiB at end", "{:.0f}", churn_target),
    Metric("churn", "rss_kib_ref", "RSS KiB ref", "{:.0f}"),
    Metric("churn", "relay_sockets_left", "relay sockets left", "{:.0f}"),
]


def add_overhead(run: dict, runs: list[dict]) -> None:
    """relay_overhead_ns of a server run: its all-tasks CPU per packet minus the direct run's
    of the same scenario and round (so both saw the same state of the machine), or, when that
    one failed, the median of the scenario's direct runs."""
    if run["server"] == DIRECT or run.get("total_ns_per_pkt") is None:
        return
    direct = [r["total_ns_per_pkt"] for r in runs
              if r["scenario"] == run["scenario"] and r["server"] == DIRECT
              and r["status"] == "ok" and r.get("total_ns_per_pkt") is not None]
    same_round = [r["total_ns_per_pkt"] for r in runs
                  if r["scenario"] == run["scenario"] and r["server"] == DIRECT
                  and r.get("round") == run.get("round") and r["status"] == "ok"
                  and r.get("total_ns_per_pkt") is not None]
    base = same_round[0] if same_round else (statistics.median(direct) if direct else None)
    if base is not None:
        run["direct_ns_per_pkt"] = base
        run["relay_overhead_ns"] = run["total_ns_per_pkt"] - base


def medians(runs: list[dict], scenario: str, key: str) -> dict:
    """Median over rounds of one value, per server, from the successful runs only."""
    out = {}
    for server in RUN_ORDER:
        vals = [r[key] for r in runs if r["scenario"] == scenario and r["server"] == server
                and r["status"] == "ok" and r.get(key) is not None]
        if vals:
            out[server] = statistics.median(vals)
    return out


def summarize(runs: list[dict], scenarios: list[str]) -> list[dict]:
    """Table rows (as dicts, also written to the JSON) for the scenarios that ran."""
    rows = []
    for m in METRICS:
        if m.scenario not in scenarios:
            continue
        sc_runs = [r for r in runs if r["scenario"] == m.scenario]
        if m.key == "relay_overhead_ns" and not any(r["server"] == DIRECT for r in sc_runs):
            continue  # no baseline ran (--no-direct): no overhead rows
        source = medians(runs, m.scenario, m.key)
        med = source
        if m.derive is not None:
            med = {k: d for k, v in source.items() if (d := m.derive(v)) is not None}
        statuses = {r["server"]: r["status"] for r in sc_runs}
        target, verdict = m.target(med, sc_runs) if m.target else ("", "")
        rows.append({"scenario": m.scenario, "metric": m.label, "key": m.key, "median": med,
                     "status": statuses, "target": target, "verdict": verdict,
                     "fmt": m.fmt, "derived_from": source if m.derive is not None else None})
    return rows


def cell(row: dict, server: str) -> str:
    """A value cell: the median, or why there is none."""
    v = row["median"].get(server)
    if v is not None:
        return row["fmt"].format(v)
    if (row.get("derived_from") or {}).get(server) is not None:
        return "∞"  # capacity of an overhead not above 0: within the direct baseline's noise
    st = row["status"].get(server)
    if server == DIRECT and st == "ok":
        return "—"  # the baseline itself: no overhead, no server
    return {"n/a": "n/a", "error": "error"}.get(st, "—" if st is None else "n/a")


def ratio(row: dict, subject: str, other: str) -> str:
    """subject / other, as a factor."""
    t, o = row["median"].get(subject), row["median"].get(other)
    if t is None or o is None or o == 0:
        return "—"
    return f"{t / o:.2f}×"


RATIOS = (("turnd", "coturn"), ("turnd-offload", "coturn"), ("turnd", "floor"))


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    """The comparison table in Markdown: a column per server that ran (and the direct
    baseline when it did), the ratios of the pairs that both ran."""
    ratios = [(a, b) for a, b in RATIOS if a in columns and b in columns]
    head = (["scenario", "metric", *columns] + [f"{a}/{b}" for a, b in ratios]
            + ["target", "verdict"])
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = ([r["scenario"], r["metric"]] + [cell(r, s) for s in columns]
                 + [ratio(r, a, b) for a, b in ratios] + [r["target"], r["verdict"]])
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------
# Main loop


def progress_line(tag: str, r: dict) -> str:
    """One line per finished run, so a long benchmark shows where it is."""
    if r["status"] != "ok":
        return f"[{tag}] {r['status']}: {r.get('reason', '')}"
    parts = []
    if r.get("cpu_us_per_pkt") is not None:
        parts.append(f"{r['cpu_us_per_pkt']:.3f} CPU-µs/pkt")
    if r.get("total_ns_per_pkt") is not None:
        parts.append(f"all tasks {r['total_ns_per_pkt']:.0f} ns/pkt (generator "
                     f"{r['gen_cpu_ns'] / 1e6:.0f} ms, ksoftirqd "
                     f"{(r.get('ksoftirqd_cpu_ns') or 0) / 1e6:.0f} ms)")
    if r.get("relay_overhead_ns") is not None:
        parts.append(f"relay overhead {r['relay_overhead_ns']:.0f} ns/pkt")
    if r.get("relayed_pps") is not None:
        parts.append(f"{r['relayed_pps']:.0f} pkt/s")
    if r.get("loss_pct") is not None:
        parts.append(f"loss {r['loss_pct']:.2f}%")
    if r.get("rtt_p50_us") is not None:
        parts.append(f"rtt p50/p99 {r['rtt_p50_us']:.0f}/{r.get('rtt_p99_us') or 0:.0f} µs")
    if r.get("cpu_us_per_cycle") is not None:
        parts.append(f"{r['cpu_us_per_cycle']:.1f} CPU-µs/cycle, "
                     f"{r.get('alloc_cycles_per_s') or 0:.0f} cycles/s, "
                     f"{r.get('alloc_failures') or 0:.0f} failures")
    if r.get("rss_kib_per_alloc") is not None:
        parts.append(f"{r['rss_kib_per_alloc']:.2f} KiB/alloc over {r['held_allocations']}")
    if r.get("rss_flat") is not None:
        parts.append(f"RSS flat={r['rss_flat']} sockets left={r.get('relay_sockets_left')}")
    if r.get("setup_failures"):
        parts.append(f"{r['setup_failures']} setup failures")
    rss = r.get("rss_kib_end") or r.get("rss_kib_done")
    if rss is not None:
        parts.append(f"RSS {rss / 1024:.1f} MiB")
    if r.get("server_stop", {}).get("sigkill"):
        parts.append("server needed SIGKILL")
    return f"[{tag}] ok: " + ", ".join(parts)


RUNNERS = {"load": run_load, "uclient": run_uclient, "churn": run_churn}


def run_all(opts, scenarios: dict[str, Scenario], layout: Layout, tmp: Path, runs: list[dict]):
    """Every selected scenario, rounds alternating servers; results appended to runs."""
    for name in opts.scenarios:
        sc = scenarios[name]
        servers = [s for s in opts.servers if s in sc.servers and (s != "floor" or sc.floor)]
        if sc.direct and opts.direct and servers:
            servers.insert(0, DIRECT)  # first, so each round's server runs can subtract it
        rounds = 1 if sc.kind == "churn" else opts.rounds
        for rnd in range(1, rounds + 1):
            for server in servers:
                tag = f"{name}-r{rnd}-{server}"
                t0 = time.monotonic()
                r = RUNNERS[sc.kind](sc, server, opts, layout, tmp, tag)
                r |= {"round": rnd, "wall_s": round(time.monotonic() - t0, 2)}
                add_overhead(r, runs)
                runs.append(r)
                print(progress_line(tag, r), flush=True)


def default_servers() -> list[str]:
    """Every server; the kernel fast path only as root (it attaches a TC program)."""
    return [s for s in SERVER_ORDER if s != "turnd-offload" or os.geteuid() == 0]


def default_turnd() -> Path:
    """The release build when there is one (what deployments run), else the dev build."""
    release = ROOT / "build-release/turnd/turnd"
    return release if release.exists() else ROOT / "build/turnd/turnd"


# Run lengths: the full benchmark, and --quick's smoke run. An option given explicitly wins
# over both (so `--quick --rounds 2` is a short run with two rounds).
FULL = {"duration": 10.0, "warmup": 2.0, "rounds": 2, "hold_clients": 10000,
        "uclient_messages": 1000}
QUICK = {"duration": 2.0, "warmup": 0.5, "rounds": 1, "hold_clients": 500,
         "uclient_messages": 100}


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows real defaults only (None / False mean 'see the help text' or 'off')."""

    def _get_help_string(self, action):
        if action.default in (None, False) or isinstance(action, argparse._StoreFalseAction):
            return action.help
        return super()._get_help_string(action)


def parse_args(argv: list[str]):
    """Command-line options; --quick changes the defaults of durations, rounds, hold size."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=_Help)
    p.add_argument("--quick", action="store_true",
                   help="smoke mode: 2 s runs, 0.5 s warmup, 1 round, hold 500, no uclient")
    p.add_argument("--scenarios", help=f"comma list (default: {','.join(DEFAULT_SCENARIOS)}"
                   " and churn with --soak)")
    p.add_argument("--servers", default=",".join(default_servers()),
                   help="comma list of turnd, turnd-offload (needs root), coturn, floor")
    p.add_argument("--no-direct", dest="direct", action="store_false",
                   help="no direct baseline runs (no relay overhead figures)")
    p.add_argument("--rounds", type=int, help="runs per server and scenario (2; quick 1)")
    p.add_argument("--duration", type=float, help="measured seconds per run (10; quick 2)")
    p.add_argument("--warmup", type=float, help="seconds before measuring (2; quick 0.5)")
    p.add_argument("--workers", type=int, default=1,
                   help="turnd workers = coturn relay-threads = floor threads")
    p.add_argument("--hold-clients", type=int, help="allocations in hold (10000; quick 500)")
    p.add_argument("--uclient-messages", type=int,
                   help="messages per uclient client (-n), 20 ms apart (1000; quick 100)")
    p.add_argument("--soak", type=float, default=0.0, help="run churn for this many seconds")
    p.add_argument("--port-base", type=int, default=10000,
                   help="listening ports base+1..4, peers base+10/11, relay ranges from base+100")
    p.add_argument("--turnd", type=Path, default=default_turnd(), help="turnd binary")
    p.add_argument("--turnd-opt", action="append", default=[], metavar="--OPTION=VALUE",
                   help="one more option for both turnd variants, e.g. "
                        "--turnd-opt=--relay-coalesce-us=0 (repeatable)")
    p.add_argument("--coturn", default=shutil.which("turnserver") or "/usr/bin/turnserver",
                   help="coturn's turnserver")
    p.add_argument("--load", type=Path, default=ROOT / "build/bench/load/turnd_load",
                   help="load generator")
    p.add_argument("--floor", type=Path, default=ROOT / "build/bench/floor/turnd_floor",
                   help="bare forwarder")
    p.add_argument("--uclient-bin", default=shutil.which("turnutils_uclient")
                   or "/usr/bin/turnutils_uclient", help="coturn's load client")
    p.add_argument("--uclient-peer-bin", default=shutil.which("turnutils_peer")
                   or "/usr/bin/turnutils_peer", help="coturn's echo peer")
    p.add_argument("--out", type=Path, default=Path("bench-results.json"),
                   help="raw results (JSON)")
    p.add_argument("--keep-logs", action="store_true", help="keep the temp dir of logs")
    p.add_argument("--fail-on-target", action="store_true",
                   help="exit 3 when a target verdict is FAIL")
    opts = p.parse_args(argv)
    for key, value in (QUICK if opts.quick else FULL).items():
        if getattr(opts, key) is None:
            setattr(opts, key, value)
    default = list(DEFAULT_SCENARIOS) + (["churn"] if opts.soak > 0 else [])
    if opts.quick and not opts.scenarios:
        default.remove("uclient")  # its connect phase alone takes ~5 s per server
    opts.scenarios = opts.scenarios.split(",") if opts.scenarios else default
    opts.servers = [s for s in SERVER_ORDER if s in opts.servers.split(",")]
    return p, opts


def check_opts(p, opts, scenarios: dict[str, Scenario]) -> None:
    """Refuse what cannot work before starting anything."""
    bad = [s for s in opts.scenarios if s not in scenarios]
    if bad:
        p.error(f"unknown scenario(s): {', '.join(bad)}")
    if "churn" in opts.scenarios and opts.soak <= 0:
        p.error("churn needs --soak SECONDS")
    if not opts.servers:
        p.error("no known server in --servers")
    if "turnd-offload" in opts.servers and os.geteuid() != 0:
        p.error("turnd-offload needs root (it attaches a TC program): leave it out of --servers")
    kinds = {scenarios[s].kind for s in opts.scenarios}
    need = {"turnd": opts.turnd, "turnd-offload": opts.turnd, "coturn": opts.coturn,
            "floor": opts.floor}
    paths = [need[s] for s in opts.servers]
    if kinds & {"load", "churn"}:
        paths.append(opts.load)
    if "uclient" in kinds:
        paths += [opts.uclient_bin, opts.uclient_peer_bin]
    missing = [str(x) for x in paths if not (Path(x).is_file() and os.access(x, os.X_OK))]
    if missing:
        p.error("missing executable(s): " + ", ".join(missing))
    if opts.workers < 1 or opts.rounds < 1 or opts.duration <= 0:
        p.error("--workers, --rounds and --duration must be positive")


def prepare_limits(opts) -> None:
    """fd limit for the children: hold needs a socket per allocation on both ends (2N + 100)."""
    need = 2 * opts.hold_clients + 100 if "hold" in opts.scenarios else 4096
    opts.nofile = _nofile_target(need)
    if opts.nofile < need:
        raise SystemExit(f"error: RLIMIT_NOFILE can only reach {opts.nofile}, hold needs {need}"
                         " (run as root, or lower --hold-clients)")


def _interrupt(signum, frame):
    """SIGTERM handler: unwind like Ctrl-C so the finally block stops every child."""
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    p, opts = parse_args(argv)
    scenarios = make_scenarios(opts.hold_clients)
    check_opts(p, opts, scenarios)
    prepare_limits(opts)
    # Each relay range is as large as both servers' default one (49152-65535, 16384 ports),
    # or larger when hold needs it: coturn keeps a deleted allocation's port a while, so under
    # allocation churn the range size decides when it runs out (508 Cannot create socket).
    size = max(RELAY_RANGE_DEFAULT, opts.hold_clients + 1000)
    layout = Layout(opts.port_base, size)
    top = max([layout.relay_range(s)[1] for s in opts.servers if s != "floor"], default=0)
    if top > 65535 or opts.port_base < 1024:
        p.error("relay ranges do not fit in 1024-65535: lower --port-base or --hold-clients")
    # SIGTERM to us behaves like Ctrl-C: unwind through the finally below.
    signal.signal(signal.SIGTERM, _interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="turnd-bench-"))
    runs: list[dict] = []
    meta = {"argv": argv, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "kernel": os.uname().release, "cpus": os.cpu_count(), "workers": opts.workers,
            "duration_s": opts.duration, "warmup_s": opts.warmup, "rounds": opts.rounds,
            "hold_clients": opts.hold_clients, "quick": opts.quick,
            "binaries": {"turnd": str(opts.turnd), "coturn": str(opts.coturn),
                         "load": str(opts.load), "floor": str(opts.floor)},
            "turnd_opts": opts.turnd_opt}
    interrupted = False
    print(f"# turnd benchmark: scenarios {','.join(opts.scenarios)}; servers "
          f"{','.join(opts.servers)}; {opts.rounds} round(s) of {opts.duration:g} s; "
          f"{opts.workers} worker(s); logs in {tmp}", flush=True)
    try:
        run_all(opts, scenarios, layout, tmp, runs)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: stopping what was started", file=sys.stderr)
    finally:
        stop_all()
        rows = summarize(runs, opts.scenarios)
        opts.out.write_text(json.dumps({"meta": meta, "runs": runs, "summary": [
            {k: v for k, v in r.items() if k != "fmt"} for r in rows]}, indent=1) + "\n")
    print()
    ran = {r["server"] for r in runs}
    print(markdown_table(rows, [s for s in RUN_ORDER if s in opts.servers or s in ran]))
    print(f"\nmedians over {opts.rounds} round(s); raw results in {opts.out}")
    errors = [r for r in runs if r["status"] == "error"]
    failed = [r for r in rows if r["verdict"] == "FAIL"]
    if errors or interrupted:
        print(f"{len(errors)} run(s) failed; logs kept in {tmp}", file=sys.stderr)
        return 1
    if not opts.keep_logs:
        shutil.rmtree(tmp, ignore_errors=True)
    return 3 if failed and opts.fail_on_target else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
