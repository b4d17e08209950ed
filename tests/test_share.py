"""Sharing a published post-mortem with the company channel: once per page, recorded in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from tests.conftest import DATABASES
from tests.test_audit import config_file, create_page, edit_page
from tests.test_audit_checks import ALL_FILLED, postmortem_body
from wikibot.atlassian.content import WikiPage
from wikibot.audit import run_audit
from wikibot.audit.share import page_id_of, share_message
from wikibot.cli import cli
from wikibot.errors import InputError
from wikibot.pages import parse_page
from wikibot.services import Services

FILLED = {**ALL_FILLED, "Impact and Scope": "31% of checkouts failed for 47 minutes <b>&</b>.",
          "Root Cause": "The pool was sized for average load, not peak. @557058:bb22 found it."}
ITEMS = [{"summary": "Alert on pool saturation", "owner": "557058:bb22", "due": "2026-12-04", "key": "OPS-3"},
         {"summary": "Size pools from <peak>", "owner": "557058:aa11"}]


@pytest.fixture
def share_services(make_config, chat):
    services = Services(make_config(notify={"share_webhook_url": chat.url}))
    yield services
    services.close()


def published_body(status: str = "Published") -> str:
    return postmortem_body(status=status, filled=FILLED, items=ITEMS)


def test_share_message_has_title_impact_root_cause_and_linked_actions():
    page = WikiPage(id="1", title="Checkout <502s> & more", version=3, body="", url="https://wiki/pages/1")
    text = share_message(page, parse_page(published_body()), "https://acme.atlassian.net",
                         {"557058:bb22": "Bob Chen"})
    lines = text.splitlines()
    assert lines[0] == ":mega: *Post-mortem published:* <https://wiki/pages/1|Checkout &lt;502s&gt; &amp; more>"
    assert lines[1] == "*Impact:* 31% of checkouts failed for 47 minutes &lt;b&gt;&amp;&lt;/b&gt;."
    assert lines[2] == "*Root cause:* The pool was sized for average load, not peak. @Bob Chen found it."
    assert lines[3] == "*Action items (2):*"
    assert lines[4] == ("• <https://acme.atlassian.net/browse/OPS-3|OPS-3> Alert on pool saturation "
                        "(Bob Chen, due 2026-12-04)")
    assert lines[5] == "• Size pools from &lt;peak&gt;"  # an owner whose name is not known: no account id


def test_the_shared_summary_leaves_out_sentences_that_blame_a_person_and_unknown_account_ids():
    from wikibot.audit.blame import BlameMatcher
    from wikibot.config_sections import DEFAULT_BLAME_ALWAYS, DEFAULT_BLAME_PHRASES

    filled = {**FILLED, "Root Cause": "Human error. It was Bob's fault really. The pool was sized for average "
                                      "load, not peak. @557058:ee55 found it; mail sre@example.com."}
    page = WikiPage(id="1", title="Checkout 502s", version=3, body="", url="https://wiki/pages/1")
    model = parse_page(postmortem_body(status="Published", filled=filled, items=ITEMS))
    text = share_message(page, model, "https://acme.atlassian.net", {"557058:bb22": "Bob Chen"},
                         BlameMatcher(DEFAULT_BLAME_PHRASES, DEFAULT_BLAME_ALWAYS))
    [root_cause] = [line for line in text.splitlines() if line.startswith("*Root cause:*")]
    assert root_cause == ("*Root cause:* The pool was sized for average load, not peak. a colleague found it; "
                          "mail sre@example.com.")


def test_blame_of_a_person_the_page_names_in_plain_text_is_left_out_of_sections_and_action_items():
    # The audit knows "Tomas" from the Owner cell, not from the directory: so must the shared summary.
    from wikibot.audit.blame import BlameMatcher
    from wikibot.config_sections import DEFAULT_BLAME_ALWAYS, DEFAULT_BLAME_PHRASES

    body = ("<h2>Impact and Scope</h2><p>Checkout failed for 40 minutes.</p>"
            "<h2>Root Cause</h2><p>Tomas forgot to run the migration. The deploy had no check for it.</p>"
            "<h2>Action items</h2><table><tbody><tr><th><p>Action</p></th><th><p>Owner</p></th></tr>"
            "<tr><td><p>Add a migration check to the deploy</p></td><td><p>Tomas Berg</p></td></tr>"
            "<tr><td><p>Tomas forgot the other checks too: list them</p></td><td><p>Dana Ruiz</p></td></tr>"
            "</tbody></table>")
    page = WikiPage(id="1", title="Checkout 502s", version=3, body="", url="https://wiki/pages/1")
    text = share_message(page, parse_page(body), "https://acme.atlassian.net", {},
                         BlameMatcher(DEFAULT_BLAME_PHRASES, DEFAULT_BLAME_ALWAYS))
    assert "*Root cause:* The deploy had no check for it." in text.splitlines()
    assert "forgot" not in text
    assert "*Action items (2):*" in text and "Add a migration check to the deploy (Tomas Berg)" in text
    assert text.splitlines()[-1] == "… and 1 more on the page."


def test_a_data_center_username_mention_is_shown_by_name():
    body = ('<h2>Impact and Scope</h2><p>Found by <ac:link><ri:user ri:username="jane.doe" /></ac:link>.</p>')
    page = WikiPage(id="1", title="Checkout 502s", version=3, body="", url="https://wiki/pages/1")
    text = share_message(page, parse_page(body), "https://jira.example.com", {"jane.doe": "Jane Doe"})
    assert "*Impact:* Found by @Jane Doe." in text.splitlines()


@pytest.mark.parametrize(("given", "page_id"), [
    ("12345", "12345"), ("https://acme.atlassian.net/wiki/spaces/INC/pages/98765/PM+title", "98765"),
    ("https://confluence.example.com/pages/viewpage.action?pageId=4242", "4242"),
])
def test_page_id_of(given, page_id):
    assert page_id_of(given) == page_id


def test_page_id_of_rejects_anything_else():
    with pytest.raises(InputError, match="not a page id"):
        page_id_of("Checkout 502s")


# Every end-to-end sharing test runs on Cloud and on Data Center.
pytestmark = pytest.mark.both_profiles


@pytest.mark.parametrize("database_url", DATABASES, indirect=True)
def test_a_page_becoming_published_is_shared_once(share_services, sandbox, confluence, chat):
    now = sandbox.store.now()
    page_id = create_page(sandbox, confluence, "PM checkout", published_body("Debriefed"), created=now)
    run_audit(share_services, publish=True, now=now)
    assert chat.messages == []
    edit_page(sandbox, confluence, page_id, published_body(), at=now + timedelta(hours=1))
    run_audit(share_services, publish=True, now=now + timedelta(hours=2))
    run_audit(share_services, publish=True, now=now + timedelta(hours=3))
    [message] = chat.messages
    assert message["text"].startswith(":mega: *Post-mortem published:* <") and "PM checkout" in message["text"]


def test_a_page_already_published_when_first_seen_is_not_shared(share_services, sandbox, confluence, chat):
    now = sandbox.store.now()
    create_page(sandbox, confluence, "PM old", published_body(), created=now - timedelta(days=90))
    run_audit(share_services, publish=True, now=now)
    run_audit(share_services, publish=True, now=now)
    assert chat.messages == []


@pytest.mark.parametrize("database_url", DATABASES, indirect=True)
def test_share_command_shares_once_unless_again(make_config, sandbox, confluence, chat, tmp_path):
    now = sandbox.store.now()
    page_id = create_page(sandbox, confluence, "PM checkout", published_body(), created=now)
    path = config_file(make_config(notify={"share_webhook_url": chat.url}), tmp_path)
    runner = CliRunner()
    first = runner.invoke(cli, ["--config", path, "share", page_id])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("shared: PM checkout (")
    second = runner.invoke(cli, ["--config", path, "share", page_id])
    assert second.exit_code == 1
    assert second.stderr == f"wikibot: page {page_id} was already shared (use --again to share it once more)\n"
    again = runner.invoke(cli, ["--config", path, "share", f"{sandbox.confluence_url}/spaces/INC/pages/{page_id}/x",
                                "--again"])
    assert again.exit_code == 0, again.output
    assert len(chat.messages) == 2


def test_share_without_a_channel_is_a_config_error(config, sandbox, confluence, tmp_path):
    page_id = create_page(sandbox, confluence, "PM checkout", published_body(), created=sandbox.store.now())
    result = CliRunner().invoke(cli, ["--config", config_file(config, tmp_path), "share", page_id])
    assert result.exit_code == 2
    assert result.stderr == ("wikibot: neither slack.company_channel nor notify.share_webhook_url is set: there is "
                             "no channel to share to\n")



def test_sharing_a_page_that_does_not_exist_is_a_usage_error_and_records_nothing(make_config, sandbox, confluence,
                                                                                 chat, tmp_path):
    path = config_file(make_config(notify={"share_webhook_url": chat.url}), tmp_path)
    result = CliRunner().invoke(cli, ["--config", path, "share", "99999999"])
    assert result.exit_code == 2, result.output
    assert result.stderr == "wikibot: page 99999999: no such Confluence page\n"
    home = next(p for p in sandbox.cql("type = page") if p["title"] == "Incidents Home")
    forced = CliRunner().invoke(cli, ["--config", path, "share", home["id"], "--force"])  # not a post-mortem
    assert forced.exit_code == 2 and "is not a post-mortem (no label 'postmortem')" in forced.stderr
    assert chat.messages == []
    page_id = create_page(sandbox, confluence, "PM checkout", published_body(), created=sandbox.store.now())
    assert CliRunner().invoke(cli, ["--config", path, "share", page_id]).exit_code == 0

def test_a_first_share_names_owners_from_jira_before_any_audit(share_services, sandbox, confluence, chat):
    from wikibot.audit.share import share_page

    page_id = create_page(sandbox, confluence, "PM checkout", published_body(), created=sandbox.store.now())
    share_page(share_services, page_id)
    [message] = chat.messages
    assert "(Bob Chen, due 2026-12-04)" in message["text"]
    assert "Size pools from &lt;peak&gt; (Ana Lima)" in message["text"]
    assert "557058:" not in message["text"]
    # The page's text names "@557058:bb22": Bob's account on Cloud, not a userkey Data Center knows.
    assert ("@Bob Chen found it" if sandbox.profile == "cloud" else "a colleague found it") in message["text"]


def test_a_failed_share_can_be_retried(share_services, sandbox, confluence, chat):
    from wikibot.audit.share import share_page
    from wikibot.errors import ServiceError

    page_id = create_page(sandbox, confluence, "PM checkout", published_body(), created=sandbox.store.now())
    sandbox.fault(status=403, count=1, path_prefix=f"{sandbox.content_path}/{page_id}")
    with pytest.raises(ServiceError):
        share_page(share_services, page_id)
    share_page(share_services, page_id)
    assert len(chat.messages) == 1


def test_a_draft_is_not_shared_and_nothing_is_recorded(make_config, sandbox, confluence, chat, tmp_path):
    now = sandbox.store.now()
    page_id = create_page(sandbox, confluence, "PM draft", published_body("Draft"), created=now)
    path = config_file(make_config(notify={"share_webhook_url": chat.url}), tmp_path)
    result = CliRunner().invoke(cli, ["--config", path, "share", page_id])
    assert result.exit_code == 1
    assert result.stderr == (f"wikibot: page {page_id} is Draft, not Published: publish it first "
                             "(set its Status to Published), or share it anyway with --force\n")
    assert chat.messages == []
    forced = CliRunner().invoke(cli, ["--config", path, "share", page_id, "--force"])
    assert forced.exit_code == 0, forced.output  # the refusal left no share recorded
    [message] = chat.messages
    assert message["text"].startswith(":mega: *Post-mortem shared before it was published (status: Draft):* <")
    assert "published:*" not in message["text"]


def test_a_page_without_a_status_counts_as_a_draft():
    page = WikiPage(id="1", title="PM", version=1, body="", url="https://wiki/pages/1")
    body = "<h2>Impact and Scope</h2><p>Users.</p>"
    assert share_message(page, parse_page(body), "https://jira").startswith(
        ":mega: *Post-mortem shared before it was published (status: Draft):*")
