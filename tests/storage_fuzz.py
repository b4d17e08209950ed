"""A fast, seeded generator of hostile storage-format bodies, shared by the fuzz test and bench/fuzz.py.

Hypothesis explores cleverly but costs milliseconds per example; 100,000 inputs need something
cheaper. This grammar produces realistic pages (sections, action tables, macros, tasks, CDATA,
entities) and then breaks them the ways real input breaks: truncation, byte flips, invalid UTF-8,
entity bombs, deep nesting, huge cells.
"""

from __future__ import annotations

import random

ENTITIES = ["&nbsp;", "&amp;", "&lt;", "&mdash;", "&rarr;", "&#160;", "&#x1F600;"]
WORDS = ["Impact", "Action items", "Owner", "Due", "Ticket", "OPS-17", "2026-12-03", "3 Dec 2026", "Ana",
         "Things we should do if we have time", "Status", "Done", "💥", "\u00a0", "", "x" * 40]
# Tokens that make a page malformed; rare, so most generated pages still parse and get written to.
HOSTILE = ["&bogus;", "&", "<", "]]>", "&#xD800;", "\x01"]


def _text(rng: random.Random) -> str:
    def token() -> str:
        return rng.choice(HOSTILE) if rng.random() < 0.003 else rng.choice(WORDS + ENTITIES)

    return " ".join(token() for _ in range(rng.randint(0, 4)))


def _cell(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.2:
        return f'<ac:link><ri:user ri:account-id="557058:{rng.randint(0, 99)}"/></ac:link>'
    if kind < 0.3:
        return ('<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">OPS-'
                f"{rng.randint(1, 999)}</ac:parameter></ac:structured-macro>")
    if kind < 0.4:
        return f'<time datetime="2026-{rng.randint(1, 13):02d}-{rng.randint(0, 32):02d}"/>'
    if kind < 0.5:
        return ('<ac:structured-macro ac:name="status"><ac:parameter ac:name="title">'
                f"{_text(rng)}</ac:parameter></ac:structured-macro>")
    return f"<p>{_text(rng)}</p>"


def _table(rng: random.Random) -> str:
    cols = rng.randint(1, 6)
    header = "".join(f"<th>{rng.choice(['Action', 'Owner', 'Due date', 'Priority', 'Ticket', 'Status', 'What'])}</th>"
                     for _ in range(cols))
    rows = []
    for _ in range(rng.randint(0, 6)):
        cells = []
        for _ in range(cols):
            span = f' colspan="{rng.randint(1, 3)}"' if rng.random() < 0.1 else ""
            span += f' rowspan="{rng.randint(1, 3)}"' if rng.random() < 0.1 else ""
            cells.append(f"<td{span}>{_cell(rng)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tbody><tr>{header}</tr>{''.join(rows)}</tbody></table>"


def _block(rng: random.Random, depth: int = 0) -> str:
    kind = rng.random()
    if kind < 0.25:
        level = rng.randint(1, 3)
        title = rng.choice(["Action items", "Action items", "Things we should do if we have time", "Timeline"]) \
            if rng.random() < 0.6 else _text(rng)
        return f"<h{level}>{title}</h{rng.randint(1, 4) if rng.random() < 0.01 else level}>"
    if kind < 0.45:
        return _table(rng)
    if kind < 0.55:
        tasks = "".join(f"<ac:task><ac:task-id>{rng.randint(1, 9)}</ac:task-id><ac:task-status>"
                        f"{rng.choice(['complete', 'incomplete', 'x'])}</ac:task-status><ac:task-body>{_cell(rng)}"
                        "</ac:task-body></ac:task>" for _ in range(rng.randint(0, 4)))
        return f"<ac:task-list>{tasks}</ac:task-list>"
    if kind < 0.65:
        return ('<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA['
                f"<h1>{_text(rng)}</h1><table>]]></ac:plain-text-body></ac:structured-macro>")
    if kind < 0.75 and depth < 3:
        inner = "".join(_block(rng, depth + 1) for _ in range(rng.randint(0, 3)))
        name = rng.choice(["info", "expand", "panel", "note", "details"])
        return (f'<ac:structured-macro ac:name="{name}"><ac:rich-text-body>{inner}</ac:rich-text-body>'
                "</ac:structured-macro>")
    if kind < 0.8 and depth < 3:
        inner = "".join(_block(rng, depth + 1) for _ in range(rng.randint(0, 3)))
        return (f'<ac:layout><ac:layout-section ac:type="two_equal"><ac:layout-cell>{inner}</ac:layout-cell>'
                "</ac:layout-section></ac:layout>")
    if kind < 0.85:
        return f"<ac:placeholder>{_text(rng)}</ac:placeholder>"
    return _cell(rng)


def page(rng: random.Random) -> str:
    return "".join(_block(rng) for _ in range(rng.randint(0, 25)))


def mutate(rng: random.Random, body: str) -> bytes:
    """Break a page the ways real input breaks (or leave it alone)."""
    data = body.encode()
    kind = rng.random()
    if kind < 0.35 or not data:
        return data
    if kind < 0.5:
        return data[: rng.randint(0, len(data))]
    if kind < 0.65:
        raw = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        return bytes(raw)
    if kind < 0.72:
        return b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>' + data + b"&b;"
    if kind < 0.78:
        depth = rng.choice([100, 1000, 10_000])
        return b"<div>" * depth + data + b"</div>" * depth
    if kind < 0.84:
        cut = rng.randrange(len(data))
        return data[:cut] + rng.choice([b"<", b"</p>", b"<![CDATA[", b"&", b"\x00", b"\xff\xfe"]) + data[cut:]
    if kind < 0.9:
        return data.replace(b"<p>", b"<p>" + b"y" * rng.randint(1_000, 100_000), 1)
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 2_000)))


def inputs(seed: int, count: int):
    rng = random.Random(seed)
    for _ in range(count):
        yield mutate(rng, page(rng))
