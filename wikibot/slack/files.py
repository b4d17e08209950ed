"""Files shared in an incident channel → "Data & Analysis" entries. Pure logic.

Each Slack file becomes one page attachment named ``<Slack file id>-<file name>``: the id makes
the name unique on the page and is the file's identity, so a re-run finds it (as an attachment,
or already shown in the page) and adds nothing. An image is shown inline, any other file linked;
both with the message's text as the caption and a link to the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from wikibot.slack.mrkdwn import Person, to_plain
from wikibot.slack.timeline import permalink, section_range

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_CAPTION = 300


@dataclass(frozen=True)
class SharedFile:
    id: str
    name: str
    title: str
    mimetype: str
    url: str
    caption: str
    message_link: str

    @property
    def attachment_name(self) -> str:
        safe = _UNSAFE_NAME.sub("_", self.name).strip("._") or "file"
        return f"{self.id}-{safe}"[:200]

    @property
    def is_image(self) -> bool:
        return self.mimetype.startswith("image/")


def shared_files(messages: Iterable[Mapping[str, Any]], *, workspace_url: str, channel_id: str,
                 bot_user: str | None, people: Mapping[str, Person] | None = None) -> list[SharedFile]:
    """Every file shared by a person in ``messages`` (channel and thread replies), each once, in order."""
    found: dict[str, SharedFile] = {}
    for message in sorted(messages, key=lambda m: float(m.get("ts") or 0)):
        if message.get("bot_id") or message.get("user") == bot_user:
            continue
        ts = str(message.get("ts") or "")
        link = permalink(workspace_url, channel_id, ts)
        thread = message.get("thread_ts")
        if thread and thread != ts:
            link += f"?thread_ts={thread}&cid={channel_id}"
        caption = to_plain(str(message.get("text") or ""), people)[:MAX_CAPTION]
        for file in message.get("files") or []:
            url = file.get("url_private_download") or file.get("url_private")
            if not file.get("id") or not url or file.get("mode") == "tombstone" or file["id"] in found:
                continue
            found[file["id"]] = SharedFile(id=file["id"], name=str(file.get("name") or file["id"]),
                                           title=str(file.get("title") or file.get("name") or ""),
                                           mimetype=str(file.get("mimetype") or "application/octet-stream"),
                                           url=url, caption=caption, message_link=link)
    return list(found.values())


def render(file: SharedFile) -> str:
    ref = f"<ri:attachment ri:filename={quoteattr(file.attachment_name)} />"
    caption = escape(file.caption or file.title)
    source = f"<a href={quoteattr(file.message_link)}>Slack message</a>"
    if file.is_image:
        return (f"<p><ac:image ac:height=\"300\" ac:alt={quoteattr(file.title)}>{ref}</ac:image></p>"
                f"<p><em>{caption}</em> ({source})</p>")
    return (f"<p><ac:link>{ref}<ac:plain-text-link-body><![CDATA[{_cdata(file.title)}]]></ac:plain-text-link-body>"
            f"</ac:link> — {caption} ({source})</p>")


def _cdata(text: str) -> str:
    return text.replace("]]>", "]]]]><![CDATA[>")


def shown(body: str, files: Iterable[SharedFile]) -> set[str]:
    """Ids of the files the page already shows (anywhere: people may have moved them)."""
    return {f.id for f in files if f"ri:filename={quoteattr(f.attachment_name)}" in body
            or f'ri:filename="{escape(f.attachment_name)}"' in body}


def merge(body: str, files: Sequence[SharedFile]) -> tuple[str, int]:
    """``(new body, entries added)``: each file not yet shown, at the end of Data & Analysis."""
    fresh = [f for f in files if f.id not in shown(body, files)]
    if not fresh:
        return body, 0
    entries = "".join(render(f) for f in fresh)
    found = section_range(body, "data", "analysis")
    if found is None:
        return body + "<h2>Data &amp; Analysis</h2>" + entries, len(fresh)
    end = found[1]
    return body[:end] + entries + body[end:], len(fresh)
