"""wikibot on Confluence Cloud as it is today: every feature works against the strict sandbox, and
wikibot sends no request to a v1 route Cloud has removed (nor to Jira's retired search)."""

from __future__ import annotations

from click.testing import CliRunner

from tests import contracts
from tests.conftest import WEBHOOK_SECRET, write_config_file
from tests.search_index import time_passes
from tests.test_sync import ANA, action_page, make_page, mention, row, table
from tests.test_web_forms import csrf_from, form_values
from wikibot.cli import cli
from wikibot.status import ExitStatus
from wikibot.web import create_app

# What Cloud still serves on v1 (notes §0): CQL search and label writes.
V1_STILL_SERVED = {"GET /wiki/rest/api/search", "POST /wiki/rest/api/content/{id}/label",
                   "DELETE /wiki/rest/api/content/{id}/label"}


def published(*summaries: str) -> str:
    return action_page(table(*(row(s, mention(ANA), "2020-01-01", "", "") for s in summaries)), status="Published")


def test_every_feature_runs_on_cloud_apis_only(make_config, sandbox, chat, tmp_path):
    config = make_config(notify={"share_webhook_url": chat.url},
                         audit={"label_incomplete": True, "comment_findings": True})
    path = write_config_file(config, tmp_path, "cloud.yaml")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--config", path, *args])
        assert result.exit_code in (ExitStatus.OK, ExitStatus.FINDINGS), result.output  # the audit finds things
        return result.stdout

    app = create_app(config)
    client = app.test_client()
    hook = client.post("/hooks/postmortem", json={"incident_id": "INC-1", "title": "Checkout 502s"},
                       headers={"X-Wikibot-Token": WEBHOOK_SECRET})
    assert hook.status_code == 201
    form = client.post("/postmortems/new", data=form_values(csrf_from(client.get("/postmortems/new").text)))
    assert form.status_code == 303
    assert run("new", "--incident-id", "INC-3", "--title", "Disk full").startswith(sandbox.wiki_url)

    page_id = make_page(app.extensions["wikibot"], sandbox.confluence(), published("Add alert", "Fix proxy"))
    assert '"created": 2' in run("sync", "--json")
    time_passes()
    assert "Add alert" in run("actions")
    run("audit", "--publish")
    run("share", page_id, "--again")
    assert run("install-button").startswith(("created: ", "updated: "))
    assert chat.messages

    routes = sandbox.stats()["by_route"]
    removed = sorted(r for r in routes if "/wiki/rest/api/" in r and r not in V1_STILL_SERVED)
    assert removed == [], f"requests to v1 routes Confluence Cloud removed: {removed}"
    assert not [r for r in routes if r.split(" ")[1] in ("/rest/api/2/search", "/rest/api/3/search")]
    assert sandbox.stats()["gone"] == {}
    assert contracts.journal_problems(sandbox.url) == []  # what wikibot sent, against the published OpenAPI
    v2 = {r for r in routes if "/wiki/api/v2/" in r}
    assert {"POST /wiki/api/v2/pages", "PUT /wiki/api/v2/pages/{id}", "GET /wiki/api/v2/pages/{id}",
            "POST /wiki/api/v2/footer-comments", "POST /wiki/api/v2/pages/{id}/properties"} <= v2
