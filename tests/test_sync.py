"""Jira sync end to end: the real clients over real HTTP against the sandbox.

Helpers at the top are shared by ``test_sync_faults``, ``test_actions`` and ``test_confluence_hook``.
They speak both deployments: a page is read and saved through v2 on Cloud and v1 on Data Center
(the client given tells which), and people are mentioned as each writes them (``ri:account-id`` on
Cloud, ``ri:userkey`` on Data Center) for the test's sandbox profile.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from atlassian import ConfluenceServer
from click.testing import CliRunner

from tests.conftest import write_config_file
from tests.profiles import CURRENT_PROFILE
from tests.search_index import time_passes
from wikibot.cli import cli
from wikibot.errors import InputError
from wikibot.pages import parse_page
from wikibot.status import ExitStatus
from wikibot.store.ledger import SyncLedger
from wikibot.sync import RetryPolicy, SyncOptions, run_sync, scheduled_sync

CORPUS = Path(__file__).parent / "corpus"
FAST = SyncOptions(retry=RetryPolicy(attempts=4, base_delay=0.01), settle=timedelta(0))
ANA, BOB = "557058:aa11", "557058:bb22"
HEADERS = ("<th><p>Action</p></th><th><p>Owner</p></th><th><p>Due date</p></th><th><p>Priority</p></th>"
           "<th><p>Ticket</p></th>")
STATUS_HEADERS = "<th><p>Action</p></th><th><p>Owner</p></th><th><p>Status</p></th><th><p>Ticket</p></th>"
LOZENGE = ('<ac:structured-macro ac:name="status"><ac:parameter ac:name="colour">{c}</ac:parameter>'
           '<ac:parameter ac:name="title">{t}</ac:parameter></ac:structured-macro>')


def user_ref(account: str) -> str:
    """``<ri:user .../>`` for a seeded account, as the test's deployment writes it (and wikibot too)."""
    if CURRENT_PROFILE[0] == "datacenter":
        from service_sandbox.datacenter import userkey

        return f'<ri:user ri:userkey="{userkey(account)}" />'
    return f'<ri:user ri:account-id="{account}" />'


def mention(account: str) -> str:
    return f"<ac:link>{user_ref(account)}</ac:link>"


def row(*cells: str) -> str:
    return "<tr>" + "".join(f"<td><p>{c}</p></td>" for c in cells) + "</tr>"


def table(*rows: str, headers: str = HEADERS) -> str:
    return f"<table><tbody><tr>{headers}</tr>{''.join(rows)}</tbody></table>"


def properties(status: str = "Draft", incident: str = "INC-7") -> str:
    return ('<ac:structured-macro ac:name="details"><ac:rich-text-body><table><tbody>'
            f"<tr><th><p>Incident</p></th><td><p>{incident}</p></td></tr>"
            f"<tr><th><p>Status</p></th><td><p>{status}</p></td></tr></tbody></table></ac:rich-text-body>"
            "</ac:structured-macro>")


def action_page(*tables: str, status: str = "Draft", extra: str = "") -> str:
    return (properties(status) + "<h2>Impact</h2><p>Checkout returned 502s.</p><h2>Action items</h2>"
            + "".join(tables) + extra)


def simple_page(*summaries: str, status: str = "Draft") -> str:
    return action_page(table(*(row(s, mention(ANA), "", "", "") for s in summaries)), status=status)


def space_id(confluence, key: str = "INC") -> str:
    return confluence.get("api/v2/spaces", params={"keys": key})["results"][0]["id"]


def is_dc(confluence) -> bool:
    return isinstance(confluence, ConfluenceServer)


def make_page(services, confluence, body: str, title: str = "PM-2026-11-30 Checkout 502s",
              labels: tuple[str, ...] = ("postmortem",)) -> str:
    """A page as a person makes one on Cloud: v2 create, then the labels (v1: v2 has no label write);
    on Data Center: v1 create, then the labels."""
    if is_dc(confluence):
        page = confluence.post("rest/api/content", data={
            "type": "page", "title": title, "space": {"key": "INC"},
            "ancestors": [{"id": services.creator.parent_id()}],
            "body": {"storage": {"value": body, "representation": "storage"}}})
    else:
        page = confluence.post("api/v2/pages", data={
            "spaceId": space_id(confluence), "status": "current", "title": title,
            "parentId": services.creator.parent_id(), "body": {"representation": "storage", "value": body}})
    if labels:
        confluence.post(f"rest/api/content/{page['id']}/label",
                        data=[{"prefix": "global", "name": name} for name in labels])
    time_passes()  # made before the test's next step: indexed by then
    return str(page["id"])


def read_page(confluence, page_id: str) -> dict:
    """The page as v2 returns it, body in storage format (v1 on Data Center: the same fields read)."""
    if is_dc(confluence):
        page = confluence.get(f"rest/api/content/{page_id}",
                              params={"expand": "body.storage,version,ancestors,history"})
        return {**page, "parentId": (page.get("ancestors") or [{}])[-1].get("id"),
                "createdAt": page["history"]["createdDate"]}
    return confluence.get(f"api/v2/pages/{page_id}", params={"body-format": "storage"})


def page_titled(confluence, title: str) -> dict | None:
    """The space's page with this exact title, body included (v2's page list), or None."""
    if is_dc(confluence):
        found = confluence.get("rest/api/content", params={"spaceKey": "INC", "title": title})["results"]
        return read_page(confluence, found[0]["id"]) if found else None
    found = confluence.get("api/v2/pages", params={"space-id": space_id(confluence), "title": title,
                                                   "body-format": "storage"})["results"]
    return found[0] if found else None


def labels_of(confluence, page_id: str) -> set[str]:
    if is_dc(confluence):
        return {label["name"] for label in confluence.get(f"rest/api/content/{page_id}/label")["results"]}
    return {label["name"] for label in confluence.get(f"api/v2/pages/{page_id}/labels")["results"]}


def update_as(confluence, page_id: str, body: str) -> None:
    """Save a new body over whatever is there (a person's edit, v2)."""
    page = read_page(confluence, page_id)
    if is_dc(confluence):
        _put_v1(confluence, page_id, page, body)
        return
    confluence.put(f"api/v2/pages/{page_id}", data={
        "id": page_id, "status": "current", "title": page["title"],
        "version": {"number": page["version"]["number"] + 1},
        "body": {"representation": "storage", "value": body}})


def body_of(confluence, page_id: str) -> str:
    return read_page(confluence, page_id)["body"]["storage"]["value"]


def edit_as(sandbox, page_id: str, change, user: str = "ana@example.com") -> None:
    """Save the page as a person (a different account than wikibot), applying ``change`` to the body."""
    person = sandbox.confluence(user=user)
    page = read_page(person, page_id)
    if is_dc(person):
        _put_v1(person, page_id, page, change(page["body"]["storage"]["value"]))
        return
    person.put(f"api/v2/pages/{page_id}", data={
        "id": page_id, "status": "current", "title": page["title"],
        "version": {"number": page["version"]["number"] + 1},
        "body": {"representation": "storage", "value": change(page["body"]["storage"]["value"])}})


def assignee(fields: dict) -> str | None:
    """The account id of an issue's assignee (Data Center names people: mapped back by username)."""
    person = fields.get("assignee") or {}
    if "accountId" in person:
        return person["accountId"]
    by_name = {"ana": ANA, "bob": BOB}
    return by_name.get(person.get("name"), person.get("name"))


def properties_of(confluence, page_id: str, key: str | None = None) -> list[dict]:
    """The values of the page's content properties (``key``: only that one)."""
    if is_dc(confluence):
        found = confluence.get(f"rest/api/content/{page_id}/property", params={"expand": "version"})["results"]
    else:
        found = confluence.get(f"api/v2/pages/{page_id}/properties", params={"key": key} if key else None)["results"]
    return [p["value"] for p in found if key is None or p["key"] == key]


def space_pages(confluence) -> list[dict]:
    """Every current page of space INC (the page list: consistent, unlike a search)."""
    if is_dc(confluence):
        return confluence.get("rest/api/content", params={"spaceKey": "INC", "limit": 250})["results"]
    return confluence.get("api/v2/pages", params={"space-id": space_id(confluence), "limit": 250})["results"]


def comments_on(confluence, page_id: str) -> list[str]:
    """The storage bodies of the page's comments (v2 footer comments; v1 comment children on Data Center)."""
    if is_dc(confluence):
        found = confluence.get(f"rest/api/content/{page_id}/child/comment", params={"expand": "body.storage"})
    else:
        found = confluence.get(f"api/v2/pages/{page_id}/footer-comments", params={"body-format": "storage"})
    return [comment["body"]["storage"]["value"] for comment in found["results"]]


def _put_v1(confluence, page_id: str, page: dict, body: str) -> None:
    confluence.put(f"rest/api/content/{page_id}", data={
        "id": page_id, "type": "page", "title": page["title"], "version": {"number": page["version"]["number"] + 1},
        "body": {"storage": {"value": body, "representation": "storage"}}})


def all_issues(jira, jql: str = 'labels = "post-mortem" order by key asc') -> list[dict]:
    """The issues ``jql`` finds, once the search has caught up (a person looking afterwards)."""
    time_passes()
    if not jira.cloud:
        return jira.jql(jql, fields="summary,status,labels,duedate,priority,assignee,description",
                        limit=100)["issues"]
    return jira.enhanced_jql(jql, fields="summary,status,labels,duedate,priority,assignee,description",
                             limit=100)["issues"]


def keys_on_page(confluence, page_id: str) -> list[str | None]:
    return [item.jira_key for item in parse_page(body_of(confluence, page_id)).action_items]


def writes(stats: dict) -> dict[str, int]:
    return {route: n for route, n in stats["by_route"].items() if not route.startswith("GET")}


def sync(services, page_id: str | None = None, *, right_after: bool = False, **options):
    """One sync run, as the scheduler starts one: later than the test's previous step, so the search index
    has caught up with what was written before it (never with the run's own writes); ``right_after``: at
    once, the index still behind (a retry, a second replica)."""
    if not right_after:
        time_passes()
    return run_sync(services, page_id, options=replace(FAST, **options))


# -- creation ------------------------------------------------------------------------------------


def every_kind_page() -> str:
    tickets = table(
        row("Add a failover alert for the billing DB", mention(ANA), '<time datetime="2026-12-20" />', "P1", ""),
        row("Canary PgBouncer changes", "Payments SRE", "", "Urgent-ish", "<ac:placeholder>Jira key</ac:placeholder>"),
        row("Document the pool sizing method", mention(BOB), "", "Low", "TBD"),
        row("Already filed elsewhere", mention(ANA), "", "", "OPS-999"),
    )
    no_ticket_column = ("<table><tbody><tr><th><p>What</p></th><th><p>Who</p></th></tr><tr><td><p>Size budgets "
                        f"from peak load</p></td><td><p>{mention(BOB)}</p></td></tr></tbody></table>")
    statuses = table(row("Alert on cl_waiting", mention(ANA), LOZENGE.format(c="Green", t="DONE"), ""),
                     row("Split the CDN zone", mention(BOB), LOZENGE.format(c="Grey", t="TO DO"), ""),
                     headers=STATUS_HEADERS)
    tasks = ("<ac:task-list><ac:task><ac:task-id>7</ac:task-id><ac:task-status>incomplete</ac:task-status>"
             f"<ac:task-body>Rotate the signing key {mention(ANA)} <time datetime=\"2026-12-24\" /></ac:task-body>"
             "</ac:task><ac:task><ac:task-id>8</ac:task-id><ac:task-status>complete</ac:task-status>"
             "<ac:task-body>Page the on-call on cert expiry</ac:task-body></ac:task></ac:task-list>")
    deferred = "<h2>Things we should do if we have time</h2><ul><li><p>Run a game day</p></li></ul>"
    return action_page(tickets, no_ticket_column, statuses, tasks, extra=deferred)


LAGGING = 600_000  # an index that trails the writes, for tests about it (also when the suite runs without a lag)

# Every end-to-end sync test runs on Cloud and on Data Center.
pytestmark = pytest.mark.both_profiles


def test_every_row_kind_becomes_exactly_one_issue_and_its_key_is_written_back(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, every_kind_page())
    report = sync(services)
    assert report.errors == []
    assert (report.pages, report.created, report.already_synced, report.written_back) == (1, 8, 1, 8)
    assert report.transitioned == 2  # the DONE row and the complete task
    issues = all_issues(jira)
    assert len(issues) == 8
    summaries = {i["fields"]["summary"] for i in issues}
    assert "Run a game day" not in summaries and "Already filed elsewhere" not in summaries
    assert None not in keys_on_page(confluence, page_id)
    body = body_of(confluence, page_id)
    assert "<p>TBD</p><p><ac:structured-macro" in body and "<strong>Ticket</strong>" in body
    first = next(i for i in issues if i["fields"]["summary"].startswith("Add a failover"))
    fields = first["fields"]
    assert assignee(fields) == ANA and fields["duedate"] == "2026-12-20"
    assert fields["priority"]["name"] == "High"
    assert {"post-mortem", "incident-inc-7", f"pm-{page_id}"} <= set(fields["labels"])
    [link] = jira.get_issue_remote_links(first["key"])
    assert page_id in link["object"]["url"] and link["globalId"].startswith(f"wikibot:postmortem:page={page_id}&")
    done = {i["fields"]["summary"]: i["fields"]["status"]["name"] for i in issues}
    assert done["Alert on cl_waiting"] == "Done" and done["Page the on-call on cert expiry"] == "Done"
    assert done["Split the CDN zone"] == "To Do"
    unknown = [w for w in report.warnings if "priority" in w["reason"]]
    assert [w["summary"] for w in unknown] == ["Canary PgBouncer changes"]


def test_a_rerun_creates_nothing_and_writes_nothing(services, sandbox, confluence, jira):
    make_page(services, confluence, every_kind_page())
    sync(services)
    sandbox.reset_stats()
    again = sync(services)
    assert (again.created, again.written_back, again.already_synced, again.errors) == (0, 0, 9, [])
    assert writes(sandbox.stats()) == {}
    assert len(all_issues(jira)) == 8


@pytest.mark.parametrize("name", ["wikibot_template", "freeform_layouts", "datacenter_bold_headers", "sre_book",
                                  "h1_title_numbered_headings", "layouts_next_steps"])
def test_corpus_pages_are_filed_or_each_failure_is_named_and_reruns_add_nothing(name, services, confluence, jira):
    page_id = make_page(services, confluence, (CORPUS / f"{name}.xml").read_text(encoding="utf-8"), title=name)
    first = sync(services)
    failed = {e["item"] for e in first.errors}
    for item in parse_page(body_of(confluence, page_id)).action_items:
        assert item.jira_key is not None or item.identity in failed or not item.summary
    count = len(all_issues(jira))
    assert count == first.created
    again = sync(services)
    assert again.created == 0 and len(all_issues(jira)) == count


def test_list_items_and_tasks_in_cells_are_filed_once_with_keys_written_after_them(services, confluence, jira):
    tasks_in_cells = ("<table><tbody><tr><th><p>Area</p></th><th><p>Tasks</p></th><th><p>Owner</p></th></tr><tr>"
                      "<td><p>Index</p></td><td><ac:task-list><ac:task><ac:task-id>31</ac:task-id><ac:task-status>"
                      "incomplete</ac:task-status><ac:task-body>Rebuild on a replica</ac:task-body></ac:task>"
                      "</ac:task-list></td><td><p>" + mention(BOB) + "</p></td></tr></tbody></table>")
    body = ("<h1>Postmortem</h1>" + properties() + "<h2>Impact</h2><p>Slow.</p><h2>Follow-ups</h2><ul>"
            f"<li><p>Add a queue-age alert {mention(ANA)} <time datetime=\"2026-12-20\" /></p></li>"
            "<li><p>Write the replay runbook \u2014 Payments SRE</p></li></ul>" + tasks_in_cells)
    page_id = make_page(services, confluence, body)
    report = sync(services)
    assert (report.created, report.written_back, report.errors) == (3, 3, [])
    fields = {i["fields"]["summary"]: i["fields"] for i in all_issues(jira)}
    assert set(fields) == {"Add a queue-age alert", "Write the replay runbook", "Rebuild on a replica"}
    assert assignee(fields["Add a queue-age alert"]) == ANA
    assert fields["Add a queue-age alert"]["duedate"] == "2026-12-20"
    assert assignee(fields["Rebuild on a replica"]) == BOB
    assert None not in keys_on_page(confluence, page_id)
    again = sync(services)
    assert (again.created, again.written_back) == (0, 0) and len(all_issues(jira)) == 3


def test_configured_section_aliases_decide_what_is_filed(make_config, confluence, jira):
    from wikibot.services import Services

    services = Services(make_config(postmortem={"section_aliases": {"Post-incident work": "Action items"}}))
    page_id = make_page(services, confluence, properties() + "<h2>Post-incident work</h2><ul><li>Add alert</li></ul>")
    report = sync(services)
    services.close()
    assert (report.created, report.written_back, report.errors) == (1, 1, [])
    assert "OPS-" in body_of(confluence, page_id)


def test_dry_run_changes_nothing_anywhere(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, every_kind_page())
    before = body_of(confluence, page_id)
    sandbox.reset_stats()
    report = sync(services, dry_run=True)
    assert report.dry_run and report.created == 8 and report.errors == []
    assert {entry["action"] for entry in report.planned} == {"create"}
    assert writes(sandbox.stats()) == {}
    assert all_issues(jira) == [] and body_of(confluence, page_id) == before
    assert SyncLedger(services.db.engine).load([page_id])[page_id] == []


def test_one_page_only(services, confluence, jira):
    first = make_page(services, confluence, simple_page("Add alert"), title="PM one")
    second = make_page(services, confluence, simple_page("Fix proxy"), title="PM two")
    report = sync(services, second)
    assert (report.pages, report.created) == (1, 1)
    assert keys_on_page(confluence, first) == [None] and keys_on_page(confluence, second)[0] is not None
    with pytest.raises(InputError, match="no such Confluence page"):
        sync(services, "999999")
    with pytest.raises(InputError, match="digits only"):
        sync(services, "12a")


def test_a_page_without_the_postmortem_label_is_skipped_when_named(services, confluence):
    page_id = make_page(services, confluence, simple_page("Add alert"), labels=("meeting-notes",))
    report = sync(services, page_id)
    assert report.created == 0 and "not a post-mortem page" in report.skipped[0]["reason"]


def test_only_pages_in_the_configured_statuses_are_synced(make_config, confluence):
    from wikibot.services import Services

    services = Services(make_config(sync={"page_statuses": ["Debriefed", "Published"]}))
    make_page(services, confluence, simple_page("Draft item"), title="PM draft")
    make_page(services, confluence, simple_page("Published item", status="published"), title="PM published")
    report = sync(services)
    services.close()
    assert report.created == 1
    assert report.skipped[0]["reason"] == "page status 'Draft' is not in sync.page_statuses"


# -- keeping in step -----------------------------------------------------------------------------


def status_page() -> str:
    return action_page(table(row("Alert on cl_waiting", mention(ANA), LOZENGE.format(c="Grey", t="TO DO"), ""),
                             row("Split the CDN zone", mention(BOB), "open", ""), headers=STATUS_HEADERS))


def cells_outside_column(body: str, column: int) -> str:
    """The body with the content of the given cell of every data row blanked out."""
    rows = body.split("<tr>")
    for index, text in enumerate(rows):
        cells = text.split("<td>")
        if len(cells) > column + 1:
            cells[column + 1] = "</td>".join(["?", *cells[column + 1].split("</td>")[1:]])
        rows[index] = "<td>".join(cells)
    return "<tr>".join(rows)


def test_jiras_status_is_mirrored_into_the_status_cell_only(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, status_page())
    sync(services)
    key = keys_on_page(confluence, page_id)[0]
    jira.set_issue_status(key, "In Progress")
    before = body_of(confluence, page_id)
    report = sync(services)
    after = body_of(confluence, page_id)
    assert report.errors == [] and report.created == 0
    items = parse_page(after).action_items
    assert [i.status for i in items] == ["In Progress", "To Do"]
    assert cells_outside_column(after, 2) == cells_outside_column(before, 2)
    assert sync(services).written_back == 0 and body_of(confluence, page_id) == after


def test_a_status_wikibot_just_mirrored_is_not_set_back_by_a_search_that_lags_behind(services, sandbox, confluence,
                                                                                      jira):
    """wikibot moves a done row's issue to Done (a run after the first transition failed) and shows Done
    on the page; a sync right after still finds the issue To Do in Jira's index, which is not Jira
    changing it back."""
    page_id = make_page(services, confluence, action_page(table(
        row("Alert on cl_waiting", mention(ANA), LOZENGE.format(c="Green", t="DONE"), ""), headers=STATUS_HEADERS)))
    transitions = sandbox.jira_url.removeprefix(sandbox.url) + "/rest/api/2/issue/OPS-1/transitions"
    sandbox.fault(status=500, count=None, path_prefix=transitions, method="POST")
    first = sync(services)
    assert first.created == 1 and first.transitioned == 0
    sandbox.clear_faults()
    sandbox.fault(index_lag_ms=LAGGING)
    assert sync(services).transitioned == 1
    shown = body_of(confluence, page_id)
    assert [(i.status or "").casefold() for i in parse_page(shown).action_items] == ["done"]
    again = sync(services, right_after=True)
    assert again.errors == [] and again.written_back == 0 and body_of(confluence, page_id) == shown


def test_page_edits_update_the_issue_and_jiras_status_is_never_pushed(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy"))
    sync(services)
    key = keys_on_page(confluence, page_id)[0]
    edit_as(sandbox, page_id, lambda body: body.replace("Add alert", "Add an alert on 5xx ratio"))
    report = sync(services)
    assert report.updated == 1 and report.created == 0 and report.warnings == []
    assert jira.issue(key, fields="summary")["fields"]["summary"] == "Add an alert on 5xx ratio"


def test_a_second_page_edit_synced_before_jiras_index_caught_up_is_pushed_not_taken_for_a_conflict(
        services, sandbox, confluence, jira):
    """Two quick edits, each synced at once (a webhook's sync): the second run's marker search still
    shows the summary wikibot replaced a moment ago (Jira's index lags), which is not Jira changing it."""
    sandbox.fault(index_lag_ms=LAGGING)
    page_id = make_page(services, confluence, simple_page("Add alert"))
    sync(services)
    key = keys_on_page(confluence, page_id)[0]
    edit_as(sandbox, page_id, lambda body: body.replace("Add alert", "Add an alert"))
    assert sync(services).updated == 1
    edit_as(sandbox, page_id, lambda body: body.replace("Add an alert", "Add an alert on 5xx"))
    report = sync(services, right_after=True)
    assert (report.updated, report.errors, comments_on(confluence, page_id)) == (1, [], [])
    assert jira.issue(key, fields="summary")["fields"]["summary"] == "Add an alert on 5xx"
    assert sync(services).updated == 0


def test_page_edits_stay_on_the_page_when_update_issues_is_off(make_config, sandbox, confluence, jira):
    from wikibot.services import Services

    services = Services(make_config(sync={"update_issues": False}))
    page_id = make_page(services, confluence, simple_page("Add alert"))
    sync(services)
    key = keys_on_page(confluence, page_id)[0]
    edit_as(sandbox, page_id, lambda body: body.replace("Add alert", "Add an alert"))
    assert sync(services).updated == 0
    services.close()
    assert jira.issue(key, fields="summary")["fields"]["summary"] == "Add alert"


def test_an_edit_on_both_sides_keeps_jiras_value_and_leaves_one_comment(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert"))
    sync(services)
    key = keys_on_page(confluence, page_id)[0]
    jira.update_issue_field(key, {"summary": "Add alert (Jira wording)"})
    edit_as(sandbox, page_id, lambda body: body.replace("Add alert", "Add alert (page wording)"))
    report = sync(services)
    assert report.updated == 0 and report.errors == []
    assert jira.issue(key, fields="summary")["fields"]["summary"] == "Add alert (Jira wording)"
    [comment] = comments_on(confluence, page_id)
    assert key in comment and "Jira says Add alert (Jira wording)" in comment
    sync(services)
    assert len(comments_on(confluence, page_id)) == 1


def test_a_deleted_row_leaves_its_issue_alone_and_is_reported(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy"))
    sync(services)
    gone = keys_on_page(confluence, page_id)[1]
    edit_as(sandbox, page_id, lambda body: body.replace(body[body.index("<tr><td><p>Fix proxy"):
                                                             body.index("</tr>", body.index("Fix proxy")) + 5], ""))
    report = sync(services)
    assert report.created == 0
    assert [(w["key"], w["reason"]) for w in report.warnings] == \
        [(gone, "its row is no longer on the page; the issue is left alone")]
    assert jira.get_issue_status(gone) == "To Do"


def test_rows_added_after_publication_are_synced_and_flagged(services, sandbox, confluence):
    page_id = make_page(services, confluence, simple_page("Add alert", status="Published"))
    assert sync(services).warnings == []
    late_row = row("Late idea", "", "", "", "")
    edit_as(sandbox, page_id, lambda body: body.replace("</tbody>", late_row + "</tbody>"))
    report = sync(services)
    assert report.created == 1
    assert [(w["summary"], w["reason"]) for w in report.warnings] == \
        [("Late idea", "added after the page was published")]


# -- bulk ----------------------------------------------------------------------------------------


def test_a_long_summary_with_emoji_is_cut_as_jira_counts_and_filed(services, confluence, jira):
    """Jira counts a summary in Java chars (an emoji is two): 250 characters with emoji in them are
    over its 255, and the element was refused; the summary is cut to fit instead."""
    page_id = make_page(services, confluence, simple_page("Stop the 💥 " * 25))
    report = sync(services)
    assert (report.created, report.errors) == (1, [])
    [issue] = all_issues(jira)
    summary = issue["fields"]["summary"]
    assert summary.startswith("Stop the 💥 Stop") and summary.endswith("…")
    assert keys_on_page(confluence, page_id) == [issue["key"]]
    assert sync(services).updated == 0


def test_many_new_items_are_filed_in_bulk_requests_of_fifty(services, sandbox, confluence, jira):
    for n in range(3):
        make_page(services, confluence, simple_page(*(f"Item {n}-{i}" for i in range(40))), title=f"PM {n}")
    sandbox.reset_stats()
    report = sync(services)
    assert report.created == 120 and report.written_back == 120 and report.errors == []
    by_route = sandbox.stats()["by_route"]
    jira_root = sandbox.jira_url.removeprefix(sandbox.url)
    assert by_route["POST " + sandbox.bulk_path] == 3
    assert by_route.get(f"POST {jira_root}/rest/api/2/issue", 0) == 0
    assert by_route["PUT " + sandbox.content_path + "/{id}"] == 3
    assert by_route[sandbox.search_route] == 1


def test_an_owner_jira_will_not_assign_is_filed_unassigned_and_only_that_element_is_sent_again(
        services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, action_page(table(
        row("Add alert", mention(ANA), "", "", ""),
        row("Fix proxy", mention("557058:nobody"), "", "", ""),
        row("Tune pool", mention(BOB), "", "", ""))))
    sandbox.reset_stats()
    report = sync(services)
    assert report.errors == [] and report.created == 3 and report.written_back == 3
    [warning] = report.warnings
    assert warning["summary"] == "Fix proxy" and warning["reason"].startswith("unassigned: not assignable in Jira: ")
    bulk = [r for r in sandbox.stats()["by_route"] if r.startswith("POST ") and r.endswith("/issue/bulk")]
    assert [sandbox.stats()["by_route"][r] for r in bulk] == [2]  # the refused element alone, once more
    issue = jira.issue(keys_on_page(confluence, page_id)[1], fields="assignee,description")
    assert issue["fields"]["assignee"] is None
    assert "\nOwner: @" in issue["fields"]["description"]  # the mention's account, as the page writes it
    assert "\nUnassigned: not assignable in Jira: " in issue["fields"]["description"]
    assert sync(services).created == 0


def test_an_action_whose_priority_the_jira_screen_lacks_is_filed_without_it_and_says_so_once(
        services, sandbox, confluence, jira, hide_from_jira_screen):
    # Filed with its priority, Jira refused every such action item, every run: none was ever filed.
    hide_from_jira_screen("priority", "duedate")
    page_id = make_page(services, confluence, action_page(table(
        row("Add alert", mention(ANA), '<time datetime="2026-12-10" />', "High", ""),
        row("Fix proxy", mention(BOB), "", "", ""))))
    report = sync(services)
    assert report.errors == [] and report.created == 2 and report.written_back == 2
    assert [w["reason"] for w in report.warnings] == [
        "filed without a priority: Jira refused 'High' (Field 'priority' cannot be set. It is not on the "
        "appropriate screen, or unknown.); the page's priority is in the issue's description (`wikibot "
        "check-config` tells what Jira accepts)",
        "filed without a due date: Jira refused '2026-12-10' (Field 'duedate' cannot be set. It is not on the "
        "appropriate screen, or unknown.); the page's due date is in the issue's description"]
    issue = jira.issue(keys_on_page(confluence, page_id)[0], fields="assignee,description,duedate")
    assert issue["fields"]["assignee"] is not None and issue["fields"]["duedate"] is None
    assert "\nPriority on the page: High\nDue on the page: 2026-12-10\n" in issue["fields"]["description"]
    again = sync(services)
    assert (again.created, again.updated, again.errors, again.warnings) == (0, 0, [], [])


def test_a_page_edit_jira_refuses_part_of_still_lands_the_rest_and_warns_once(
        services, sandbox, confluence, jira, hide_from_jira_screen):
    page_id = make_page(services, confluence, action_page(table(row("Add alert", mention(ANA), "", "High", ""))))
    sync(services)
    key = keys_on_page(confluence, page_id)[0]
    hide_from_jira_screen("priority")  # an admin took Priority off the project's screen
    edit_as(sandbox, page_id, lambda body: body.replace("Add alert", "Add an alert on 5xx").replace("High", "Low"))
    report = sync(services)
    assert report.errors == [] and report.updated == 1
    assert [w["reason"] for w in report.warnings] == [
        f"the page's priority 'Low' did not reach {key}: Jira refused it (Field 'priority' cannot be set. It is "
        "not on the appropriate screen, or unknown.); Jira's edit screen for the project has no Priority field: a "
        "Jira admin can add it; wikibot sends the value when the page's priority next changes"]
    fields = jira.issue(key, fields="summary,priority")["fields"]
    assert (fields["summary"], fields["priority"]["name"]) == ("Add an alert on 5xx", "High")
    again = sync(services)
    assert (again.updated, again.errors, again.warnings) == (0, [], [])
    hide_from_jira_screen()  # the field is back: the page's next change reaches Jira, no conflict claimed
    edit_as(sandbox, page_id, lambda body: body.replace("Low", "Lowest"))
    after = sync(services)
    assert (after.updated, after.errors, after.warnings) == (1, [], [])
    assert jira.issue(key, fields="priority")["fields"]["priority"]["name"] == "Lowest"
    assert comments_on(confluence, page_id) == []


def test_an_assignee_and_a_priority_the_screen_lacks_are_left_out_together_in_one_second_request(
        services, sandbox, confluence, jira, hide_from_jira_screen):
    hide_from_jira_screen("assignee", "priority")
    page_id = make_page(services, confluence, action_page(table(row("Add alert", mention(ANA), "", "High", ""))))
    sandbox.reset_stats()
    report = sync(services)
    assert report.errors == [] and report.created == 1
    assert [w["reason"] for w in report.warnings] == [
        "unassigned: not assignable in Jira: the project's screen has no Assignee field (a Jira admin can add it)",
        "filed without a priority: Jira refused 'High' (Field 'priority' cannot be set. It is not on the appropriate "
        "screen, or unknown.); the page's priority is in the issue's description (`wikibot check-config` tells "
        "what Jira accepts)"]
    bulk = [r for r in sandbox.stats()["by_route"] if r.startswith("POST ") and r.endswith("/issue/bulk")]
    assert [sandbox.stats()["by_route"][r] for r in bulk] == [2]
    description = jira.issue(keys_on_page(confluence, page_id)[0], fields="description")["fields"]["description"]
    assert "\nUnassigned: not assignable in Jira: the project's screen has no Assignee field" in description
    assert "\nPriority on the page: High\n" in description


def test_a_priority_filed_without_reaches_jira_once_the_map_is_fixed_and_no_conflict_is_claimed(
        make_config, sandbox, confluence, jira):
    from wikibot.services import Services

    page_id = make_page(Services(make_config()), confluence,
                        action_page(table(row("Fix proxy", mention(BOB), "", "urgent", ""))))
    first = sync(Services(make_config(jira={"priority_map": {"urgent": "No such priority"}})))
    assert first.created == 1 and first.errors == [] and len(first.warnings) == 1
    key = keys_on_page(confluence, page_id)[0]
    fixed = sync(Services(make_config(jira={"priority_map": {"urgent": "Highest"}})))
    assert (fixed.updated, fixed.errors, fixed.warnings) == (1, [], [])
    assert jira.issue(key, fields="priority")["fields"]["priority"]["name"] == "Highest"
    assert comments_on(confluence, page_id) == []


def test_a_plain_text_owner_is_assigned_when_exactly_one_jira_user_has_that_name(services, confluence, jira):
    page_id = make_page(services, confluence, action_page(table(
        row("Add alert", "Eve Martin", "", "", ""),
        row("Fix proxy", "Zed Nobody", "", "", ""))))
    report = sync(services)
    assert report.errors == [] and report.created == 2
    assert [w["reason"] for w in report.warnings] == [
        "unassigned: not a Jira user: no Jira user is called 'Zed Nobody'"]
    eve, zed = (jira.issue(key, fields="assignee,description") for key in keys_on_page(confluence, page_id))
    assert eve["fields"]["assignee"]["displayName"] == "Eve Martin"
    assert zed["fields"]["assignee"] is None and "Owner: Zed Nobody" in zed["fields"]["description"]


def test_a_first_name_matching_one_user_is_not_guessed_and_the_warning_asks_for_the_full_name(services, confluence):
    make_page(services, confluence, action_page(table(row("Fix proxy", "Bo", "", "", ""))))
    report = sync(services)
    assert report.created == 1
    assert [w["reason"] for w in report.warnings] == [
        "unassigned: not a Jira user: no Jira user is called 'Bo' (did you mean Bob Chen? write the full name "
        "or mention them)"]


def test_the_json_report_is_incomplete_exactly_when_sync_exits_5_errors_included():
    # Exit 5 on errors, but "incomplete": false in --json: a cron job reading the JSON thought it done.
    from wikibot.sync.report import SyncReport

    report = SyncReport()
    assert report.to_dict()["incomplete"] is False and not report.unfinished
    report.error(None, "link failed (the next run retries): Jira: HTTP 503")
    assert report.to_dict()["incomplete"] is True and report.unfinished


# -- entry points --------------------------------------------------------------------------------


def test_a_priority_jiras_scheme_lacks_is_left_unset_on_that_issue_alone(make_config, sandbox, confluence, jira):
    from wikibot.services import Services

    services = Services(make_config(jira={"priority_map": {"urgent": "No such priority"}}))
    page_id = make_page(services, confluence, action_page(table(
        row("Add alert", mention(ANA), "", "", ""), row("Fix proxy", mention(BOB), "", "urgent", ""),
        row("Tune pool", mention(BOB), "", "", ""))))
    sandbox.reset_stats()
    report = sync(services)
    assert report.errors == [] and report.created == 3 and report.written_back == 3
    [warning] = report.warnings
    assert warning["summary"] == "Fix proxy" and warning["reason"].startswith(
        "filed without a priority: Jira refused 'No such priority' (")
    bulk = [r for r in sandbox.stats()["by_route"] if r.startswith("POST ") and r.endswith("/issue/bulk")]
    assert [sandbox.stats()["by_route"][r] for r in bulk] == [2]  # the refused element alone, once more
    issue = jira.issue(keys_on_page(confluence, page_id)[1], fields="description")
    assert "\nPriority on the page: urgent\n" in issue["fields"]["description"]


def test_the_cli_prints_json_and_exits_non_zero_while_errors_remain(
        make_config, services, sandbox, confluence, tmp_path):
    config = make_config()
    make_page(services, confluence, action_page(table(row("Fix proxy", mention(BOB), "", "", ""))))
    path = write_config_file(config, tmp_path)
    runner = CliRunner()
    sandbox.fault(status=400, count=1, method="POST",
                  path_prefix=sandbox.jira_url.removeprefix(sandbox.url) + "/rest/api/2/issue/bulk")
    result = runner.invoke(cli, ["--config", str(path), "sync", "--json"])
    assert result.exit_code == ExitStatus.INCOMPLETE, result.output
    report = json.loads(result.output)
    assert set(report) >= {"pages", "created", "already_synced", "written_back", "skipped", "errors"}
    dry = runner.invoke(cli, ["--config", str(path), "sync", "--dry-run"])
    assert dry.exit_code == 0 and "would create" in dry.output
    bad = runner.invoke(cli, ["--config", str(path), "sync", "--page", "abc"])
    assert bad.exit_code == ExitStatus.USAGE and bad.output.count("\n") == 1


def test_the_scheduled_job_returns_the_json_report(services, confluence):
    make_page(services, confluence, simple_page("Add alert"))
    summary = scheduled_sync(services)
    assert summary["created"] == 1 and json.loads(json.dumps(summary)) == summary


EMPTY_TEMPLATE_ROW = "<tr>" + "<td><p></p></td>" * 6 + "</tr>"


def test_the_default_templates_status_column_follows_jira(services, sandbox, confluence, jira):
    from wikibot.incident import parse_incident

    created = services.creator.create(parse_incident({"incident_id": "INC-77", "title": "Queue backlog"}))
    row = f"<tr><td><p>Alert on queue depth</p></td><td><p>{mention(ANA)}</p></td>" + "<td><p></p></td>" * 4 + "</tr>"
    edit_as(sandbox, created.page_id, lambda body: body.replace(EMPTY_TEMPLATE_ROW, row, 1))
    sync(services)
    [key] = keys_on_page(confluence, created.page_id)
    jira.set_issue_status(key, "In Progress")
    assert sync(services).errors == []
    [item] = parse_page(body_of(confluence, created.page_id)).action_items
    assert (item.jira_key, item.status) == (key, "In Progress")
