"""``GET /browse/<key>``: a minimal human-readable issue page, because wiki pages link there.

Served without auth (it is outside the product API paths), so every value is autoescaped and only
http(s) remote-link URLs become hyperlinks: a stored ``javascript:`` URL must not be clickable.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import Blueprint, Response
from jinja2 import Environment, StrictUndefined

from service_sandbox import jira_store
from service_sandbox.jira_http import sandbox_store

_ENV = Environment(autoescape=True, undefined=StrictUndefined)
_PAGE = _ENV.from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>[{{ issue.key }}] {{ issue.summary }}</title></head>
<body>
<h1><span class="key">{{ issue.key }}</span> {{ issue.summary }}</h1>
<dl>
  <dt>Status</dt><dd class="status">{{ issue.status }}</dd>
  <dt>Assignee</dt><dd class="assignee">{{ assignee or "Unassigned" }}</dd>
  <dt>Due date</dt><dd class="duedate">{{ issue.duedate or "None" }}</dd>
  <dt>Labels</dt><dd class="labels">
    {%- for label in labels %}<span class="label">{{ label }}</span> {% else %}None{% endfor -%}
  </dd>
</dl>
{% if issue.description %}<h2>Description</h2><pre class="description">{{ issue.description }}</pre>{% endif %}
<h2>Links</h2>
<ul class="remote-links">
{% for link in links %}  <li>
    {%- if link.safe %}<a href="{{ link.url }}">{{ link.title }}</a>
    {%- else %}{{ link.title }} ({{ link.url }}){% endif -%}
  </li>
{% else %}  <li>No links</li>
{% endfor %}</ul>
</body></html>
""")
_NOT_FOUND = _ENV.from_string("<!doctype html><title>Issue not found</title>"
                              "<h1>Issue {{ key }} does not exist or you do not have permission to see it.</h1>")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/browse/<key>", view_func=browse_issue, methods=["GET"])


def browse_issue(key: str) -> Response:
    with sandbox_store().read() as conn:
        issue_id = jira_store.find_issue_id(conn, key)
        if issue_id is None:
            return Response(_NOT_FOUND.render(key=key), status=404, mimetype="text/html")
        issue = jira_store.load_records(conn, [issue_id])[0]
        assignee = jira_store.users(conn).get(issue.assignee) if issue.assignee else None
        links = []
        for row in jira_store.remote_links(conn, issue_id):
            obj = json.loads(row["body"])["object"]
            url = str(obj.get("url", ""))
            links.append({"url": url, "title": str(obj.get("title", "")),
                          "safe": urlsplit(url).scheme.lower() in ("http", "https")})
    html = _PAGE.render(issue=issue, assignee=assignee["display_name"] if assignee else None,
                        labels=sorted(issue.labels), links=links)
    return Response(html, mimetype="text/html")
