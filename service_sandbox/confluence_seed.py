"""What a fresh sandbox's Confluence holds: space ``INC`` with a home page and ``Post-mortems``.

With ``examples=True`` the realistic example post-mortems go under ``Post-mortems``, dated relative
to the sandbox clock so there is always a page that is stale *today*. Each step is recorded in the
store, so a persistent ``--db`` is seeded once and a later ``--examples`` adds only the examples.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from service_sandbox import confluence_store as db
from service_sandbox.store import SandboxStore

SPACE_KEY, SPACE_NAME = "INC", "Incidents"
HOME_TITLE = "Incidents Home"
POSTMORTEMS_TITLE = "Post-mortems"
# Seeded people (see store.SEED_USERS) who "wrote" the pages, so views and histories show real names.
AUTHORS = ("557058:aa11", "557058:bb22", "557058:cc33", "557058:dd44", "557058:ee55")

HOME_BODY = ("<h2>Incidents</h2><p>Incident reports and post-mortems live in this space. "
             "Every post-mortem is a child of <ac:link><ri:page ri:content-title=\"Post-mortems\"/></ac:link>.</p>")
POSTMORTEMS_BODY = ("<p>One page per incident, created by wikibot from the post-mortem template.</p>"
                    "<ac:structured-macro ac:name=\"children\" ac:schema-version=\"2\"/>")


def seed(store: SandboxStore, *, examples: bool = False, mentions: Callable[[str], str] | None = None) -> None:
    """Create the base space (once) and, when asked, the example post-mortems (once); ``mentions``
    rewrites the examples' user mentions (Data Center writes ``ri:userkey``, not ``ri:account-id``)."""
    if not store.is_seeded("confluence"):
        with store.tx() as conn:
            at = store.now() - timedelta(days=120)
            db.create_space(conn, store, SPACE_KEY, SPACE_NAME)
            home = db.create_page(conn, store, space_key=SPACE_KEY, title=HOME_TITLE, body=HOME_BODY,
                                  parent_id=None, account=AUTHORS[0], at=at)
            db.set_homepage(conn, SPACE_KEY, home)
            db.create_page(conn, store, space_key=SPACE_KEY, title=POSTMORTEMS_TITLE, body=POSTMORTEMS_BODY,
                           parent_id=str(home), account=AUTHORS[0], at=at)
            store.mark_seeded(conn, "confluence")
    if examples and not store.is_seeded("confluence-examples"):
        _seed_examples(store, mentions or (lambda body: body))


def _seed_examples(store: SandboxStore, mentions: Callable[[str], str]) -> None:
    from service_sandbox.examples import EXAMPLE_PAGES  # large bodies: load only when asked for

    now = store.now()
    with store.tx() as conn:
        found, _ = db.list_content(conn, type="page", space_key=SPACE_KEY, title=POSTMORTEMS_TITLE, label=None,
                                   statuses=("current",), start=0, limit=1)
        parent = str(found[0]["id"]) if found else None
        for i, example in enumerate(EXAMPLE_PAGES):
            created = now - timedelta(days=example.created_days_ago)
            modified = now - timedelta(days=example.modified_days_ago)
            page_id = db.create_page(conn, store, space_key=SPACE_KEY, title=example.title, body=mentions(example.body),
                                     parent_id=parent, account=AUTHORS[i % len(AUTHORS)], at=created)
            if modified > created:  # a later edit by someone else, so history has two versions
                db.update(conn, store, db.content(conn, page_id), version=2, title=None, body=None, parent_id=None,
                          message="", minor_edit=False, account=AUTHORS[(i + 1) % len(AUTHORS)], at=modified)
            db.add_labels(conn, page_id, [db.label_name(label) for label in example.labels])
        store.mark_seeded(conn, "confluence-examples")
