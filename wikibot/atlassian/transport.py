"""The transport under every Confluence and Jira call: counted, and guarded by a circuit breaker.

A ``requests`` adapter mounted on each client's session sees every request — the library's and
ours. It counts them for ``/metrics`` and feeds a per-service circuit breaker: after
``threshold`` consecutive failures (no answer, or a 5xx) the circuit opens and calls fail at once
for ``cooldown`` seconds instead of hammering a service that is down; then one trial call is let
through, and a success closes the circuit again. Callers see ``CircuitOpen``, a
``requests.ConnectionError``, so their existing retry and error handling applies unchanged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter


class CircuitOpen(requests.ConnectionError):
    """The service failed repeatedly; wikibot is not calling it until the cooldown ends."""


class CircuitBreaker:
    def __init__(self, threshold: int = 5, cooldown: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._opened_at is not None

    def allow(self) -> bool:
        """May a call go out now? While open: no, except one trial call after the cooldown."""
        with self._lock:
            if self._opened_at is None:
                return True
            if not self._trial and self._clock() - self._opened_at >= self.cooldown:
                self._trial = True
                return True
            return False

    def seconds_left(self) -> float:
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self.cooldown - (self._clock() - self._opened_at))

    def record(self, ok: bool) -> None:
        with self._lock:
            if ok:
                self._failures, self._opened_at, self._trial = 0, None, False
                return
            self._failures += 1
            if self._trial or self._failures >= self.threshold:
                self._opened_at, self._trial = self._clock(), False


class ServiceAdapter(HTTPAdapter):
    """Counts each call (``on_call(service, status or None)``) and enforces the service's circuit."""

    def __init__(self, service: str, breaker: CircuitBreaker, on_call: Callable[[str, int | None], None]) -> None:
        super().__init__()
        self.service = service
        self.breaker = breaker
        self.on_call = on_call

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if not self.breaker.allow():
            self.on_call(self.service, None)
            raise CircuitOpen(f"failed {self.breaker.threshold} times in a row; not calling it for another "
                              f"{self.breaker.seconds_left():.0f} s (http.circuit_failures, http.circuit_cooldown)",
                              request=request)
        try:
            response = super().send(request, **kwargs)
        except Exception:
            self.breaker.record(False)
            self.on_call(self.service, None)
            raise
        self.breaker.record(response.status_code < 500)
        self.on_call(self.service, response.status_code)
        return response


def guard(client: Any, service: str, breaker: CircuitBreaker, on_call: Callable[[str, int | None], None]) -> None:
    """Mount the adapter on an atlassian-python-api client's session."""
    adapter = ServiceAdapter(service, breaker, on_call)
    client._session.mount("http://", adapter)
    client._session.mount("https://", adapter)
