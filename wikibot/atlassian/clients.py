"""The one place Confluence and Jira clients are built, identically for the sandbox and a real site.

atlassian-python-api 5.0.5's ``Confluence(...)`` picks its implementation from the hostname: the
sandbox on 127.0.0.1 would get the Server/DC class while ``*.atlassian.net`` would get the legacy
Cloud class, which lacks most v1 methods. Building ``ConfluenceServer`` explicitly means production
runs exactly the class the tests ran. Both talk REST v1 under ``<site>/wiki/rest/api``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from atlassian import ConfluenceServer, Jira

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
