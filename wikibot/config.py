"""Load and validate ``config.yaml`` into typed settings.

Resolution order for the file: ``--config PATH``, else ``$WIKIBOT_CONFIG``, else ``./config.yaml``.
With no file at all, wikibot runs against its embedded sandbox with built-in defaults, so a
fresh checkout works with nothing configured. ``${VAR}`` and ``${VAR:-default}`` in string
values are expanded from the environment, so secrets stay out of the file.
"""

from __future__ import annotations

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


class ConfluenceConfig(_Strict):
    url: str | None = Field(None, description="Wiki base URL, e.g. https://acme.atlassian.net/wiki; empty: the sandbox")
    username: str | None = None
    token: SecretStr | None = None
    space: str = Field(description="Space key holding the post-mortems")
    parent_page: str = Field(description="Title or id of the page under which post-mortems live")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value)

    @model_validator(mode="after")
    def _credentials(self) -> ConfluenceConfig:
        _require_credentials(self.url, self.username, self.token)
        return self


class JiraConfig(_Strict):
    url: str | None = Field(None, description="Jira site URL, e.g. https://acme.atlassian.net; empty: the sandbox")
    username: str | None = None
    token: SecretStr | None = None
    project: str = Field(description="Project key that receives post-mortem action items")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value)

    @model_validator(mode="after")
    def _credentials(self) -> JiraConfig:
        _require_credentials(self.url, self.username, self.token)
        return self


class WebhookConfig(_Strict):
    secret: SecretStr | None = None


class DatabaseConfig(_Strict):
    url: str = "sqlite:///var/wikibot.db"


class ServerConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)


class SandboxConfig(_Strict):
    """Where the embedded sandbox listens when no real Confluence/Jira is configured."""

    host: str = "127.0.0.1"
    port: int = Field(8990, ge=1, le=65535)
    db: str | None = None
    examples: bool = True


class PostmortemConfig(_Strict):
    label: str = "postmortem"
    debrief_within_days: int = Field(7, ge=1, le=90)


class HttpConfig(_Strict):
    timeout: float = Field(30, gt=0, le=600)


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

    def confluence_endpoint(self) -> tuple[str, str, str]:
        """``(url, username, token)`` for Confluence: the configured site, or the sandbox."""
        c = self.confluence
        if c.url is None:
            return self.sandbox_url + "/wiki", SANDBOX_USER, SANDBOX_TOKEN
        return c.url, c.username or "", c.token.get_secret_value() if c.token else ""

    def jira_endpoint(self) -> tuple[str, str, str]:
        """``(url, username, token)`` for Jira: the configured site, or the sandbox."""
        j = self.jira
        if j.url is None:
            return self.sandbox_url, SANDBOX_USER, SANDBOX_TOKEN
        return j.url, j.username or "", j.token.get_secret_value() if j.token else ""

    def secrets(self) -> list[str]:
        """Every configured secret value, for redaction."""
        values = [self.confluence.token, self.jira.token, self.webhook.secret]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]


# With no config file at all: the embedded sandbox and its seeded space and project.
BUILTIN_DEFAULTS: dict[str, Any] = {
    "confluence": {"space": "INC", "parent_page": "Post-mortems"},
    "jira": {"project": "OPS"},
}


def _http_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError("must be an http(s) URL")
    return value


def _require_credentials(url: str | None, username: str | None, token: SecretStr | None) -> None:
    if url is None:
        return
    if not username:
        raise ValueError("username: required when url is set")
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
        raise ConfigError(_first_error(exc, source)) from None


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


def _first_error(exc: ValidationError, source: str) -> str:
    """One line naming the key and the problem, e.g. ``config.yaml: jira.project: field required``."""
    error = exc.errors()[0]
    loc = ".".join(str(part) for part in error["loc"])
    message = error["msg"]
    if error["type"] == "value_error":
        message = message.removeprefix("Value error, ")
        # Credential checks name the sibling key themselves ("token: required when url is set").
        if ":" in message.split(" ")[0]:
            key, _, message = message.partition(": ")
            loc = f"{loc}.{key}" if loc else key
    elif error["type"] == "extra_forbidden":
        message = "unknown key"
    message = message[:1].lower() + message[1:]
    return f"{source}: {loc}: {message}" if loc else f"{source}: {message}"
