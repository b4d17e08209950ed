"""``/postmortems/new``: the form the wiki's "Create post-mortem" button opens."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request

from wikibot.create import CreationInProgress
from wikibot.errors import ServiceError
from wikibot.incident import InvalidInput, parse_incident
from wikibot.web import csrf
from wikibot.web.context import services

bp = Blueprint("postmortems", __name__, url_prefix="/postmortems")

FIELDS = ("incident_id", "title", "severity", "lead", "started_at", "summary", "channel_url")


@bp.get("/new")
def new():
    values = {name: request.args.get(name, "") for name in FIELDS}
    return render_template("new.html", values=values, errors={}, message=None)


@bp.post("/new")
def create():
    csrf.check()
    values = {name: request.form.get(name, "") for name in FIELDS}
    try:
        incident = parse_incident(values)
        result = services().creator.create(incident)
    except InvalidInput as exc:
        return render_template("new.html", values=values, errors=exc.fields,
                               message="Please correct the fields marked below."), 400
    except (CreationInProgress, ServiceError) as exc:
        return render_template("new.html", values=values, errors={},
                               message=f"The page could not be created yet: {exc}"), 503
    return redirect(result.url, code=303)
