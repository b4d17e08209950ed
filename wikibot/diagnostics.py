"""``wikibot check-config``: prove the configuration reaches both services and names real things."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import requests
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from wikibot.atlassian.boundary import error_detail
from wikibot.atlassian.clients import Endpoint
from wikibot.atlassian.confluence import ConfluenceGateway
from wikibot.atlassian.jira import JiraGateway
from wikibot.config import Config
from wikibot.errors import ServiceError, WikibotError
from wikibot.status import ExitStatus

if TYPE_CHECKING:
    from wikibot.services import Services


@dataclass
class CheckReport:
    """What check-config found; ``problems`` is empty when everything answered."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    service_failed: bool = False
    """A service could not be reached or refused us (not only a configured name that does not exist)."""

    def service_problem(self, problem: str) -> None:
        self.problems.append(problem)
        self.service_failed = True

    @property
    def exit_code(self) -> ExitStatus:
        """SERVICE when a service failed us, USAGE when the configuration names things that do not work."""
        if not self.problems:
            return ExitStatus.OK
        return ExitStatus.SERVICE if self.service_failed else ExitStatus.USAGE


def check_config(config: Config, services: Services) -> CheckReport:
    """Connect to Confluence and Jira and describe what the configuration points at. Secrets never appear."""
    report = CheckReport()
    report.lines.append(f"config: {config.source}")
    try:
        clients = services.clients  # decides each product's deployment (one probe at most)
    except WikibotError as exc:
        if isinstance(exc, ServiceError):
            report.service_problem(_failure("Atlassian", config.confluence_endpoint()[0], exc, config))
        else:
            report.problems.append(str(exc))
    else:
        _check_confluence(config, clients.confluence_endpoint, services.confluence, report)
        _check_jira(config, clients.jira_endpoint, services.jira, report)
    _check_templates(config, report)
    report.lines.append(f"database: {redact_url(config.database.url)}")
    report.lines.append(f"webhook secret: {'set' if config.webhook.secret else 'not set (webhooks will be refused)'}")
    _check_webhook_secrets(config, report)
    _check_slack(config, report)
    return report


MIN_SECRET_LENGTH = 16
"""A webhook secret is a shared password sent with every call: shorter than this it can be guessed."""


def _check_webhook_secrets(config: Config, report: CheckReport) -> None:
    for key, secret in (("webhook.secret", config.webhook.secret),
                        ("webhook.previous_secret", config.webhook.previous_secret)):
        length = len(secret.get_secret_value()) if secret is not None else 0
        if 0 < length < MIN_SECRET_LENGTH:
            characters = f"{length} character{'s' if length > 1 else ''}"
            report.problems.append(
                f"{key}: only {characters}, which a caller could guess: use at least {MIN_SECRET_LENGTH} random ones "
                "(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")


def _check_slack(config: Config, report: CheckReport) -> None:
    """The Slack app, when there is one: the token works (auth.test) and requests can be verified."""
    endpoint = config.slack_endpoint()
    if endpoint is None:
        report.lines.append("slack: not configured (slack.bot_token)")
        return
    from wikibot.slack.client import SlackApi

    api_url, token, secret = endpoint
    embedded = config.slack.bot_token is None or not config.slack.bot_token.get_secret_value()
    report.lines.append(f"slack: {api_url}, bot token ****" + (" (embedded sandbox)" if embedded else ""))
    try:
        api = SlackApi(api_url, token, timeout=config.http.timeout, retries=0)
        report.lines.append(f"  workspace: {api.workspace_url()} as {api.bot_user_id()}")
    except ServiceError as exc:
        report.service_problem(f"slack.bot_token: {exc}")
    except WikibotError as exc:
        report.problems.append(f"slack.bot_token: {exc}")
    if not secret:
        report.problems.append("slack.signing_secret: not set, so every Slack request would be refused (401)")


def _failure(service: str, url: str, exc: ServiceError, config: Config) -> str:
    if config.uses_sandbox and isinstance(exc.__cause__, requests.ConnectionError):
        # Its own file, as serve's: a sandbox kept in memory forgets the pages the database remembers.
        return (f"{service}: the sandbox is not running at {url} (start `wikibot serve`, or "
                f"`wikibot sandbox --examples --port {config.sandbox.port} --db {config.sandbox_db()}`)")
    return str(exc)


def _who(url: str, user: str, sandbox: bool) -> str:
    who = f"{url} as {user}, token ****" if user else f"{url}, token **** (no username)"
    return who + (" (embedded sandbox)" if sandbox else "")


def _mode(endpoint: Endpoint) -> str:
    """``mode: cloud, REST v2 ..., base URL ...`` — what wikibot decided to talk and where."""
    via = f", scoped token through the gateway (cloudId {endpoint.cloud_id})" if endpoint.via_gateway else ""
    auth = "basic (username + token)" if endpoint.auth == "basic" else "bearer (personal access token)"
    return f"  mode: {endpoint.deployment}{via}; API: {endpoint.api}; base URL: {endpoint.base_url}; auth: {auth}"


BASIC_DISABLED = "Basic Authentication has been disabled"


def _auth_problem(endpoint: Endpoint, exc: ServiceError) -> str | None:
    """One line saying what to change when a Data Center server refused how we authenticated."""
    if endpoint.deployment != "datacenter" or exc.status != 401:
        return None
    product, url = endpoint.product, endpoint.site_url
    if BASIC_DISABLED.lower() in str(exc).lower() or (exc.__cause__ is not None
                                                     and BASIC_DISABLED.lower() in error_detail(exc.__cause__).lower()):
        return (f"{product}.auth: {url} has basic authentication disabled: use a personal access token with "
                f"{product}.auth: bearer (or leave {product}.username empty)")
    if endpoint.auth == "basic":
        return (f"{product}.auth: {url} refused basic auth (401); if {product}.token is a personal access token, "
                f"set {product}.auth: bearer (or leave {product}.username empty)")
    return (f"{product}.token: {url} refused the personal access token (401): check that it is valid and has "
            "not expired")


def _anonymous_problem(endpoint: Endpoint, confluence: ConfluenceGateway) -> str | None:
    """Data Center with anonymous access on answers an invalid PAT as an anonymous user, not 401."""
    if endpoint.deployment != "datacenter":
        return None
    try:
        who = confluence.current_user()
    except ServiceError:
        return None  # reported by the space check
    if who.get("type") == "anonymous":
        return (f"confluence.token: {endpoint.site_url} answered as an anonymous user: the token was not accepted "
                "(invalid or expired personal access token, or a PAT sent as a password)")
    return None


def _check_confluence(config: Config, endpoint: Endpoint, confluence: ConfluenceGateway, report: CheckReport) -> None:
    url, user, _ = config.confluence_endpoint()
    report.lines.append(f"confluence: {_who(url, user, config.uses_sandbox)}")
    report.lines.append(_mode(endpoint))
    key = config.confluence.space
    anonymous = _anonymous_problem(endpoint, confluence)
    if anonymous:
        report.problems.append(anonymous)
        return
    try:
        space = confluence.space_info()
    except ServiceError as exc:  # any failure is reported, not raised: check-config lists them all
        if exc.status == 404:  # the service answered: the configuration names a space it does not have
            report.problems.append(f"confluence.space: {exc}")
        else:
            report.service_problem(_auth_problem(endpoint, exc)
                                   or f"confluence.space: {_failure('Confluence', url, exc, config)}")
        return
    report.lines.append(f"  space: {space.key} ({space.name})")
    parent = config.confluence.parent_page
    try:
        page = confluence.page(parent) if parent.isdigit() else next(iter(confluence.pages_titled(parent)), None)
    except ServiceError as exc:
        if exc.status == 404:
            report.problems.append(f"confluence.parent_page: no page with id {parent}")
        else:
            report.service_problem(f"confluence.parent_page: {_failure('Confluence', url, exc, config)}")
        return
    if not page:
        report.problems.append(f"confluence.parent_page: no page titled {parent!r} in space {key}")
        return
    report.lines.append(f"  parent page: {page.title} (id {page.id})")


def _check_jira(config: Config, endpoint: Endpoint, jira: JiraGateway, report: CheckReport) -> None:
    url, user, _ = config.jira_endpoint()
    report.lines.append(f"jira: {_who(url, user, config.jira.url is None)}")
    report.lines.append(_mode(endpoint))
    key = config.jira.project
    try:
        project = jira.project(key)
    except ServiceError as exc:
        if exc.status == 404:  # a project that does not exist (or we may not see), or a URL that is not Jira's
            report.problems.append(f"jira.project: {exc}")
        else:
            report.service_problem(_auth_problem(endpoint, exc)
                                   or f"jira.project: {_failure('Jira', url, exc, config)}")
        return
    report.lines.append(f"  project: {project.get('key')} ({project.get('name')})")
    names = [str(t.get("name", "?")) for t in project.get("issueTypes", [])]
    report.lines.append(f"  issue types: {', '.join(names) or 'none'}")
    wanted = config.jira.issue_type
    if names and wanted.casefold() not in {name.casefold() for name in names}:
        report.problems.append(f"jira.issue_type: {wanted!r} is not an issue type of {key} (it has: "
                               f"{', '.join(names)})")
        return
    type_id = next((str(t.get("id")) for t in project.get("issueTypes", [])
                    if str(t.get("name", "")).casefold() == wanted.casefold()), None)
    if type_id is not None:
        _check_priorities(config, jira, f"{key}'s {wanted} issues", (key, type_id), report)


def _check_priorities(config: Config, jira: JiraGateway, what: str, where: tuple[str, str],
                      report: CheckReport) -> None:
    """Every priority ``jira.priority_map`` maps to is one the project's create screen offers (its
    priority scheme decides): Jira refuses an issue with another one ("The priority selected is
    invalid.", or the field "cannot be set" when the screen has none), so sync files each such action
    item without its priority, every one with a warning."""
    try:
        fields = jira.create_fields(*where)
    except ServiceError as exc:  # advisory: a site that does not list them must not fail the check
        report.lines.append(f"  priorities: not listed ({exc})")
        return
    mapped = config.jira.priority_map
    if "priority" not in fields:
        report.lines.append("  priorities: none (no Priority field on the create screen)")
        if mapped:
            report.problems.append(f"jira.priority_map: {what} have no Priority field on their create screen, so "
                                   "Jira refuses every priority (sync files the action items without one, the page's "
                                   "priority in the description): add the field to the screen, or set "
                                   "jira.priority_map: {} to send none")
        return
    known = fields["priority"] or []
    report.lines.append(f"  priorities: {', '.join(known) or 'any'}")
    if not known:
        return
    names = {name.casefold() for name in known}
    for target in sorted({t for t in mapped.values() if t.casefold() not in names}):
        written = sorted(k for k, v in mapped.items() if v == target)
        report.problems.append(f"jira.priority_map: {', '.join(map(repr, written))} → {target!r}, which is not a "
                               f"priority {what} can have (they can have: {', '.join(known)})")


def redact_url(url: str) -> str:
    """A database URL with its password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # what make_url raises for a string that is not a URL
        return "(unparseable URL)"


def _check_templates(config: Config, report: CheckReport) -> None:
    """Every configured template loads and renders well-formed, as ``new`` and ``serve`` require, and every
    required section is one a page can be asked for."""
    from wikibot.audit.facts import profile_template, title_key
    from wikibot.errors import ConfigError
    from wikibot.pages.names import BUILTIN, clean_title, section_names
    from wikibot.templates import load_template

    pm = config.postmortem
    sections: list[str] = []
    for key, path in [("postmortem.template", pm.template),
                      *((f"postmortem.templates.{name}", file) for name, file in pm.templates.items())]:
        try:
            template = load_template(path)
        except ConfigError as exc:
            report.problems.append(f"{key}: {exc}")
        else:
            report.lines.append(f"template: {template.name} {template.version} ({key})")
            sections += profile_template(template, pm.section_aliases).sections
    if not sections:  # no template loaded: reported above
        return
    # The audit asks a page for its template's sections (an older page without one: its own, by name).
    known = {title_key(name) for name in sections}
    headings = section_names(pm.section_aliases)
    for name in pm.required_sections or ():
        if title_key(name) not in known and not headings.known(clean_title(name)):
            report.problems.append(f"postmortem.required_sections: {name!r} is a section of no configured template "
                                   f"(they have: {', '.join(dict.fromkeys(sections))}) nor one wikibot knows, so "
                                   "no page is asked for it")
    for heading, name in pm.section_aliases.items():
        # Exactly a known name: an alias to anything else gives its heading no role (no action items...).
        if title_key(name) not in known and BUILTIN.exactly(clean_title(name)) is None:
            report.problems.append(f"postmortem.section_aliases: {heading!r} names {name!r}, a section of no "
                                   "configured template nor one wikibot knows")
