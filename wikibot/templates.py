"""Post-mortem page templates: storage format rendered with jinja2, validated before use.

Every value is autoescaped whatever the file's suffix (``select_autoescape`` would skip
``*.j2``), undefined variables fail loudly, and text placed inside CDATA goes through the
``cdata`` filter, which splits ``]]>`` instead of entity-escaping (Confluence shows entities
inside CDATA literally). Every printed value also loses the characters XML 1.0 forbids
(``xmlchars.finalize``), so no input can make a page that is not well-formed. A template is
rendered once at startup with sample values and refused if the result is not well-formed
storage format.
"""

from __future__ import annotations

import html.entities
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from lxml import etree
from markupsafe import Markup

from wikibot import xmlchars
from wikibot.errors import ConfigError

BUILTIN_DIR = (Path(__file__).resolve().parent / "page_templates").resolve()
"""The top-level ``page_templates/`` of a checkout (``wikibot/page_templates`` links to it), and its copy
inside the package when wikibot is installed from a wheel (``pip install .``, not ``-e``)."""
DEFAULT_TEMPLATE = "postmortem.xml"

_HEADER = re.compile(r"\{#-?\s*wikibot-template\s+name:\s*([\w.-]+);\s*version:\s*([\w.-]+)")
_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
WRAP_OPEN = '<root xmlns:ac="http://atlassian.com/content" xmlns:ri="http://atlassian.com/resource/identifier">'


def cdata(value: object) -> Markup:
    """Make text safe inside ``<![CDATA[...]]>``: split every ``]]>``, escape nothing else."""
    return Markup(str(value).replace("]]>", "]]]]><![CDATA[>"))


@dataclass(frozen=True)
class Template:
    """A loaded page template: its identity (recorded on every page it makes) and its jinja form."""

    name: str
    version: str
    path: Path
    _jinja: jinja2.Template

    @property
    def ref(self) -> str:
        """``name@version``: what a page records so the audit judges it against its own template."""
        return f"{self.name}@{self.version}"

    def render(self, **context: Any) -> str:
        try:
            return self._jinja.render(**context).strip()
        except jinja2.UndefinedError as exc:
            raise ConfigError(f"{self.path}: template uses an undefined value: {exc.message}") from None


def load_template(path: str | Path) -> Template:
    """Load and validate one template file; a broken template is a ``ConfigError`` naming the file."""
    path = Path(path)
    if not path.is_absolute() and not path.exists():
        path = BUILTIN_DIR / path
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read template: {exc}") from None
    header = _HEADER.search(source)
    name, version = (header.group(1), header.group(2)) if header else (path.stem, "0")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                             finalize=xmlchars.finalize)
    env.filters["cdata"] = cdata
    try:
        jinja = env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{path}: line {exc.lineno}: template syntax error: {exc.message}") from None
    template = Template(name=name, version=version, path=path, _jinja=jinja)
    check_well_formed(template.render(**sample_context()), str(path))
    return template


def sample_context() -> dict[str, Any]:
    """Values that exercise every branch of a template, used to validate it at startup."""
    incident = {"id": "INC-0", "title": "Sample <incident> & ]]> test", "severity": "SEV-2",
                "date": date(2026, 1, 1), "started": "2026-01-01 14:05 Europe/Paris (UTC+01:00)",
                "summary": "Sample summary ]]> with <markup>",
                "channel_url": "https://chat.example.com/c/incident"}
    return {"incident": incident, "lead": {"account_id": "557058:aa11", "name": "Ana",
                                                   "mention_attribute": "ri:account-id"},
            "debrief_due": date(2026, 1, 8), "recording_url": "https://video.example.com/r/1",
            "template": {"name": "sample", "version": "0"},
            # the index page's values (page_templates/index.xml)
            "form_url": "https://wikibot.example.com/postmortems/new?a=1&b=<2>",
            "jql": 'project = "OPS" AND labels = "post-mortem"', "parent_title": "Post-mortems & <co>",
            "debrief_within_days": 7}


def check_well_formed(body: str, source: str) -> None:
    """Refuse storage format that Confluence would reject: it must be well-formed XML once wrapped."""
    text = _NAMED_ENTITY.sub(_numeric_entity, body)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        etree.fromstring(f"{WRAP_OPEN}{text}</root>".encode(), parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"{source}: renders malformed storage format: {exc.msg}") from None


def _numeric_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _XML_ENTITIES:
        return match.group(0)
    code = html.entities.name2codepoint.get(name)
    return f"&#{code};" if code is not None else match.group(0)


class TemplateSet:
    """The default template plus per-severity / per-type choices from ``postmortem.templates``."""

    def __init__(self, default: Template, by_key: dict[str, Template] | None = None) -> None:
        self.default = default
        self.by_key = {k.lower(): v for k, v in (by_key or {}).items()}

    def choose(self, *keys: str | None) -> Template:
        """The first template configured for one of ``keys`` (e.g. severity, incident type), else the default."""
        for key in keys:
            if key and key.lower() in self.by_key:
                return self.by_key[key.lower()]
        return self.default

    def all(self) -> list[Template]:
        return [self.default, *self.by_key.values()]
