"""The I/O objects wikibot runs on, built in one place from the configuration.

Commands and the web app ask ``Services`` for what they need; tests build it against the
sandbox. Nothing here does work at import time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

# Each service imports its module when it is first asked for, so a CLI command pays at start only
# for the services it uses (tests/test_startup.py; timings in bench/startup.py).
if TYPE_CHECKING:
    from wikibot.atlassian.clients import Clients
    from wikibot.atlassian.confluence import ConfluenceGateway
    from wikibot.atlassian.jira import JiraGateway
    from wikibot.atlassian.transport import CircuitBreaker
    from wikibot.config import Config
    from wikibot.create import ParentPage, PostmortemCreator
    from wikibot.metrics import Metrics
    from wikibot.notify import Notifier
    from wikibot.ratelimit import RateLimiter
    from wikibot.slack.app import SlackApp
    from wikibot.store import Database
    from wikibot.templates import TemplateSet


class Services:
    def __init__(self, config: Config, clients: Clients | None = None, db: Database | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """``clock`` (monotonic seconds) times the circuit breakers' cooldowns; tests inject one."""
        self.config = config
        self._clients = clients
        self._db = db
        self._clock = clock

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        from wikibot.ratelimit import RateLimiter

        return RateLimiter()

    @cached_property
    def metrics(self) -> Metrics:
        from wikibot.metrics import Metrics

        return Metrics()

    @cached_property
    def breakers(self) -> dict[str, CircuitBreaker]:
        from wikibot.atlassian.transport import CircuitBreaker

        http = self.config.http
        return {name: CircuitBreaker(http.circuit_failures, http.circuit_cooldown, clock=self._clock)
                for name in ("confluence", "jira")}

    @cached_property
    def clients(self) -> Clients:
        from wikibot.atlassian.clients import build_clients
        from wikibot.atlassian.transport import guard

        clients = self._clients or build_clients(self.config)
        for name, client in (("confluence", clients.confluence), ("jira", clients.jira)):
            guard(client, name, self.breakers[name], self._on_call)
        return clients

    @cached_property
    def confluence(self) -> ConfluenceGateway:
        """Every Confluence call goes through this gateway (space from ``confluence.space``); Data
        Center's implementation (REST v1) when the endpoint is Data Center."""
        from atlassian import ConfluenceServer

        from wikibot.atlassian.confluence import ConfluenceGateway

        clients, space = self.clients, self.config.confluence.space
        client, site_url = clients.confluence, clients.confluence_endpoint.site_url
        if isinstance(client, ConfluenceServer):  # built for a Data Center endpoint
            from wikibot.atlassian.confluence_dc import DataCenterConfluenceGateway

            return DataCenterConfluenceGateway(client, space=space, site_url=site_url)
        return ConfluenceGateway(client, space=space, site_url=site_url)

    @cached_property
    def jira(self) -> JiraGateway:
        """Every Jira call goes through this gateway. On Data Center, people named on pages (userkeys)
        are turned into usernames through Confluence."""
        from wikibot.atlassian.jira import JiraGateway

        if self.clients.jira_endpoint.deployment == "datacenter":
            from wikibot.atlassian.confluence_dc import DataCenterConfluenceGateway
            from wikibot.atlassian.jira_dc import DataCenterJiraGateway

            wiki = self.confluence
            people = wiki.username if isinstance(wiki, DataCenterConfluenceGateway) else None
            return DataCenterJiraGateway(self.clients.jira, site_url=self.clients.jira_endpoint.site_url, people=people)
        return JiraGateway(self.clients.jira, site_url=self.clients.jira_endpoint.site_url)

    def _on_call(self, service: str, status: int | None) -> None:
        self.metrics.record_call(service, status)
        self.metrics.circuit_open.labels(service=service).set(1 if self.breakers[service].is_open else 0)

    @cached_property
    def db(self) -> Database:
        from wikibot.store import Database

        db = self._db or Database(self.config.database.url)
        db.create_schema()
        return db

    @cached_property
    def templates(self) -> TemplateSet:
        """Every configured template, loaded and validated: a broken one stops startup."""
        from wikibot.templates import TemplateSet, load_template

        pm = self.config.postmortem
        return TemplateSet(load_template(pm.template), {k: load_template(v) for k, v in pm.templates.items()})

    @cached_property
    def notifier(self) -> Notifier:
        from wikibot.notify import Notifier

        return Notifier(self.config.notify.slack_webhook_url)

    @cached_property
    def parent_page(self) -> ParentPage:
        """Where post-mortems live (``confluence.parent_page``), resolved to an id on first use."""
        from wikibot.create import ParentPage

        return ParentPage(self.confluence, self.config.confluence.space, self.config.confluence.parent_page)

    @cached_property
    def creator(self) -> PostmortemCreator:
        from wikibot.create import PostmortemCreator

        c = self.config
        # Local state first: a corrupt database or a broken template is refused before any request.
        db, templates = self.db, self.templates
        return PostmortemCreator(
            confluence=self.confluence, jira=self.jira, db=db, templates=templates,
            space=c.confluence.space, parent=self.parent_page, label=c.postmortem.label,
            debrief_within_days=c.postmortem.debrief_within_days, notifier=self.notifier,
            on_created=self.metrics.pages_created.inc, zone=ZoneInfo(c.audit.timezone),
        )

    @cached_property
    def slack(self) -> SlackApp | None:
        """The Slack app, or None without one (no ``slack.bot_token``, not on the sandbox)."""
        from wikibot.slack.wiring import build_slack_app

        return build_slack_app(self)

    def close(self) -> None:
        slack: SlackApp | None = self.__dict__.get("slack")
        if slack is not None:
            slack.close()
        self.notifier.flush(timeout=5)
        if "db" in self.__dict__:
            self.db.dispose()
