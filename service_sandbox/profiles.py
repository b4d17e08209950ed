"""Which real deployment the sandbox plays: the seam between Cloud and (next) Data Center.

A profile decides which API generations exist and which retired routes answer 410, so one sandbox
codebase can be as strict as each deployment is. ``cloud`` is Atlassian Cloud as it is today;
``datacenter`` is Confluence and Jira Data Center/Server behind the context paths ``/confluence`` and
``/jira`` (REST v1 only, offset search, no v2, no gateway, usernames and userkeys, PATs; see
``service_sandbox.datacenter``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    confluence_v2: bool  # /wiki/api/v2 is served
    v1_content_removed: bool  # v1 routes with a v2 equivalent answer 410 GoneException (CHANGE-864)
    jira_legacy_search_removed: bool  # /rest/api/{2,3,latest}/search answers 410 (CHANGE-2046)
    gateway: bool  # api.atlassian.com-style /ex/{product}/{cloudId}/... routes
    datacenter: bool = False  # context paths, usernames/userkeys, PATs, no /_edge/tenant_info


CLOUD = Profile("cloud", confluence_v2=True, v1_content_removed=True, jira_legacy_search_removed=True, gateway=True)
DATACENTER = Profile("datacenter", confluence_v2=False, v1_content_removed=False, jira_legacy_search_removed=False,
                     gateway=False, datacenter=True)
PROFILES = {p.name: p for p in (CLOUD, DATACENTER)}
DEFAULT_PROFILE = CLOUD.name


def profile_named(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown sandbox profile {name!r} (known: {', '.join(PROFILES)})") from None
