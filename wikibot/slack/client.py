"""Every Slack Web API call wikibot makes, behind one small typed class (slack_sdk underneath).

This is the one boundary for Slack's errors: ``SlackApiError`` (``{"ok": false, "error": ...}``),
slack_sdk's client errors and transport failures become a one-line ``ServiceError`` with the
cause chained. Rate limits (429 + Retry-After) and dropped connections are retried by slack_sdk's
retry handlers, which is safe for every call here: reads, and posts whose callers check first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from wikibot.errors import ServiceError

log = logging.getLogger(__name__)

T = TypeVar("T")
Message = dict[str, Any]
MAX_DOWNLOAD = 20 * 1024 * 1024


class SlackError(ServiceError):
    """A Slack call failed; ``code`` is Slack's error code (``channel_not_found``...) when it gave one."""

    def __init__(self, message: str, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.code = code


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    email: str | None
    tz: str


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    topic: str


class SlackApi:
    def __init__(self, api_url: str, token: str, *, timeout: float = 30, retries: int = 3) -> None:
        self.api_url = api_url
        self._token = token
        self.timeout = timeout
        self.client = WebClient(token=token, base_url=api_url, timeout=int(max(1, timeout)), retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=retries), ConnectionErrorRetryHandler(max_retry_count=retries)])

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except SlackApiError as exc:
            code = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            status = exc.response.status_code
            raise SlackError(f"Slack: {what}: {code or f'HTTP {status}'}", code=code, status=status) from exc
        except (SlackClientError, OSError) as exc:
            raise SlackError(f"Slack: {what}: cannot reach {self.api_url} ({type(exc).__name__})") from exc

    # -- reads ----------------------------------------------------------------------------------
    def bot_user_id(self) -> str:
        return str(self._call("auth.test", lambda: self.client.auth_test())["user_id"])

    def workspace_url(self) -> str:
        """``https://<workspace>.slack.com`` (no trailing slash), which permalinks start with."""
        return str(self._call("auth.test", lambda: self.client.auth_test()).get("url") or "").rstrip("/")

    def channel(self, channel_id: str) -> Channel:
        data = self._call("conversations.info", lambda: self.client.conversations_info(channel=channel_id))["channel"]
        return Channel(id=data["id"], name=data.get("name", ""), topic=(data.get("topic") or {}).get("value", ""))

    def history(self, channel_id: str) -> Iterator[Message]:
        """Every top-level message of the channel (thread roots included), following the cursor."""
        def pages() -> Iterator[SlackResponse]:
            yield from self.client.conversations_history(channel=channel_id, limit=200)
        for page in self._call("conversations.history", lambda: list(pages())):
            yield from page.get("messages") or []

    def replies(self, channel_id: str, ts: str) -> list[Message]:
        """A thread, parent first."""
        def pages() -> list[SlackResponse]:
            return list(self.client.conversations_replies(channel=channel_id, ts=ts, limit=200))
        return [m for page in self._call("conversations.replies", pages) for m in page.get("messages") or []]

    def pins(self, channel_id: str) -> list[Message]:
        items = self._call("pins.list", lambda: self.client.pins_list(channel=channel_id)).get("items") or []
        return [item["message"] for item in items if item.get("type") == "message" and item.get("message")]

    def user(self, user_id: str) -> SlackUser:
        data = self._call("users.info", lambda: self.client.users_info(user=user_id))["user"]
        return _user(data)

    def user_by_email(self, email: str) -> SlackUser | None:
        try:
            data = self._call("users.lookupByEmail", lambda: self.client.users_lookupByEmail(email=email))["user"]
        except SlackError as exc:
            if exc.code == "users_not_found":
                return None
            raise
        return _user(data)

    def download(self, url: str) -> bytes:
        """A file's bytes from ``url_private``; the bearer token is required (else Slack sends HTML)."""
        try:
            response = requests.get(url, headers={"Authorization": f"Bearer {self._token}"}, timeout=self.timeout,
                                    stream=True)
            response.raise_for_status()
            if response.headers.get("Content-Type", "").startswith("text/html"):
                raise SlackError("Slack: file download answered a sign-in page (check the files:read scope)")
            data = response.raw.read(MAX_DOWNLOAD + 1, decode_content=True)
        except requests.RequestException as exc:
            raise SlackError(f"Slack: file download failed ({type(exc).__name__})") from exc
        if len(data) > MAX_DOWNLOAD:
            raise SlackError("Slack: file larger than 20 MB, not copied")
        return data

    # -- writes ---------------------------------------------------------------------------------
    def open_dm(self, user_id: str) -> str:
        return str(self._call("conversations.open",
                              lambda: self.client.conversations_open(users=user_id))["channel"]["id"])

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None) -> str:
        """Post a message; returns its ts. ``text`` is the notification fallback when blocks are given."""
        response = self._call("chat.postMessage", lambda: self.client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False))
        return str(response["ts"])

    def post_ephemeral(self, channel: str, user: str, text: str) -> None:
        self._call("chat.postEphemeral", lambda: self.client.chat_postEphemeral(channel=channel, user=user, text=text))


def _user(data: dict[str, Any]) -> SlackUser:
    profile = data.get("profile") or {}
    return SlackUser(id=data["id"], name=data.get("real_name") or profile.get("real_name") or data.get("name", ""),
                     email=profile.get("email"), tz=data.get("tz") or "UTC")
