"""The HTML pages behind ``_links.webui``: a readable view of every page, and an index of spaces.

A person following a link wikibot printed (or a browser test) lands on something that looks like
the Confluence page: rendered body, breadcrumbs, labels, comments. These are not REST paths, so the
app's auth check leaves them alone, as a logged-in browser would see them. Served under ``/wiki``
(Cloud's base) and at the root (the DC-style base), so ``{_links.base}{_links.webui}`` always works.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from service_sandbox import confluence_store as db
from service_sandbox import datacenter
from service_sandbox.confluence_json import current_store, tiny_id, webui_path
from service_sandbox.confluence_store import ConfluenceError
from service_sandbox.datacenter import context_root
from service_sandbox.render import render_storage

web = Blueprint("confluence_web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/_static")


def register(app: Flask) -> None:
    app.register_blueprint(web, url_prefix="/wiki", name="confluence_web")
    app.register_blueprint(web, url_prefix="", name="confluence_web_root")


def _prefix() -> str:
    return "/wiki" if request.blueprint == "confluence_web" else context_root()


def _page_context() -> dict[str, str]:
    return {"index_url": f"{_prefix()}/",
            "css_url": url_for(f"{request.blueprint}.static", filename="sandbox.css")}


def _friendly(stamp: str) -> str:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).strftime("%b %d, %Y %H:%M UTC")


@web.get("/")
def index() -> str:
    store = current_store()
    spaces = []
    with store.read() as conn:
        rows, _ = db.spaces(conn, [], 0, 1000)
        for space in rows:
            pages = [{"title": row["title"], "url": _prefix() + webui_path(row), "depth": depth}
                     for row, depth in db.page_tree(conn, space["key"])]
            spaces.append({"key": space["key"], "name": space["name"], "pages": pages})
    return render_template("sandbox/index.html", spaces=spaces, **_page_context())


@web.get("/spaces/<key>")
def space_home(key: str) -> Response:
    """A space's overview is its home page."""
    with current_store().read() as conn:
        try:
            space = db.space(conn, key)
            home = db.content(conn, space["homepage_id"] or 0)
        except ConfluenceError:
            abort(404)
    return redirect(_prefix() + webui_path(home))


@web.get("/x/<code>")
def tiny_link(code: str) -> Response:
    """``_links.tinyui`` leads to the page."""
    try:
        with current_store().read() as conn:
            row = db.content(conn, tiny_id(code))
    except (ValueError, ConfluenceError):
        abort(404)
    return redirect(_prefix() + webui_path(row))


@web.get("/pages/viewpage.action")
def view_page_action() -> Response:
    """``/pages/viewpage.action?pageId=N``, the id-only link both products accept, leads to the page."""
    try:
        with current_store().read() as conn:
            row = db.content(conn, int(request.args.get("pageId", "")))
    except (ValueError, ConfluenceError):
        abort(404)
    return redirect(_prefix() + webui_path(row))


@web.get("/spaces/<key>/pages/<id>")
@web.get("/spaces/<key>/pages/<id>/<path:slug>")
def page(key: str, id: str, slug: str = "") -> str:
    """The page (the slug is decoration, as in Confluence: only the id matters)."""
    store = current_store()
    with store.read() as conn:
        try:
            row = db.content(conn, id)
        except ConfluenceError:
            abort(404)
        if row["type"] != "page" or row["space_key"] != key:
            abort(404)
        space = db.space(conn, key)
        comments, _ = db.children(conn, row, "comment", 0, 1000)
        bodies = db.current_versions(conn, [row, *comments], with_body=True)
        labels = [label["name"] for label in db.labels_of(conn, [row["id"]])[row["id"]]]
        ancestors = [{"id": a["id"], "title": a["title"], "url": _prefix() + webui_path(a)}
                     for a in db.ancestors(conn, row)]

    def name(person: str) -> str | None:
        """An account id, or on Data Center a mention's userkey or username."""
        user = store.user(person) or datacenter.account_by(store, key=person)
        return user["display_name"] if user else None

    def html(content_id: int) -> Markup:
        jira = request.host_url.rstrip("/") + (datacenter.CONTEXTS["jira"] if context_root() else "")
        return render_storage(bodies[content_id]["body"], user_name=name, jira_browse_url=jira)

    return render_template(
        "sandbox/page.html",
        space={"key": space["key"], "name": space["name"]},
        page={"id": str(row["id"]), "title": row["title"], "version": row["version"],
              "when": _friendly(row["modified"]), "by_name": name(row["modifier"]) or row["modifier"],
              "labels": labels},
        ancestors=ancestors, body_html=html(row["id"]),
        comments=[{"by_name": name(c["creator"]) or c["creator"], "when": _friendly(c["created"]),
                   "body_html": html(c["id"])} for c in comments],
        **_page_context())
