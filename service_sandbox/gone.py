"""Routes the real Cloud services have switched off, answered the way they answer them: HTTP 410.

Confluence Cloud removes every REST v1 route that has a v2 equivalent (changelog CHANGE-864,
https://developer.atlassian.com/cloud/confluence/changelog/#CHANGE-864). A removed route answers 410
with v1's error body whose message is
``com.atlassian.confluence.api.service.exceptions.GoneException: This deprecated endpoint has been removed.``
(reported in atlassian-python-api #1560 and PR #1594, mcp-atlassian #429/#474) and the headers
``Deprecation`` and ``Link: <...#CHANGE-864>; rel="deprecation"`` (../shared/atlassian-api-notes.md §0).
What stays on v1 is what v2 lacks: CQL search and label add/remove (and the user lookups).

Jira Cloud removed ``/rest/api/{2,3,latest}/search`` (CHANGE-2046,
https://developer.atlassian.com/changelog/#CHANGE-2046): 410 with a Jira error body pointing to
``/rest/api/3/search/jql`` (notes §7).
"""

from __future__ import annotations

import json
import re

from flask import Response, request

from service_sandbox.error_bodies import jira_error

V1_ROOT = "/wiki/rest/api"
# (method, rule below /wiki/rest/api, parameters written <>) that Confluence Cloud still serves on v1:
# what v2 has no equivalent for. Attachment upload is one (v2 reads attachments but cannot create them).
V1_KEPT = frozenset({
    ("GET", "/search"), ("GET", "/content/search"),
    ("POST", "/content/<>/label"), ("DELETE", "/content/<>/label"), ("DELETE", "/content/<>/label/<>"),
    ("GET", "/user"), ("GET", "/user/current"),
    ("POST", "/content/<>/child/attachment"), ("PUT", "/content/<>/child/attachment"),
    ("POST", "/content/<>/child/attachment/<>/data"),
})
_PARAM = re.compile(r"<[^<>]*>")
GONE_MESSAGE = ("com.atlassian.confluence.api.service.exceptions.GoneException: "
                "This deprecated endpoint has been removed.")
CONFLUENCE_CHANGE = "https://developer.atlassian.com/cloud/confluence/changelog/#CHANGE-864"
JIRA_CHANGE = "https://developer.atlassian.com/changelog/#CHANGE-2046"
# RFC 9745's Deprecation value is a structured date: "@" + Unix seconds (here 2023-08-01, the
# month CHANGE-864 deprecated the v1 content routes).
DEPRECATED_AT = "@1690848000"
JIRA_SEARCH = re.compile(r"^/rest/api/(2|3|latest)/search/?$")
JIRA_GONE_MESSAGE = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
                     "A full migration guideline is available at " + JIRA_CHANGE)


def removed_v1_route() -> bool:
    """True when the matched rule is a Confluence v1 route Cloud no longer serves."""
    rule = request.url_rule.rule if request.url_rule else None
    if rule is None or not rule.startswith(V1_ROOT + "/"):
        return False
    return (request.method, _PARAM.sub("<>", rule[len(V1_ROOT):])) not in V1_KEPT


def confluence_gone() -> Response:
    body = {"statusCode": 410,
            "data": {"authorized": True, "valid": True, "errors": [], "successful": False},
            "message": GONE_MESSAGE, "reason": "Gone"}
    return Response(json.dumps(body), status=410, mimetype="application/json",
                    headers={"Deprecation": DEPRECATED_AT, "Link": f'<{CONFLUENCE_CHANGE}>; rel="deprecation"'})


def is_jira_legacy_search() -> bool:
    return bool(JIRA_SEARCH.match(request.path))


def jira_search_gone() -> Response:
    response = jira_error(410, [JIRA_GONE_MESSAGE])
    response.headers["Link"] = f'<{JIRA_CHANGE}>; rel="deprecation"'
    return response
