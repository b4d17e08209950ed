"""The Slack app's work: ``/postmortem`` in a channel, and what follows a page's creation.

Slack wants an answer to a slash command within 3 seconds, so ``command`` only parses and
answers "creating…"; the page is created (or found) in a background worker through the same
``PostmortemCreator.create`` as every other way in, so the exactly-once rules are the same. When
the page is new, the timeline and the channel's files are drafted into it and the customer-facing
channels are asked for input; either way the link is posted in the channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from typing import Any

from slack_sdk.signature import SignatureVerifier

from wikibot.config_sections import SlackConfig
from wikibot.create import CreateResult, PostmortemCreator
from wikibot.errors import WikibotError
from wikibot.incident import Incident
from wikibot.notify import slack_escape, slack_link
from wikibot.slack import command
from wikibot.slack.client import SlackApi
from wikibot.slack.command import Request
from wikibot.store.slack import SlackStore

log = logging.getLogger(__name__)

REFRESH_ACTION = "wikibot_refresh_timeline"


class SlackApp:
    def __init__(self, *, api: SlackApi, creator: PostmortemCreator, store: SlackStore, config: SlackConfig,
                 signing_secret: str, after_create: Callable[[str, str, CreateResult], str] | None = None,
                 refresh: Callable[[str, str], str] | None = None,
                 on_action: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any] | None] | None = None,
                 workers: int = 2) -> None:
        self.api = api
        self.creator = creator
        self.store = store
        self.config = config
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.after_create = after_create
        self.refresh = refresh
        self.on_action = on_action
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack")
        self._futures: list[Future[Any]] = []
        self._workspace: str | None = None

    # -- signed requests ------------------------------------------------------------------------
    def verify(self, body: bytes, headers: dict[str, str]) -> bool:
        """Slack's v0 signature over ``v0:<timestamp>:<raw body>``, the timestamp within 5 minutes."""
        if self._verifier is None:
            return False
        try:
            return self._verifier.is_valid_request(body, headers)
        except (ValueError, TypeError):  # a timestamp that is not a number
            return False

    # -- /postmortem ----------------------------------------------------------------------------
    def command(self, form: dict[str, str]) -> dict[str, str]:
        """The immediate (ephemeral) answer; the work itself is queued."""
        request = command.Request.from_form(form)
        incident_id, title = command.parse(request.text, request.channel_name, self.config.incident_channel_pattern)
        if incident_id is None:
            return {"response_type": "ephemeral", "text": command.USAGE}
        self.submit(self.create_from_channel, request, incident_id, title)
        return {"response_type": "ephemeral",
                "text": f"Creating the post-mortem for {slack_escape(incident_id)}… the link will be posted here."}

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future = self._executor.submit(self._logged, fn, *args)
        self._futures = [f for f in self._futures if not f.done()] + [future]
        return future

    def _logged(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception:
            log.exception("Slack background work failed")
            raise

    def wait(self, timeout: float = 30) -> None:
        """Wait for queued work (tests, shutdown)."""
        for future in list(self._futures):
            wait_for([future], timeout)  # never raises: a failure of the work itself was logged by _logged

    def close(self) -> None:
        self.wait(10)
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- buttons --------------------------------------------------------------------------------
    def interaction(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """A click on one of wikibot's buttons; answered at once, the work queued."""
        if payload.get("type") != "block_actions":
            return None
        payload = interaction_shape(payload)
        user = str((payload.get("user") or {}).get("id", ""))
        channel = str((payload.get("channel") or {}).get("id", ""))
        for action in payload.get("actions") or []:
            action_id = action.get("action_id")
            if action_id == REFRESH_ACTION and self.refresh is not None:
                self.submit(self._refresh_from_button, str(action.get("value", "")), channel, user)
            elif self.on_action is not None:
                return self.on_action(payload, action)
        return None

    def _refresh_from_button(self, page_id: str, channel_id: str, user_id: str) -> None:
        assert self.refresh is not None
        try:
            summary = self.refresh(page_id, channel_id)
        except WikibotError as exc:
            summary = f"Could not refresh the timeline: {exc}"
        try:
            self.api.post_ephemeral(channel_id, user_id, slack_escape(summary))
        except WikibotError as exc:
            log.warning("could not answer %s: %s", user_id, exc)

    def create_from_channel(self, request: Request, incident_id: str, title: str | None) -> CreateResult | None:
        try:
            channel = self.api.channel(request.channel_id)
            incident = Incident(incident_id=incident_id, title=title or channel.topic or channel.name or incident_id,
                                channel_url=self.channel_url(channel.id), lead=self._lead(request.user_id))
            result = self.creator.create(incident)
        except (WikibotError, ValueError) as exc:
            self._tell(request, f"Could not create the post-mortem for {incident_id}: {exc}")
            return None
        self.store.link_channel(incident_id, request.channel_id, result.page_id)
        note = ""
        if result.created and self.after_create is not None:
            try:
                note = self.after_create(incident_id, request.channel_id, result)
            except WikibotError as exc:
                note = f"(the timeline could not be drafted: {exc})"
                log.warning("drafting %s from Slack failed: %s", result.page_id, exc)
        self.post_link(request.channel_id, incident_id, result, note)
        return result

    def _lead(self, user_id: str) -> str | None:
        """Whoever runs /postmortem leads it (by email, which the creator resolves to their account)."""
        try:
            user = self.api.user(user_id)
        except WikibotError as exc:
            log.warning("could not read Slack user %s: %s", user_id, exc)
            return None
        return user.email or user.name or None

    def post_link(self, channel_id: str, incident_id: str, result: CreateResult, note: str = "") -> None:
        verb = "started" if result.created else "already exists"
        text = f":memo: Post-mortem for {slack_escape(incident_id)} {verb}: {slack_link(result.url, result.title)}"
        if note:
            text += f"\n{slack_escape(note)}"
        blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}},
                  {"type": "actions", "elements": [{"type": "button", "action_id": REFRESH_ACTION,
                                                    "text": {"type": "plain_text", "text": "Refresh timeline"},
                                                    "value": result.page_id}]}]
        try:
            self.api.post(channel_id, text, blocks=blocks)
        except WikibotError as exc:
            log.warning("could not post the post-mortem link in %s: %s", channel_id, exc)

    def _tell(self, request: Request, text: str) -> None:
        try:
            self.api.post_ephemeral(request.channel_id, request.user_id, slack_escape(text))
        except WikibotError as exc:
            log.warning("could not answer %s in %s: %s", request.user_id, request.channel_id, exc)

    def channel_url(self, channel_id: str) -> str | None:
        """The channel's link for the page; only a nicety, so a failure leaves it out."""
        try:
            if self._workspace is None:
                self._workspace = self.api.workspace_url()
        except WikibotError as exc:
            log.warning("could not read the workspace URL: %s", exc)
            return None
        return f"{self._workspace}/archives/{channel_id}"


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def interaction_shape(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with the shapes Slack documents where wikibot reads it (``user``, ``channel``,
    ``actions``, ``state.values.<block>.<element>``); anything else there becomes empty. A signed
    payload is still input: ``"user": 5`` must not be a traceback."""
    actions = payload.get("actions")
    values = _object(_object(payload.get("state")).get("values"))
    return {**payload, "user": _object(payload.get("user")), "channel": _object(payload.get("channel")),
            "actions": [a for a in actions if isinstance(a, dict)] if isinstance(actions, list) else [],
            "state": {"values": {block: {name: _object(element) for name, element in _object(elements).items()}
                                 for block, elements in values.items()}}}
