"""Arbitrary Unicode through the webhook and the form: every answer a 4xx or a well-formed page.

Shared by the CI test (a short run) and ``bench/fuzz.py`` (a long one). A seeded generator, not
hypothesis: thousands of inputs must be cheap. Values mix what breaks XML (C0 controls, NUL, lone
surrogates, U+FFFE/U+FFFF), what breaks naive code (astral characters, combining marks, RTL marks,
``]]>``, markup, huge strings, wrong JSON types, deep nesting), and values that look right
(ids, dates with zones, URLs), so that a good share of inputs creates a page that is then read back
and parsed. The server is the real app on a real sandbox; pages are read over HTTP.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from wikibot.errors import ConfigError
from wikibot.templates import check_well_formed

FIELDS = ["incident_id", "title", "severity", "lead", "started_at", "summary", "channel_url"]
# Code point ranges to draw from, weighted towards the troublesome ones.
RANGES = [(0x00, 0x1F), (0x20, 0x7E), (0x7F, 0x9F), (0xA0, 0x2FF), (0x300, 0x36F), (0x590, 0x6FF),
          (0x200B, 0x202E), (0xD800, 0xDFFF), (0xE000, 0xF8FF), (0xFDD0, 0xFDEF), (0xFFF0, 0xFFFF),
          (0x10000, 0x1FAFF), (0xE0000, 0xE007F), (0x10FFF0, 0x10FFFF)]
SPECIAL = ["\x00", "\ufffe", "\uffff", "\ud800", "\udfff", "]]>", "<", "&", "&bogus;", "\r\n", "\u202e",
           "<![CDATA[", "-->", "\u0085", "\u2028", "{{ 7*7 }}", "%s", "\\", '"']
GOOD = {
    "severity": ["SEV-1", "2", "p3", "", None],
    "started_at": ["2026-12-01T14:05:00+01:00", "2026-12-01 14:05 Europe/Paris", "2026-12-01", "9999-12-31",
                   "0001-01-01T00:00:00+14:00", "2026-13-45", "2026-12-01 14:05 Nowhere/City"],
    "channel_url": ["https://chat.example.com/c/1", "http://x", "javascript:alert(1)", "https://x/a b"],
    "lead": ["557058:aa11", "Ana Lima", "Zed Nobody"],
}


def text(rng: random.Random, size: int = 12) -> str:
    out = []
    for _ in range(rng.randint(0, size)):
        if rng.random() < 0.15:
            out.append(rng.choice(SPECIAL))
        else:
            low, high = rng.choice(RANGES)
            out.append(chr(rng.randint(low, high)))
    return "".join(out)


def value(rng: random.Random, name: str, number: int) -> Any:
    roll = rng.random()
    if name == "incident_id":
        if roll < 0.7:
            return f"FZ-{number}"  # valid and new: this input can create a page
        if roll < 0.78:
            return rng.choice(["FZ_1", "fz.1", "FZ:1", " FZ-1\n"])  # slug collisions with FZ-1
        return text(rng, 8) if roll < 0.95 else rng.choice([7, None, ["FZ-1"], {"id": 1}])
    if name == "title" and roll < 0.6:
        return "Outage " + text(rng, 6)
    if name in GOOD and roll < (0.5 if name == "lead" else 0.85):
        return rng.choice(GOOD[name])
    if roll < 0.05:
        return rng.choice([3.5, True, [], {"a": text(rng)}, None])
    if roll < 0.07:
        return text(rng, 4) * rng.randint(500, 7000)  # long
    return text(rng, 40 if name == "summary" else 12)


def incident(rng: random.Random, number: int) -> dict[str, Any]:
    body = {name: value(rng, name, number) for name in FIELDS if name in ("incident_id", "title") or rng.random() < 0.5}
    if rng.random() < 0.1:  # a Jira automation payload
        return {"issue": {"key": body.get("incident_id"), "fields": {
            "summary": body.get("title"), "description": body.get("summary"),
            "priority": {"name": rng.choice(["High", "Lowest", text(rng)])},
            "created": body.get("started_at")}}}
    return body


@dataclass
class Outcome:
    tried: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    pages_checked: int = 0
    malformed: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.by_status.items() if status >= 500)

    def line(self) -> str:
        share = lambda lo, hi: sum(n for s, n in self.by_status.items() if lo <= s < hi)  # noqa: E731
        return (f"inputs: {self.tried:,}   2xx/3xx: {share(200, 400):,}   4xx: {share(400, 500):,}   "
                f"5xx: {self.server_errors}   pages read back: {self.pages_checked:,}   "
                f"malformed pages: {len(self.malformed)}")


def _form_body(values: dict[str, Any], token: str) -> bytes:
    """An urlencoded form body; lone surrogates go out as the invalid UTF-8 a browser might send."""
    pairs = [("csrf_token", token)] + [(k, v) for k, v in values.items() if isinstance(v, str)]
    return "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in pairs).encode()


def run(client: Any, confluence: Any, secret: str, seed: int, count: int) -> Outcome:
    """Send ``count`` generated inputs, alternating webhook and form; read back every page made."""
    rng = random.Random(seed)
    outcome = Outcome()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/postmortems/new").text).group(1)
    for number in range(count):
        data = incident(rng, number)
        if number % 3 == 2 and "issue" not in data:
            response = client.post("/postmortems/new", data=_form_body(data, token),
                                   content_type="application/x-www-form-urlencoded")
            found = re.search(r"/pages/(\d+)", response.headers.get("Location", ""))
            page_id = found.group(1) if response.status_code == 303 and found else None
        else:
            raw = json.dumps(data).encode() if rng.random() < 0.97 else b'{"incident_id": "\xff\xfe"}'
            response = client.post("/hooks/postmortem", data=raw, content_type="application/json",
                                   headers={"X-Wikibot-Token": secret})
            page_id = response.get_json().get("page_id") if response.status_code < 300 else None
        outcome.tried += 1
        outcome.by_status[response.status_code] += 1
        if page_id:
            body = confluence.get_page_by_id(page_id, expand="body.storage")["body"]["storage"]["value"]
            outcome.pages_checked += 1
            try:
                check_well_formed(body, f"page {page_id}")
            except ConfigError as exc:
                outcome.malformed.append(f"input {number}: {exc}")
    return outcome


def inputs(seed: int, count: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for number in range(count):
        yield incident(rng, number)
