"""Bounded retries for calls to Confluence and Jira.

Only what is safe to repeat is retried: reads, and writes that are idempotent by construction
(PUT with a version, upserts, creates guarded by an identity check the caller re-runs). Retried
failures are transport errors, 429 (honouring ``Retry-After``) and 5xx gateway answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar

import requests

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def response_of(exc: BaseException) -> requests.Response | None:
    """The HTTP response behind a client-library exception (its Api* errors keep it on ``reason``).

    Compared with None explicitly: a Response with an error status is falsy.
    """
    response = getattr(exc, "response", None)
    if response is None:
        response = getattr(getattr(exc, "reason", None), "response", None)
    return response


def status_of(exc: BaseException) -> int | None:
    """The HTTP status behind a client-library exception (they don't all subclass HTTPError)."""
    return getattr(response_of(exc), "status_code", None)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    return status_of(exc) in RETRY_STATUSES


def retry_after(exc: BaseException, cap: float = 30.0) -> float | None:
    response = response_of(exc)
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return min(cap, max(0.0, float(value)))
    except ValueError:
        try:
            return min(cap, max(0.0, parsedate_to_datetime(value).timestamp() - time.time()))
        except (TypeError, ValueError):
            return None


def with_retries(call: Callable[[], T], *, attempts: int = 4, base_delay: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> T:
    """Run ``call``; on a transient failure wait (Retry-After, else exponential) and try again."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            delay = retry_after(exc)
            sleep(delay if delay is not None else base_delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry a transient failure (429 honours Retry-After; else exponential backoff).

    Passed to the I/O classes so tests can make retries instant.
    """

    attempts: int = 4
    base_delay: float = 0.5
    sleep: Callable[[float], None] = field(default=time.sleep)

    def call(self, fn: Callable[[], T]) -> T:
        return with_retries(fn, attempts=self.attempts, base_delay=self.base_delay, sleep=self.sleep)
