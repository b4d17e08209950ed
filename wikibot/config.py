"""Load and validate ``config.yaml`` into typed settings (:class:`Config`; its sections are in
:mod:`wikibot.config_sections`).

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
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from wikibot.config_sections import (
    SANDBOX_SLACK_SIGNING_SECRET,
    SANDBOX_SLACK_TOKEN,
    SANDBOX_TOKEN,
    SANDBOX_USER,
    SLACK_API_URL,
    AuditConfig,
    ConfluenceConfig,
    DatabaseConfig,
    HttpConfig,
    JiraConfig,
    LoggingConfig,
    NotifyConfig,
    PostmortemConfig,
    RemindConfig,
    SandboxConfig,
    ServerConfig,
    SlackConfig,
    Strict,
    SyncConfig,
    WebhookConfig,
)
from wikibot.errors import ConfigError

ENV_VAR = "WIKIBOT_CONFIG"
DEFAULT_PATH = "config.yaml"

_ENV_REF = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Config(Strict):
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

    @model_validator(mode="after")
    def _one_site(self) -> Config:
        """Both products on a real site, or both on the embedded sandbox: a half-configured pair would
        file a real wiki's actions into the emulator (or the sandbox's examples into a real Jira)."""
        if (self.confluence.url is None) != (self.jira.url is None):
            empty, given = ("jira", "confluence") if self.jira.url is None else ("confluence", "jira")
            raise ValueError(f"{empty}.url: required when {given}.url is set (leave both empty for the embedded "
                             "sandbox)")
        return self

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


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error: by default the
    last one silently wins, so a second ``jira:`` section pasted at the end would replace the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # ``<<:`` merges; keys after it may override
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the safe loader refuses it itself
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key} is given twice (the second would replace the first)", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_config_text(text: str, source: str = DEFAULT_PATH, environ: Mapping[str, str] = os.environ) -> Config:
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
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
    expanded = _expand(_empty_sections(data, Config), (), source, environ)
    try:
        return Config.model_validate({**expanded, "source": source})
    except ValidationError as exc:
        raise ConfigError("\n".join(_problems(exc, source))) from None


def _empty_sections(data: Mapping[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """A section written with nothing under it (``server:`` with every key commented out) is YAML's
    null; it means the section's defaults, as leaving the section out does."""
    result = dict(data)
    for key, value in data.items():
        field = model.model_fields.get(key) if isinstance(key, str) else None
        section = field.annotation if field is not None else None
        if isinstance(section, type) and issubclass(section, BaseModel):
            value = {} if value is None else value
            result[key] = _empty_sections(value, section) if isinstance(value, dict) else value
    return result


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
    if error["type"] == "model_type":  # pydantic names the section's class; people wrote a scalar or a list
        message = f"must be a section of keys (key: value lines below it), not {error['input']!r}"
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
