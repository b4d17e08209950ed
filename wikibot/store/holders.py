"""Who holds a claim: this process, named so another process can tell whether it is still alive.

A claim on an incident is held for a lease (two minutes) because a holder on another machine
cannot be asked whether it is alive. A holder on *this* machine can: when its process no longer
exists (``kill -9``, a crash), its claim is taken over at once instead of after the lease. The
process's start time is part of the name, so a recycled pid is not mistaken for the holder.
"""

from __future__ import annotations

import os
import socket
from functools import cache


def _stat(pid: int) -> tuple[str, str] | None:
    """``(state, start time)`` of ``pid`` from Linux's ``/proc``; ``None`` when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # The command name (field 2) may hold spaces and parentheses, so split after it.
            fields = stat.read().rsplit(b")", 1)[1].split()
        return fields[0].decode(), fields[19].decode()  # fields 3 (state) and 22 (starttime)
    except (OSError, IndexError):
        return None


def _host() -> str:
    return socket.gethostname().replace(":", "-")[:40]


@cache
def this_process() -> str:
    """``host:pid:start`` for the running process (at most 64 characters)."""
    pid = os.getpid()
    stat = _stat(pid)
    return f"{_host()}:{pid}:{stat[1] if stat else ''}"


def is_gone(holder: str | None) -> bool:
    """True only when ``holder`` ran on this host and that process no longer exists.

    Anything uncertain (another host, no ``/proc``, no holder recorded) counts as "maybe alive":
    the caller then waits for the lease to expire, as before.
    """
    parts = (holder or "").rsplit(":", 2)
    if len(parts) != 3 or parts[0] != _host() or not parts[1].isdigit() or holder == this_process():
        return False
    pid, started = int(parts[1]), parts[2]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, as another user
    stat = _stat(pid)
    if stat is None:
        return False
    state, current = stat
    return state in ("Z", "X") or (bool(started) and current != started)  # a zombie, or a recycled pid
