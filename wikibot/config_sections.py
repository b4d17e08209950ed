"""The sections of ``config.yaml``: one strict pydantic model per top-level key, and their validators.

Every field has its default here and its documentation in ``config.yaml`` (a test checks that each key
is documented there). The root model, :class:`wikibot.config.Config`, joins them, and
:mod:`wikibot.config` reads the file: import ``Config``, ``load_config`` and ``parse_config`` from
there, a section's model or default from here.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

SANDBOX_USER = "wikibot@example.com"
SANDBOX_TOKEN = "sandbox-token"


class Strict(BaseModel):
    """Unknown keys are errors at every level, so a typo is reported as a typo."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Deployment = Literal["auto", "cloud", "datacenter"]
TokenType = Literal["classic", "scoped"]
Auth = Literal["auto", "basic", "bearer"]
AUTH_HELP = ("auto: basic (username + token) when a username is set, else bearer (a Data Center personal access "
             "token); basic; bearer")


class ConfluenceConfig(Strict):
    url: str | None = Field(None, description="Wiki base URL, e.g. https://acme.atlassian.net/wiki; empty: the sandbox")
    username: str | None = None
    token: SecretStr | None = None
    deployment: Deployment = Field("auto", description="auto: cloud for Atlassian hosts or a site answering "
                                                       "/_edge/tenant_info, else datacenter")
    token_type: TokenType = Field("classic", description="scoped: the token is a scoped API token, sent through "
                                                         "https://api.atlassian.com/ex/confluence/{cloud_id}")
    cloud_id: str | None = Field(None, description="The site's cloudId (scoped tokens); empty: read from "
                                                   "https://<site>/_edge/tenant_info")
    auth: Auth = Field("auto", description=AUTH_HELP)
    space: str = Field(description="Space key holding the post-mortems")
    parent_page: str = Field(description="Title or id of the page under which post-mortems live")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value)

    @model_validator(mode="after")
    def _credentials(self) -> ConfluenceConfig:
        _require_credentials(self.url, self.username, self.token, self.auth)
        return self


DEFAULT_PRIORITY_MAP = {
    "highest": "Highest", "critical": "Highest", "p0": "Highest", "p1": "High", "high": "High",
    "medium": "Medium", "normal": "Medium", "p2": "Medium", "low": "Low", "p3": "Low", "lowest": "Lowest",
    "p4": "Lowest",
}


class JiraConfig(Strict):
    url: str | None = Field(None, description="Jira site URL, e.g. https://acme.atlassian.net; empty: the sandbox")
    username: str | None = None
    token: SecretStr | None = None
    deployment: Deployment = Field("auto", description="As confluence.deployment")
    token_type: TokenType = Field("classic", description="scoped: through https://api.atlassian.com/ex/jira/{cloud_id}")
    cloud_id: str | None = Field(None, description="As confluence.cloud_id")
    auth: Auth = Field("auto", description="As confluence.auth")
    project: str = Field(description="Project key that receives post-mortem action items")
    issue_type: str = "Task"
    labels: list[str] = Field(default_factory=list, description="Extra labels on every filed issue")
    priority_map: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_PRIORITY_MAP),
                                         description="Priority written on the page (lower-cased) → Jira priority")

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        for label in value:
            if not label or any(ch.isspace() for ch in label):
                raise ValueError(f"label {label!r} must be non-empty without spaces")
        return value

    @field_validator("priority_map")
    @classmethod
    def _lower_keys(cls, value: dict[str, str]) -> dict[str, str]:
        return {k.strip().lower(): v for k, v in value.items()}

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value)

    @model_validator(mode="after")
    def _credentials(self) -> JiraConfig:
        _require_credentials(self.url, self.username, self.token, self.auth)
        return self


class WebhookConfig(Strict):
    secret: SecretStr | None = None
    previous_secret: SecretStr | None = Field(None, description="Still accepted while senders move to the new secret")
    rate_limit_per_minute: int = Field(60, ge=1, description="Per source address, per replica")
    failed_auth_per_minute: int = Field(10, ge=1, description="Calls with a wrong secret, per source address, "
                                        "per replica; counted apart from rate_limit_per_minute")

    def secrets(self) -> list[str]:
        return [s.get_secret_value() for s in (self.secret, self.previous_secret) if s and s.get_secret_value()]


class DatabaseConfig(Strict):
    url: str = "sqlite:///var/wikibot.db"


class AuthConfig(Strict):
    """Who may open the dashboard and the form (webhooks have their own secret)."""

    mode: Literal["none", "basic", "header"] = "none"
    username: str | None = None
    password: SecretStr | None = None
    header: str = Field("X-Forwarded-User", description="header mode: set by a trusted reverse proxy")

    @model_validator(mode="after")
    def _basic_needs_credentials(self) -> AuthConfig:
        if self.mode == "basic" and not (self.username and self.password and self.password.get_secret_value()):
            raise ValueError("password: username and password are required when mode is basic")
        return self


class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    public_url: str | None = Field(None, description="URL people reach wikibot at (the wiki button links there)")
    trusted_hosts: list[str] = Field(default_factory=list, description="Accepted Host headers; empty: any")
    auth: AuthConfig = AuthConfig()
    connection_limit: int = Field(500, ge=10, le=10_000, description="Open connections waitress accepts at once")
    channel_timeout: int = Field(30, ge=1, description="Seconds an idle connection stays open")
    header_timeout: int = Field(10, ge=1, description="Seconds a client has to send a request's headers")
    request_timeout: int = Field(60, ge=1, description="Seconds a client has to send a whole request")

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value)

    def base_url(self) -> str:
        if self.public_url:
            return self.public_url
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"


class SandboxConfig(Strict):
    """Where the embedded sandbox listens when no real Confluence/Jira is configured."""

    host: str = "127.0.0.1"
    port: int = Field(8990, ge=1, le=65535)
    db: str | None = Field(None, description="SQLite file of its pages and issues; empty: beside wikibot's database")
    examples: bool = True
    profile: Literal["cloud", "datacenter"] = Field(
        "cloud", description="Deployment the sandbox emulates: cloud, or datacenter (/confluence and /jira)")


class PostmortemConfig(Strict):
    # Confluence refuses a label with a '.' (or : ; , ? & [ ] ( ) # ^ * @ ! ' ` or a space) and one over 255 characters.
    label: str = Field("postmortem", pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=255)
    debrief_within_days: int = Field(7, ge=1, le=90)
    template: str = Field("postmortem.xml", description="Template file (relative: page_templates/)")
    required_sections: list[str] | None = Field(
        None, description="Default: every template section but Data & Analysis and Things we should do if we have time")

    @field_validator("required_sections")
    @classmethod
    def _empty_means_default(cls, value: list[str] | None) -> list[str] | None:
        return value or None
    templates: dict[str, str] = Field(default_factory=dict, description="Severity → template file")

    @field_validator("templates")
    @classmethod
    def _by_severity(cls, value: dict[str, str]) -> dict[str, str]:
        """Keys as incidents' severities are written (``sev1`` → ``SEV-1``); a key that is none would never match."""
        from wikibot.incident import normalise_severity

        keyed: dict[str, str] = {}
        for key, path in value.items():
            try:
                severity = normalise_severity(key)
            except ValueError:
                severity = None
            if severity is None:
                raise ValueError(f"{key!r} is not a severity (use SEV-0 … SEV-5)")
            keyed[severity] = path
        return keyed
    section_aliases: dict[str, str] = Field(
        default_factory=dict, description="Heading → section name, added to the page model's synonym table")

    @field_validator("section_aliases")
    @classmethod
    def _aliases_name_sections(cls, value: dict[str, str]) -> dict[str, str]:
        blank = [heading for heading, section in value.items() if not heading.strip() or not section.strip()]
        if blank:
            raise ValueError(f"heading and section name must both be non-empty (got {blank[0]!r})")
        return value

    def required_names(self) -> tuple[str, ...] | None:
        """``required_sections`` as the section names the audit compares ("RCA" is Root Cause, an aliased
        heading the section it stands for); None: the default (every section of the page's template)."""
        if not self.required_sections:
            return None
        from wikibot.pages.names import clean_title, section_names

        names = section_names(self.section_aliases)
        return tuple(names.name_of(clean_title(title)) for title in self.required_sections)


def _cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"not a cron expression (minute hour day month weekday): {exc}") from None
    return value


class SyncConfig(Strict):
    schedule: str = Field("0 * * * *", description="Cron expression for the scheduled sync")
    page_statuses: list[str] = Field(default_factory=list, description="Only sync pages in these statuses; empty: all")
    update_issues: bool = Field(True, description="Page edits to summary/due/priority update the Jira issue")

    _schedule = field_validator("schedule")(classmethod(lambda cls, v: _cron(v)))


# Blame only when a person is the subject or the owner ("Bob forgot to", "his mistake"): "we forgot
# to" and "the replica failed to" are how a blameless post-mortem talks.
DEFAULT_BLAME_PHRASES = [
    "'s fault", "fault", "mistake", "should have", "careless", "forgot to", "forgot", "didn't", "did not",
    "failed to", "neglected to", "sloppy", "blame",
]
# Blame whoever the subject is.
DEFAULT_BLAME_ALWAYS = ["human error", "negligen", "incompetent", "stupid"]


class AuditConfig(Strict):
    schedule: str = Field("0 2 * * *", description="Cron expression for the nightly audit")
    timezone: str = "UTC"
    stale_after_days: int = Field(3, ge=1)
    max_action_items: int = Field(10, ge=1)
    blame_phrases: list[str] = Field(default_factory=lambda: list(DEFAULT_BLAME_PHRASES),
                                     description="Blame when a person (mention, name, he/she) is their subject")
    blame_always: list[str] = Field(default_factory=lambda: list(DEFAULT_BLAME_ALWAYS),
                                    description="Blame whatever the subject")

    @field_validator("blame_phrases")
    @classmethod
    def _default_phrases(cls, value: list[str]) -> list[str]:
        return [p for p in value if p.strip()] or list(DEFAULT_BLAME_PHRASES)

    @field_validator("blame_always")
    @classmethod
    def _default_always(cls, value: list[str]) -> list[str]:
        return [p for p in value if p.strip()] or list(DEFAULT_BLAME_ALWAYS)
    report_page: str = "Post-mortem audit"
    label_incomplete: bool = False
    comment_findings: bool = False

    _schedule = field_validator("schedule")(classmethod(lambda cls, v: _cron(v)))

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
        return value


class NotifyConfig(Strict):
    slack_webhook_url: str | None = None
    share_webhook_url: str | None = None

    @field_validator("slack_webhook_url", "share_webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value)


SLACK_API_URL = "https://slack.com/api/"
SANDBOX_SLACK_TOKEN = "xoxb-sandbox-token"
SANDBOX_SLACK_SIGNING_SECRET = "sandbox-signing-secret"


class SlackConfig(Strict):
    """The Slack app (bot token, signed requests). Without ``bot_token`` nothing Slack happens,
    except on the embedded sandbox, whose own workspace is used."""

    bot_token: SecretStr | None = Field(None, description="xoxb-... bot token; empty: no Slack app")
    signing_secret: SecretStr | None = Field(None, description="Verifies /hooks/slack/* requests")
    api_url: str | None = Field(None, description="Web API base; empty: Slack's (the sandbox sets its own)")
    incident_channel_pattern: str = Field(r"^(?P<id>inc-\d+)", description="Channel name → incident id")
    timeline_reactions: list[str] = Field(default_factory=lambda: ["pushpin"])
    customer_channels: list[str] = Field(default_factory=list)
    company_channel: str | None = None

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        url = _http_url(value)
        return url + "/" if url else None

    @field_validator("incident_channel_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        if "id" not in compiled.groupindex:
            raise ValueError("needs a named group (?P<id>...) for the incident id")
        return value

    @field_validator("timeline_reactions")
    @classmethod
    def _reactions(cls, value: list[str]) -> list[str]:
        return [name.strip().strip(":") for name in value if name.strip().strip(":")]

    @field_validator("company_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        return value.strip() or None if value else None


def _working_hours(value: str) -> str:
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)", value.strip())
    if not match or match.group(1, 2) >= match.group(3, 4):
        raise ValueError("use HH:MM-HH:MM with the start before the end, e.g. 09:30-17:00")
    return value.strip()


class RemindConfig(Strict):
    schedule: str = Field("*/30 * * * *", description="Cron expression for `wikibot remind` (UTC)")
    working_hours: str = Field("09:30-17:00", description="Local to each person (their Slack time zone)")
    escalate_after: int = Field(3, ge=1, description="Ignored reminders before the lead hears about it")
    snooze_days: int = Field(7, ge=1, le=60)

    _schedule = field_validator("schedule")(classmethod(lambda cls, v: _cron(v)))
    _hours = field_validator("working_hours")(classmethod(lambda cls, v: _working_hours(v)))


class HttpConfig(Strict):
    # At least 1: atlassian-python-api keeps int(timeout), and requests refuses a timeout of 0.
    timeout: float = Field(30, ge=1, le=600)
    circuit_failures: int = Field(5, ge=1, description="Consecutive failures that suspend calls to a service")
    circuit_cooldown: float = Field(30, gt=0, le=3600, description="Seconds before a suspended service is tried again")


class LoggingConfig(Strict):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["text", "json"] = "text"


def _http_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError("must be an http(s) URL")
    return value


def _require_credentials(url: str | None, username: str | None, token: SecretStr | None, auth: str) -> None:
    """Basic needs a username; a bearer token (a Data Center PAT) needs none (``auth: auto`` with no
    username means bearer)."""
    if url is None:
        return
    if not username and auth == "basic":
        raise ValueError("username: required when url is set and auth is basic")
    if token is None or not token.get_secret_value():
        raise ValueError("token: required when url is set")
