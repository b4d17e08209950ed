"""Render a Confluence storage-format body as safe, readable HTML for the sandbox's web UI.

The sandbox serves ``_links.webui`` pages to a real browser, so a person (or a browser test) can see
what wikibot wrote much as Confluence would show it. Page bodies are attacker-controlled text from the
point of view of that browser, so the output is built from an allow-list: every tag and attribute we
emit is chosen here, every text and attribute value is escaped, and anything unknown is unwrapped to
its text or dropped. Nothing from the input is ever copied through as markup.

Parsing uses raw ``lxml.etree`` on a wrapped, entity-normalised string (see engineering-notes.md:
bs4 is ~40x slower and its lxml modes corrupt CDATA). DTDs, entity expansion and the network are
off, so a hostile body cannot trigger billion-laughs or external fetches.
"""

from __future__ import annotations

import html.entities
import logging
import re
from collections.abc import Callable, Iterable
from datetime import date
from urllib.parse import quote

from lxml import etree
from markupsafe import Markup, escape

__all__ = ["render_storage"]

log = logging.getLogger(__name__)

# Namespace URIs used when we wrap the fragment; any other prefix the body uses gets a dummy URI.
_NAMESPACES = {"ac": "http://atlassian.com/content", "ri": "http://atlassian.com/resource/identifier"}
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_CDATA = re.compile(r"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)
_ENTITY = re.compile(r"&(?:([A-Za-z][A-Za-z0-9]*);|(#[0-9]+;|#[xX][0-9a-fA-F]+;))?")
_PREFIX = re.compile(r"(?:</?|\s)([A-Za-z_][A-Za-z0-9_.-]*):[A-Za-z_]", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]+")
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_JIRA_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9]+$")
_CSS_TOKEN = re.compile(r"^[a-z0-9_-]{1,40}$")

# Tags copied as themselves (attributes dropped unless handled below), and simple aliases.
_KEEP = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "u", "s", "code", "pre", "ul", "ol", "li",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "blockquote", "span", "div",
})
_ALIASES = {"b": "strong", "i": "em", "strike": "s", "del": "s", "ins": "u", "tt": "code"}
_VOID = frozenset({"br", "hr"})
# Elements whose content must not reach the page even as text (scripts, styles, embedded documents).
_DROP = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "template",
    "noscript", "textarea", "select", "option", "form", "input", "button", "link", "meta", "base", "title",
    "head", "colgroup", "col",
})

_STATUS_COLOURS = frozenset({"grey", "red", "yellow", "green", "blue", "purple"})
_PANELS = frozenset({"info", "note", "warning", "tip", "panel", "success", "error"})
_BUTTONS = frozenset({"create-from-template", "create-page", "add-page", "button", "blueprint"})
_TRANSPARENT = frozenset({"section", "column", "excerpt", "div", "span"})
_EMOTICONS = {
    "smile": "🙂", "sad": "🙁", "cheeky": "😛", "laugh": "😀", "wink": "😉", "thumbs-up": "👍",
    "thumbs-down": "👎", "information": "ℹ️", "tick": "✅", "cross": "❌", "warning": "⚠️",
    "plus": "➕", "minus": "➖", "question": "❓", "light-on": "💡", "light-off": "💡",
    "yellow-star": "⭐", "red-star": "⭐", "green-star": "⭐", "blue-star": "⭐", "heart": "❤️",
    "broken-heart": "💔",
}

UserName = Callable[[str], "str | None"]


def render_storage(
    body: str,
    *,
    user_name: UserName = lambda account_id: None,
    jira_browse_url: str = "",
) -> Markup:
    """Render storage-format ``body`` as allow-listed HTML.

    ``user_name`` maps an account id to a display name (mentions show ``@Name`` as in Confluence);
    ``jira_browse_url`` is the Jira base URL that single-issue macros link to. Never raises on bad
    input: a body that is not well-formed once wrapped is shown escaped in a ``<pre>`` with a notice,
    because the sandbox must still show *something* for pages a buggy client wrote.
    """
    text = body if isinstance(body, str) else str(body)
    try:
        root = _parse(text)
    except (etree.XMLSyntaxError, ValueError):
        return _fallback(text, "This page's storage format is not well-formed XML; showing its source.")
    try:
        return Markup("".join(_Renderer(user_name, jira_browse_url).children(root)))
    except Exception:  # a renderer bug must not take the page view down; the source is still useful
        log.exception("rendering storage format failed")
        return _fallback(text, "This page could not be rendered; showing its source.")


def _fallback(text: str, notice: str) -> Markup:
    """The escaped source, so the reader can still see what is stored."""
    source = _CONTROL.sub("\ufffd", text)
    return Markup('<div class="render-error">{}</div><pre class="storage-source">{}</pre>').format(
        notice, source)


def storage_error(text: str) -> str | None:
    """Why Confluence would refuse ``text`` as a page or comment body (None when it would take it).

    Confluence parses storage format as XML and refuses a whole body that is not well-formed with 400
    ``BadRequestException: Error parsing xhtml: Unexpected close tag </xml>; expected </p>. at
    [row,col {unknown-source}]: [1,405]`` (an unclosed ``<p>``; chesshacker/terraform-provider-confluence
    #7), or ``Unexpected character '>' (code 62) expected '='`` (an attribute without a value;
    iamjackg/md2cf #92); "an unescaped ampersand in a macro parameter, a void <br> written by hand
    in a table cell, an HTML comment containing a double hyphen" each reject the page
    (kovetskiy/mark #932, which checks bodies the same way before uploading them). HTML's named
    entities (``&nbsp;``) are taken, as the pages Confluence itself writes carry them (notes §4).
    """
    try:
        _parse(text, strict=True)
    except etree.XMLSyntaxError as exc:
        return str(exc).split(", line ")[0]  # the position is in the wrapped text, not the body sent
    return None


def _parse(text: str, *, strict: bool = False) -> etree._Element:
    """Wrap the root-less fragment, declare every prefix it uses and make its entities XML-safe
    (``strict``: a bare ``&`` or an entity HTML does not name stays, for the parser to refuse)."""
    text = text.lstrip("\ufeff")
    prefixes = {p for p in _PREFIX.findall(_CDATA.sub("", text)) if p.lower() not in ("xml", "xmlns")}
    decls = "".join(
        f' xmlns:{p}="{_NAMESPACES.get(p, "urn:x-wikibot-storage:" + p)}"' for p in sorted(prefixes | {"ac", "ri"}))
    parts = _CDATA.split(text)
    entity = _strict_entity if strict else _entity
    normalised = "".join(part if i % 2 else _ENTITY.sub(entity, part) for i, part in enumerate(parts))
    # strict (what Confluence takes): no limit of libxml2's on nesting depth, which Confluence's parser lacks
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=strict,
                             remove_comments=True, remove_pis=True, strip_cdata=True)
    return etree.fromstring(f"<root{decls}>{normalised}</root>", parser)


def _entity(match: re.Match[str]) -> str:
    """HTML named entities become numeric references; a bare ``&`` becomes ``&amp;``.

    Outside CDATA only: inside it ``&nbsp;`` is literal text a code block must show as typed.
    """
    name, numeric = match.group(1), match.group(2)
    if numeric:
        return "&" + numeric
    if name is None:
        return "&amp;"
    if name in _XML_ENTITIES:
        return f"&{name};"
    chars = html.entities.html5.get(name + ";")
    if chars is None:
        return f"&amp;{name};"
    return "".join(f"&#{ord(c)};" for c in chars)


def _strict_entity(match: re.Match[str]) -> str:
    """As :func:`_entity`, but what is no entity is left as written (the parser then refuses it)."""
    name = match.group(1)
    if name is not None and name not in _XML_ENTITIES and html.entities.html5.get(name + ";") is not None:
        return _entity(match)
    return match.group(0)


def _qname(el: etree._Element) -> str:
    """``ac:structured-macro`` style name, whatever URI the prefix was bound to."""
    local = etree.QName(el).localname
    return f"{el.prefix}:{local}" if el.prefix else local.lower()


def _attr(el: etree._Element, name: str, default: str = "") -> str:
    """Attribute by prefixed name (``ri:account-id``), also accepting an unprefixed spelling."""
    prefix, _, local = name.rpartition(":")
    uri = el.nsmap.get(prefix) if prefix else None
    if uri and f"{{{uri}}}{local}" in el.attrib:
        return el.attrib[f"{{{uri}}}{local}"]
    return el.attrib.get(local, default)


def _child(el: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in el if isinstance(c.tag, str) and _qname(c) == name), None)


def _text(el: etree._Element | None) -> str:
    return "" if el is None else "".join(el.itertext())


def _safe_url(url: str) -> str | None:
    """The URL if a browser following it cannot run script: http(s), mailto or relative."""
    cleaned = _URL_IGNORED.sub("", url)
    scheme = _URL_SCHEME.match(cleaned)
    if scheme and scheme.group(1).lower() not in _SAFE_SCHEMES:
        return None
    return cleaned or None


def _css(value: str, default: str) -> str:
    value = value.strip().lower()
    return value if _CSS_TOKEN.match(value) else default


def _format_date(value: str) -> str:
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        return value
    return f"{day.day} {day:%b %Y}"


class _Renderer:
    """One rendering pass; holds the lookups so the element handlers stay small."""

    def __init__(self, user_name: UserName, jira_browse_url: str) -> None:
        self.user_name = user_name
        self.jira_browse_url = jira_browse_url.rstrip("/")

    def children(self, el: etree._Element) -> Iterable[str]:
        if el.text:
            yield escape(el.text)
        for child in el:
            if isinstance(child.tag, str):
                yield from self.element(child)
            if child.tail:
                yield escape(child.tail)

    def inner(self, el: etree._Element | None) -> Markup:
        """Rendered content of ``el``; every piece ``children`` yields is already safe HTML."""
        return Markup("" if el is None else "".join(self.children(el)))

    def element(self, el: etree._Element) -> Iterable[str]:
        name = _qname(el)
        if ":" in name:
            yield from self.storage_element(name, el)
        elif name in _DROP:
            return
        elif name in _VOID:
            yield f"<{name}>"
        elif name in ("th", "td"):
            spans = "".join(f' {a}="{v}"' for a in ("colspan", "rowspan")
                            if (v := el.get(a, "").strip()).isdigit() and 0 < int(v) <= 1000)
            yield f"<{name}{spans}>{self.inner(el)}</{name}>"
        elif name == "a":
            href = _safe_url(el.get("href", ""))
            inner = self.inner(el)
            yield Markup('<a href="{}" rel="nofollow">{}</a>').format(href, inner) if href else inner
        elif name == "time":
            yield self.date(el)
        elif name == "img":
            yield Markup('<span class="image">[image]</span>')
        elif name in _KEEP or name in _ALIASES:
            tag = _ALIASES.get(name, name)
            yield f"<{tag}>{self.inner(el)}</{tag}>"
        else:
            yield from self.children(el)

    def storage_element(self, name: str, el: etree._Element) -> Iterable[str]:
        if name in ("ac:structured-macro", "ac:macro"):
            yield self.macro(el)
        elif name == "ac:placeholder":
            yield Markup('<span class="placeholder">{}</span>').format(_text(el))
        elif name == "ac:link":
            yield self.link(el)
        elif name == "ac:task-list":
            yield f'<ul class="task-list">{self.inner(el)}</ul>'
        elif name == "ac:task":
            done = _text(_child(el, "ac:task-status")).strip() == "complete"
            box = '<span class="task-box">☑</span>' if done else '<span class="task-box">☐</span>'
            state = "complete" if done else "incomplete"
            yield f'<li class="task task-{state}">{box} {self.inner(_child(el, "ac:task-body"))}</li>'
        elif name == "ac:emoticon":
            yield self.emoticon(el)
        elif name == "ac:image":
            attachment = _child(el, "ri:attachment")
            filename = _attr(attachment, "ri:filename") if attachment is not None else ""
            yield Markup('<span class="image" title="{}">[image]</span>').format(filename or _attr(el, "ac:alt"))
        elif name == "ac:layout":
            yield f'<div class="layout">{self.inner(el)}</div>'
        elif name == "ac:layout-section":
            kind = _css(_attr(el, "ac:type"), "single")
            yield f'<div class="layout-section layout-{kind}">{self.inner(el)}</div>'
        elif name == "ac:layout-cell":
            yield f'<div class="layout-cell">{self.inner(el)}</div>'
        elif name == "ac:adf-extension":
            yield self.inner(_child(el, "ac:adf-fallback"))
        elif name in ("ac:inline-comment-marker", "ac:rich-text-body", "ac:link-body", "ac:adf-fallback"):
            yield from self.children(el)
        # Everything else (parameters, task ids, ri: resources out of context) carries no visible text.

    def date(self, el: etree._Element) -> Markup:
        raw = el.get("datetime", "") or _text(el)
        return Markup('<span class="date" title="{}">{}</span>').format(raw, _format_date(raw))

    def emoticon(self, el: etree._Element) -> Markup:
        fallback = _attr(el, "ac:emoji-fallback").strip()
        name = _attr(el, "ac:name") or _attr(el, "ac:emoji-shortname").strip(":")
        glyph = _EMOTICONS.get(name) or (fallback if 0 < len(fallback) <= 8 else f":{name}:")
        return Markup('<span class="emoticon" title="{}">{}</span>').format(name, glyph)

    def link(self, el: etree._Element) -> Markup:
        """``ac:link``: mentions, page links, attachments and URLs, with their optional link body."""
        body_el = _child(el, "ac:link-body")
        body = self.inner(body_el) if body_el is not None else escape(
            _text(_child(el, "ac:plain-text-link-body")))
        user = _child(el, "ri:user")
        if user is not None:
            return Markup('<span class="mention">@{}</span>').format(self.mention_name(user))
        page = _child(el, "ri:page")
        page = page if page is not None else _child(el, "ri:blog-post")
        if page is not None:
            return Markup('<span class="page-link">{}</span>').format(body or _attr(page, "ri:content-title"))
        url = _child(el, "ri:url")
        href = _safe_url(_attr(url, "ri:value")) if url is not None else None
        if href:
            return Markup('<a href="{}" rel="nofollow">{}</a>').format(href, body or href)
        attachment = _child(el, "ri:attachment")
        if attachment is not None:
            return Markup('<span class="attachment">{}</span>').format(body or _attr(attachment, "ri:filename"))
        return Markup('<span class="page-link">{}</span>').format(body or _attr(el, "ac:anchor"))

    def mention_name(self, user: etree._Element) -> str:
        """Display name via the callback, else whichever identifier the mention carries."""
        person = _attr(user, "ri:account-id") or _attr(user, "ri:userkey") or _attr(user, "ri:username")
        name = None
        if person:
            try:
                name = self.user_name(person)
            except Exception:  # an unknown or failing lookup should cost a name, not the whole page
                log.warning("user_name(%r) failed", person, exc_info=True)
        return name or person or "unknown user"

    def macro(self, el: etree._Element) -> Markup:
        name = _attr(el, "ac:name").strip().lower()
        params = {_attr(p, "ac:name"): _text(p) for p in el
                  if isinstance(p.tag, str) and _qname(p) == "ac:parameter"}
        rich = _child(el, "ac:rich-text-body")
        body = self.inner(rich)
        if name == "status":
            colour = _css(params.get("colour", ""), "grey")
            colour = colour if colour in _STATUS_COLOURS else "grey"
            subtle = " status-subtle" if params.get("subtle", "").lower() == "true" else ""
            title = params.get("title", "") or colour.upper()
            return Markup('<span class="status status-{}{}" title="{}">{}</span>').format(
                colour, subtle, title, title)
        if name == "jira":
            return self.jira(params)
        if name in _PANELS:
            title = params.get("title", "")
            heading = Markup('<div class="panel-title">{}</div>').format(title) if title else ""
            return Markup('<div class="panel panel-{}">{}<div class="panel-body">{}</div></div>').format(
                name, heading, body)
        if name == "expand":
            return Markup('<details class="expand"><summary>{}</summary>{}</details>').format(
                params.get("title") or "Click here to expand...", body)
        if name in ("code", "noformat"):
            title = params.get("title", "")
            heading = Markup('<div class="code-title">{}</div>').format(title) if title else ""
            lang = _css(params.get("language", ""), "text")
            return Markup('{}<pre class="code"><code class="language-{}">{}</code></pre>').format(
                heading, lang, _text(_child(el, "ac:plain-text-body")))
        if name == "details":
            return Markup('<div class="page-properties">{}</div>').format(body)
        if name == "children":
            return Markup('<div class="macro-note">(child pages list)</div>')
        if name == "toc":
            return Markup('<div class="macro-note">(table of contents)</div>')
        if name == "anchor":
            return Markup("")
        if name in _BUTTONS:
            label = params.get("buttonLabel") or params.get("createButtonLabel") or "Create"
            return Markup('<span class="button" role="button">{}</span>').format(label)
        if name in _TRANSPARENT:
            return body
        inner = Markup('<div class="macro-body">{}</div>').format(body) if rich is not None else ""
        return Markup('<div class="macro-unknown"><span class="macro-name">macro: {}</span>{}</div>').format(
            name or "(unnamed)", inner)

    def jira(self, params: dict[str, str]) -> Markup:
        """One issue becomes a link to Jira; a JQL table becomes a note naming the query."""
        key = params.get("key", "").strip()
        if key:
            href = _safe_url(f"{self.jira_browse_url}/browse/{quote(key)}") if _JIRA_KEY.match(key) else None
            if href:
                return Markup('<a class="jira" href="{}" rel="nofollow">{}</a>').format(href, key)
            return Markup('<span class="jira">{}</span>').format(key)
        jql = params.get("jqlQuery", "")
        return Markup('<div class="jira-jql">Jira issues: <code>{}</code></div>').format(jql or "(no query)")
