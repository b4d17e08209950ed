"""Safe parsing of a storage-format body into an lxml tree.

Why raw ``lxml.etree`` and not BeautifulSoup: building a bs4 tree costs ~40x more than libxml2 parsing,
and the read path runs over every post-mortem page nightly. Storage format is XML, so we make it a
well-formed document ourselves:

* wrap the fragment in a root element that declares the ``ac``/``ri``/``at`` prefixes;
* turn HTML named entities (``&nbsp;``, ``&rarr;``) into numeric character references, outside CDATA
  and comments (inside them ``&nbsp;`` is literal text);
* parse strictly, never loading a DTD or resolving entities, with libxml2's default limits (depth 256,
  no huge text nodes).

Decision on malformed input: no lenient ``recover=True`` fallback. Confluence itself only stores
well-formed bodies, so a body that fails here is truncated, binary or hostile, and a "recovered" tree
would silently drop sections or action items (and would no longer agree with the offsets the editor
computes on the original text). Every failure becomes one :class:`PageParseError` with a one-line
message. The only leniency is declaring namespace prefixes we did not expect.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from html.entities import html5

from lxml import etree

from wikibot.pages.errors import PageParseError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
"""Confluence's own request body limit (``atlassian.rest.request.maxsize``): no real page is bigger."""

AC = "http://atlassian.com/content"
RI = "http://atlassian.com/resource/identifier"
AT = "http://atlassian.com/template"
_KNOWN_PREFIXES = {"ac": AC, "ri": RI, "at": AT}

_NAMED_ENTITY = re.compile(r"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{0,31});")
_PREFIX = re.compile(r"[<\s/]([A-Za-z_][\w.-]*):[A-Za-z_]")
_DECLARATION = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.I)
_XML_DECLARATION = re.compile(r"\ufeff?\s*<\?xml(?:\s[^?]*)?\?>\s*|\ufeff")
_LATE_DECLARATION = re.compile(r"<\?xml[\s?]")
_ROOT_TAG = "wikibot-page"
_UNCLOSED = re.compile(rf"Opening and ending tag mismatch: (\S+) line (\d+) and {_ROOT_TAG}")
_STRAY = re.compile(rf"Opening and ending tag mismatch: {_ROOT_TAG} line \d+ and (\S+?),")
_POSITION = re.compile(r",? line \d+, column \d+$")


def ac(name: str) -> str:
    """The lxml tag (Clark notation) of ``ac:name``."""
    return f"{{{AC}}}{name}"


def ri(name: str) -> str:
    """The lxml tag (Clark notation) of ``ri:name``."""
    return f"{{{RI}}}{name}"


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_UTF16_START = ((b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"))


def decode_body(data: bytes) -> str:
    """Decode a page read from a file or socket, refusing binary data.

    Confluence stores UTF-8, but exports and editors also write UTF-8 with a BOM and UTF-16 (Windows
    "Unicode"): a byte-order mark says which, and so does a UTF-16 first character ``<`` (XML's own
    encoding detection, Extensible Markup Language 1.0 appendix F). Otherwise a NUL byte never occurs
    in text, so it is the cheapest reliable sign of a binary file.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom):], encoding)
    for start, encoding in _UTF16_START:
        if data.startswith(start) and len(data) % 2 == 0:
            return _decode(data, encoding)
    if b"\x00" in data:
        raise PageParseError("not UTF-8 text: the data contains NUL bytes (binary file?)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PageParseError(f"not UTF-8 text: invalid byte at offset {exc.start}") from None


def _decode(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise PageParseError(f"not {encoding.upper()} text: invalid bytes at offset {exc.start}") from None
    if "\x00" in text:
        raise PageParseError(f"not {encoding.upper()} text: the data contains NUL characters (binary file?)")
    return text


def strip_declaration(body: str) -> str:
    """The body without a leading BOM and ``<?xml ...?>`` declaration (kept as its newlines, so error
    line numbers stay those of the body). Anywhere else a declaration is an error, as in XML."""
    match = _XML_DECLARATION.match(body)
    if match is None:
        return body
    return "\n" * body.count("\n", 0, match.end()) + body[match.end():]


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _protected_spans(body: str) -> Iterator[tuple[int, int]]:
    """Start and end of every CDATA section and comment, found with ``str.find`` (fast on big pages)."""
    pos = body.find("<!")
    while pos >= 0:
        if body.startswith("<![CDATA[", pos):
            end = body.find("]]>", pos + 9)
        elif body.startswith("<!--", pos):
            end = body.find("-->", pos + 4)
        else:
            pos = body.find("<!", pos + 2)
            continue
        end = len(body) if end < 0 else end + 3
        yield pos, end
        pos = body.find("<!", end)


def normalise_entities(body: str) -> str:
    """Replace HTML named entities by numeric references so a strict XML parser accepts them.

    We map names ourselves instead of declaring them in a DTD: a DTD would re-open the door to entity
    expansion, and we only want the fixed HTML set. CDATA sections and comments are left alone.
    """
    if "&" not in body:
        return body
    offset = 0

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        chars = html5.get(name + ";")
        if chars is None:
            line = _line_of(body, offset + match.start())
            raise PageParseError(f"unknown entity &{name}; at line {line}")
        return "".join(f"&#{ord(c)};" for c in chars)

    parts = []
    for start, end in _protected_spans(body):
        parts.append(_NAMED_ENTITY.sub(replace, body[offset:start]))
        parts.append(body[start:end])
        offset = end
    parts.append(_NAMED_ENTITY.sub(replace, body[offset:]))
    return "".join(parts)


def _wrap(body: str, prefixes: dict[str, str]) -> bytes:
    declarations = " ".join(f'xmlns:{p}="{uri}"' for p, uri in prefixes.items())
    return f"<{_ROOT_TAG} {declarations}>{body}</{_ROOT_TAG}>".encode()


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers keep state and are not meant to be shared across threads.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=False, load_dtd=False,
        remove_comments=True, remove_pis=True, collect_ids=False,
    )


def _has_declaration(body: str) -> bool:
    """A DOCTYPE or ENTITY declaration outside CDATA and comments (inside them it is just text)."""
    if "<!" not in body:
        return False
    spans = list(_protected_spans(body))
    outside = "".join(body[a:b] for a, b in zip([0] + [end for _, end in spans],
                                                 [start for start, _ in spans] + [len(body)], strict=True))
    return bool(_DECLARATION.search(outside))


_DECLARATION_MESSAGE = "DOCTYPE/ENTITY declarations are not allowed in a page body"


def _describe(exc: etree.XMLSyntaxError, body: str) -> str:
    if _has_declaration(body):
        return _DECLARATION_MESSAGE
    message = str(exc.msg or exc).splitlines()[0]
    if "XML declaration allowed only at the start" in message:
        late = _LATE_DECLARATION.search(body)
        line = _line_of(body, late.start()) if late else exc.lineno or 0
        return f"an XML declaration (<?xml ...?>) on line {line} is not at the start of the page"
    if "Excessive depth" in message:
        return "elements are nested deeper than 256 levels"
    unclosed = _UNCLOSED.search(message)
    if unclosed:  # the wrapper's end tag closed the page while an element was still open
        return (f"not well-formed storage format: <{unclosed.group(1)}> opened on line "
                f"{unclosed.group(2)} is never closed (truncated page?)")
    stray = _STRAY.search(message)
    if stray:
        return f"not well-formed storage format (line {exc.lineno or 0}): </{stray.group(1)}> was never opened"
    message = _POSITION.sub("", message)  # columns count the wrapper element; the line is enough
    return f"not well-formed storage format (line {exc.lineno or 0}): {message}"


def parse_fragment(body: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse a storage-format body into a tree rooted at a synthetic wrapper element.

    Raises :class:`PageParseError` for anything that is not a well-formed page within ``max_bytes``.
    The line numbers in error messages are those of the body (the wrapper sits on line 1 too).

    The tree has no ``<ac:adf-fallback>`` elements: Confluence Cloud stores what only its new editor
    knows (custom panels, decision lists) as an ``<ac:adf-extension>`` holding the content once in
    ``<ac:adf-node>`` and again, rendered, in ``<ac:adf-fallback>`` for older readers. Read twice, a
    list in a panel would be two sets of action items; :func:`wikibot.pages.offsets.scan` skips the
    fallback too, so both count the same tables, tasks and list items.
    """
    root = _parse_fragment(body, max_bytes=max_bytes)
    if _FALLBACK_TEXT in body:  # (a substring test: most pages have none, and iterating a tree costs)
        for fallback in list(root.iter(FALLBACK)):
            remove_keeping_tail(fallback)
    return root


def remove_keeping_tail(element: etree._Element, joiner: str = "") -> None:
    """Take ``element`` out of its tree; the text that followed it stays where it was, after ``joiner``
    (a space keeps the words on either side of a removed inline element apart)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = joiner + (element.tail or "")
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


FALLBACK = f"{{{AC}}}adf-fallback"
_FALLBACK_TEXT = "<ac:adf-fallback"


def _parse_fragment(body: str, *, max_bytes: int) -> etree._Element:
    if not isinstance(body, str):
        raise PageParseError(f"page body must be text, not {type(body).__name__}")
    if len(body) > max_bytes:
        raise PageParseError(f"page is larger than the {max_bytes}-byte limit")
    try:  # isascii() is O(1) in CPython: most pages need no encoding just to be measured
        size = len(body) if body.isascii() else len(body.encode("utf-8"))
    except UnicodeEncodeError:
        raise PageParseError("page contains characters that cannot be encoded (lone surrogates)") from None
    if size > max_bytes:
        raise PageParseError(f"page is {size} bytes, over the {max_bytes}-byte limit")
    body = strip_declaration(body)
    try:
        text = normalise_entities(body)
    except PageParseError:
        if _has_declaration(body):
            raise PageParseError(_DECLARATION_MESSAGE) from None
        raise
    prefixes = dict(_KNOWN_PREFIXES)
    try:
        return etree.fromstring(_wrap(text, prefixes), _parser())
    except etree.XMLSyntaxError as exc:
        if "Namespace prefix" not in str(exc):
            raise PageParseError(_describe(exc, body)) from None
    # A prefix we did not expect (some apps add their own macros): declare every prefix used, once.
    for prefix in set(_PREFIX.findall(text)) - {"xml", "xmlns"}:
        prefixes.setdefault(prefix, f"urn:wikibot:undeclared:{prefix}")
    try:
        return etree.fromstring(_wrap(text, prefixes), _parser())
    except etree.XMLSyntaxError as exc:
        raise PageParseError(_describe(exc, body)) from None
