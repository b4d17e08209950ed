"""The API gateway: ``/ex/confluence/{cloudId}/wiki/...`` and ``/ex/jira/{cloudId}/...``.

Scoped API tokens and OAuth apps reach a Cloud site through
``https://api.atlassian.com/ex/{product}/{cloudId}`` (https://developer.atlassian.com/cloud/confluence/scoped-api-tokens/),
with the site's ``cloudId`` from ``https://<site>/_edge/tenant_info``. The sandbox serves the same
routes behind that prefix by rewriting the WSGI path (the prefix becomes ``SCRIPT_NAME``), so every
route, rule and wire format is the site's own; an unknown cloudId is a 404. Links in bodies do not
carry the prefix (v2's ``_links.next`` starts ``/wiki/api/v2/`` through the gateway too, notes §6).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from service_sandbox.store import SandboxStore

GATEWAY_KEY = "sandbox.gateway"  # WSGI environ key: the product a gateway request was for
_PREFIX = re.compile(r"^/ex/(confluence|jira)/([^/]+)(/.*)?$")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Gateway:
    """WSGI middleware in front of the sandbox app."""

    def __init__(self, app: WSGIApp, store: SandboxStore) -> None:
        self.app, self.store = app, store
        self._cloud_id: str | None = None

    def cloud_id(self) -> str:
        if self._cloud_id is None:
            self._cloud_id = self.store.cloud_id()
        return self._cloud_id

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        match = _PREFIX.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        product, cloud_id, rest = match.group(1), match.group(2), match.group(3) or "/"
        if cloud_id != self.cloud_id() or (product == "confluence") != rest.startswith("/wiki/") \
                or rest.startswith(("/_sandbox", "/_edge")):
            body = json.dumps({"code": 404, "message": "Not Found"}).encode()
            start_response("404 NOT FOUND", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + f"/ex/{product}/{cloud_id}"
        environ["PATH_INFO"] = rest
        environ[GATEWAY_KEY] = product
        return self.app(environ, start_response)
