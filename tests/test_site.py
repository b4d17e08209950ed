"""wikibot's database belongs to one site: recorded on first use, a different one refused in one line."""

from __future__ import annotations

import pytest
from flask import Flask

from service_sandbox import SandboxServer
from tests.conftest import RunningSandbox, _start
from wikibot.atlassian.clients import Clients, Endpoint, build_confluence, build_jira
from wikibot.errors import ConfigError
from wikibot.site import SETTING, SiteIdentity, check_site, compare, identify
from wikibot.store import Database


def clients_for(confluence_url: str, jira_url: str) -> Clients:
    return Clients(confluence=build_confluence(confluence_url, "wikibot@example.com", "sandbox-token", timeout=5),
                   jira=build_jira(jira_url, "wikibot@example.com", "sandbox-token", timeout=5),
                   confluence_endpoint=Endpoint("confluence", "cloud", confluence_url, confluence_url),
                   jira_endpoint=Endpoint("jira", "cloud", jira_url, jira_url))


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/wikibot.db")
    database.create_schema()
    yield database
    database.dispose()


@pytest.fixture
def other_sandbox():
    server = _start()
    yield RunningSandbox(server)
    server.stop()


@pytest.fixture
def data_center_site():
    """A site that, like Data Center, has no /_edge/tenant_info (every path answers 404)."""
    server = SandboxServer(Flask("data-center")).start()
    yield server.url
    server.stop()


def test_a_cloud_site_is_known_by_its_cloud_id(sandbox):
    identity = identify(clients_for(sandbox.wiki_url, sandbox.url), sandbox.wiki_url, sandbox.url)
    cloud_id = sandbox.store.cloud_id()
    assert identity == SiteIdentity(confluence=f"cloud:{cloud_id}", jira=f"cloud:{cloud_id}")


def test_a_site_without_tenant_info_is_known_by_its_configured_url(data_center_site):
    wiki = data_center_site + "/confluence/"
    identity = identify(clients_for(wiki, data_center_site), wiki, data_center_site)
    assert identity == SiteIdentity(confluence=f"url:{data_center_site}/confluence", jira=f"url:{data_center_site}")


def test_the_first_start_records_the_site_and_later_starts_against_it_pass(db, sandbox):
    clients = clients_for(sandbox.wiki_url, sandbox.url)
    check_site(db, clients, sandbox.wiki_url, sandbox.url)
    assert SiteIdentity.from_json(db.setting(SETTING)).jira == f"cloud:{sandbox.store.cloud_id()}"
    check_site(db, clients, sandbox.wiki_url, sandbox.url)  # no error


def test_a_database_is_refused_against_a_different_site_in_one_line(db, sandbox, other_sandbox):
    check_site(db, clients_for(sandbox.wiki_url, sandbox.url), sandbox.wiki_url, sandbox.url)
    with pytest.raises(ConfigError) as error:
        check_site(db, clients_for(other_sandbox.wiki_url, other_sandbox.url), other_sandbox.wiki_url,
                   other_sandbox.url)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("database.url: this database belongs to the Confluence site cloudId "
                              f"{sandbox.store.cloud_id()}, but confluence.url is cloudId "
                              f"{other_sandbox.store.cloud_id()}")


def test_a_restarted_sandbox_that_kept_its_data_is_the_same_site(db, tmp_path):
    from service_sandbox import SandboxStore, create_sandbox_app

    identities = []
    for _ in range(2):
        store = SandboxStore(str(tmp_path / "sandbox.db"))
        with SandboxServer(create_sandbox_app(store)) as server:
            check_site(db, clients_for(server.url + "/wiki", server.url), server.url + "/wiki", server.url,
                       sandbox=server.url)
            identities.append(store.cloud_id())
        store.close()
    assert identities[0] == identities[1]


def test_the_embedded_sandbox_refusal_says_what_to_do():
    recorded, current = SiteIdentity("cloud:a", "cloud:a"), SiteIdentity("cloud:b", "cloud:b")
    assert compare(recorded, current, sandbox="http://127.0.0.1:8990") == (
        "database.url: this database belongs to the sandbox with cloudId a, but the sandbox at "
        "http://127.0.0.1:8990 is cloudId b, whose pages are not the ones the database remembers: "
        "set sandbox.db to that sandbox's file, or use a new database.url")
    assert compare(recorded, recorded, sandbox=None) is None


def test_a_server_without_a_cloud_id_on_the_sandbox_port_is_named_as_such_not_by_its_own_url():
    # e.g. a Data Center sandbox (or anything else) listening where the embedded sandbox should be.
    recorded = SiteIdentity("cloud:a", "cloud:a")
    current = SiteIdentity("url:http://127.0.0.1:8990/wiki", "url:http://127.0.0.1:8990")
    assert compare(recorded, current, sandbox="http://127.0.0.1:8990") == (
        "database.url: this database belongs to the sandbox with cloudId a, but what answers at "
        "http://127.0.0.1:8990 has no cloudId (a Data Center sandbox, or not a sandbox), so its pages are not the "
        "ones the database remembers: set sandbox.db to that sandbox's file, or use a new database.url")

def test_a_database_that_remembers_pages_but_no_site_is_refused_by_a_sandbox_created_just_now(db, sandbox):
    claim = db.claim_incident("INC-1")
    db.finish_incident("INC-1", claim.token, "10001", "http://x/10001", "Post-mortem")
    clients = clients_for(sandbox.wiki_url, sandbox.url)
    with pytest.raises(ConfigError, match="remembers pages of an earlier sandbox"):
        check_site(db, clients, sandbox.wiki_url, sandbox.url, sandbox=sandbox.url, sandbox_is_new=True)
    assert db.setting(SETTING) is None
    # The same database against a sandbox that was already there (its file existed) is adopted.
    check_site(db, clients, sandbox.wiki_url, sandbox.url, sandbox=sandbox.url, sandbox_is_new=False)
    assert db.setting(SETTING) is not None


def test_a_site_that_cannot_be_asked_now_is_not_checked_and_nothing_is_recorded(db):
    from tests.test_serve import free_port

    down = f"http://127.0.0.1:{free_port()}"
    check_site(db, clients_for(down + "/wiki", down), down + "/wiki", down)
    assert db.setting(SETTING) is None


def test_a_site_whose_tenant_info_is_gone_is_known_by_its_url(db):
    app = Flask("gone")
    app.get("/_edge/tenant_info")(lambda: ("gone", 410))
    site = SandboxServer(app).start()
    try:
        identity = identify(clients_for(site.url + "/wiki", site.url), site.url + "/wiki", site.url)
    finally:
        site.stop()
    assert identity == SiteIdentity(confluence=f"url:{site.url}/wiki", jira=f"url:{site.url}")


def test_a_data_center_site_is_known_by_its_url_without_asking_a_proxy_that_refuses():
    app = Flask("sso-proxy")
    app.get("/_edge/tenant_info")(lambda: ("log in first", 403))
    proxy = SandboxServer(app).start()
    url = proxy.url + "/confluence"
    clients = Clients(confluence=build_confluence(url, "", "pat", timeout=5), jira=build_jira(proxy.url, "", "pat",
                                                                                             timeout=5),
                      confluence_endpoint=Endpoint("confluence", "datacenter", url, url),
                      jira_endpoint=Endpoint("jira", "datacenter", proxy.url, proxy.url))
    try:
        assert identify(clients, url, proxy.url) == SiteIdentity(confluence=f"url:{url}", jira=f"url:{proxy.url}")
    finally:
        proxy.stop()


@pytest.mark.parametrize("status", [401, 403, 429, 502])
def test_a_refusal_or_an_error_from_tenant_info_says_nothing_about_the_site(db, sandbox, status):
    """Only "no such route" (404, as on Data Center) means a site has no cloudId; a proxy refusing or a
    server failing must not make a Cloud site look like another one (known by URL)."""
    check_site(db, clients_for(sandbox.wiki_url, sandbox.url), sandbox.wiki_url, sandbox.url)
    app = Flask("refusing-proxy")
    app.get("/_edge/tenant_info")(lambda: ("no", status))
    proxy = SandboxServer(app).start()
    try:
        assert identify(clients_for(proxy.url + "/wiki", proxy.url), proxy.url + "/wiki", proxy.url) is None
        check_site(db, clients_for(proxy.url + "/wiki", proxy.url), proxy.url + "/wiki", proxy.url)  # no error
    finally:
        proxy.stop()


def test_a_site_moved_to_a_new_url_is_adopted_after_forget_site(db, data_center_site, tmp_path):
    from click.testing import CliRunner

    from wikibot.cli import cli
    from wikibot.site import forget_site

    old = data_center_site.replace("127.0.0.1", "localhost")
    check_site(db, clients_for(old + "/wiki", old), old + "/wiki", old)
    new = data_center_site
    with pytest.raises(ConfigError, match=r"the same site at a new URL\? `wikibot db forget-site`"):
        check_site(db, clients_for(new + "/wiki", new), new + "/wiki", new)
    config = tmp_path / "config.yaml"
    config.write_text(f"confluence: {{space: INC, parent_page: P}}\njira: {{project: OPS}}\n"
                      f"database: {{url: '{db.url}'}}\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "db", "forget-site"])
    assert result.exit_code == 0 and result.output.startswith("forgot the recorded site"), result.output
    check_site(db, clients_for(new + "/wiki", new), new + "/wiki", new)  # recorded afresh
    assert forget_site(db) is True and forget_site(db) is False  # recorded, then forgotten once



@pytest.mark.parametrize("command", [
    ["new", "--incident-id", "INC-9090", "--title", "Other site"], ["sync"], ["audit"], ["audit", "--publish"],
    ["share", "65537"], ["timeline", "65537"], ["remind"], ["install-button"]])
def test_one_shot_commands_refuse_a_database_made_for_another_site_and_write_nothing(
        tmp_path, make_config, other_sandbox, command):
    from click.testing import CliRunner

    from tests.conftest import write_config_file
    from wikibot.cli import cli

    first = CliRunner().invoke(cli, ["--config", write_config_file(make_config(), tmp_path, "a.yaml"), "sync"])
    assert first.exit_code == 0, first.output  # the database now belongs to the first sandbox
    other = make_config(confluence={"url": other_sandbox.confluence_url}, jira={"url": other_sandbox.jira_url})
    before = other_sandbox.stats()["requests"]
    result = CliRunner().invoke(cli, ["--config", write_config_file(other, tmp_path, "b.yaml"), *command])
    assert result.exit_code == 2
    [line] = result.output.splitlines()
    assert line.startswith("wikibot: database.url: this database belongs to the Confluence site cloudId")
    assert other_sandbox.stats()["requests"] == before  # not one product request (the site check is not one)
