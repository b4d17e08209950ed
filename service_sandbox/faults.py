"""Fault injection and request statistics for the sandbox.

Tests and benchmarks drive these through ``/_sandbox/faults`` and ``/_sandbox/stats``; they are
plain thread-safe objects so the HTTP layer stays a thin translation.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any


class FaultSpecError(ValueError):
    """A fault description that cannot be honoured (bad type, unknown kind)."""


@dataclass
class FaultRule:
    """One armed fault: what to do, to which requests, how many more times."""

    kind: str  # "status" | "drop" | "stall"
    count: int | None = 1  # None: until cleared
    path_prefix: str = ""
    method: str | None = None
    status: int = 503
    retry_after: int | None = None
    stall_ms: int = 0
    probability: float = 1.0
    after: bool = False  # drop only: handle the request first, then drop (a lost response)

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path_prefix) and (self.method is None or self.method == method)

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Faults:
    """The set of armed faults plus a fixed latency applied to every product request."""

    latency_ms: int = 0
    index_lag_ms: int = 0  # CQL/JQL answer as of N ms ago (see index_lag)
    base_index_lag_ms: int = 0  # what clear() restores: a lag the sandbox was started with
    rules: list[FaultRule] = field(default_factory=list)
    _rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, spec: Any) -> FaultRule | None:
        """Apply one fault description (the JSON body of ``POST /_sandbox/faults``).

        ``{"latency_ms": 50}`` sets the fixed latency; ``{"index_lag_ms": 3000}`` makes CQL and JQL
        searches answer as of 3 s ago (``index_lag``; reads by id stay fresh); ``{"status": 503, "count": 3,
        "path_prefix": "/rest/api/2/issue", "retry_after": 1}`` answers the next matching
        requests with that status; ``{"drop": true}`` closes the connection unanswered;
        ``{"stall_ms": 2000}`` delays matching requests; ``{"drop": true, "after": true}`` handles
        the request (its writes happen) and then drops the connection: a lost response. ``count: null``
        keeps a rule armed until cleared, ``probability`` (0..1) fires it at random, ``seed`` makes that reproducible.
        """
        if not isinstance(spec, dict):
            raise FaultSpecError("fault spec must be a JSON object")
        known = {"latency_ms", "index_lag_ms", "status", "drop", "stall_ms", "count", "path_prefix", "method",
                 "retry_after", "probability", "seed", "after"}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise FaultSpecError(f"unknown fault keys: {', '.join(unknown)}")
        with self._lock:
            if "seed" in spec:
                self._rng.seed(_int(spec, "seed"))
            if "latency_ms" in spec:
                self.latency_ms = _int(spec, "latency_ms", minimum=0)
            if "index_lag_ms" in spec:
                self.index_lag_ms = _int(spec, "index_lag_ms", minimum=0, maximum=3_600_000)
            kinds = [k for k in ("status", "drop", "stall_ms") if k in spec]
            if len(kinds) > 1:
                raise FaultSpecError("give only one of status, drop, stall_ms")
            if not kinds:
                return None
            count = spec.get("count", 1)
            if "count" in spec and count is not None:
                count = _int(spec, "count", minimum=1)
            probability = spec.get("probability", 1.0)
            if not isinstance(probability, int | float) or not 0 < probability <= 1:
                raise FaultSpecError("probability must be a number in (0, 1]")
            method = spec.get("method")
            if method is not None and not isinstance(method, str):
                raise FaultSpecError("method must be a string")
            prefix = spec.get("path_prefix", "")
            if not isinstance(prefix, str):
                raise FaultSpecError("path_prefix must be a string")
            rule = FaultRule(kind="status", count=count, path_prefix=prefix,
                             method=method.upper() if method else None, probability=float(probability))
            if "status" in spec:
                rule.status = _int(spec, "status", minimum=400, maximum=599)
                if "retry_after" in spec:
                    rule.retry_after = _int(spec, "retry_after", minimum=0)
            elif "drop" in spec:
                if spec["drop"] is not True:
                    raise FaultSpecError("drop must be true")
                rule.kind = "drop"
                rule.after = spec.get("after", False) is True
            else:
                rule.kind = "stall"
                rule.stall_ms = _int(spec, "stall_ms", minimum=1)
            self.rules.append(rule)
            return rule

    def take(self, method: str, path: str) -> FaultRule | None:
        """The fault that fires for this request, if any; consumes one of its count."""
        with self._lock:
            for rule in self.rules:
                if not rule.matches(method, path):
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count <= 0:
                        self.rules.remove(rule)
                return rule
            return None

    def clear(self) -> None:
        with self._lock:
            self.latency_ms = 0
            self.index_lag_ms = self.base_index_lag_ms
            self.rules.clear()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"latency_ms": self.latency_ms, "index_lag_ms": self.index_lag_ms,
                    "rules": [r.describe() for r in self.rules]}


def _int(spec: dict[str, Any], key: str, minimum: int | None = None, maximum: int | None = None) -> int:
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise FaultSpecError(f"{key} must be an integer")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise FaultSpecError(f"{key} out of range")
    return value


class Stats:
    """Counts product requests by route template, e.g. ``GET /wiki/rest/api/content/{id}``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_route: Counter[str] = Counter()
        self._gone: Counter[str] = Counter()

    def record(self, route: str) -> None:
        with self._lock:
            self._by_route[route] += 1

    def record_gone(self, route: str) -> None:
        """A request to a route the real service has removed (answered 410)."""
        with self._lock:
            self._gone[route] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": sum(self._by_route.values()), "by_route": dict(self._by_route),
                    "gone": dict(self._gone)}

    def reset(self) -> None:
        with self._lock:
            self._by_route.clear()
            self._gone.clear()


class Journal:
    """The last requests to the products (route, query, JSON body), for contract tests that check
    what a client really sent against the published API descriptions (``GET /_sandbox/requests``)."""

    def __init__(self, size: int = 500) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
