"""Opaque cursors for Confluence Cloud's cursor pagination (v2 lists and v1 CQL search on Cloud).

A cursor encodes the next offset plus a digest of the query it belongs to (path without the
``/wiki`` context, and every parameter but ``cursor``, ``limit`` and ``start``), so a cursor replayed
on another query is refused, as the real service refuses it. Paging is by offset over a fresh read,
so writes between requests can shift pages (the real cursors are not snapshots either).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from flask import request

_NOT_SCOPE = ("cursor", "limit", "start")


class BadCursor(ValueError):
    """A cursor that is not one of ours, or belongs to another query."""


def _scope() -> str:
    path = request.path.removeprefix("/wiki")
    args = sorted((k, v) for k, v in request.args.items(multi=True) if k not in _NOT_SCOPE)
    return hashlib.sha256(json.dumps([path, args]).encode()).hexdigest()[:12]


def offset_from_cursor() -> int:
    """The offset the request's ``cursor`` names (0 without one); :class:`BadCursor` if invalid."""
    raw = request.args.get("cursor")
    if not raw:
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        offset = decoded["o"]
        if decoded["s"] != _scope() or not isinstance(offset, int) or offset < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("The cursor is invalid or does not belong to this request") from None
    return offset


def cursor_for(offset: int) -> str:
    raw = json.dumps({"o": offset, "s": _scope()}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
