"""Which Confluence and Jira site wikibot's database belongs to; never run it against another.

wikibot's database remembers page ids, issue keys and which incident has which page. Those mean
something only on the site that handed them out: against another site (or a sandbox that forgot
its data) the same ids name *different* pages, so "this incident already has its page" answers
with someone else's page and the sync writes keys of issues that do not exist. So the database
records the site it was made against, and a start against a different one stops with one line.

A site is known by its cloudId, which every Atlassian Cloud site (and the sandbox, which keeps
it with its data) answers without authentication at ``<site>/_edge/tenant_info``; it survives a
renamed URL. A site without one (Data Center) is known by its configured URL.

``identify`` does the I/O (two GETs through the configured clients); ``compare`` is pure. The
check runs when ``serve`` or ``scheduler`` starts and before every one-shot command that writes or
remembers (``sync``, ``audit``, ``new``, ``share``, ``timeline``, ``remind``, ``install-button``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests
from atlassian.rest_client import AtlassianRestAPI
from sqlalchemy import delete

from wikibot.atlassian.clients import Clients
from wikibot.errors import ConfigError
from wikibot.store import Database, settings

if TYPE_CHECKING:
    from wikibot.config import Config
    from wikibot.services import Services

log = logging.getLogger(__name__)

SETTING = "site"  # key in the settings table


@dataclass(frozen=True)
class SiteIdentity:
    """``cloud:<cloudId>`` or ``url:<base URL>`` for each product."""

    confluence: str
    jira: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SiteIdentity:
        data = json.loads(text)
        return cls(confluence=str(data["confluence"]), jira=str(data["jira"]))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _one(client: AtlassianRestAPI, base_url: str, deployment: str) -> str | None:
    """The identity of the site behind ``client``; None when it cannot be asked right now."""
    by_url = "url:" + _origin(base_url) + urlsplit(base_url).path.rstrip("/")
    if deployment == "datacenter":
        return by_url  # no cloudId to ask for (and an SSO proxy in front may refuse the question)
    try:
        response = client.get(_origin(base_url) + "/_edge/tenant_info", absolute=True, advanced_mode=True)
    except requests.RequestException as exc:
        log.warning("cannot ask %s which site it is (%s); the site is not checked this time", base_url, exc)
        return None
    if not response.ok and response.status_code not in (404, 410):
        # 5xx, 429, or a proxy refusing (401/403): that says nothing about which site this is.
        # Only "no such route" (Data Center has none) means the site has no cloudId.
        log.warning("cannot ask %s which site it is (HTTP %s); the site is not checked this time",
                    base_url, response.status_code)
        return None
    try:
        cloud_id = response.json().get("cloudId") if response.ok else None
    except (ValueError, AttributeError):
        cloud_id = None
    if isinstance(cloud_id, str) and cloud_id:
        return f"cloud:{cloud_id}"
    return by_url


def identify(clients: Clients, confluence_url: str, jira_url: str) -> SiteIdentity | None:
    """Ask both sites who they are; None if either cannot answer now (then nothing is checked)."""
    confluence = _one(clients.confluence, confluence_url, clients.confluence_endpoint.deployment)
    jira = _one(clients.jira, jira_url, clients.jira_endpoint.deployment)
    if confluence is None or jira is None:
        return None
    return SiteIdentity(confluence=confluence, jira=jira)


def _describe(identity: str) -> str:
    kind, _, value = identity.partition(":")
    return f"cloudId {value}" if kind == "cloud" else value


def compare(recorded: SiteIdentity, current: SiteIdentity, *, sandbox: str | None) -> str | None:
    """The one-line refusal when ``current`` is not the site the database was made against."""
    for product, before, now in (("Confluence", recorded.confluence, current.confluence),
                                 ("Jira", recorded.jira, current.jira)):
        if before == now:
            continue
        if sandbox is not None:
            there = (f"the sandbox at {sandbox} is {_describe(now)}, whose" if now.startswith("cloud:") else
                     f"what answers at {sandbox} has no cloudId (a Data Center sandbox, or not a sandbox), so its")
            return (f"database.url: this database belongs to the sandbox with {_describe(before)}, but {there} "
                    "pages are not the ones the database remembers: set sandbox.db to that sandbox's file, or use a "
                    "new database.url")
        moved = " (the same site at a new URL? `wikibot db forget-site`)" if now.startswith("url:") else ""
        return (f"database.url: this database belongs to the {product} site {_describe(before)}, but "
                f"{product.lower()}.url is {_describe(now)}: use the database made for that site, "
                f"or a new database.url{moved}")
    return None


def check_site(db: Database, clients: Clients, confluence_url: str, jira_url: str, *,
               sandbox: str | None = None, sandbox_is_new: bool = False) -> None:
    """Record the site on first use; raise ``ConfigError`` if the database belongs to another.

    ``sandbox`` is the embedded sandbox's URL when wikibot runs on one, and ``sandbox_is_new``
    says it was created empty just now: a database that already remembers pages but never
    recorded a site (made before sites were recorded, against a sandbox kept in memory) cannot
    belong to it.
    """
    current = identify(clients, confluence_url, jira_url)
    if current is None:
        return
    recorded = db.setting(SETTING)
    if recorded is None:
        if sandbox is not None and sandbox_is_new and db.remembers_pages():
            raise ConfigError(f"database.url: this database remembers pages of an earlier sandbox, but the sandbox "
                              f"at {sandbox} was created empty just now: move the database away to start afresh, "
                              "or set sandbox.db to the earlier sandbox's file")
        # The first replica to get here records the site; the others compare against it.
        recorded = db.setting(SETTING, current.to_json)
    problem = compare(SiteIdentity.from_json(recorded or current.to_json()), current, sandbox=sandbox)
    if problem:
        raise ConfigError(problem)


def check_configured_site(config: Config, services: Services, *, sandbox_is_new: bool = False) -> None:
    """:func:`check_site` for the configured Confluence and Jira (or the sandbox wikibot runs on)."""
    check_site(services.db, services.clients, config.confluence_endpoint()[0], config.jira_endpoint()[0],
               sandbox=config.sandbox_url if config.uses_sandbox else None, sandbox_is_new=sandbox_is_new)


def site_services(config: Config) -> Services:
    """The services built from ``config``, once the database is known to belong to the configured site
    (closed again, and the error raised, if it does not)."""
    from wikibot.services import Services

    services = Services(config)
    try:
        check_configured_site(config, services)
    except BaseException:
        services.close()
        raise
    return services


def forget_site(db: Database) -> bool:
    """Forget the recorded site, so the next start records the configured one; False if none was."""
    with db.engine.begin() as conn:
        return conn.execute(delete(settings).where(settings.c.key == SETTING)).rowcount > 0
