"""The naive audit bench/audit.py compares wikibot with: list the post-mortems by label, GET each.

Run by bench/audit.py as its own process (``python3 bench/audit_naive.py CONFIG``), so it pays
its start-up as ``wikibot audit`` does. It judges each page with wikibot's own pure logic
(parse, facts, checks), so the two differ in how they talk to Confluence, not in what they
conclude: one CQL search for the ids, then one request per page, in a loop. Prints the number
of pages judged.
"""

from __future__ import annotations

import sys
from pathlib import Path

from atlassian import Confluence
from requests import HTTPError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wikibot.audit.blame import BlameMatcher
from wikibot.audit.checks import audit_page
from wikibot.audit.facts import extract_facts
from wikibot.audit.rules import Evidence, Rules
from wikibot.audit.runner import template_catalogue
from wikibot.config import load_config
from wikibot.pages import parse_page
from wikibot.services import Services
from wikibot.store.schema import utcnow

try:
    from wikibot.wiki import WikiPage
except ImportError:  # Confluence's JSON moved to the wire package
    from wikibot.atlassian.content import WikiPage

V1_EXPAND = "body.storage,version,history,metadata.labels"


def fetch(confluence: Confluence, page_id: str, api: list[str]) -> WikiPage:
    """GET one page with everything the audit reads: REST v1 where served, else v2 (Cloud)."""
    if api[0] == "v1":
        try:
            return WikiPage.from_content(confluence.get(f"rest/api/content/{page_id}", params={"expand": V1_EXPAND}))
        except HTTPError as exc:
            if exc.response is None or exc.response.status_code not in (404, 410):
                raise
            api[0] = "v2"  # v1 content is gone (Cloud): every later page goes straight to v2
    page = confluence.get(f"api/v2/pages/{page_id}", params={"body-format": "storage", "include-labels": "true",
                                                              "include-version": "true"})
    version = page.get("version") or {}
    return WikiPage.from_content({  # the v2 page in the v1 shape WikiPage reads
        "id": page["id"], "title": page.get("title", ""), "_links": page.get("_links") or {},
        "body": page.get("body") or {},
        "version": {"number": version.get("number"), "when": version.get("createdAt"),
                    "by": {"accountId": version.get("authorId")}},
        "history": {"createdDate": page.get("createdAt"), "createdBy": {"accountId": page.get("authorId")}},
        "metadata": {"labels": {"results": (page.get("labels") or {}).get("results") or []}},
    })


def main() -> None:
    config = load_config(sys.argv[1])
    url, user, token = config.confluence_endpoint()
    confluence = Confluence(url=url, username=user, password=token, timeout=60)
    services = Services(config)
    now = utcnow()
    catalogue = template_catalogue(services)
    matcher, rules = BlameMatcher(config.audit.blame_phrases), Rules.from_config(config, now)
    cql = f'type = page and space = "{config.confluence.space}" and label = "{config.postmortem.label}"'
    found = confluence.get("rest/api/search", params={"cql": cql, "limit": 200})
    ids = [r["content"]["id"] for r in found["results"]]
    while found["results"] and found.get("_links", {}).get("next"):
        # Cloud pages v1 search by cursor only, its ``next`` relative to /wiki; Data Center's includes /wiki.
        found = confluence.get(found["_links"]["next"].removeprefix("/wiki").lstrip("/"))
        ids += [r["content"]["id"] for r in found["results"]]
    api = ["v1"]
    for page_id in ids:
        page = fetch(confluence, page_id, api)
        model = parse_page(page.body, instructions=catalogue.instructions)
        facts = extract_facts(model, catalogue.by_headings([s.title for s in model.sections]), matcher)
        audit_page(page, facts, catalogue, rules, Evidence(now=now))
    print(len(ids))


if __name__ == "__main__":
    main()
