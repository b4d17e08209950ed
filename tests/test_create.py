"""Creating a post-mortem page: exactly one page per incident, ever, with labels and metadata."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from tests.conftest import DATABASES
from tests.search_index import time_passes
from tests.test_sync import ANA, BOB, body_of, labels_of, make_page, properties_of, read_page, space_pages, user_ref
from wikibot.create import PROPERTY_KEY, page_title
from wikibot.errors import ServiceError
from wikibot.incident import parse_incident
from wikibot.services import Services
from wikibot.store import Database


def incident(**overrides):
    data = {"incident_id": "INC-42", "title": "Checkout 502s", "severity": "SEV-2",
            "started_at": "2026-11-20T09:30:00Z", "summary": "Alerts fired at 09:31"}
    return parse_incident({**data, **overrides})


def postmortem_pages(sandbox) -> list[dict]:
    """Every post-mortem page of the space, read from v2's page list (consistent, unlike a search)."""
    confluence = sandbox.confluence()
    return [page for page in space_pages(confluence) if "postmortem" in labels_of(confluence, page["id"])]


# Every end-to-end creation test runs on Cloud and on Data Center.
pytestmark = pytest.mark.both_profiles


def test_page_is_created_under_the_parent_with_title_labels_and_template_record(services, sandbox, confluence):
    result = services.creator.create(incident())
    assert result.created
    assert result.title == "Post-mortem: 2026-11-20 Checkout 502s (INC-42)"
    assert result.url.startswith(sandbox.confluence_url + "/spaces/INC/pages/")
    page = read_page(confluence, result.page_id)
    assert page["parentId"] == services.creator.parent_id()
    assert labels_of(confluence, result.page_id) == {"postmortem", "sev-2", "incident-inc-42"}
    [record] = properties_of(confluence, result.page_id, PROPERTY_KEY)
    assert record["template"] == "postmortem" and record["template_version"] == "2"
    assert record["incident_id"] == "INC-42"
    assert "Alerts fired at 09:31" in page["body"]["storage"]["value"]


def test_the_same_incident_again_returns_the_same_page_and_creates_nothing(services, sandbox):
    first = services.creator.create(incident())
    second = services.creator.create(incident(title="Different words"))
    assert (second.page_id, second.created) == (first.page_id, False)
    assert len(postmortem_pages(sandbox)) == 1


def test_sev1_uses_the_sre_template_as_configured(make_config, sandbox, confluence):
    services = Services(make_config(postmortem={"templates": {"SEV-1": "sre.xml"}}))
    result = services.creator.create(incident(severity="1"))
    assert "<h2>Where we got lucky</h2>" in body_of(confluence, result.page_id)
    services.close()


def test_a_title_clash_with_another_page_gets_a_suffix_not_an_error(services, confluence):
    make_page(services, confluence, "<p>someone else's</p>", title="Post-mortem: 2026-11-20 Checkout 502s (INC-42)",
              labels=("incident-inc-4",))
    result = services.creator.create(incident())
    assert result.created
    assert result.title == "Post-mortem: 2026-11-20 Checkout 502s (INC-42) (2)"


@pytest.mark.parametrize("database_url", DATABASES, indirect=True)
def test_a_lost_database_does_not_cause_a_second_page(config, services, sandbox, tmp_path):
    first = services.creator.create(incident())
    fresh = Services(config, db=Database(f"sqlite:///{tmp_path}/other.db"))  # closed by fresh.close()
    again = fresh.creator.create(incident())
    fresh.close()
    assert (again.page_id, again.created) == (first.page_id, False)
    assert len(postmortem_pages(sandbox)) == 1


def test_with_a_lagging_search_index_a_lost_database_still_does_not_cause_a_second_page(config, services, sandbox,
                                                                                        tmp_path):
    sandbox.fault(index_lag_ms=3000)  # the label search cannot see the page: only the title list can
    first = services.creator.create(incident())
    fresh = Services(config, db=Database(f"sqlite:///{tmp_path}/other.db"))
    again = fresh.creator.create(incident())
    fresh.close()
    assert (again.page_id, again.created) == (first.page_id, False)
    assert len(postmortem_pages(sandbox)) == 1


def test_a_create_interrupted_before_its_labels_is_adopted_and_completed(services, sandbox, confluence):
    sandbox.fault(status=503, count=None, method="POST", path_prefix=sandbox.label_write_prefix)  # label writes
    with pytest.raises(ServiceError):
        services.creator.create(incident())
    sandbox.clear_faults()
    result = services.creator.create(incident())
    assert result.created and len(postmortem_pages(sandbox)) == 1
    assert labels_of(confluence, result.page_id) == {"postmortem", "sev-2", "incident-inc-42"}
    assert [p["incident_id"] for p in properties_of(confluence, result.page_id)] == ["INC-42"]


def test_a_lost_response_after_the_page_was_created_is_adopted_on_retry(services, sandbox):
    sandbox.fault(drop=True, after=True, method="POST", path_prefix=sandbox.create_path, count=1)
    result = services.creator.create(incident())
    assert len(postmortem_pages(sandbox)) == 1
    assert result.page_id == postmortem_pages(sandbox)[0]["id"]
    assert result.created  # nobody had been told about it yet


def test_a_lost_response_then_unreadable_pages_never_make_a_second_page(services, sandbox):
    """The POST landed but its answer was lost, so the resent POST finds the title taken; if wikibot then
    cannot read whether that page is its own, it must fail (and adopt the page on a retry), never try
    the next title: a " (2)" page would be a second page for one incident (seen in a chaos week)."""
    creator = services.creator
    post = creator._post_page

    def post_then_reads_fail(*args, **kwargs):
        sandbox.fault(drop=True, after=True, method="POST", path_prefix=sandbox.create_path, count=1)
        sandbox.fault(status=503, count=None, method="GET")  # from now on nothing can be read
        return post(*args, **kwargs)

    def incident_pages() -> list[str]:
        return [page["id"] for page in space_pages(sandbox.confluence()) if "(INC-42)" in page["title"]]

    creator._post_page = post_then_reads_fail
    with pytest.raises(ServiceError):
        creator.create(incident())
    sandbox.clear_faults()
    assert len(incident_pages()) == 1  # made once, never again under another title
    creator._post_page = post
    result = creator.create(incident())
    assert incident_pages() == [result.page_id]
    assert [page["id"] for page in postmortem_pages(sandbox)] == [result.page_id]  # completed: labels and all
    assert result.created  # nobody had been told about it yet


def test_confluence_down_creates_nothing_and_a_retry_finishes_the_job(services, sandbox):
    sandbox.fault(status=503, count=None, path_prefix=sandbox.create_path, method="POST")
    with pytest.raises(ServiceError) as info:
        services.creator.create(incident())
    assert info.value.status == 503
    assert postmortem_pages(sandbox) == []
    assert services.db.incident("INC-42") is None
    sandbox.clear_faults()
    assert services.creator.create(incident()).created


def test_transient_errors_are_retried_within_one_call(services, sandbox):
    sandbox.fault(status=502, count=2, path_prefix=sandbox.create_path, method="POST")
    assert services.creator.create(incident()).created
    assert len(postmortem_pages(sandbox)) == 1


def test_lead_given_by_name_becomes_a_user_mention(services, confluence):
    result = services.creator.create(incident(lead="Ana Lima"))
    assert user_ref(ANA) in body_of(confluence, result.page_id)


def test_an_unknown_lead_name_stays_as_text(services, confluence):
    result = services.creator.create(incident(lead="Zed Nobody"))
    body = body_of(confluence, result.page_id)
    assert "Zed Nobody" in body and "ri:user" not in body.split("Lead investigator")[1].split("</tr>")[0]


@pytest.mark.parametrize("lead", ["Bo", "e"])
def test_a_lead_name_that_only_begins_a_users_name_stays_as_text_as_an_owner_would(services, confluence, lead):
    # Jira's user search finds prefixes: "e" made Eve Martin the lead. The sync never guesses an owner
    # that way; the creator follows the same rule (the whole name, the email or the username).
    result = services.creator.create(incident(lead=lead))
    row = body_of(confluence, result.page_id).split("Lead investigator")[1].split("</tr>")[0]
    assert "ri:user" not in row and f"<p>{lead}</p>" in row


def test_a_lead_given_by_email_becomes_a_user_mention(services, confluence):
    result = services.creator.create(incident(lead="bob@example.com"))
    assert user_ref(BOB) in body_of(confluence, result.page_id)

@pytest.mark.parametrize("database_url", DATABASES, indirect=True)
def test_twenty_concurrent_creations_for_one_incident_make_one_page(services, sandbox):
    results, errors = [], []

    def create() -> None:
        try:
            results.append(services.creator.create(incident()))
        except Exception as exc:  # noqa: BLE001 # pragma: no cover - a thread's failure, asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({r.page_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len(postmortem_pages(sandbox)) == 1


def test_chat_hears_about_a_new_page_with_link_lead_and_debrief_date(make_config, chat):
    services = Services(make_config(notify={"slack_webhook_url": chat.url}))
    result = services.creator.create(incident(lead="<!channel> Bob", started_at="2026-11-20"))
    services.notifier.flush()
    services.close()
    [message] = chat.messages
    assert result.url in message["text"]
    assert "2026-11-27" in message["text"]
    assert "&lt;!channel&gt; Bob" in message["text"] and "<!channel>" not in message["text"]


def test_a_failing_chat_webhook_is_retried_and_never_fails_creation(make_config, sandbox):
    from tests.conftest import ChatReceiver

    flaky = ChatReceiver(fail_first=2)
    services = Services(make_config(notify={"slack_webhook_url": flaky.url}))
    services.notifier.base_delay = 0.01
    assert services.creator.create(incident()).created
    services.notifier.flush()
    services.close()
    flaky.stop()
    assert flaky.attempts == 3 and len(flaky.messages) == 1


def test_an_unreachable_chat_webhook_never_fails_creation(make_config):
    services = Services(make_config(notify={"slack_webhook_url": "http://127.0.0.1:9/hook"}))
    services.notifier.base_delay = 0.01
    assert services.creator.create(incident()).created
    services.close()


def test_titles_stay_within_confluence_limits():
    long = incident(incident_id="I" * 64, title="x" * 200)
    title = page_title(long, date(2026, 11, 20))
    assert len(title) <= 251 and title.endswith("… (" + "I" * 64 + ")")
    assert page_title(incident(title="x" * 150), date(2026, 11, 20)).endswith("x (INC-42)")


# -- exact incident identity (issue #16, 2) ----------------------------------------------------------
@pytest.mark.parametrize("other_id", ["INC_42", "INC:42", "inc.42", "Inc-42"])
def test_an_id_whose_label_collides_is_refused_never_given_the_other_page(services, sandbox, other_id):
    from wikibot.store import IncidentIdCollision

    services.creator.create(incident())
    with pytest.raises(IncidentIdCollision, match="'INC-42'"):
        services.creator.create(incident(incident_id=other_id))
    assert len(postmortem_pages(sandbox)) == 1
    assert services.creator.create(incident()).created is False  # the owner still gets its page


@pytest.mark.parametrize("other_id", ["INC_42", "inc.42"])
def test_a_colliding_id_is_refused_by_the_page_itself_when_the_database_was_lost(config, services, sandbox,
                                                                                 tmp_path, other_id):
    from wikibot.store import IncidentIdCollision

    services.creator.create(incident())
    time_passes()  # the database is lost, and found empty, some time later
    fresh = Services(config, db=Database(f"sqlite:///{tmp_path}/other.db"))
    try:
        with pytest.raises(IncidentIdCollision):
            fresh.creator.create(incident(incident_id=other_id))
    finally:
        fresh.close()
    assert len(postmortem_pages(sandbox)) == 1


def test_the_id_is_compared_exactly_after_trimming(services):
    first = services.creator.create(incident())
    assert services.creator.create(incident(incident_id=" INC-42\n")).page_id == first.page_id


# -- a holder killed mid-create (issue #16, 9) -------------------------------------------------------
def dead_process_holder() -> str:
    """The holder name of a process on this host that has exited (what ``kill -9`` leaves behind)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "from wikibot.store.holders import this_process; "
                              "print(this_process())"], stdout=subprocess.PIPE, text=True)
    holder = child.communicate(timeout=60)[0].strip()
    return holder


def test_a_claim_whose_holder_is_gone_is_taken_over_at_once_and_the_page_adopted(services, sandbox):
    # The dead process had claimed the incident and its POST had landed: the page exists, the claim says "creating".
    from sqlalchemy import update

    from wikibot.store import incidents

    result = services.creator.create(incident())
    with services.db.engine.begin() as conn:
        conn.execute(update(incidents).where(incidents.c.incident_id == "INC-42")
                     .values(state="creating", page_id=None, url=None, title=None, holder=dead_process_holder()))
    services.creator.wait_seconds = 0.5
    again = services.creator.create(incident())
    assert again.page_id == result.page_id and again.created  # the dead process never told anyone
    assert len(postmortem_pages(sandbox)) == 1
    assert services.db.incident("INC-42").state == "created"


def test_a_claim_whose_holder_is_alive_is_still_waited_for(services, sandbox):
    from wikibot.create import CreationInProgress

    services.db.claim_incident("INC-42", label="incident-inc-42")  # held by this (live) process
    services.creator.wait_seconds = 0.3
    with pytest.raises(CreationInProgress):
        services.creator.create(incident())


def test_without_a_start_the_incident_day_and_debrief_due_are_today_in_the_audit_time_zone(make_config, sandbox):
    # A team east or west of UTC creating a page around midnight: the page's own date and "Debrief due"
    # are their today, the day the audit and the dashboard count from, not UTC's.
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from wikibot.store import utcnow

    zone = "Pacific/Kiritimati" if utcnow().hour >= 10 else "Pacific/Pago_Pago"  # UTC+14 / UTC-11
    local = datetime.now(ZoneInfo(zone)).date()
    services = Services(make_config(audit={"timezone": zone}))
    try:
        result = services.creator.create(incident(started_at=None))
    finally:
        services.close()
    assert result.title == f"Post-mortem: {local.isoformat()} Checkout 502s (INC-42)"
    body = read_page(sandbox.confluence(), result.page_id)["body"]["storage"]["value"]
    assert f'<time datetime="{(local + timedelta(days=7)).isoformat()}"' in body
