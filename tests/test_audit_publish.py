"""Telling people: the report page, labels, footer comments and the chat summary, against the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import DATABASES
from tests.test_audit import create_page, edit_page, parent_id
from tests.test_audit_checks import ALL_FILLED, postmortem_body
from tests.test_sync import comments_on, labels_of, page_titled, update_as
from wikibot.audit import run_audit
from wikibot.audit.publish import INCOMPLETE_LABEL, PUBLISH_LEASE
from wikibot.services import Services
from wikibot.status import ExitStatus
from wikibot.templates import check_well_formed

HOSTILE = "Disk <full> & \"]]> <ac:placeholder>x</ac:placeholder>"


@pytest.fixture
def make_services(make_config):
    built: list[Services] = []

    def make(**sections) -> Services:
        built.append(Services(make_config(**sections)))
        return built[-1]

    yield make
    for services in built:
        services.close()


def report_page(confluence, title: str = "Post-mortem audit") -> dict | None:
    return page_titled(confluence, title)


def writes(sandbox) -> dict[str, int]:
    return {route: n for route, n in sandbox.stats()["by_route"].items() if not route.startswith("GET")}


def comments(confluence, page_id: str) -> list[str]:
    return comments_on(confluence, page_id)


# Every publishing test runs on Cloud and on Data Center.
pytestmark = pytest.mark.both_profiles


def labels(confluence, page_id: str) -> set[str]:
    return labels_of(confluence, page_id)


@pytest.mark.parametrize("database_url", DATABASES, indirect=True)
def test_report_page_is_created_once_then_written_only_when_it_changes(services, sandbox, confluence):
    now = sandbox.store.now()
    page_id = create_page(sandbox, confluence, HOSTILE, postmortem_body(debrief_due=now.date()), created=now)
    report = run_audit(services, publish=True, now=now)
    assert report.errors == []
    page = report_page(confluence)
    assert page["parentId"] == parent_id(confluence)
    body = page["body"]["storage"]["value"]
    check_well_formed(body, "report page")
    assert "Disk &lt;full&gt; &amp; &#34;]]&gt;" in body and "<ac:placeholder>x" not in body
    assert "0/8" in body and "Ana Lima" in body

    sandbox.reset_stats()
    run_audit(services, publish=True, now=now)
    assert writes(sandbox) == {}  # nothing changed: nothing written

    edit_page(sandbox, confluence, page_id, postmortem_body(debrief_due=now.date(), filled=ALL_FILLED), at=now)
    sandbox.reset_stats()
    run_audit(services, publish=True, now=now)
    assert writes(sandbox) == {f"PUT {sandbox.content_path}/{{id}}": 1}
    assert report_page(confluence)["version"]["number"] == page["version"]["number"] + 1
    assert "8/8" in report_page(confluence)["body"]["storage"]["value"]


def test_a_person_editing_the_report_page_gets_it_rewritten(services, sandbox, confluence):
    now = sandbox.store.now()
    create_page(sandbox, confluence, "PM one", postmortem_body(debrief_due=now.date()), created=now)
    run_audit(services, publish=True, now=now)
    page = report_page(confluence)
    update_as(confluence, page["id"], "<p>my notes</p>")
    run_audit(services, publish=True, now=now)
    assert "PM one" in report_page(confluence)["body"]["storage"]["value"]


def test_incomplete_label_is_added_and_removed(make_services, sandbox, confluence):
    services = make_services(audit={"label_incomplete": True})
    now = sandbox.store.now()
    draft = create_page(sandbox, confluence, "PM draft", postmortem_body(debrief_due=now.date()), created=now)
    done = create_page(sandbox, confluence, "PM done", postmortem_body(debrief_due=now.date(), filled=ALL_FILLED),
                       created=now, labels=("postmortem", INCOMPLETE_LABEL))
    run_audit(services, publish=True, now=now)
    assert INCOMPLETE_LABEL in labels(confluence, draft) and INCOMPLETE_LABEL not in labels(confluence, done)
    edit_page(sandbox, confluence, draft, postmortem_body(debrief_due=now.date(), filled=ALL_FILLED), at=now)
    sandbox.reset_stats()
    run_audit(services, publish=True, now=now)
    assert INCOMPLETE_LABEL not in labels(confluence, draft)
    assert writes(sandbox) == {f"DELETE {sandbox.label_write_prefix}{{id}}/label": 1,
                               f"PUT {sandbox.content_path}/{{id}}": 1}


@pytest.mark.parametrize("database_url", DATABASES, indirect=True)
def test_one_comment_per_new_finding_set_never_one_per_night(make_services, sandbox, confluence):
    services = make_services(audit={"comment_findings": True})
    now = sandbox.store.now()
    stale = create_page(sandbox, confluence, "PM stale <b>",
                        postmortem_body(debrief_due=(now + timedelta(days=9)).date()),
                        created=now - timedelta(days=5), modified=now - timedelta(days=4))
    done = create_page(sandbox, confluence, "PM done", postmortem_body(debrief_due=now.date(), filled=ALL_FILLED),
                       created=now)
    run_audit(services, publish=True, now=now)
    [first] = comments(confluence, stale)
    check_well_formed(first, "comment")
    assert "Not edited for 4 days" in first and comments(confluence, done) == []

    run_audit(services, publish=True, now=now)
    run_audit(services, publish=True, now=now + timedelta(days=1))  # "5 days" now: same findings, no comment
    assert len(comments(confluence, stale)) == 1

    run_audit(services, publish=True, now=now + timedelta(days=10))  # the debrief is now overdue: a new set
    assert len(comments(confluence, stale)) == 2
    assert "debrief was due" in comments(confluence, stale)[1]


def test_chat_summary_links_pages_and_escapes_their_text(make_services, sandbox, confluence, chat):
    services = make_services(notify={"slack_webhook_url": chat.url})
    now = sandbox.store.now()
    create_page(sandbox, confluence, "<!channel> & friends", postmortem_body(debrief_due=now.date()), created=now)
    create_page(sandbox, confluence, "PM done", postmortem_body(debrief_due=now.date(), filled=ALL_FILLED,
                                                                status="Published"), created=now)
    run_audit(services, publish=True, now=now)
    services.notifier.flush()
    [message] = chat.messages
    text = message["text"]
    assert text.startswith(":clipboard: Post-mortem audit: 2 post-mortems, 1 need attention (8 findings).")
    assert "&lt;!channel&gt; &amp; friends>" in text and "<!channel>" not in text
    assert "template guidance left ×8" in text and "lead Ana Lima" in text
    assert "|Post-mortem audit>" in text and "PM done" not in text


def test_one_page_audit_publishes_labels_but_not_the_report_or_chat(make_services, sandbox, confluence, chat):
    services = make_services(audit={"label_incomplete": True}, notify={"slack_webhook_url": chat.url})
    now = sandbox.store.now()
    page_id = create_page(sandbox, confluence, "PM draft", postmortem_body(debrief_due=now.date()), created=now)
    run_audit(services, page_id=page_id, publish=True, now=now)
    services.notifier.flush()
    assert INCOMPLETE_LABEL in labels(confluence, page_id)
    assert report_page(confluence) is None and chat.messages == []


def test_publishing_is_skipped_while_another_run_holds_the_lease(make_services, sandbox, confluence):
    services = make_services(audit={"comment_findings": True})
    now = sandbox.store.now()
    page_id = create_page(sandbox, confluence, "PM draft", postmortem_body(debrief_due=now.date()), created=now)
    assert services.db.leases.acquire(PUBLISH_LEASE, timedelta(minutes=5), owner="other-replica")
    report = run_audit(services, publish=True, now=now)
    assert report.errors == ["publish: another audit is publishing right now; skipped"]
    assert report.exit_code == ExitStatus.INCOMPLETE
    assert comments(confluence, page_id) == [] and report_page(confluence) is None


def test_the_report_page_stays_well_formed_whatever_a_page_title_holds():
    # Issue #16, 1: one page titled with U+FFFE made the published report page malformed.
    from datetime import UTC, datetime

    from wikibot.audit.checks import Finding, PageAudit
    from wikibot.audit.publish import render_report_page
    from wikibot.audit.report import AuditReport

    bad = "T\x00i\ufffet\uffffl\ud800e"
    page = PageAudit(page_id="1", title=bad, url="https://wiki.example.com/x", status=bad, lead=bad, template=None,
                     sections=((bad, "empty"),), required=(bad,), filled=0, created=None, modified=None,
                     modified_by=bad, findings=(Finding("empty_section", bad, bad, None, bad),))
    body = render_report_page(AuditReport(generated_at=datetime(2026, 12, 1, tzinfo=UTC), pages=[page]))
    check_well_formed(body, "report page")
    assert "Title" in body
