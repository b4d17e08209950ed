"""The post-mortem page model: read and edit Confluence storage format, without HTTP.

Reading::

    model = parse_page(body, instructions=template_guidance, aliases=config.postmortem.section_aliases)
    model.sections, model.action_items, model.deferred, model.properties, model.timeline
    model.unrecognised                   # Action-items content not read as items
    json.dumps(model.to_dict())          # the `wikibot parse --json` contract

Sections carry ``title`` (as written, cleaned) and ``name`` (the template section it stands for);
compare sections by ``name``.

Writing back (minimal, byte-preserving splices of the original text)::

    body = set_ticket(body, item, "OPS-17")
    body = apply_edits(body, [Edit(item, "OPS-17", "In Progress"), ...]).body

Every unreadable body raises :class:`PageParseError`; edits raise :class:`EditError` subclasses.
"""

from wikibot.pages.display import format_table
from wikibot.pages.edit import Edit, EditResult, apply_edits, jira_macro, set_status, set_ticket
from wikibot.pages.errors import EditError, ItemNotFound, PageParseError, TicketConflict
from wikibot.pages.identity import locate
from wikibot.pages.model import ActionItem, DeferredItem, PageModel, Section, Unrecognised
from wikibot.pages.names import SectionNames, section_names
from wikibot.pages.read import parse_page
from wikibot.pages.tree import DEFAULT_MAX_BYTES, decode_body
from wikibot.pages.wording import fingerprint

__all__ = [
    "ActionItem", "DEFAULT_MAX_BYTES", "DeferredItem", "Edit", "EditError", "EditResult", "ItemNotFound",
    "PageModel", "PageParseError", "Section", "SectionNames", "TicketConflict", "Unrecognised", "apply_edits",
    "decode_body", "fingerprint", "format_table", "jira_macro", "locate", "parse_page", "section_names",
    "set_status", "set_ticket",
]
