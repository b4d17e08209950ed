"""Webhook authentication: a shared token header, or an HMAC signature with a replay window.

``X-Wikibot-Token: <secret>`` is what Confluence and Jira automation rules can send;
``X-Wikibot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.<raw body>">`` proves the
body was not altered and is refused outside a 5-minute window, so a captured request cannot
be replayed later. Comparisons are constant-time. Several secrets may be valid at once, which
is how a secret is rotated without downtime.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable
from typing import Protocol

TOKEN_HEADER = "X-Wikibot-Token"
SIGNATURE_HEADER = "X-Wikibot-Signature"
WINDOW_SECONDS = 300

_SIGNATURE = re.compile(r"^t=(\d{1,12}),v1=([0-9a-fA-F]{64})$")


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for ``body`` (what a sender computes)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class Headers(Protocol):
    """What :func:`verify` reads from a request's headers (a dict or werkzeug's ``Headers``)."""

    def get(self, key: str, /) -> str | None: ...


def verify(headers: Headers, body: bytes, secrets: Iterable[str], now: float | None = None) -> bool:
    """True when the request carries a valid token or a fresh, valid signature for one of ``secrets``."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return False
    token = headers.get(TOKEN_HEADER)
    if token is not None:
        return any(hmac.compare_digest(token.encode(), s.encode()) for s in secrets)
    signature = headers.get(SIGNATURE_HEADER)
    if signature is None:
        return False
    match = _SIGNATURE.match(signature.strip())
    if not match:
        return False
    timestamp, given = int(match.group(1)), match.group(2).lower()
    now = time.time() if now is None else now
    if abs(now - timestamp) > WINDOW_SECONDS:
        return False
    message = f"{timestamp}.".encode() + body
    return any(
        hmac.compare_digest(hmac.new(s.encode(), message, hashlib.sha256).hexdigest(), given) for s in secrets
    )
