"""The one place Confluence and Jira clients are built, identically for the sandbox and a real site.

Which deployment a URL is (``confluence.deployment`` / ``jira.deployment``): ``auto`` is Cloud
for ``*.atlassian.net`` and ``api.atlassian.com`` hosts, or for a site that answers
``/_edge/tenant_info`` (every Cloud site does, without authentication; so does the sandbox), else
Data Center. Cloud is served as it is today: Confluence REST **v2** through
``atlassian.ConfluenceV2`` (v1 only for CQL search and label writes, which v2 lacks), Jira REST v2
with the enhanced search. Data Center is the next step (v1, PATs) and is refused with one line
until then — the seam is :class:`Endpoint`.

Two ways to authenticate on Cloud (``token_type``): a classic API token on the site URL, or a
*scoped* API token, which only works through the gateway
``https://api.atlassian.com/ex/{confluence|jira}/{cloudId}``; the cloudId is ``cloud_id`` or,
when empty, read from ``https://<site>/_edge/tenant_info``. A site that is not on an Atlassian
host (the sandbox) serves the gateway on its own address.

The client classes are chosen here, never by atlassian-python-api's hostname sniffing
(``Confluence(...)`` would pick a different class for 127.0.0.1 than for ``*.atlassian.net``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

import requests
from atlassian import ConfluenceV2, Jira
from atlassian.errors import ApiError
from atlassian.rest_client import AtlassianRestAPI

from wikibot.atlassian.errors import boundary
from wikibot.errors import ConfigError

if TYPE_CHECKING:
    from wikibot.config import Config

GATEWAY = "https://api.atlassian.com"
_CLOUD_HOST_SUFFIXES = (".atlassian.net", ".jira.com")


@dataclass(frozen=True)
class Endpoint:
    """Where and how wikibot talks to one product; ``check-config`` prints it."""

    product: Literal["confluence", "jira"]
    deployment: Literal["cloud", "datacenter"]
    site_url: str
    """The site people open (links shown to them): ``https://acme.atlassian.net/wiki`` for Confluence."""
    base_url: str
    """What requests go to: the site, or the gateway for a scoped token."""
    cloud_id: str | None = None

    @property
    def api(self) -> str:
        if self.product == "confluence":
            return "REST v2 (v1 only for CQL search and label writes)"
        return "REST v2 (issues), v3 enhanced JQL search"

    @property
    def via_gateway(self) -> bool:
        return "/ex/" in urlsplit(self.base_url).path


def site_root(url: str) -> str:
    """``scheme://host[:port]`` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_atlassian_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "api.atlassian.com" or host.endswith(_CLOUD_HOST_SUFFIXES)


def tenant_cloud_id(site: str, *, timeout: float = 10) -> str | None:
    """The cloudId a site publishes at ``/_edge/tenant_info``; None when it does not answer (not Cloud)."""
    probe = AtlassianRestAPI(url=site_root(site), timeout=timeout)
    try:
        found = probe.get("_edge/tenant_info")
    except (requests.HTTPError, ApiError, ValueError):  # it answered, but not as a Cloud site does
        return None
    finally:
        probe.close()
    cloud_id = found.get("cloudId") if isinstance(found, dict) else None
    return str(cloud_id) if cloud_id else None


def resolve_endpoint(product: Literal["confluence", "jira"], url: str, *, deployment: str, token_type: str,
                     cloud_id: str | None, timeout: float = 10) -> Endpoint:
    """Decide the deployment and the base URL for one product (one unauthenticated probe at most)."""
    url = url.rstrip("/")
    gateway_path = f"/ex/{product}/"
    if urlsplit(url).path.startswith(gateway_path):  # a gateway URL given as is
        found = urlsplit(url).path[len(gateway_path):].split("/", 1)[0]
        return Endpoint(product, "cloud", url, url, cloud_id or found)
    probed: str | None = None
    if deployment == "auto":
        if not is_atlassian_host(url):
            probed = tenant_cloud_id(url, timeout=timeout)
        deployment = "cloud" if is_atlassian_host(url) or probed else "datacenter"
    if deployment == "datacenter":
        return Endpoint(product, "datacenter", url, url)
    if product == "confluence" and not url.endswith("/wiki"):
        url += "/wiki"  # Cloud serves Confluence under /wiki
    if token_type != "scoped":
        return Endpoint(product, "cloud", url, url, cloud_id or probed)
    cloud_id = cloud_id or probed or tenant_cloud_id(url, timeout=timeout)
    if not cloud_id:
        raise ConfigError(f"{product}.cloud_id: empty, and {site_root(url)}/_edge/tenant_info did not give one")
    root = GATEWAY if is_atlassian_host(url) else site_root(url)
    base = f"{root}/ex/{product}/{cloud_id}" + ("/wiki" if product == "confluence" else "")
    return Endpoint(product, "cloud", url, base, cloud_id)


def build_confluence(url: str, username: str, token: str, *, timeout: float = 30) -> ConfluenceV2:
    """A Confluence Cloud client. ``url`` is the wiki base (``https://acme.atlassian.net/wiki``) or the
    gateway (``https://api.atlassian.com/ex/confluence/<cloudId>/wiki``); the API key is the email's."""
    with warnings.catch_warnings():
        # Its constructor always warns "V1 methods are deprecated in ConfluenceCloud" (blaming the
        # caller); wikibot calls none of its v1 helpers, so the warning says nothing about us.
        warnings.filterwarnings("ignore", "V1 methods are deprecated", DeprecationWarning)
        return ConfluenceV2(url=url.rstrip("/"), username=username, password=token, cloud=True, timeout=timeout)


def build_jira(url: str, username: str, token: str, *, timeout: float = 30) -> Jira:
    """A Jira client in cloud mode (enhanced JQL search). ``url`` is the site or the gateway."""
    return Jira(url=url.rstrip("/"), username=username, password=token, cloud=True, timeout=timeout)


@dataclass(frozen=True)
class Clients:
    confluence: ConfluenceV2
    jira: Jira
    confluence_endpoint: Endpoint
    jira_endpoint: Endpoint


def endpoints(config: Config) -> tuple[Endpoint, Endpoint]:
    """Both products' endpoints; Data Center is refused with one line until it is supported."""
    c, j = config.confluence, config.jira
    timeout = config.http.timeout
    url = config.confluence_endpoint()[0]
    with boundary("Confluence", url):
        wiki = resolve_endpoint("confluence", url, deployment=c.deployment, token_type=c.token_type,
                                cloud_id=c.cloud_id, timeout=timeout)
    url = config.jira_endpoint()[0]
    with boundary("Jira", url):
        jira = resolve_endpoint("jira", url, deployment=j.deployment, token_type=j.token_type,
                                cloud_id=j.cloud_id, timeout=timeout)
    for endpoint in (wiki, jira):
        if endpoint.deployment == "datacenter":
            raise ConfigError(f"{endpoint.product}.deployment: {endpoint.site_url} is Data Center (or did not "
                              "answer /_edge/tenant_info); wikibot supports Atlassian Cloud only so far")
    return wiki, jira


def build_clients(config: Config) -> Clients:
    """Clients for the configured sites, or for the embedded sandbox when none is configured."""
    wiki, jira = endpoints(config)
    _, user, token = config.confluence_endpoint()
    confluence = build_confluence(wiki.base_url, user, token, timeout=config.http.timeout)
    _, user, token = config.jira_endpoint()
    return Clients(confluence=confluence, jira=build_jira(jira.base_url, user, token, timeout=config.http.timeout),
                   confluence_endpoint=wiki, jira_endpoint=jira)
