"""`wikibot parse`: the page model from a file or stdin, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"


def parse(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIBOT_")}
    return subprocess.run([sys.executable, "-m", "wikibot", "parse", *args], input=stdin, capture_output=True,
                          timeout=60, env=env)


def test_json_output_is_exactly_the_documented_model():
    result = parse(str(CORPUS / "wikibot_template.xml"), "--json")
    assert result.returncode == 0, result.stderr
    model = json.loads(result.stdout)
    assert set(model) == {"sections", "action_items", "deferred", "properties", "unrecognised"}
    assert model == json.loads((CORPUS / "wikibot_template.expected.json").read_text())
    assert model["properties"]["Severity"] == "SEV-1"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_exports_with_an_xml_declaration_in_utf8_or_utf16_are_read(tmp_path, encoding: str):
    path = tmp_path / "export.xml"
    path.write_bytes(('<?xml version="1.0" encoding="UTF-8"?>\n<h1>Postmortem</h1><h2>Root Cause</h2><p>x</p>'
                      "<h2>Follow-ups</h2><ul><li>Add alert \u2014 Ana</li></ul>").encode(encoding))
    result = parse(str(path), "--json")
    assert result.returncode == 0, result.stderr
    model = json.loads(result.stdout)
    assert [s["name"] for s in model["sections"]] == ["Root Cause", "Action items"]
    assert [(i["summary"], i["owner"]) for i in model["action_items"]] == [("Add alert", "Ana")]


def test_json_output_has_the_page_properties():
    result = parse(str(CORPUS / "h1_title_numbered_headings.xml"), "--json")
    assert json.loads(result.stdout)["properties"] == {
        "Status": "In review", "Severity": "SEV-2", "Incident lead": "@712020:3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"}


def test_stdin_is_read_with_a_dash():
    body = (CORPUS / "sre_book.xml").read_bytes()
    result = parse("-", "--json", stdin=body)
    assert result.returncode == 0
    assert json.loads(result.stdout) == json.loads((CORPUS / "sre_book.expected.json").read_text())


def test_table_output_lists_sections_and_items():
    result = parse(str(CORPUS / "wikibot_template.xml"))
    assert result.returncode == 0
    text = result.stdout.decode()
    assert text.startswith("Sections\n") and "placeholder  Impact" in text and "Deferred (2)" in text


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><p>&lol3;</p>')


MALFORMED = {
    "truncated": b"<h2>Impact</h2><p>half a para",
    "binary": bytes(range(256)) * 10,
    "entity bomb": BOMB,
    "20 MB page": b"<p>" + b"x" * (20 * 1024 * 1024) + b"</p>",
    "deep nesting": b"<div>" * 10000 + b"</div>" * 10000,
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_input_is_a_one_line_error_within_seconds(tmp_path, name):
    data = MALFORMED[name]
    path = tmp_path / "page.xml"
    path.write_bytes(data)
    started = time.monotonic()
    result = parse(str(path), "--json")
    assert time.monotonic() - started < 20
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wikibot: ")
    assert b"Traceback" not in result.stderr


def test_a_missing_file_is_a_one_line_error():
    result = parse("/nonexistent/page.xml")
    assert result.returncode == 2
    assert result.stderr.decode().startswith("wikibot: /nonexistent/page.xml: ")
