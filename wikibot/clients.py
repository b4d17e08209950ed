"""The one place Confluence and Jira clients are built, identically for the sandbox and a real site.

atlassian-python-api 5.0.5's ``Confluence(...)`` picks its implementation from the hostname: the
sandbox on 127.0.0.1 would get the Server/DC class while ``*.atlassian.net`` would get the legacy
Cloud class, which lacks most v1 methods. Building ``ConfluenceServer`` explicitly means production
runs exactly the class the tests ran. Both talk REST v1 under ``<site>/wiki/rest/api``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import requests
from atlassian import ConfluenceServer, Jira

from wikibot.errors import ServiceError

if TYPE_CHECKING:
    from wikibot.config import Config


def build_confluence(url: str, username: str, token: str, *, timeout: float = 30) -> ConfluenceServer:
    """A Confluence v1 client. ``url`` is the wiki base, e.g. ``https://acme.atlassian.net/wiki``."""
    return ConfluenceServer(url=url.rstrip("/"), username=username, password=token, cloud=True,
                            timeout=timeout)


def build_jira(url: str, username: str, token: str, *, timeout: float = 30) -> Jira:
    """A Jira client in cloud mode (enhanced JQL search). ``url`` is the site, e.g. ``https://acme.atlassian.net``."""
    return Jira(url=url.rstrip("/"), username=username, password=token, cloud=True, timeout=timeout)


@dataclass(frozen=True)
class Clients:
    confluence: ConfluenceServer
    jira: Jira


def build_clients(config: Config) -> Clients:
    """Clients for the configured sites, or for the embedded sandbox when none is configured."""
    url, user, token = config.confluence_endpoint()
    confluence = build_confluence(url, user, token, timeout=config.http.timeout)
    url, user, token = config.jira_endpoint()
    jira = build_jira(url, user, token, timeout=config.http.timeout)
    return Clients(confluence=confluence, jira=jira)


def service_error(service: str, url: str, exc: Exception) -> ServiceError:
    """Turn a client-library or transport exception into one line an operator can act on."""
    if isinstance(exc, requests.ConnectionError):
        return ServiceError(f"{service}: cannot connect to {url} (is it running? check {service.lower()}.url)")
    if isinstance(exc, requests.Timeout):
        return ServiceError(f"{service}: {url} did not answer in time (http.timeout)")
    response = getattr(exc, "response", None)
    reason = getattr(exc, "reason", None)
    if response is None and isinstance(reason, requests.HTTPError):
        response = reason.response
    status = getattr(response, "status_code", None)
    detail = " ".join(str(exc).split())[:300] or type(exc).__name__
    if status == 401 or "Unauthorized (401)" in detail:
        return ServiceError(f"{service}: {url} rejected the credentials (401): check {service.lower()}.username and .token")
    if status == 403:
        return ServiceError(f"{service}: permission denied (403): {detail}")
    prefix = f"HTTP {status}: " if status else ""
    return ServiceError(f"{service}: {prefix}{detail}")
