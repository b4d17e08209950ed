"""Draft a post-mortem from its incident channel: timeline rows and the channel's files. The I/O.

Reads the channel (history, pins, threads), finds who people are on the wiki (Slack email →
Jira/Atlassian account), uploads each shared file once as a page attachment, then merges rows and
files into the page with the pure planners in ``timeline`` and ``files``. The page write is an
optimistic PUT through ``Wiki``: if someone saved meanwhile, the page is re-read and the merge
planned again on their version, so their edit is never overwritten. What a draft puts on a page is
remembered (``DraftLog``), so a row or a file a person deleted afterwards is not drafted again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from wikibot.atlassian.confluence import ConfluenceGateway, VersionConflict
from wikibot.atlassian.jira import JiraGateway
from wikibot.errors import InputError, ServiceError, WikibotError
from wikibot.slack import files as shared
from wikibot.slack import timeline
from wikibot.slack.client import Message, SlackApi, SlackError
from wikibot.slack.mrkdwn import Person, mentioned_users

log = logging.getLogger(__name__)


class DraftLog(Protocol):
    """What drafting put on each page (``SlackStore``): message permalinks and ``file:<id>`` keys."""

    def drafted(self, page_id: str) -> set[str]: ...

    def record_drafted(self, page_id: str, keys: Iterable[str]) -> None: ...


def file_key(file: shared.SharedFile) -> str:
    """How :class:`DraftLog` remembers a file (message permalinks stand for timeline rows)."""
    return f"file:{file.id}"


@dataclass(frozen=True)
class DraftResult:
    rows: int
    files: int
    failed_files: int = 0
    events: tuple[timeline.Event, ...] = ()
    people: dict[str, Person] | None = None

    def summary(self) -> str:
        text = f"Timeline: {self.rows} new row{'s' * (self.rows != 1)}; Data & Analysis: {self.files} new file" \
               f"{'s' * (self.files != 1)}"
        return text + (f" ({self.failed_files} could not be copied)" if self.failed_files else "") + "."


class People:
    """Slack user id → ``Person`` (name, and wiki account found by email), looked up once per run."""

    def __init__(self, api: SlackApi, account_by_email: Callable[[str], str | None],
                 mention_attribute: str = "ri:account-id") -> None:
        self.api = api
        self.account_by_email = account_by_email
        self.mention_attribute = mention_attribute
        self._cache: dict[str, Person] = {}

    def resolve(self, user_ids: Iterable[str]) -> dict[str, Person]:
        for user_id in user_ids:
            if user_id in self._cache:
                continue
            try:
                user = self.api.user(user_id)
            except WikibotError as exc:
                log.warning("Slack user %s not found: %s", user_id, exc)
                self._cache[user_id] = Person(user_id)
                continue
            account = self.account_by_email(user.email) if user.email else None
            self._cache[user_id] = Person(user.name, account, self.mention_attribute)
        return dict(self._cache)


class ChannelDrafter:
    def __init__(self, *, api: SlackApi, wiki: ConfluenceGateway, drafts: DraftLog,
                 account_by_email: Callable[[str], str | None], reactions: Iterable[str]) -> None:
        self.api = api
        self.wiki = wiki
        self.drafts = drafts
        self.account_by_email = account_by_email
        self.reactions = set(reactions)

    def draft(self, page_id: str, channel_id: str) -> DraftResult:
        workspace, bot = self.api.workspace_url(), self.api.bot_user_id()
        history = self._history(channel_id)
        pins = self.api.pins(channel_id)
        replies = [m for root in history if root.get("reply_count")
                   for m in self.api.replies(channel_id, str(root["ts"]))[1:]]
        events = timeline.select_events(history + pins, pinned={str(m.get("ts")) for m in pins},
                                        reactions=self.reactions, bot_user=bot, workspace_url=workspace,
                                        channel_id=channel_id)
        file_messages = history + replies + pins
        people = People(self.api, self.account_by_email, self.wiki.mention_attribute).resolve(  # fresh per run
            self._users(events, file_messages))
        files = shared.shared_files(file_messages, workspace_url=workspace, channel_id=channel_id, bot_user=bot,
                                    people=people)
        drafted = self.drafts.drafted(page_id)  # on the page now, or deleted from it by a person: never again
        new_events = [e for e in events if e.permalink not in drafted]
        attached, failed = self._attach(page_id, [f for f in files if file_key(f) not in drafted])
        rows, shown, body = self._write(page_id, new_events, attached, people)
        rows_on_page = timeline.known_permalinks(body, [e.permalink for e in new_events])
        files_on_page = shared.shown(body, attached)
        self.drafts.record_drafted(page_id, [*rows_on_page, *(file_key(f) for f in attached if f.id in files_on_page)])
        return DraftResult(rows=rows, files=shown, failed_files=failed, events=tuple(events), people=people)

    def _history(self, channel_id: str) -> list[Message]:
        """The channel's messages; a channel that Slack does not know or the app is not in is the
        caller's mistake (a wrong ``--channel``), said in one line, not a failing service."""
        try:
            return list(self.api.history(channel_id))
        except SlackError as exc:
            if exc.code == "channel_not_found":
                raise InputError(f"Slack has no channel {channel_id} that wikibot can see (a private channel "
                                 "needs the app invited: /invite @wikibot)") from exc
            if exc.code == "not_in_channel":
                raise InputError(f"wikibot is not in Slack channel {channel_id}: invite it there "
                                 "(/invite @wikibot)") from exc
            raise

    @staticmethod
    def _users(events: list[timeline.Event], messages: list[Message]) -> list[str]:
        ids = [e.user for e in events] + [u for e in events for u in mentioned_users(e.text)]
        ids += [u for m in messages if m.get("files") for u in mentioned_users(str(m.get("text") or ""))]
        return list(dict.fromkeys(ids))

    # -- attachments ----------------------------------------------------------------------------
    def _attach(self, page_id: str, files: list[shared.SharedFile]) -> tuple[list[shared.SharedFile], int]:
        """Upload the files the page lacks; returns the files now attached, and how many failed."""
        attached, failed = [], 0
        for file in files:
            try:
                if not self._has_attachment(page_id, file.attachment_name):
                    self._upload(page_id, file, self.api.download(file.url))
                attached.append(file)
            except WikibotError as exc:
                failed += 1
                log.warning("file %s not copied to page %s: %s", file.id, page_id, exc)
        return attached, failed

    def _has_attachment(self, page_id: str, name: str) -> bool:
        return self.wiki.has_attachment(page_id, name)

    def _upload(self, page_id: str, file: shared.SharedFile, data: bytes) -> None:
        self.wiki.attach(page_id, file.attachment_name, data, file.mimetype, f"From Slack: {file.caption[:200]}")

    # -- the page -------------------------------------------------------------------------------
    def _write(self, page_id: str, events: list[timeline.Event], files: list[shared.SharedFile],
               people: dict[str, Person]) -> tuple[int, int, str]:
        """(rows added, files added, the page's body now)."""
        wiki = self.wiki
        sent: tuple[str, int, int] | None = None  # the body of a PUT answered 409, and what it added
        for _attempt in range(5):
            page = wiki.page(page_id)
            if sent is not None and page.body == sent[0]:
                # The "conflicting" save was our own: the gateway retried a PUT whose first answer was
                # lost, and the retry met the version that PUT made. Report what it drafted, not 0 rows.
                return sent[1], sent[2], page.body
            body, rows = timeline.merge(page.body, events, people)
            body, shown = shared.merge(body, files)
            if body == page.body:
                return 0, 0, body
            try:
                wiki.update_body(page, body, message="wikibot: drafted from the incident's Slack channel")
                return rows, shown, body
            except VersionConflict:
                sent = (body, rows, shown)
        raise ServiceError(f"Confluence: page {page_id} kept changing; the timeline was not drafted, try again")


def account_finder(jira: JiraGateway, wiki: ConfluenceGateway) -> Callable[[str], str | None]:
    """Email → the id the wiki's mentions use, through Jira's user search (Confluence Cloud cannot
    search by email): on Cloud the account id both share, on Data Center the Confluence user key of
    the Jira user's username (one directory behind both)."""
    def find(email: str) -> str | None:
        try:
            users = jira.find_users(email)
            exact = [u for u in users if (u.get("emailAddress") or email).lower() == email.lower()]
            return wiki.mention_id(exact[0]) if len(exact) == 1 else None
        except WikibotError as exc:  # a lookup failure leaves the name as text, never blocks the draft
            log.warning("account lookup for a Slack user failed: %s", type(exc).__name__)
            return None
    return find
