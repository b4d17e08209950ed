"""``/postmortems/new``: the form the wiki's "Create post-mortem" button opens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request

from wikibot.create import CreationInProgress
from wikibot.errors import ServiceError
from wikibot.incident import InvalidInput, parse_incident
from wikibot.store import IncidentIdCollision
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
    except IncidentIdCollision as exc:
        return render_template("new.html", values=values, errors={"incident_id": str(exc)},
                               message="Please correct the fields marked below."), 409
    except (CreationInProgress, ServiceError) as exc:
        return render_template("new.html", values=values, errors={},
                               message=f"The page could not be created yet: {exc}"), 503
    if not is_confluence_url(result.url):
        # Never an open redirect: only to the wiki this wikibot is configured for.
        return render_template("new.html", values=values, errors={},
                               message="The page was created, but its address is not on the configured "
                                       "Confluence site, so wikibot will not redirect there."), 502
    return redirect(result.url, code=303)


def is_confluence_url(url: str) -> bool:
    site = urlsplit(services().config.confluence_endpoint()[0])
    target = urlsplit(url)
    return (target.scheme, target.netloc) == (site.scheme, site.netloc) and target.path.startswith(site.path)
