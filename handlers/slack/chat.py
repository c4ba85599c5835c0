"""`SlackChat`: the Chat port on Slack's Web API (slack_sdk's WebClient)."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.webhook import WebhookClient

from bot.chat import Chat, Context, DeliveryError, Message, MessageRef, Upload, acting_workspace
from bot.settings import Settings
from bot.statements.clients import MAX_CSV
from handlers import platform_errors
from handlers.slack import history
from handlers.slack.history import KEY_EVENT
from handlers.slack.render import Rendered, fits, render

log = logging.getLogger("breachbot.slack")

NAME_MAX = 80  # Slack's limit for a channel name
SLUG_MAX = 24  # the slug after breach-<n>-: long enough to recognise, short enough to read
TOPIC_MAX = 250
NAME_ATTEMPTS = 5
_REMEMBERED = 500  # response_urls kept for deliveries in flight
_QUIET = {"already_in_channel", "cant_invite_self", "already_pinned"}
_MEMBER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_NO_EPHEMERAL = {"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived"}
# Slack's error codes that no retry can change, by what they are about (docs.slack.dev/reference/methods/
# chat.postMessage, conversations.invite, conversations.create, pins.add: "Errors"). Anything else, a 429
# (`ratelimited`, with Retry-After), a 5xx, `internal_error`, `fatal_error`, `service_unavailable`,
# `request_timeout` or a dropped connection, is temporary.
PERMANENT = {
    "room": {"channel_not_found", "is_archived", "not_in_channel", "restricted_action", "name_taken",
             "method_not_supported_for_channel_type"},
    "message": {"message_not_found", "cant_update_message"},  # deleted (the status is posted again)
    "user": {"user_not_found", "users_not_found", "account_inactive", "cant_invite", "user_is_restricted",
             "user_is_ultra_restricted", "user_disabled", "cannot_dm_bot", "messages_tab_disabled",
             "user_not_in_channel"},
    "size": {"msg_too_long", "msg_blocks_too_long", "invalid_blocks", "invalid_blocks_format",
             "too_many_attachments"},
    "call": {"not_authed", "invalid_auth", "token_revoked", "missing_scope", "no_permission", "invalid_arguments"},
}


API_TIMEOUT = 10  # seconds for one Web API call; a stalled call fails as temporary and the outbox retries it


def retry_handlers() -> list[RetryHandler]:
    """Retries for rate limits (honouring Retry-After) and dropped connections (replies, forms)."""
    return [RateLimitErrorRetryHandler(max_retry_count=2), ConnectionErrorRetryHandler(max_retry_count=2)]


def outbox_retry_handlers() -> list[RetryHandler]:
    """For the bot's own Web API calls: dropped connections only; a 429 goes back to the outbox, which
    waits its Retry-After without holding a thread (or a database transaction)."""
    return [ConnectionErrorRetryHandler(max_retry_count=2)]


def delivery_error(exc: SlackApiError, *, about: str = "room") -> DeliveryError:
    """A Slack error as a DeliveryError: permanent or temporary, and what it is about (never the SDK's text)."""
    code = error_code(exc) or f"http_{getattr(exc.response, 'status_code', 0)}"
    status = getattr(exc.response, "status_code", 200)
    headers = getattr(exc.response, "headers", None) or {}
    retry_after = next((float(v) for k, v in headers.items() if k.lower() == "retry-after"
                        and str(v).replace(".", "", 1).isdigit()), None)
    if status == 429 or code == "ratelimited":
        return DeliveryError("ratelimited", permanent=False, retry_after=retry_after or 30.0)
    if status >= 500:
        return DeliveryError(code, permanent=False, retry_after=retry_after)
    return platform_errors.classify(code, PERMANENT, label=code, about=about, retry_after=retry_after)


translated = platform_errors.translating(SlackApiError, lambda exc, about: delivery_error(exc, about=about))
"""`with translated(about):` Slack's errors become DeliveryErrors, so the outbox knows what to do with them."""


MAX_DOWNLOAD = MAX_CSV  # a client register of 10,000 rows is well under this


class FileTooLarge(ValueError):
    """A shared file over MAX_DOWNLOAD: not read further (the person is told in their language)."""

    megabytes = MAX_DOWNLOAD // (1024 * 1024)


def download(client: WebClient, url: str) -> bytes:
    """A file someone shared with the app (url_private), read with the bot token; FileTooLarge over MAX_DOWNLOAD,
    OSError if Slack will not give it."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - Slack's own file URL
        body = answer.read(MAX_DOWNLOAD + 1)
    if len(body) > MAX_DOWNLOAD:
        raise FileTooLarge(url)
    return body


def make_client(settings: Settings, token: str | None = "") -> WebClient:
    """The Web API client for the bot token (or `token`: a workspace's own, None for none), at
    `settings.slack_api_url`, with retry handlers."""
    if token == "":
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return WebClient(token=token, base_url=base_url, retry_handlers=retry_handlers(), timeout=API_TIMEOUT)


def make_outbox_client(settings: Settings, token: str | None = "") -> WebClient:
    """The Web API client the outbox sends with: the same, but 429s come back to be waited out."""
    client = make_client(settings, token)
    client.retry_handlers = outbox_retry_handlers()
    return client


def slug(title: str, limit: int = SLUG_MAX) -> str:
    """A short ASCII slug of a title ('' when nothing ASCII is left, e.g. a Chinese title)."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    words = [w for w in re.split(r"[^a-z0-9]+", ascii_text) if w]
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    return out or (words[0][:limit] if words else "")


def channel_name(base: str, title: str) -> str:
    """`breach-<n>-<slug>`: lower case, no spaces, within Slack's 80 characters."""
    base = re.sub(r"[^a-z0-9_-]+", "-", base.lower()).strip("-") or "breach"
    tail = slug(title)
    return (f"{base}-{tail}" if tail else base)[:NAME_MAX - 3]


def error_code(exc: SlackApiError) -> str:
    """The `error` Slack answered with ('' when it sent none)."""
    return str(exc.response.get("error", "")) if exc.response is not None else ""


class SlackChat(Chat):
    """Rooms are private channels, message refs are `ts`, replies are ephemeral unless public."""

    platform = "slack"
    marks_mentions = True
    parallel_lanes = 6  # a declare's invites go out beside its status (#16: a usable war room within 600 ms)

    def __init__(self, client: WebClient, *, lang: str = "en", tokens: Callable[[str | None], WebClient] | None = None
                 ) -> None:
        self._client = client
        self._tokens = tokens  # several workspaces (OAuth): each one's client, by the workspace acted for
        self.lang_of: Callable[[], str] | None = None  # the served firm's language (the bot's, app.py)
        self.lang = lang
        self._response_urls: OrderedDict[str, str] = OrderedDict()
        self._names: dict[str, str] = {}
        self._topics: dict[str, str] = {}  # the topic last set in each room
        self._rosters: dict[str | None, list[dict]] = {}  # each workspace's members
        self._lock = threading.Lock()

    lang = property(lambda self: self.lang_of() if self.lang_of else self._lang,
                    lambda self, value: setattr(self, "_lang", value), doc="The language this adapter renders in.")

    @property
    def client(self) -> WebClient:
        """The Web API client of the workspace being acted for (one token: always the same)."""
        if self._tokens is None:
            return self._client
        return self._tokens(acting_workspace())

    @client.setter
    def client(self, value: WebClient) -> None:
        self._client = value

    # -- answering the person who acted ----------------------------------------------------------
    @contextmanager
    def responding(self, delivery_id: str | None, response_url: str | None) -> Iterator[None]:
        """While one delivery is handled, answer its person through the response_url Slack gave with it."""
        if not delivery_id or not response_url:
            yield
            return
        with self._lock:
            self._response_urls[delivery_id] = response_url
            while len(self._response_urls) > _REMEMBERED:
                self._response_urls.popitem(last=False)
        try:
            yield
        finally:
            with self._lock:
                self._response_urls.pop(delivery_id, None)

    def reply(self, *, context: Context, message: Message, public: bool = False) -> None:
        """Through the response_url when there is one (works in any channel, DMs too), else ephemeral."""
        rendered = render(message, lang=self.lang)
        with self._lock:
            url = self._response_urls.get(context.delivery_id or "")
        if url:
            try:
                self._respond(url, rendered, public=public)
                return
            except Exception:  # an expired response_url: fall back to the Web API
                log.warning("response_url failed for %s; answering through the Web API", context.user,
                            exc_info=True)
        if public:
            self._post(context.room, rendered)
            return
        try:
            self.client.chat_postEphemeral(channel=context.room, user=context.user, text=rendered.text,
                                           blocks=rendered.blocks)
        except SlackApiError as exc:
            if error_code(exc) not in _NO_EPHEMERAL:
                raise
            self.direct(user=context.user, message=message)

    def _respond(self, url: str, rendered: Rendered, *, public: bool) -> None:
        hook = WebhookClient(url, retry_handlers=retry_handlers())
        answer = hook.send(text=rendered.text, blocks=rendered.blocks, replace_original=False,
                           response_type="in_channel" if public else "ephemeral")
        if answer.status_code != 200:
            raise RuntimeError(f"response_url answered {answer.status_code}: {answer.body}")

    # -- rooms -----------------------------------------------------------------------------------
    def create_room(self, *, name: str, topic: str, members: list[str], private: bool = True,
                    title: str = "") -> str:
        """A private channel `breach-<n>-<slug>` (suffixed when the name is taken); nothing else.

        Inviting, the topic and the status are the outbox's next steps, each retried on its own, so a
        bad member id never leaves a channel behind without its incident knowing it.
        """
        base = channel_name(name, title)
        for attempt in range(1, NAME_ATTEMPTS + 1):
            candidate = base if attempt == 1 else f"{base}-{attempt}"
            try:
                created = self.client.conversations_create(name=candidate, is_private=private)
            except SlackApiError as exc:
                if error_code(exc) == "name_taken" and attempt < NAME_ATTEMPTS:
                    continue
                raise delivery_error(exc) from exc
            break
        return str(created["channel"]["id"])

    def invite(self, *, room: str, users: list[str]) -> None:
        """conversations.invite; people already there (or the bot itself) are not an error."""
        people = list(dict.fromkeys(u for u in users if u))
        if not people:
            return
        try:
            self.client.conversations_invite(channel=room, users=",".join(people), force=True)
        except SlackApiError as exc:
            if error_code(exc) not in _QUIET:
                raise delivery_error(exc, about="user") from exc

    def set_topic(self, *, room: str, topic: str) -> None:
        """conversations.setTopic, cut to Slack's 250 characters, only when the text changed.

        Each change posts "set the channel topic" in the channel, and the method is rate-limited
        (Tier 2), so the topic this process last set is remembered and not set again.
        """
        text = topic if len(topic) <= TOPIC_MAX else topic[: TOPIC_MAX - 1] + "…"
        with self._lock:
            if self._topics.get(room) == text:
                return
        with translated():
            self.client.conversations_setTopic(channel=room, topic=text)
        with self._lock:
            self._topics[room] = text

    # -- messages --------------------------------------------------------------------------------
    def post(self, *, room: str, message: Message) -> MessageRef:
        """chat.postMessage; the ref's id is the message ts."""
        with translated():
            return self._post(room, render(message, lang=self.lang))

    def fits(self, message: Message) -> bool:
        """Within Slack's limits for one message (50 blocks, 3,000 a section, ~12,000 in all)."""
        return fits(message, lang=self.lang)

    def _post(self, room: str, rendered: Rendered, *, key: str = "") -> MessageRef:
        extra = {"metadata": {"event_type": KEY_EVENT, "event_payload": {"key": key}}} if key else {}
        posted = self.client.chat_postMessage(channel=room, text=rendered.text, blocks=rendered.blocks,
                                              unfurl_links=False, unfurl_media=False, **extra)
        return MessageRef(room=str(posted["channel"]), id=str(posted["ts"]))

    def post_once(self, *, room: str, message: Message, key: str) -> MessageRef:
        """chat.postMessage with the outbox's key in the message's metadata (found again by `sent_before`)."""
        with translated():
            return self._post(room, render(message, lang=self.lang), key=key)

    def sent_before(self, *, room: str, key: str) -> bool | None:
        """Whether the war room, or the DM with a member id, already has the message with this key
        (handlers/slack/history.py: a DM needs the im:history scope); None when Slack cannot tell."""
        return history.sent_before(self.client, room=room, key=key, dm=bool(_MEMBER_ID.match(room)))

    def update(self, *, ref: MessageRef, message: Message) -> None:
        """chat.update of the same ts: one living message."""
        rendered = render(message, lang=self.lang)
        with translated():
            self.client.chat_update(channel=ref.room, ts=ref.id, text=rendered.text, blocks=rendered.blocks)

    def pin(self, *, ref: MessageRef) -> None:
        """pins.add; pinning twice is not an error."""
        try:
            self.client.pins_add(channel=ref.room, timestamp=ref.id)
        except SlackApiError as exc:
            if error_code(exc) not in _QUIET:
                raise delivery_error(exc) from exc

    def direct(self, *, user: str, message: Message) -> MessageRef:
        """chat.postMessage to the person's id: Slack delivers it in their direct messages with the app
        (one call instead of conversations.open + chat.postMessage; bench/ counts calls per declare)."""
        with translated(about="user"):
            return self._post(user, render(message, lang=self.lang))

    def direct_once(self, *, user: str, message: Message, key: str) -> MessageRef:
        """A direct message with the outbox's key in its metadata (found again by `sent_before` with im:history)."""
        with translated(about="user"):
            return self._post(user, render(message, lang=self.lang), key=key)

    def upload(self, *, room: str, upload: Upload) -> str:
        """files_upload_v2 into the room; returns the file's permalink."""
        with translated():
            done = self.client.files_upload_v2(channel=room, content=upload.content, filename=upload.filename,
                                               title=upload.title or upload.filename)
        file = done.get("file") or (done.get("files") or [{}])[0]
        return str(file.get("permalink") or file.get("id") or "")

    def find_user(self, typed: str) -> str | None:
        """A member ID as is (if Slack knows it and it is active); a name or e-mail looked up in users.list.

        The workspace's members are read once and remembered (users.list is Tier 2: 20+ calls a minute).
        """
        if _MEMBER_ID.match(typed):
            return typed if self.check_user(typed) is None else None
        wanted = typed.strip().lstrip("@").casefold()
        matches = [m["id"] for m in self._members() if not m.get("deleted") and wanted in {
            str(v).casefold() for v in (m.get("name"), m.get("real_name"), m.get("profile", {}).get("display_name"),
                                         m.get("profile", {}).get("real_name"), m.get("profile", {}).get("email")) if v}]
        return matches[0] if len(matches) == 1 else None

    def check_user(self, user: str) -> str | None:
        """Why a member ID is not a usable account: user_not_found, deactivated; None when it is fine."""
        try:
            profile = self.client.users_info(user=user)["user"]
        except SlackApiError as exc:
            return error_code(exc) or "user_not_found"
        return "deactivated" if profile.get("deleted") else None

    def _members(self) -> list[dict]:
        team = acting_workspace()
        with self._lock:
            if team in self._rosters:
                return self._rosters[team]
        members: list[dict] = []
        cursor = None
        with translated(about="user"):
            while True:
                page = self.client.users_list(limit=200, cursor=cursor)
                members += page.get("members", [])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        with self._lock:
            self._rosters[team] = members
        return members

    def display_name(self, user: str) -> str:
        """The person's Slack display name (users.info, remembered); their id if Slack will not say."""
        with self._lock:
            if user in self._names:
                return self._names[user]
        try:
            profile = self.client.users_info(user=user)["user"]
        except SlackApiError:
            return user
        name = (profile.get("profile", {}).get("display_name") or profile.get("real_name")
                or profile.get("name") or user)
        with self._lock:
            self._names[user] = name
        return name
