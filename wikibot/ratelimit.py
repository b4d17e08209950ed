"""A per-source sliding-window rate limit for webhooks (in memory, per replica)."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    def __init__(self, window_seconds: float = 60.0, max_sources: int = 10_000) -> None:
        self.window = window_seconds
        self.max_sources = max_sources
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, source: str, limit: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._hits) >= self.max_sources and source not in self._hits:
                self._forget_idle(now)
            hits = self._hits.setdefault(source, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
            return True

    def _forget_idle(self, now: float) -> None:
        """Bound memory under a flood of distinct sources: drop those with no recent hit."""
        for source in [s for s, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[source]
        if len(self._hits) >= self.max_sources:
            self._hits.clear()
