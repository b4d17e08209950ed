"""One error policy: JSON for API routes (``/hooks``, ``/api``), the operations endpoints and any client
that prefers JSON; an HTML page for everything else (browsers)."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, MethodNotAllowed

log = logging.getLogger(__name__)

API_PREFIXES = ("/hooks/", "/api/")
# What probes, scrapers and API tools call: their errors are read by programs, not people.
JSON_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json"})


def wants_json() -> bool:
    if request.path.startswith(API_PREFIXES) or request.path in JSON_PATHS:
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def json_error(status: int, message: str, **extra: object) -> tuple[Response, int]:
    return jsonify({"error": message, **extra}), status


def error_page(status: int, title: str, message: str) -> tuple[Response | str, int]:
    """The HTML error page; plain text when the request cannot even build URLs (an untrusted Host)."""
    try:
        return render_template("error.html", status=status, title=title, message=message), status
    except Exception:  # noqa: BLE001 - the error page of last resort must not fail in turn
        return Response(f"{status} {title}: {message}\n", mimetype="text/plain"), status


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = "request body too large" if status == 413 else (exc.description or exc.name)
        body, status = json_error(status, message) if wants_json() else error_page(status, exc.name, message)
        response = app.make_response((body, status))
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return json_error(500, "internal error; the operator can find details in wikibot's log")
        return error_page(500, "Internal error", "Something went wrong; the details are in wikibot's log.")
