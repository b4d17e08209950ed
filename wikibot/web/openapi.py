"""``GET /openapi.json``: the machine-readable contract of wikibot's JSON endpoints.

Written by hand (it is small) and fuzzed by schemathesis in the tests: every response must match
it, none may be a 5xx.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from wikibot import __version__

bp = Blueprint("openapi", __name__)

_ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "string"},
    "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}


def _json(schema: str) -> dict[str, Any]:
    """A JSON body of one of the named component schemas."""
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"description": "error", "content": _json("Error")} for code in codes}


INCIDENT = {
    "type": "object",
    "description": "An incident, or a Jira issue webhook / automation body ({\"issue\": {...}}). "
                   "Characters XML 1.0 forbids are dropped from text fields and refused in incident_id "
                   "and channel_url.",
    "properties": {
        "incident_id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "severity": {"type": ["string", "integer", "null"], "description": "SEV-0 … SEV-5, or 0 … 5"},
        "lead": {"type": ["string", "null"], "description": "Account id or name", "maxLength": 128},
        "started_at": {"type": ["string", "null"],
                       "description": "ISO date or date-time with offset; also '2026-12-01 14:05 Europe/Paris'. "
                                      "No zone: UTC. Kept with its zone and shown on the page."},
        "summary": {"type": ["string", "null"], "maxLength": 20000},
        "channel_url": {"type": ["string", "null"], "description": "http(s) URL"},
        "issue": {"type": "object", "description": "Jira issue: key, fields.summary, fields.priority.name"},
    },
}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "wikibot", "version": __version__,
             "description": "Incident post-mortems on Confluence and Jira. Webhooks authenticate with "
                            "X-Wikibot-Token or X-Wikibot-Signature (see SECURITY.md)."},
    "components": {
        "schemas": {"Error": _ERROR, "Incident": INCIDENT, "Page": {
            "type": "object", "required": ["page_id", "url", "title", "created"],
            "properties": {"page_id": {"type": "string"}, "url": {"type": "string"}, "title": {"type": "string"},
                           "created": {"type": "boolean"}}}},
        "securitySchemes": {
            "token": {"type": "apiKey", "in": "header", "name": "X-Wikibot-Token"},
            "signature": {"type": "apiKey", "in": "header", "name": "X-Wikibot-Signature",
                          "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">"},
        },
    },
    "paths": {
        "/hooks/postmortem": {"post": {
            "summary": "Create the post-mortem page for an incident (idempotent per incident_id)",
            "security": [{"token": []}, {"signature": []}],
            "requestBody": {"required": True, "content": _json("Incident")},
            "responses": {
                "201": {"description": "created", "content": _json("Page")},
                "200": {"description": "the incident already had its page", "content": _json("Page")},
                **_errors(400, 401, 405, 409, 413, 415, 429, 502, 503),
            },
        }},
        "/hooks/confluence": {"post": {
            "summary": "A Confluence page-updated event: sync that page's action items soon",
            "security": [{"token": []}, {"signature": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {
                "202": {"description": "accepted", "content": {"application/json": {"schema": {"type": "object"}}}},
                **_errors(400, 401, 405, 409, 413, 415, 429, 503),
            },
        }},
        "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "up"}}}},
        "/readyz": {"get": {"summary": "Readiness: database, Confluence, Jira",
                            "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}}}},
    },
}


@bp.get("/openapi.json")
def openapi():
    return SPEC
