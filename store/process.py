"""Crawl processes and their parents: a crawl dies with the command that started it, and a
run left `running` is judged by whether ITS process still lives.

- `die_with_parent(parent_pid)`, called by the crawl process (crawler.run) once its pid is
  recorded: on Linux the kernel sends it SIGTERM when the parent dies, whatever killed the
  parent (PR_SET_PDEATHSIG, through ctypes; note it fires when the parent's *thread* that
  started the crawl ends, which in govwatch is the thread that waits for it); elsewhere a
  daemon thread watches the parent pid once a second. SIGTERM makes Scrapy stop gracefully:
  the crawl writes what it holds and ends `interrupted`. A parent already gone when this is
  called (the race before prctl) gets the same SIGTERM at once. The crawl's own extraction
  workers end when it does (crawler.pool: they read EOF).
- `start_time(pid)`: when a process started (seconds since the epoch, from /proc; None where
  unknown). Stored with the run's pid, so that a pid reused by an unrelated process after a
  crash is not taken for the crawl (`alive`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from functools import cache

__all__ = ["alive", "die_with_parent", "start_time"]

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_WATCH_INTERVAL = 1.0  # seconds, where prctl is unavailable


@cache
def _boot_time() -> float | None:
    try:
        with open("/proc/stat", encoding="ascii") as f:
            for line in f:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def start_time(pid: int) -> float | None:
    """When process `pid` started (epoch seconds, 1/100 s resolution), or None when it does
    not exist or this system does not say (no /proc)."""
    boot = _boot_time()
    if boot is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    # Field 22 (starttime, in clock ticks since boot) counted after the ")" that ends the
    # command name (which may itself contain spaces and parentheses).
    fields = stat[stat.rfind(")") + 2:].split()
    try:
        ticks = int(fields[19])
    except (IndexError, ValueError):
        return None
    return round(boot + ticks / os.sysconf("SC_CLK_TCK"), 2)


def _pid_exists(pid: int) -> bool:
    """Whether `pid` is a running process (a zombie, dead but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return True  # no /proc here: kill(0) is all we know
    return stat[stat.rfind(")") + 2:][:1] != "Z"


def alive(pid: int, started: float | None = None) -> bool:
    """Whether process `pid` runs and, when `started` is known, is the same process that
    started then (not a later one given the same pid)."""
    if not _pid_exists(pid):
        return False
    if started is None:
        return True
    now = start_time(pid)
    return now is None or abs(now - started) < 1.0


def die_with_parent(parent_pid: int, signum: int = signal.SIGTERM) -> None:
    """Have this process receive `signum` when `parent_pid` (its parent) dies."""
    armed = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    if os.getppid() != parent_pid:  # gone already, before the kernel could be told
        os.kill(os.getpid(), signum)
        return
    if not armed:
        def watch() -> None:
            while os.getppid() == parent_pid:
                time.sleep(_WATCH_INTERVAL)
            os.kill(os.getpid(), signum)

        threading.Thread(target=watch, name="parent-watch", daemon=True).start()
