"""The one place Confluence and Jira clients are built, identically for the sandbox and a real site.

Which deployment a URL is (``confluence.deployment`` / ``jira.deployment``): ``auto`` is Cloud
for ``*.atlassian.net`` and ``api.atlassian.com`` hosts, or for a site that answers
``/_edge/tenant_info`` (every Cloud site does, without authentication; so does the sandbox), else
Data Center. Cloud: Confluence REST **v2** through ``atlassian.ConfluenceV2`` (v1 only for CQL search
and label writes, which v2 lacks), Jira REST v2 with the enhanced search. Data Center / Server:
Confluence REST v1 through ``atlassian.ConfluenceServer`` under ``{server}[/context]/rest/api``, Jira
REST v2 with ``cloud=False`` (offset search ``/rest/api/2/search``) — see ``confluence_dc`` and
``jira_dc``. Authentication (``auth``): ``basic`` (username + token or password) or ``bearer`` (a
Data Center personal access token); ``auto`` is basic when a username is set, else bearer.

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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

import requests
from atlassian import ConfluenceServer, ConfluenceV2, Jira
from atlassian.errors import ApiError
from atlassian.rest_client import AtlassianRestAPI

from wikibot.atlassian.boundary import boundary
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
    auth: Literal["basic", "bearer"] = "basic"

    @property
    def api(self) -> str:
        if self.deployment == "datacenter":
            return "REST v1 (/rest/api)" if self.product == "confluence" else "REST v2, /rest/api/2/search"
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
    # The library annotates timeout as int, but hands it to requests, which takes seconds as a float.
    probe = AtlassianRestAPI(url=site_root(site), timeout=timeout)  # type: ignore[arg-type]
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


def auth_for(setting: str, username: str) -> Literal["basic", "bearer"]:
    """``auto``: basic when a username is set, bearer (a personal access token) when it is empty."""
    if setting in ("basic", "bearer"):
        return "basic" if setting == "basic" else "bearer"
    return "basic" if username else "bearer"


def build_confluence_dc(url: str, username: str, token: str, *, auth: str, timeout: float = 30) -> ConfluenceServer:
    """A Confluence Data Center / Server client (REST v1) for ``{server}[/context]``."""
    if auth == "bearer":
        return ConfluenceServer(url=url.rstrip("/"), token=token, cloud=False, timeout=timeout)
    return ConfluenceServer(url=url.rstrip("/"), username=username, password=token, cloud=False, timeout=timeout)


def build_confluence(url: str, username: str, token: str, *, timeout: float = 30) -> ConfluenceV2:
    """A Confluence Cloud client. ``url`` is the wiki base (``https://acme.atlassian.net/wiki``) or the
    gateway (``https://api.atlassian.com/ex/confluence/<cloudId>/wiki``); the API key is the email's."""
    with warnings.catch_warnings():
        # Its constructor always warns "V1 methods are deprecated in ConfluenceCloud" (blaming the
        # caller); wikibot calls none of its v1 helpers, so the warning says nothing about us.
        warnings.filterwarnings("ignore", "V1 methods are deprecated", DeprecationWarning)
        return ConfluenceV2(url=url.rstrip("/"), username=username, password=token, cloud=True, timeout=timeout)


def build_jira(url: str, username: str, token: str, *, timeout: float = 30, cloud: bool = True,
               auth: str = "basic") -> Jira:
    """A Jira client: cloud mode (enhanced JQL search; ``url`` is the site or the gateway), or
    ``cloud=False`` for Data Center (``/rest/api/2/search``), with a PAT when ``auth`` is bearer."""
    # timeout: the library annotates int but hands it to requests, which takes seconds as a float.
    if auth == "bearer":
        return Jira(url=url.rstrip("/"), token=token, cloud=cloud, timeout=timeout)  # type: ignore[arg-type]
    return Jira(url=url.rstrip("/"), username=username, password=token, cloud=cloud,
                timeout=timeout)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Clients:
    confluence: ConfluenceV2 | ConfluenceServer
    jira: Jira
    confluence_endpoint: Endpoint
    jira_endpoint: Endpoint


def endpoints(config: Config) -> tuple[Endpoint, Endpoint]:
    """Both products' endpoints, with the authentication each uses."""
    c, j = config.confluence, config.jira
    timeout = config.http.timeout
    # The first request of every command: where it finds nothing, say what to start or set.
    unreachable = ("the embedded sandbox, as confluence.url is empty: start `wikibot serve`, or set sandbox.port to "
                   "the port it serves the sandbox on") if config.uses_sandbox else None
    url = config.confluence_endpoint()[0]
    with boundary("Confluence", url, unreachable):
        wiki = resolve_endpoint("confluence", url, deployment=c.deployment, token_type=c.token_type,
                                cloud_id=c.cloud_id, timeout=timeout)
    url = config.jira_endpoint()[0]
    with boundary("Jira", url, unreachable):
        jira = resolve_endpoint("jira", url, deployment=j.deployment, token_type=j.token_type,
                                cloud_id=j.cloud_id, timeout=timeout)
    wiki = replace(wiki, auth=auth_for(c.auth, config.confluence_endpoint()[1]))
    jira = replace(jira, auth=auth_for(j.auth, config.jira_endpoint()[1]))
    for endpoint in (wiki, jira):
        if endpoint.deployment == "cloud" and endpoint.auth == "bearer":
            raise ConfigError(f"{endpoint.product}.username: Atlassian Cloud needs the account's email with the API "
                              f"token (basic auth); bearer is for Data Center personal access tokens")
    return wiki, jira


def build_clients(config: Config) -> Clients:
    """Clients for the configured sites, or for the embedded sandbox when none is configured."""
    wiki, jira = endpoints(config)
    timeout = config.http.timeout
    _, user, token = config.confluence_endpoint()
    confluence: ConfluenceV2 | ConfluenceServer
    if wiki.deployment == "datacenter":
        confluence = build_confluence_dc(wiki.base_url, user, token, auth=wiki.auth, timeout=timeout)
    else:
        confluence = build_confluence(wiki.base_url, user, token, timeout=timeout)
    _, user, token = config.jira_endpoint()
    client = build_jira(jira.base_url, user, token, timeout=timeout, cloud=jira.deployment == "cloud", auth=jira.auth)
    return Clients(confluence=confluence, jira=client, confluence_endpoint=wiki, jira_endpoint=jira)
