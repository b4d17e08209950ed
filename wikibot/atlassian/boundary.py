"""The error boundary of each service: the only place client-library and transport errors are caught.

atlassian-python-api raises ``requests.HTTPError`` for most answers but its own ``ApiError``
family for some (404s, permissions, values), and those are *not* ``HTTPError`` subclasses; both,
and every ``requests`` transport error, become one ``ServiceError`` line here, chained to the
original with ``from`` so the cause stays in the log. Anything else is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from atlassian.errors import ApiError

from wikibot.atlassian.transport import CircuitOpen
from wikibot.errors import ServiceError
from wikibot.retry import response_of, status_of

LIBRARY_ERRORS = (requests.RequestException, ApiError)
"""What the client library and ``requests`` raise for a failed call (and nothing else)."""


def service_error(service: str, exc: BaseException, url: str | None = None,
                  unreachable: str | None = None) -> ServiceError:
    """Turn a client-library or transport exception into one line an operator can act on.

    The HTTP status (if any) is kept on ``error.status`` so HTTP handlers can answer 502 or 503.
    ``unreachable`` replaces the advice given when nothing answers at ``url``.
    """
    where = url or service
    status = status_of(exc)
    detail = " ".join((error_detail(exc) or str(exc)).split())[:300] or type(exc).__name__
    if isinstance(exc, CircuitOpen):  # the service answered, with failures: not a connection problem
        message = f"{service}: {where} {exc}"
    elif isinstance(exc, requests.ConnectionError):
        advice = unreachable or f"is it running? check {service.lower()}.url"
        message = f"{service}: cannot connect to {where} ({advice})"
    elif isinstance(exc, requests.Timeout):
        message = f"{service}: {where} did not answer in time (http.timeout)"
    elif status == 401 or "Unauthorized (401)" in detail:
        message = f"{service}: {where} rejected the credentials (401): check {service.lower()}.username and .token"
    elif status == 403:
        message = f"{service}: permission denied (403): {detail}"
    elif status == 410:
        message = f"{service}: {where} has removed this API (410): {detail}"
    else:
        message = f"{service}: {f'HTTP {status}: ' if status else ''}{detail}"
    return ServiceError(message, status=status)


def error_detail(exc: BaseException) -> str:
    """What the service said, from its error body: v2's ``errors[].title``/``detail`` (which the
    library does not read: its message is then empty or "Unknown error"), v1's ``message``, Jira's
    ``errorMessages`` and ``errors``; "" when the body says nothing readable."""
    response = response_of(exc)
    try:
        body = response.json() if response is not None else None
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts: list[str] = [str(m) for m in body.get("errorMessages") or []]
    errors = body.get("errors")
    if isinstance(errors, list):
        for error in errors:
            if isinstance(error, dict):
                parts += [str(error[k]) for k in ("title", "detail", "message") if error.get(k)]
    elif isinstance(errors, dict):
        parts += [f"{name}: {message}" for name, message in errors.items()]
    if body.get("message"):
        parts.append(str(body["message"]))
    return "; ".join(parts)


@contextmanager
def boundary(service: str, url: str | None = None, unreachable: str | None = None) -> Iterator[None]:
    """Run the block; a library or transport error leaves it as a ``ServiceError`` chained to its cause."""
    try:
        yield
    except LIBRARY_ERRORS as exc:
        raise service_error(service, exc, url, unreachable) from exc
