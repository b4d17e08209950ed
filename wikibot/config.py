"""Load and validate ``config.yaml`` into typed settings.

Resolution order for the file: ``--config PATH``, else ``$WIKIBOT_CONFIG``, else ``./config.yaml``.
With no file at all, wikibot runs against its embedded sandbox with built-in defaults, so a
fresh checkout works with nothing configured. ``${VAR}`` and ``${VAR:-default}`` in string
values are expanded from the environment, so secrets stay out of the file.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from wikibot.errors import ConfigError

ENV_VAR = "WIKIBOT_CONFIG"
DEFAULT_PATH = "config.yaml"

SANDBOX_USER = "wikibot@example.com"
SANDBOX_TOKEN = "sandbox-token"

_ENV_REF = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Strict(BaseModel):
    """Unknown keys are errors at every level, so a typo is reported as a typo."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Deployment = Literal["auto", "cloud", "datacenter"]
TokenType = Literal["classic", "scoped"]
Auth = Literal["auto", "basic", "bearer"]
AUTH_HELP = ("auto: basic (username + token) when a username is set, else bearer (a Data Center personal access "
             "token); basic; bearer")


class ConfluenceConfig(_Strict):
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


class JiraConfig(_Strict):
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


class WebhookConfig(_Strict):
    secret: SecretStr | None = None
    previous_secret: SecretStr | None = Field(None, description="Still accepted while senders move to the new secret")
    rate_limit_per_minute: int = Field(60, ge=1, description="Per source address, per replica")
    failed_auth_per_minute: int = Field(10, ge=1, description="Calls with a wrong secret, per source address, "
                                        "per replica; counted apart from rate_limit_per_minute")

    def secrets(self) -> list[str]:
        return [s.get_secret_value() for s in (self.secret, self.previous_secret) if s and s.get_secret_value()]


class DatabaseConfig(_Strict):
    url: str = "sqlite:///var/wikibot.db"


class AuthConfig(_Strict):
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


class ServerConfig(_Strict):
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


class SandboxConfig(_Strict):
    """Where the embedded sandbox listens when no real Confluence/Jira is configured."""

    host: str = "127.0.0.1"
    port: int = Field(8990, ge=1, le=65535)
    db: str | None = Field(None, description="SQLite file of its pages and issues; empty: beside wikibot's database")
    examples: bool = True
    profile: Literal["cloud", "datacenter"] = Field(
        "cloud", description="Deployment the sandbox emulates: cloud, or datacenter (/confluence and /jira)")


class PostmortemConfig(_Strict):
    label: str = Field("postmortem", pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    debrief_within_days: int = Field(7, ge=1, le=90)
    template: str = Field("postmortem.xml", description="Template file (relative: page_templates/)")
    required_sections: list[str] | None = Field(
        None, description="Default: every template section but Data & Analysis and Things we should do if we have time")

    @field_validator("required_sections")
    @classmethod
    def _empty_means_default(cls, value: list[str] | None) -> list[str] | None:
        return value or None
    templates: dict[str, str] = Field(default_factory=dict, description="Severity or type → template file")
    section_aliases: dict[str, str] = Field(
        default_factory=dict, description="Heading → section name, added to the page model's synonym table")

    @field_validator("section_aliases")
    @classmethod
    def _aliases_name_sections(cls, value: dict[str, str]) -> dict[str, str]:
        blank = [heading for heading, section in value.items() if not heading.strip() or not section.strip()]
        if blank:
            raise ValueError(f"heading and section name must both be non-empty (got {blank[0]!r})")
        return value


def _cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"not a cron expression (minute hour day month weekday): {exc}") from None
    return value


class SyncConfig(_Strict):
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


class AuditConfig(_Strict):
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


class NotifyConfig(_Strict):
    slack_webhook_url: str | None = None
    share_webhook_url: str | None = None

    @field_validator("slack_webhook_url", "share_webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value)


SLACK_API_URL = "https://slack.com/api/"
SANDBOX_SLACK_TOKEN = "xoxb-sandbox-token"
SANDBOX_SLACK_SIGNING_SECRET = "sandbox-signing-secret"


class SlackConfig(_Strict):
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


class RemindConfig(_Strict):
    schedule: str = Field("*/30 * * * *", description="Cron expression for `wikibot remind` (UTC)")
    working_hours: str = Field("09:30-17:00", description="Local to each person (their Slack time zone)")
    escalate_after: int = Field(3, ge=1, description="Ignored reminders before the lead hears about it")
    snooze_days: int = Field(7, ge=1, le=60)

    _schedule = field_validator("schedule")(classmethod(lambda cls, v: _cron(v)))
    _hours = field_validator("working_hours")(classmethod(lambda cls, v: _working_hours(v)))


class HttpConfig(_Strict):
    timeout: float = Field(30, gt=0, le=600)
    circuit_failures: int = Field(5, ge=1, description="Consecutive failures that suspend calls to a service")
    circuit_cooldown: float = Field(30, gt=0, le=3600, description="Seconds before a suspended service is tried again")


class LoggingConfig(_Strict):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["text", "json"] = "text"


class Config(_Strict):
    confluence: ConfluenceConfig
    jira: JiraConfig
    webhook: WebhookConfig = WebhookConfig()
    database: DatabaseConfig = DatabaseConfig()
    server: ServerConfig = ServerConfig()
    sandbox: SandboxConfig = SandboxConfig()
    postmortem: PostmortemConfig = PostmortemConfig()
    sync: SyncConfig = SyncConfig()
    audit: AuditConfig = AuditConfig()
    notify: NotifyConfig = NotifyConfig()
    slack: SlackConfig = SlackConfig()
    remind: RemindConfig = RemindConfig()
    http: HttpConfig = HttpConfig()
    logging: LoggingConfig = LoggingConfig()
    source: str = Field("(built-in defaults)", exclude=True, description="Where this config came from")

    @property
    def uses_sandbox(self) -> bool:
        """True when Confluence has no URL: wikibot then talks to its embedded sandbox."""
        return self.confluence.url is None

    @property
    def sandbox_url(self) -> str:
        host = f"[{self.sandbox.host}]" if ":" in self.sandbox.host else self.sandbox.host
        return f"http://{host}:{self.sandbox.port}"

    def sandbox_db(self) -> str:
        """Where the embedded sandbox keeps its pages and issues: ``sandbox.db``, else beside wikibot's database.

        Beside it, because the two describe one world: wikibot's database remembers page ids and
        issue keys the sandbox handed out, so a sandbox that forgot them (kept in memory, say)
        would hand the same ids to different pages after a restart. A database kept in memory
        keeps its sandbox in memory too; one on a server keeps it in ``var/``.
        """
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        if self.sandbox.db:
            return self.sandbox.db
        try:
            url = make_url(self.database.url)
        except ArgumentError:  # reported, in one line, when the database is opened
            return str(Path("var") / "sandbox.db")
        if url.get_backend_name() != "sqlite":
            return str(Path("var") / "sandbox.db")
        if not url.database or url.database == ":memory:":
            return ":memory:"
        return str(Path(url.database).parent / "sandbox.db")

    def confluence_endpoint(self) -> tuple[str, str, str]:
        """``(url, username, token)`` for Confluence: the configured site, or the sandbox."""
        c = self.confluence
        if c.url is None:
            context = "/confluence" if self.sandbox.profile == "datacenter" else "/wiki"
            return self.sandbox_url + context, SANDBOX_USER, SANDBOX_TOKEN
        return c.url, c.username or "", c.token.get_secret_value() if c.token else ""

    def jira_endpoint(self) -> tuple[str, str, str]:
        """``(url, username, token)`` for Jira: the configured site, or the sandbox."""
        j = self.jira
        if j.url is None:
            return self.sandbox_url + ("/jira" if self.sandbox.profile == "datacenter" else ""), SANDBOX_USER, \
                SANDBOX_TOKEN
        return j.url, j.username or "", j.token.get_secret_value() if j.token else ""

    def slack_endpoint(self) -> tuple[str, str, str] | None:
        """``(api_url, bot_token, signing_secret)`` of the Slack app, or None when there is none.

        With a bot token: the configured API (Slack's by default). Without one: the embedded
        sandbox's workspace when wikibot runs on the sandbox, else no Slack at all.
        """
        s = self.slack
        if s.bot_token is not None and s.bot_token.get_secret_value():
            secret = s.signing_secret.get_secret_value() if s.signing_secret else ""
            api = s.api_url or (self.sandbox_url + "/slack/api/" if self.uses_sandbox else SLACK_API_URL)
            return api, s.bot_token.get_secret_value(), secret
        if self.uses_sandbox:
            secret = s.signing_secret.get_secret_value() if s.signing_secret else SANDBOX_SLACK_SIGNING_SECRET
            return self.sandbox_url + "/slack/api/", SANDBOX_SLACK_TOKEN, secret
        return None

    def secrets(self) -> list[str]:
        """Every configured secret value, for redaction."""
        values = [self.confluence.token, self.jira.token, self.webhook.secret, self.webhook.previous_secret,
                  self.server.auth.password, self.slack.bot_token, self.slack.signing_secret]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]


# With no config file at all: the embedded sandbox and its seeded space and project.
BUILTIN_DEFAULTS: dict[str, Any] = {
    "confluence": {"space": "INC", "parent_page": "Post-mortems"},
    "jira": {"project": "OPS"},
    # The sandbox's example channels (service_sandbox/slack/examples.py).
    "slack": {"customer_channels": ["customer-support"], "company_channel": "incidents"},
}


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


def resolve_path(explicit: str | None, environ: Mapping[str, str] = os.environ) -> tuple[Path, bool]:
    """The config file to read and whether the user asked for it (then it must exist)."""
    if explicit:
        return Path(explicit), True
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR]), True
    return Path(DEFAULT_PATH), False


def load_config(explicit: str | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    """Read, expand and validate the configuration; raise ``ConfigError`` with one line on any problem."""
    path, required = resolve_path(explicit, environ)
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: config file not found")
        return parse_config(BUILTIN_DEFAULTS, source="(built-in defaults: embedded sandbox)", environ=environ)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config_text(text, source=str(path), environ=environ)


def parse_config_text(text: str, source: str = DEFAULT_PATH, environ: Mapping[str, str] = os.environ) -> Config:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{source}: {where}invalid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    return parse_config(data, source=source, environ=environ)


def parse_config(data: Mapping[str, Any], source: str, environ: Mapping[str, str] = os.environ) -> Config:
    expanded = _expand(dict(data), (), source, environ)
    try:
        return Config.model_validate({**expanded, "source": source})
    except ValidationError as exc:
        raise ConfigError("\n".join(_problems(exc, source))) from None


def _expand(value: Any, path: tuple[str, ...], source: str, environ: Mapping[str, str]) -> Any:
    """Expand ``${VAR}``/``${VAR:-default}`` in every string; ``$$`` is a literal ``$``."""
    if isinstance(value, dict):
        return {k: _expand(v, (*path, str(k)), source, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, (*path, str(i)), source, environ) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if environ.get(name):
            return environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{source}: {'.'.join(path)}: environment variable {name} is not set")

    return _ENV_REF.sub(substitute, value)


def _problems(exc: ValidationError, source: str) -> list[str]:
    """Every problem of the file, one line each.

    For example ``config.yaml: jira.projectt: unknown key (did you mean project?)``.

    A misspelt key also makes the key it meant "required"; that second line says nothing the
    first does not, so it is left out.
    """
    errors = exc.errors()
    typos: set[tuple[str, ...]] = set()
    lines: list[str] = []
    for error in errors:
        if error["type"] != "extra_forbidden":
            continue
        loc = tuple(str(part) for part in error["loc"])
        known = _keys_at(loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        if close:
            typos.add((*loc[:-1], close[0]))
        lines.append(f"{source}: {'.'.join(loc)}: unknown key{hint}")
    for error in errors:
        if error["type"] == "extra_forbidden":
            continue
        loc = tuple(str(part) for part in error["loc"])
        if error["type"] == "missing" and loc in typos:
            continue
        lines.append(_line(error, loc, source))
    return lines


def _line(error: Any, loc: tuple[str, ...], source: str) -> str:
    where = ".".join(loc)
    message = error["msg"]
    if error["type"] == "value_error":
        message = message.removeprefix("Value error, ")
        # Credential checks name the sibling key themselves ("token: required when url is set").
        if ":" in message.split(" ")[0]:
            key, _, message = message.partition(": ")
            where = f"{where}.{key}" if where else key
    message = message[:1].lower() + message[1:]
    return f"{source}: {where}: {message}" if where else f"{source}: {message}"


def _keys_at(loc: tuple[str, ...]) -> list[str]:
    """The keys the settings section at ``loc`` accepts (empty where it is not a section)."""
    model: type[BaseModel] = Config
    for part in loc:
        field = model.model_fields.get(part)
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return [name for name in model.model_fields if name != "source"]
