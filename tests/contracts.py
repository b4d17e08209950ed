"""Check requests and responses against Atlassian's published OpenAPI descriptions.

The descriptions live outside the repository (``../shared/specs/`` next to the checkout, or the
folder named by ``WIKIBOT_SPECS_DIR``); :func:`load` returns None when they are absent so tests can
skip cleanly. Schemas are OpenAPI 3.0, validated as JSON Schema draft 4 (which 3.0 extends) after
turning ``nullable: true`` into a ``null`` alternative. The specs document no error bodies (notes
§6-§7), so a response whose status has no JSON schema is only checked to be a documented status.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

SPECS_ENV = "WIKIBOT_SPECS_DIR"
CONFLUENCE_V2 = "confluence-cloud-v2.openapi.json"
JIRA_V3 = "jira-cloud-platform-v3.openapi.json"
_PARAM = re.compile(r"\{[^}]+\}")


def specs_dir() -> Path | None:
    for candidate in (os.environ.get(SPECS_ENV), Path(__file__).resolve().parents[2] / "shared" / "specs"):
        if candidate and (Path(candidate) / CONFLUENCE_V2).is_file():
            return Path(candidate)
    return None


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0 → JSON Schema: ``nullable: true`` admits null; ``oneOf`` is read as ``anyOf``.

    The v2 spec types ``parentId`` as a plain string while describing it as "or null if there is no
    parent page" (and the service sends null): a property whose own description says it may be null
    is treated as nullable too.
    """
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable(value) for key, value in node.items()}
    if "oneOf" in out:  # the specs' oneOf alternatives overlap (no required fields): read as anyOf
        out["anyOf"] = out.pop("oneOf")
    says_null = "or null" in str(out.get("description", "")) and "type" in out
    if out.pop("nullable", False) or says_null:
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass(frozen=True, eq=False)
class Contract:
    """One product's published API: ``prefix`` is the path the spec's paths are relative to."""

    spec: dict[str, Any]
    prefix: str

    def _template(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        """The spec path and operation for a concrete path or a ``{param}`` template."""
        relative = path.split("?")[0].removeprefix(self.prefix)
        if not self.prefix:  # the sandbox's Jira issue routes are v2; v3 has the same shapes
            relative = re.sub(r"^/rest/api/(2|latest)/", "/rest/api/3/", relative)
        shape = _PARAM.sub("{}", relative)
        for template, operations in self.spec["paths"].items():
            if _PARAM.sub("{}", template) == shape and method.lower() in operations:
                return template, operations[method.lower()]
            if _matches(template, relative) and method.lower() in operations:
                return template, operations[method.lower()]
        raise LookupError(f"{method} {path} is not in the published API")

    def _validate(self, schema: dict[str, Any], value: Any, where: str) -> list[str]:
        validator = _validator(id(self), json.dumps(schema, sort_keys=True), self)
        return [f"{where}: {error.message} at /{'/'.join(map(str, error.instance_path))}"
                for error in validator.iter_errors(value)]

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        template, operation = self._template(method, path)
        responses = operation.get("responses", {})
        documented = responses.get(str(status)) or responses.get("default")
        if documented is None:
            return [f"{method} {template}: status {status} is not documented ({', '.join(responses)})"]
        schema = (documented.get("content") or {}).get("application/json", {}).get("schema")
        if not schema:
            return []
        return self._validate(schema, body, f"{method} {template} {status}")

    def check_request(self, method: str, path: str, query: Mapping[str, Iterable[str]], body: Any) -> list[str]:
        template, operation = self._template(method, path)
        where = f"{method} {template}"
        params = {p["name"]: p for p in map(self._deref, operation.get("parameters", [])) if p.get("in") == "query"}
        problems = [f"{where}: unknown query parameter {name!r}" for name in query if name not in params]
        for name, values in query.items():
            schema = params.get(name, {}).get("schema")
            if schema is None:
                continue
            schema = self._deref(schema)
            items = [item for value in values for item in str(value).split(",")] if schema.get("type") == "array" \
                else list(values)
            item_schema = schema.get("items", {}) if schema.get("type") == "array" else schema
            for item in items:
                problems += self._validate(item_schema, _coerce(item, self._deref(item_schema)), f"{where} ?{name}")
        request_body = self._deref(operation.get("requestBody") or {})
        schema = (request_body.get("content") or {}).get("application/json", {}).get("schema")
        if schema and body is not None:
            problems += self._validate(schema, body, f"{where} body")
        elif request_body.get("required") and body is None:
            problems.append(f"{where}: a JSON body is required")
        return problems

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node


def _matches(template: str, path: str) -> bool:
    pattern = "^" + _PARAM.sub("[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")) + "$"
    return re.match(pattern, path) is not None


def _coerce(text: str, schema: dict[str, Any]) -> Any:
    """A query string value as the type its schema names (query parameters arrive as text)."""
    kind = schema.get("type")
    if kind == "integer" and text.lstrip("-").isdigit():
        return int(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


@cache
def _validator(_contract: int, schema_text: str, contract: Contract) -> jsonschema_rs.Draft4Validator:
    schema = json.loads(schema_text)
    return jsonschema_rs.Draft4Validator({**schema, "components": contract.spec["components"]})


@cache
def _load(path: str, prefix: str) -> Contract:
    return Contract(_nullable(json.loads(Path(path).read_text())), prefix)


def load(product: str) -> Contract | None:
    """The contract for ``"confluence"`` (v2, relative to ``/wiki/api/v2``) or ``"jira"`` (v3)."""
    folder = specs_dir()
    if folder is None:
        return None
    name, prefix = (CONFLUENCE_V2, "/wiki/api/v2") if product == "confluence" else (JIRA_V3, "")
    return _load(str(folder / name), prefix)


# Sandbox routes newer than the vendored v2 snapshot (see ../shared/specs/README.md): not checkable.
NOT_IN_SNAPSHOT = ("/direct-children", "/descendants")


def journal_problems(sandbox_url: str) -> list[str]:
    """Every Confluence v2 and Jira request the sandbox received (``/_sandbox/requests``), checked
    against the published contract: what a client really sent. Empty when the specs are absent."""
    import requests

    confluence, jira = load("confluence"), load("jira")
    if confluence is None or jira is None:
        return []
    problems: list[str] = []
    for entry in requests.get(sandbox_url + "/_sandbox/requests", timeout=5).json():
        method, path = entry["route"].split()[0], entry["path"]
        if path.startswith("/wiki/api/v2/") and not path.endswith(NOT_IN_SNAPSHOT):
            contract = confluence
        elif path.startswith(("/rest/api/2/", "/rest/api/3/")):
            contract = jira
        else:
            continue
        try:
            problems += contract.check_request(method, path, entry["query"], entry["body"])
        except LookupError as exc:
            problems.append(str(exc))
    return problems
