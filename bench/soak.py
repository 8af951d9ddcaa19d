#!/usr/bin/env python3
"""Hardening soak: legitimate clients through turnd while it is flooded, for --minutes.

Starts its own turnd (127.0.0.1 only, a config file written to a temp dir) and runs, at the same
time and for the whole soak, every load bounded in rate and time, every packet to loopback:
- legitimate clients from 127.0.0.1: turnd_load ChannelData (audio shape) and Send-indication
  windows back to back, loss and RTT per window (the headline result);
- allocation churn from 127.0.0.4: turnd_load --mode alloc (Allocate + Refresh 0) bursts;
- a malformed UDP flood from 127.0.0.2 (bench/soak/malformed_flood.py);
- a TCP connection flood from 127.0.0.3 that holds connections open silently (tcp_flood.py);
- a permission/channel flood from one authenticated user at 127.0.0.5 (perm_flood.py).
It samples turnd's RSS, fds, threads, CPU and Prometheus counters every 10 s, then stops the
loads, waits for the allocations and connections to drain and checks that relay ports and fds
came back and RSS stayed flat. Prints a summary and writes every sample to --out (JSON); exits
1 when a check fails, 2 on bad options.

Python 3.11 standard library only; Linux only (/proc). See bench/README.md ("Hardening soak").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import compare as cmp  # bench/compare.py: process handling (PDEATHSIG, stop by PID), /proc

ROOT = Path(__file__).resolve().parent.parent
HELPERS = Path(__file__).resolve().parent / "soak"
HOST = "127.0.0.1"  # turnd listens here only; every load targets it
LEGIT_SRC, MALFORMED_SRC, TCP_SRC, CHURN_SRC, PERM_SRC = (
    "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
REALM = "soak"
LEGIT_USER, FLOOD_USER, PASSWORD = "alice", "mallory", "secret"
RELAY_RANGE = (61000, 64999)  # above Linux's default ephemeral range (32768-60999)
# The hardening options asked for (value None: a bare flag). A turnd that does not know one
# only warns; the checks that depend on it are then reported as not applicable.
HARDENING = {"max-allocation-permissions": "128", "max-allocation-channels": "128",
             "max-connections-per-source": "200", "unauthorized-ratelimit": None}
SAMPLE_S = 10.0
WARMUP_S = 1.0
WINDOW_OVERHEAD_S = 3.0  # turnd_load setup, straggler wait and release around a window
MIN_WINDOW_S = 8.0  # a window shorter than this is not started
HELPER_GRACE_S = 30.0  # a helper still running this long after the soak ends is stopped


# ----------------------------------------------------------------------------------------------
# turnd: config, ports, readiness


def free_port(kinds: tuple[int, ...], taken: tuple[int, ...] = ()) -> int:
    """A port of 127.0.0.1 in 20000-29999 (below the ephemeral range, so no client socket of
    the loads can hold it) that is free now for every socket type in kinds."""
    rng = random.Random()
    for _ in range(1000):
        port = rng.randint(20000, 29999)
        if port in taken:
            continue
        ok = True
        for kind in kinds:
            with socket.socket(socket.AF_INET, kind) as s:
                try:
                    s.bind((HOST, port))
                except OSError:
                    ok = False
        if ok:
            return port
    raise SystemExit("error: no free port on 127.0.0.1 in 20000-29999")


def write_config(path: Path, port: int, prom_port: int, tmp: Path) -> None:
    """turnserver.conf grammar: defaults for everything not named here."""
    lines = [
        "# written by bench/soak.py",
        f"listening-ip={HOST}",
        f"listening-port={port}",
        # No TLS listener (no certificate anyway): the default 5349 may be someone else's.
        "tls-listening-port=0",
        f"realm={REALM}",
        f"user={LEGIT_USER}:{PASSWORD}",
        f"user={FLOOD_USER}:{PASSWORD}",
        f"min-port={RELAY_RANGE[0]}",
        f"max-port={RELAY_RANGE[1]}",
        "allow-loopback-peers",  # turnd_load's echo peer is on 127.0.0.1
        "relay-threads=1",
        f"log-file={tmp / 'turnd.log'}",
        "simple-log",
        "no-stdout-log",
        "prometheus",
        f"prometheus-address={HOST}",
        f"prometheus-port={prom_port}",
    ]
    lines += [name if value is None else f"{name}={value}" for name, value in HARDENING.items()]
    path.write_text("\n".join(lines) + "\n")


def option_status(turnd: Path, conf: Path, log: Path) -> dict[str, str]:
    """Whether this turnd acts on each hardening option: 'active', 'unknown' (warned and
    ignored) or 'not acted on', from `turnd --check-config`'s effective configuration and its
    warnings (which go to the config's log file: the config has no-stdout-log)."""
    out = subprocess.run([str(turnd), "--check-config", "-c", str(conf)], capture_output=True,
                         text=True, timeout=30)
    text = out.stdout + out.stderr
    try:
        text += log.read_text(errors="replace")
        log.unlink()  # the soak's log starts with the soak
    except OSError:
        pass
    if out.returncode != 0:
        raise SystemExit(f"error: turnd --check-config failed:\n{text}")
    status = {}
    for name in HARDENING:
        if re.search(rf"unknown option '{re.escape(name)}'", text):
            status[name] = "unknown"
        elif re.search(rf"'{re.escape(name)}' is accepted but not acted on", text):
            status[name] = "not acted on"
        elif re.search(rf"^{re.escape(name)}(=|\s|$)", text, re.M):
            status[name] = "active"
        else:
            status[name] = "not shown"
    return status


def scrape(prom_port: int) -> dict[str, float] | None:
    """turnd_* samples and turn_total_allocations from /metrics (name{labels} -> value)."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{prom_port}/metrics", timeout=3) as r:
            text = r.read().decode(errors="replace")
    except OSError:
        return None
    out = {}
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        if not (line.startswith("turnd_") or line.startswith("turn_total_allocations")):
            continue
        key, _, value = line.rpartition(" ")
        try:
            out[key] = float(value)
        except ValueError:
            continue
    return out


# ----------------------------------------------------------------------------------------------
# /proc samples


def proc_status(pid: int) -> dict:
    """VmRSS (KiB), threads, fds and CPU seconds (utime + stime) of a process."""
    s = {"rss_kib": None, "threads": None, "fds": None, "cpu_s": None}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    s["rss_kib"] = int(line.split()[1])
                elif line.startswith("Threads:"):
                    s["threads"] = int(line.split()[1])
        s["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        s["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    return s


def machine_cpu() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs from /proc/stat: the machine's load around turnd."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    total = sum(v[:8])
    return total - idle, total


def relay_sockets(pid: int, tcp: bool = True) -> dict:
    """Sockets of the process bound to a port in the relay range: UDP relays, and TCP ones
    (RFC 6062 listeners and peer connections; none in this soak, but they must be 0 too)."""
    mine = cmp.socket_inodes(pid)
    lo, hi = RELAY_RANGE
    out = {"udp": sum(1 for port, _, ino in cmp.proc_net("udp")
                      if ino in mine and lo <= port <= hi)}
    if tcp:  # /proc/net/tcp is long while the TCP flood's TIME_WAIT sockets linger
        out["tcp"] = sum(1 for port, _, ino in cmp.proc_net("tcp")
                         if ino in mine and lo <= port <= hi)
    return out


def linear_slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x; None with fewer than 3 points."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


# ----------------------------------------------------------------------------------------------
# Loads


class WindowLoop(threading.Thread):
    """turnd_load run again and again until the soak ends: one JSON result per window.

    Each window starts every `period_s`, the first `offset_s` after t0; it measures `active_s`
    (less setup and warmup), so that active_s == period_s runs back to back and active_s <
    period_s runs in bursts."""

    def __init__(self, name: str, cmd: list[str], t0: float, t_end: float, period_s: float,
                 active_s: float, log: Path, nofile: int, stop: threading.Event,
                 offset_s: float = 0.0):
        super().__init__(name=name, daemon=True)
        self.cmd, self.t0, self.t_end = cmd, t0, t_end
        self.period_s, self.active_s, self.offset_s = period_s, active_s, offset_s
        self.log, self.nofile, self.stop = log, nofile, stop
        self.windows: list[dict] = []
        self.proc: subprocess.Popen | None = None

    def abort(self):
        """Stops the window under way (turnd died: it would only wait out its duration)."""
        self.stop.set()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            cmp.stop(proc)

    def run(self):
        if self.offset_s > 0 and self.stop.wait(self.offset_s):
            return
        while not self.stop.is_set():
            start = time.monotonic()
            left = self.t_end - start
            measure = min(self.active_s, left) - WINDOW_OVERHEAD_S - WARMUP_S
            if measure < MIN_WINDOW_S - WINDOW_OVERHEAD_S - WARMUP_S or measure <= 0:
                break
            self.windows.append(self.one(measure, start))
            wait = start + self.period_s - time.monotonic()
            if wait > 0 and self.stop.wait(min(wait, max(0.0, self.t_end - time.monotonic()))):
                break

    def one(self, measure: float, start: float) -> dict:
        cmd = self.cmd + ["--duration", f"{measure:.1f}", "--warmup", f"{WARMUP_S:g}"]
        rec: dict = {"start_s": round(start - self.t0, 1), "cmd": " ".join(cmd)}
        with open(self.log, "a") as f:
            f.write(f"--- {self.name} window at {rec['start_s']} s: {rec['cmd']}\n")
        offset = self.log.stat().st_size
        proc = self.proc = cmp.spawn(cmd, self.log, self.nofile, stdout=subprocess.PIPE)

        def on_line(line: str):
            if line.startswith("{"):
                try:
                    rec["result"] = json.loads(line)
                except json.JSONDecodeError:
                    rec["bad_json"] = line[:200]

        rec["exited"] = cmp.drive(proc, time.monotonic() + measure + WARMUP_S + 60, on_line)
        proc.stdout.close()
        rec["exit"] = proc.returncode
        rec["end_s"] = round(time.monotonic() - self.t0, 1)
        self.proc = None
        # turnd_load's stderr of this window: setup time (a long one means retransmitted
        # requests: something dropped them) and the first failure, if any.
        with open(self.log, errors="replace") as f:
            f.seek(offset)
            text = f.read()
        if (mt := re.search(r"setup: \d+ ready, \d+ failed in ([\d.e+-]+) s", text)):
            rec["setup_s"] = round(float(mt.group(1)), 3)
        notes = [ln for ln in text.splitlines() if ln.startswith("turnd_load:") and
                 ("fail" in ln or "not " in ln or "timed out" in ln) and
                 not re.search(r"setup: \d+ ready, 0 failed", ln)]
        if notes:
            rec["notes"] = [n[:300] for n in notes[:5]]
        if rec["exit"] != 0 or "result" not in rec:
            rec["error"] = " | ".join(text.strip().splitlines()[-3:])[:600]
        return rec


class Helper:
    """A flood helper (bench/soak/*.py): runs for its --duration, prints JSON lines."""

    def __init__(self, name: str, args: list[str], log: Path, nofile: int):
        self.name = name
        self.cmd = [sys.executable, str(HELPERS / f"{name}.py")] + args
        self.lines: list[dict] = []
        self.proc = cmp.spawn(self.cmd, log, nofile, stdout=subprocess.PIPE)
        self.log = log
        self.reader = threading.Thread(target=self._read, name=f"{name}-reader", daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            try:
                self.lines.append(json.loads(raw))
            except json.JSONDecodeError:
                pass

    def finish(self, deadline: float) -> dict:
        """Waits (bounded) for it to exit; stops it by PID if it does not."""
        try:
            self.proc.wait(max(0.1, deadline - time.monotonic()))
            stopped = None
            if self.proc in cmp._started:
                cmp._started.remove(self.proc)
        except subprocess.TimeoutExpired:
            stopped = cmp.stop(self.proc)
        self.reader.join(5)
        final = next((x for x in reversed(self.lines) if x.get("kind") == "final"), None)
        out = {"cmd": " ".join(self.cmd), "exit": self.proc.returncode, "final": final,
               "progress": [x for x in self.lines if x.get("kind") == "progress"]}
        if stopped:
            out["stopped"] = stopped
        if self.proc.returncode != 0 or final is None:
            out["error"] = cmp.tail(self.log, 3)
        return out


# ----------------------------------------------------------------------------------------------
# Checks


def check(name: str, ok: bool | None, detail: str) -> dict:
    """ok None: not applicable (what it needs is not in this turnd)."""
    return {"check": name, "verdict": "n/a" if ok is None else ("PASS" if ok else "FAIL"),
            "detail": detail}


def window_checks(label: str, windows: list[dict], opts) -> list[dict]:
    """Loss and RTT p99 of every legitimate-client window, and that each one worked."""
    if not windows:
        return [check(f"{label}: windows ran", False, "no window ran")]
    bad = [w for w in windows if w.get("exit") != 0 or "result" not in w]
    setup = sum(max(0, int(w.get("result", {}).get("setup_failures", 0) or 0)) for w in windows)
    res = [w["result"] for w in windows if "result" in w]
    losses = [r.get("loss_pct", 0) or 0 for r in res]
    p99s = [(r.get("rtt_p99_us") or 0) / 1000.0 for r in res]
    setup_s = max((w.get("setup_s", 0) for w in windows), default=0)
    notes = [n for w in windows for n in w.get("notes", [])]
    out = [check(f"{label}: every window worked", not bad and setup == 0,
                 f"{len(windows)} windows, {len(bad)} failed, {setup} client setups failed, "
                 f"slowest setup {setup_s:.2f} s"
                 + (f"; first: {bad[0].get('error', '')}" if bad else "")
                 + (f"; {notes[0]}" if notes else ""))]
    if res:
        out.append(check(f"{label}: loss ≤ {opts.max_loss_pct:g} % in every window",
                         max(losses) <= opts.max_loss_pct,
                         f"max {max(losses):.3f} %, total lost "
                         f"{sum(max(0, r.get('lost', 0) or 0) for r in res)} of "
                         f"{sum(max(0, r.get('sent', 0) or 0) for r in res)}"))
        out.append(check(f"{label}: RTT p99 ≤ {opts.max_rtt_p99_ms:g} ms in every window",
                         max(p99s) <= opts.max_rtt_p99_ms,
                         f"max p99 {max(p99s):.2f} ms, median p50 "
                         f"{sorted(r.get('rtt_p50_us', 0) for r in res)[len(res) // 2] / 1000:.2f}"
                         " ms"))
    return out


def churn_checks(windows: list[dict], opts) -> list[dict]:
    if not windows:
        return [check("churn: ran", False, "no churn window ran")]
    bad = [w for w in windows if w.get("exit") != 0 or "result" not in w]
    cycles = sum(w["result"].get("alloc_cycles", 0) for w in windows if "result" in w)
    fails = sum(w["result"].get("alloc_failures", 0) for w in windows if "result" in w)
    pct = 100.0 * fails / max(1, cycles + fails)
    notes = [n for w in windows for n in w.get("notes", [])]
    return [check(f"churn: every burst worked, failures ≤ {opts.max_churn_fail_pct:g} %",
                  not bad and cycles > 0 and pct <= opts.max_churn_fail_pct,
                  f"{len(windows)} bursts, {len(bad)} failed, {cycles} cycles, {fails} failed "
                  f"cycles ({pct:.3f} %)" + (f"; first: {bad[0].get('error', '')}" if bad else "")
                  + (f"; {notes[0]}" if notes else ""))]


def perm_checks(perm: dict, options: dict[str, str]) -> list[dict]:
    f = perm.get("final")
    if not f or not f.get("ok"):
        return [check("permission flood: ran", False,
                      (f or {}).get("error") or perm.get("error", "no result"))]
    out = [check("permission flood: its allocation deleted at the end (Refresh 0)",
                 f.get("deleted") == "ok", f"Refresh 0 answer: {f.get('deleted')}")]
    codes = lambda d: ", ".join(f"{k}: {v}" for k, v in sorted(d.items())) or "none"
    for kind, option, live in (("permission", "max-allocation-permissions", "max_live_permissions"),
                               ("channel", "max-allocation-channels", "max_live_channels")):
        cap = int(HARDENING[option])
        active = options.get(option) == "active"
        ok = (f[live] <= cap and f[kind].get("508", 0) > 0) if active else None
        out.append(check(f"permission flood: at most {cap} live {kind}s, the rest 508", ok,
                         f"{option} {options.get(option)}; most live at once {f[live]}; "
                         f"answers {codes(f[kind])}"))
    return out


def tcp_checks(tcp: dict, samples: list[dict], options: dict[str, str]) -> list[dict]:
    f = tcp.get("final")
    if not f or not f.get("ok"):
        return [check("TCP flood: ran", False, tcp.get("error", "no result"))]
    cap = int(HARDENING["max-connections-per-source"])
    seen = max((s.get("metrics", {}).get("turnd_active_connections", 0) for s in samples),
               default=0)
    active = options.get("max-connections-per-source") == "active"
    return [check(f"TCP flood: turnd held ≤ {cap} connections from one source",
                  seen <= cap if active else None,
                  f"max-connections-per-source {options.get('max-connections-per-source')}; "
                  f"most at a sample {seen:.0f}; flood: {f.get('attempts', 0)} attempts, "
                  f"{f.get('connected', 0)} established, {f.get('server_closed', 0)} closed by "
                  f"turnd (open s before close {f.get('open_s_before_server_close')}), most "
                  f"open at once {f.get('max_open')}")]


# ----------------------------------------------------------------------------------------------
# Log summary


def log_summary(path: Path, minutes: float) -> dict:
    """Size and line kinds of turnd's log: allocation lines are expected, the rest should be
    few (lines a client can trigger are rate-limited)."""
    try:
        size = path.stat().st_size
    except OSError:
        return {}
    kinds: dict[str, int] = {}
    alloc = total = 0
    legit: list[str] = []  # a per-source defence acting on the legitimate clients' address
    legit_rx = re.compile(r"(limit|ban|refus|drop|suppress).*\b" + re.escape(LEGIT_SRC) + r"\b"
                          r"|\b" + re.escape(LEGIT_SRC) + r"\b.*(limit|banned|refused)", re.I)
    with open(path, errors="replace") as f:
        for line in f:
            total += 1
            body = line.split(" ", 1)[1] if " " in line else line
            if "allocation start:" in body or "allocation end:" in body:
                alloc += 1
                continue
            if legit_rx.search(body) and "peer policy" not in body:
                legit.append(body.strip()[:200])
            key = re.sub(r"\d+", "N", body.strip())[:90]
            kinds[key] = kinds.get(key, 0) + 1
    top = sorted(kinds.items(), key=lambda kv: -kv[1])[:8]
    return {"bytes": size, "lines": total, "allocation_lines": alloc,
            "other_lines": total - alloc,
            "other_lines_per_min": round((total - alloc) / max(minutes, 1e-9), 1),
            "top_other": [{"count": n, "line": k} for k, n in top],
            # The 401 budget applies to a source until one of its clients sends back a nonce:
            # the first burst of 20 clients from a fresh address meets it once, by design.
            "legit_first_contact": sum(1 for x in legit if "401 rate-limit exceeded" in x),
            "legit_source_limited": sum(1 for x in legit if "401 rate-limit exceeded" not in x),
            "legit_source_lines": legit[:5]}


# ----------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str]):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=cmp._Help)
    build = ROOT / "build-soak"
    p.add_argument("--turnd", type=Path, default=build / "turnd/turnd", help="turnd binary")
    p.add_argument("--load", type=Path, default=build / "bench/load/turnd_load",
                   help="turnd_load (with --bind)")
    p.add_argument("--minutes", type=float, default=30.0, help="length of the loaded phase")
    p.add_argument("--window", type=float,
                   help="seconds per client window (default: minutes*6 clamped to 15..60)")
    p.add_argument("--clients", type=int, default=20, help="legitimate ChannelData clients")
    p.add_argument("--rate", type=float, default=2000.0, help="their packets/s in total")
    p.add_argument("--send-clients", type=int, default=5, help="Send-indication clients")
    p.add_argument("--send-rate", type=float, default=500.0, help="their packets/s in total")
    p.add_argument("--churn-inflight", type=int, default=2, help="churn: cycles in flight")
    p.add_argument("--churn-duty", type=float, default=0.25,
                   help="churn: fraction of each window it runs (turnd_load's alloc mode is "
                        "closed-loop: thousands of cycles/s, two log lines each)")
    p.add_argument("--malformed-rate", type=float, default=20000.0, help="datagrams/s")
    p.add_argument("--tcp-rate", type=float, default=5000.0, help="connect attempts/s")
    p.add_argument("--tcp-max-open", type=int, default=4000, help="connections open at most")
    p.add_argument("--perm-rate", type=float, default=100.0,
                   help="CreatePermission/ChannelBind requests/s (below the per-source request "
                        "rate limit, so that the per-allocation caps answer)")
    p.add_argument("--drain-s", type=float, default=60.0,
                   help="bounded wait for allocations and connections to go after the loads")
    p.add_argument("--fd-margin", type=int, default=4, help="fds allowed above the baseline")
    p.add_argument("--max-loss-pct", type=float, default=0.5, help="per legitimate window")
    p.add_argument("--max-rtt-p99-ms", type=float, default=20.0, help="per legitimate window")
    p.add_argument("--max-churn-fail-pct", type=float, default=1.0,
                   help="failed churn cycles, of all")
    p.add_argument("--max-rss-slope", type=float, default=64.0,
                   help="KiB/min, linear fit over the second half of the loaded phase")
    p.add_argument("--out", type=Path, default=Path("soak-results.json"), help="results (JSON)")
    p.add_argument("--keep-logs", action="store_true", help="keep the temp dir (logs, config)")
    opts = p.parse_args(argv)
    if opts.minutes <= 0 or opts.minutes * 60 < 2 * MIN_WINDOW_S:
        p.error("--minutes must be at least 0.3")
    if opts.window is None:
        opts.window = min(60.0, max(15.0, opts.minutes * 6))
    if not 0 < opts.churn_duty <= 1:
        p.error("--churn-duty must be in (0, 1]")
    for path in (opts.turnd, opts.load):
        if not (path.is_file() and os.access(path, os.X_OK)):
            p.error(f"missing executable: {path}")
    return opts


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="turnd-soak-"))
    nofile = cmp._nofile_target(opts.tcp_max_open + 4096)
    port = free_port((socket.SOCK_DGRAM, socket.SOCK_STREAM))
    prom_port = free_port((socket.SOCK_STREAM,), (port,))
    conf = tmp / "turnserver.conf"
    write_config(conf, port, prom_port, tmp)
    options = option_status(opts.turnd, conf, tmp / "turnd.log")
    eph = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    meta = {"argv": argv, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "kernel": os.uname().release, "cpus": os.cpu_count(), "turnd": str(opts.turnd),
            "load": str(opts.load), "config": conf.read_text().splitlines(),
            "hardening_options": options, "ephemeral_ports": eph, "relay_range": RELAY_RANGE,
            "minutes": opts.minutes, "window_s": opts.window,
            "sources": {"legit": LEGIT_SRC, "malformed": MALFORMED_SRC, "tcp": TCP_SRC,
                        "churn": CHURN_SRC, "permissions": PERM_SRC}}
    print(f"# turnd soak: {opts.minutes:g} min, windows of {opts.window:g} s, turnd "
          f"{opts.turnd} on {HOST}:{port} (metrics :{prom_port}); logs in {tmp}", flush=True)
    print("# hardening options: " + ", ".join(f"{k} {v}" for k, v in options.items()), flush=True)
    if int(eph[1]) >= RELAY_RANGE[0]:
        print(f"# note: the ephemeral port range {eph[0]}-{eph[1]} overlaps the relay range; "
              "turnd skips relay ports it cannot bind", flush=True)

    samples: list[dict] = []
    result: dict = {"meta": meta}
    checks: list[dict] = []
    stop_event = threading.Event()
    loops: list[WindowLoop] = []
    helpers: dict[str, Helper] = {}
    interrupted = False
    turnd = cmp.spawn([str(opts.turnd), "-c", str(conf)], tmp / "turnd.stdout", nofile)
    try:
        err = cmp.wait_ready("turnd", turnd, port)
        if err:
            raise SystemExit(f"error: turnd {err}; log: {cmp.tail(tmp / 'turnd.log')}")
        for _ in range(50):
            if scrape(prom_port) is not None:
                break
            time.sleep(0.1)
        time.sleep(1.0)  # let startup settle before the baseline
        base = proc_status(turnd.pid) | {"relay": relay_sockets(turnd.pid)}
        base["metrics"] = scrape(prom_port) or {}
        result["baseline"] = base
        t0 = time.monotonic()
        t_end = t0 + opts.minutes * 60

        last_cpu = [machine_cpu()]

        def sample(phase: str) -> dict:
            s = {"t": round(time.monotonic() - t0, 1), "phase": phase,
                 **proc_status(turnd.pid), "relay": relay_sockets(turnd.pid, tcp=False),
                 "metrics": scrape(prom_port) or {}}
            now_cpu, prev = machine_cpu(), last_cpu[0]
            if now_cpu and prev and now_cpu[1] > prev[1]:
                s["machine_busy_pct"] = round(
                    100.0 * (now_cpu[0] - prev[0]) / (now_cpu[1] - prev[1]), 1)
            last_cpu[0] = now_cpu
            s["helpers_cpu_s"] = {n: proc_status(hp.proc.pid)["cpu_s"]
                                  for n, hp in helpers.items()}
            samples.append(s)
            return s

        load = [str(opts.load), "--server", f"{HOST}:{port}", "--password", PASSWORD]
        legit = load + ["--user", LEGIT_USER, "--bind", LEGIT_SRC, "--shape", "audio",
                        "--size", "200"]
        loops = [WindowLoop("channel", legit + ["--mode", "channel", "--clients",
                                                str(opts.clients), "--rate", f"{opts.rate:g}"],
                            t0, t_end, opts.window, opts.window, tmp / "channel.log", nofile,
                            stop_event)]
        if opts.send_clients > 0:
            loops.append(WindowLoop("send", legit + ["--mode", "send", "--clients",
                                                     str(opts.send_clients), "--rate",
                                                     f"{opts.send_rate:g}"],
                                    t0, t_end, opts.window, opts.window, tmp / "send.log",
                                    nofile, stop_event, offset_s=opts.window / 2))
        if opts.churn_inflight > 0:
            loops.append(WindowLoop("churn", load + ["--user", LEGIT_USER, "--bind", CHURN_SRC,
                                                     "--mode", "alloc", "--inflight",
                                                     str(opts.churn_inflight)],
                                    t0, t_end, opts.window,
                                    max(MIN_WINDOW_S, opts.window * opts.churn_duty),
                                    tmp / "churn.log", nofile, stop_event))
        common = ["--server", f"{HOST}:{port}", "--duration", f"{opts.minutes * 60:.1f}",
                  "--report-s", f"{SAMPLE_S:g}"]
        wanted = {
            "malformed_flood": (opts.malformed_rate > 0, [
                "--bind", MALFORMED_SRC, "--rate", f"{opts.malformed_rate:g}"]),
            "tcp_flood": (opts.tcp_rate > 0, [
                "--bind", TCP_SRC, "--rate", f"{opts.tcp_rate:g}", "--max-open",
                str(opts.tcp_max_open)]),
            "perm_flood": (opts.perm_rate > 0, [
                "--bind", PERM_SRC, "--user", FLOOD_USER, "--password", PASSWORD, "--rate",
                f"{opts.perm_rate:g}"]),
        }
        helpers = {name: Helper(name, common + args, tmp / f"{name}.log", nofile)
                   for name, (on, args) in wanted.items() if on}
        for loop in loops:
            loop.start()

        # The loaded phase: a sample every 10 s, with a progress line.
        next_t = t0
        while time.monotonic() < t_end and turnd.poll() is None:
            s = sample("load")
            m = s["metrics"]
            last = loops[0].windows[-1].get("result", {}) if loops[0].windows else {}
            print(f"[{s['t']:6.0f} s] RSS {s['rss_kib'] or 0:7d} KiB  fds {s['fds'] or 0:5d}  "
                  f"threads {s['threads'] or 0}  cpu {s['cpu_s'] or 0:6.1f} s  machine "
                  f"{s.get('machine_busy_pct', 0):3.0f} %  allocations "
                  f"{m.get('turnd_active_allocations', 0):5.0f}  connections "
                  f"{m.get('turnd_active_connections', 0):5.0f}  relay udp {s['relay']['udp']:5d}"
                  + (f"  last window loss {last.get('loss_pct', 0):.2f} % p99 "
                     f"{(last.get('rtt_p99_us') or 0) / 1000:.2f} ms" if last else ""),
                  flush=True)
            next_t += SAMPLE_S
            time.sleep(max(0.0, min(next_t, t_end) - time.monotonic()))
        alive = turnd.poll() is None
        result["turnd_alive_at_end_of_load"] = alive
        if alive:
            sample("load")
        else:
            for loop in loops:
                loop.abort()

        # Stop the loads: windows end by themselves by t_end; the helpers have --duration.
        stop_event.set()
        for loop in loops:
            loop.join(120)
        hdone = time.monotonic() + HELPER_GRACE_S
        result["helpers"] = {name: h.finish(hdone) for name, h in helpers.items()}
        result["windows"] = {loop.name: loop.windows for loop in loops}

        # Drain: allocations deleted (Refresh 0 / release) and connections closed, bounded.
        drain_start = time.monotonic()
        drained = None
        while alive and time.monotonic() - drain_start < opts.drain_s:
            m = scrape(prom_port) or {}
            rel = relay_sockets(turnd.pid)
            if (m.get("turnd_active_allocations", 1) == 0 and
                    m.get("turnd_active_connections", 1) == 0 and sum(rel.values()) == 0 and
                    (proc_status(turnd.pid)["fds"] or 0) <= (base["fds"] or 0) + opts.fd_margin):
                drained = round(time.monotonic() - drain_start, 1)
                break
            time.sleep(1.0)
            alive = turnd.poll() is None
        result["drain_s"] = drained
        final = sample("end") | {"relay": relay_sockets(turnd.pid)} if alive else {}
        result["final"] = final
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: stopping what was started", file=sys.stderr)
    finally:
        stop_event.set()
        alive = turnd.poll() is None
        result["turnd_stop"] = cmp.stop(turnd) if alive else {"exit": turnd.returncode,
                                                              "already_exited": True}
        cmp.stop_all()
    result["samples"] = samples
    result.setdefault("windows", {loop.name: loop.windows for loop in loops})
    result.setdefault("helpers", {})
    if interrupted:
        opts.out.write_text(json.dumps(result, indent=1) + "\n")
        print(f"interrupted; partial results in {opts.out}, logs in {tmp}", file=sys.stderr)
        return 1

    # ------------------------------------------------------------------------------------------
    # Checks
    load_samples = [s for s in samples if s["phase"] == "load"]
    final = result.get("final", {})
    stop_rec = result["turnd_stop"]
    checks.append(check("turnd alive through the soak", bool(result.get(
        "turnd_alive_at_end_of_load")) and not stop_rec.get("already_exited"),
        f"exit {stop_rec.get('exit')} after SIGTERM" if not stop_rec.get("already_exited")
        else f"turnd exited during the soak with {stop_rec.get('exit')}; log: "
             f"{cmp.tail(tmp / 'turnd.log')}"))
    checks.append(check("turnd stops on SIGTERM (exit 0, no SIGKILL)",
                        stop_rec.get("exit") == 0 and not stop_rec.get("sigkill"),
                        f"exit {stop_rec.get('exit')}, sigkill {stop_rec.get('sigkill')}"))
    w, h = result["windows"], result["helpers"]
    off = lambda what: [check(what, None, "disabled by its option")]
    checks += window_checks("legit ChannelData", w.get("channel", []), opts)
    checks += window_checks("legit Send", w["send"], opts) if "send" in w else off("legit Send")
    checks += churn_checks(w["churn"], opts) if "churn" in w else off("churn")
    checks += (perm_checks(h["perm_flood"], options) if "perm_flood" in h
               else off("permission flood"))
    checks += (tcp_checks(h["tcp_flood"], load_samples, options) if "tcp_flood" in h
               else off("TCP flood"))
    if "malformed_flood" in h:
        mf = h["malformed_flood"].get("final") or {}
        checks.append(check("malformed flood: ran at its rate", bool(mf.get("ok")) and
                            mf.get("rate", 0) >= 0.9 * opts.malformed_rate,
                            f"{mf.get('sent_total', 0)} sent at {mf.get('rate', 0)}/s, "
                            f"{mf.get('local_drops', 0)} dropped locally, answers "
                            f"{mf.get('answers', {})}"))
    else:
        checks += off("malformed flood")
    fm = final.get("metrics", {})
    waited = (f"after {result['drain_s']} s" if result.get("drain_s") is not None
              else f"after the {opts.drain_s:g} s wait")
    checks.append(check("allocations drained to 0", fm.get("turnd_active_allocations") == 0,
                        f"{fm.get('turnd_active_allocations')} left {waited}"))
    checks.append(check("connections closed", fm.get("turnd_active_connections") == 0,
                        f"{fm.get('turnd_active_connections')} left"))
    rel = final.get("relay", {})
    checks.append(check("relay ports returned (no socket in the relay range)",
                        bool(rel) and sum(rel.values()) == 0,
                        f"udp {rel.get('udp')}, tcp {rel.get('tcp')} in {RELAY_RANGE[0]}-"
                        f"{RELAY_RANGE[1]}"))
    base = result.get("baseline", {})
    checks.append(check(f"fds back to baseline (+{opts.fd_margin})",
                        final.get("fds") is not None and base.get("fds") is not None and
                        final["fds"] <= base["fds"] + opts.fd_margin,
                        f"baseline {base.get('fds')}, end {final.get('fds')}, most "
                        f"{max((s['fds'] or 0 for s in samples), default=0)}"))
    checks.append(check("threads unchanged", final.get("threads") == base.get("threads"),
                        f"baseline {base.get('threads')}, end {final.get('threads')}"))
    half = opts.minutes * 60 / 2
    second = [(s["t"] / 60.0, s["rss_kib"]) for s in load_samples
              if s["t"] >= half and s["rss_kib"] is not None]
    slope = linear_slope(second)
    rss_all = [s["rss_kib"] for s in load_samples if s["rss_kib"] is not None]
    checks.append(check(f"RSS flat over the second half (slope ≤ {opts.max_rss_slope:g} KiB/min)",
                        None if slope is None else slope <= opts.max_rss_slope,
                        (f"slope {slope:.1f} KiB/min over {len(second)} samples; "
                         if slope is not None else "too few samples; ") +
                        f"RSS baseline {base.get('rss_kib')}, first {rss_all[:1]}, mid "
                        f"{second[0][1] if second else None}, last {rss_all[-1:]} KiB"))
    result["rss_slope_kib_per_min"] = slope
    result["log"] = log_summary(tmp / "turnd.log", opts.minutes)
    lg = result["log"]
    setups = [x.get("setup_s", 0) for k in ("channel", "send") for x in w.get(k, [])]
    checks.append(check(f"per-source defences spared the legitimate source {LEGIT_SRC}",
                        (lg.get("legit_source_limited", 0) == 0
                         and lg.get("legit_first_contact", 0) <= 1) if lg else None,
                        f"{lg.get('legit_source_limited', 0)} log lines name it, "
                        f"{lg.get('legit_first_contact', 0)} 401-budget line (allowed: 1, the "
                        "first burst before any of its clients logged in)"
                        + (f", first: {lg['legit_source_lines'][0]}"
                           if lg.get("legit_source_lines") else "")
                        + f"; slowest client setup {max(setups, default=0):.2f} s (≥ 0.5 s: a "
                          "request was dropped and retransmitted)"))
    result["checks"] = checks
    opts.out.write_text(json.dumps(result, indent=1) + "\n")

    print_summary(result, opts)
    failed = [c for c in checks if c["verdict"] == "FAIL"]
    print(f"\n{len(checks) - len(failed)} of {len(checks)} checks did not fail; "
          f"{len(failed)} FAIL; results in {opts.out}")
    if failed or opts.keep_logs:
        print(f"logs kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


def print_summary(result: dict, opts) -> None:
    """The per-window table, the floods, the counters and the checks, in Markdown."""
    w = result["windows"]

    def row_of(rec: dict | None, kind: str) -> list[str]:
        if rec is None:
            return ["", ""] if kind == "churn" else ["", "", ""]
        r = rec.get("result")
        if r is None:
            return ["error"] * (2 if kind == "churn" else 3)
        if kind == "churn":
            return [f"{r.get('alloc_cycles', 0)}", f"{r.get('alloc_failures', 0)}"]
        return [f"{r.get('loss_pct', 0):.3f}", f"{(r.get('rtt_p50_us') or 0):.0f}",
                f"{(r.get('rtt_p99_us') or 0):.0f}"]

    def busy(rec: dict | None) -> str:
        """The machine's mean busy % over a window: high means the clients and turnd
        competed for CPU with something (the RTT p99 shows it)."""
        if not rec:
            return ""
        v = [x["machine_busy_pct"] for x in result["samples"]
             if "machine_busy_pct" in x and rec["start_s"] < x["t"] <= rec["end_s"] + SAMPLE_S]
        return f"{sum(v) / len(v):.0f}" if v else ""

    print("\n## Legitimate clients per window (and churn bursts)\n")
    print("Send windows start half a window after the ChannelData ones.\n")
    head = ["window", "start s", "chan loss %", "chan p50 µs", "chan p99 µs", "send loss %",
            "send p50 µs", "send p99 µs", "churn cycles", "churn fails", "machine busy %"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    chan, send, churn = w.get("channel", []), w.get("send", []), w.get("churn", [])
    for i in range(max(len(chan), len(send), len(churn))):
        pick = lambda lst: lst[i] if i < len(lst) else None
        start = next((x["start_s"] for x in (pick(chan), pick(send), pick(churn)) if x), "")
        cells = [str(i + 1), f"{start}", *row_of(pick(chan), "x"), *row_of(pick(send), "x"),
                 *row_of(pick(churn), "churn"), busy(pick(chan))]
        print("| " + " | ".join(cells) + " |")

    print("\n## turnd over time (every 10 s; a few shown)\n")
    samples = result["samples"]
    head = ["t s", "phase", "RSS KiB", "fds", "threads", "CPU s", "machine busy %",
            "allocations", "connections", "relay udp"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    step = max(1, len(samples) // 12)
    shown = samples[::step] + ([samples[-1]] if samples and (len(samples) - 1) % step else [])
    base = result.get("baseline", {})
    if base:
        print(f"| baseline | start | {base.get('rss_kib')} | {base.get('fds')} | "
              f"{base.get('threads')} | {base.get('cpu_s')} | | 0 | 0 | "
              f"{base.get('relay', {}).get('udp')} |")
    for s in shown:
        m = s.get("metrics", {})
        print(f"| {s['t']:.0f} | {s['phase']} | {s['rss_kib']} | {s['fds']} | {s['threads']} | "
              f"{s['cpu_s'] or 0:.1f} | {s.get('machine_busy_pct', '')} | "
              f"{m.get('turnd_active_allocations', 0):.0f} | "
              f"{m.get('turnd_active_connections', 0):.0f} | {s['relay'].get('udp')} |")
    if result.get("rss_slope_kib_per_min") is not None:
        print(f"\nRSS slope over the second half: {result['rss_slope_kib_per_min']:.1f} KiB/min")

    print("\n## Floods\n")
    for name, h in result["helpers"].items():
        f = h.get("final") or {}
        f = {k: v for k, v in f.items() if k not in ("kind", "ok")}
        print(f"- {name}: {json.dumps(f) if f else h.get('error', 'no result')}")

    final_m = result.get("final", {}).get("metrics", {})
    counters = {k: v for k, v in final_m.items() if k.endswith("_total") and v}
    if counters:
        print("\n## turnd counters at the end (non-zero)\n")
        print(", ".join(f"{k.removeprefix('turnd_').removesuffix('_total')} {v:.0f}"
                        for k, v in sorted(counters.items())))
    lg = result.get("log", {})
    if lg:
        print(f"\nturnd log: {lg['bytes'] / 1e6:.1f} MB, {lg['lines']} lines, "
              f"{lg['allocation_lines']} allocation start/end, {lg['other_lines']} other "
              f"({lg['other_lines_per_min']}/min)")
        for t in lg["top_other"][:5]:
            print(f"  {t['count']:8d}  {t['line']}")

    print("\n## Checks\n")
    print("| check | verdict | detail |\n|---|---|---|")
    for c in result["checks"]:
        print(f"| {c['check']} | {c['verdict']} | {c['detail']} |")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
