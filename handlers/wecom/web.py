"""`/wecom/callback` on the Flask app: WeCom's URL check, and commands typed to the app.

Several corps on one deployment (WECOM_CORPS): each answers at `/wecom/callback/<corp_id>` with its own token,
EncodingAESKey, secret and agent; a callback sealed with one corp's keys is refused (403) at another's path.
The single corp of WECOM_CORP_ID keeps `/wecom/callback` as well.

A POST is checked and decrypted at once, answered with an empty 200 well inside WeCom's 5
seconds, and the command runs afterwards on the worker. A MsgId seen before is answered and
dropped. Requests that fail the signature check get 403, bodies that are not WeCom's XML get
400; neither reaches the bot.

A message that is just a number (`2`, `１`) answers the latest question prompt its sender was
shown, and `Q3 2` answers question 3 of it when it asked several (see numbered.py); with none,
the person is told what to type instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, request
from sqlalchemy import Engine
from wechatpy.session import SessionStorage

from bot.app import Breachbot, create_app
from bot.chat import Context, acting_workspace
from bot.clock import Clock
from bot.commands import Answer, Command, Help
from bot.errors import UserError
from bot.flows import lookups, tenancy
from bot.incident import questions
from bot.settings import Settings
from handlers.firms import attach as attach_firms
from handlers.roster import warn_at_start
from handlers.router import parse
from handlers.wecom.api import WeComClient
from handlers.wecom.callback import CallbackCrypto, Inbound, Rejected
from handlers.wecom.chat import DM_PREFIX, WeComChat, dm_room
from handlers.wecom.config import WeComConfig, corp_configs, wecom_settings
from handlers.wecom.numbered import (
    NUMBERED_TYPES,
    SEVERAL,
    Digest,
    Named,
    Prompt,
    Prompts,
    Reply,
    Seen,
    from_spec,
    named_reply,
    numbered_reply,
    open_prompt,
    say,
    sender_incident,
)
from handlers.wecom.worker import SeenDeliveries, Worker
from handlers.wecom_shared import DatabasePace, StatusDue

log = logging.getLogger("breachbot.wecom")

PATH = "/wecom/callback"
EXTENSION = "breachbot.wecom"
MAX_BODY = 64 * 1024  # a callback is a few hundred bytes; anything this big is not WeCom
_FULLWIDTH_SPACE = "\u3000"


class WeComEndpoint:
    """The callback's state: crypto, the bot, the worker and the MsgIds already taken."""

    def __init__(self, *, bot: Breachbot, config: WeComConfig, crypto: CallbackCrypto,
                 worker: Worker | None = None, seen: SeenDeliveries | None = None,
                 prompts: Prompts | None = None, primary: bool = True) -> None:
        self.bot, self.config, self.crypto = bot, config, crypto
        # The corp of WECOM_CORP_ID keeps its MsgId keys as they were; other corps' MsgIds are keyed by corp.
        self.primary = primary
        self.worker = worker or Worker()
        self.seen = seen or SeenDeliveries()
        # The question prompts people were shown (the chat fills it as it sends them).
        self.prompts = prompts or getattr(bot.chat, "prompts", None) or Prompts(
            playbook=lambda: bot.playbook, lang=lambda: bot.lang)

    # -- HTTP -------------------------------------------------------------------------------------
    def view(self) -> Response:
        """GET: URL verification. POST: a message to the app."""
        try:
            if request.method == "GET":
                return Response(self.crypto.verify_url(request.args), mimetype="text/plain")
            if (request.content_length or 0) > MAX_BODY:
                raise Rejected(413, f"body of {request.content_length} bytes")
            inbound = self.crypto.open(request.args, request.get_data(cache=False))
        except Rejected as exc:
            log.warning("WeCom callback refused (%s) from %s: %s", exc.status, request.remote_addr, exc.reason)
            return Response("", status=exc.status, mimetype="text/plain")
        self.accept(inbound)
        return Response("", mimetype="text/plain")  # an empty answer: no passive reply

    def accept(self, inbound: Inbound) -> bool:
        """Queue a message for the worker, once per MsgId; False if it was dropped."""
        if inbound.kind == "event":
            log.debug("WeCom event %s from %s ignored", inbound.event, inbound.user)
            return False
        if inbound.agent_id and inbound.agent_id != self.config.agent_id:
            log.warning("WeCom message for agent %s, not ours (%s): ignored", inbound.agent_id, self.config.agent_id)
            return False
        if not self.seen.first_time(self.key(inbound)):
            log.info("WeCom MsgId %s from %s delivered again: already taken", inbound.msg_id, inbound.user)
            return False
        self.worker.submit(lambda: self.run(inbound))
        return True

    # -- the slow part ----------------------------------------------------------------------------
    def run(self, inbound: Inbound) -> None:
        """Turn a message into a command and let the bot handle it, with this corp's credentials; bad text is
        answered, not raised."""
        with tenancy.serving(self.bot, self.config.corp_id):  # its credentials, its language and settings
            self._run(inbound)

    def key(self, inbound: Inbound) -> str:
        """The de-duplication key of a callback to this corp."""
        return delivery_key(inbound) if self.primary else f"wecom:{self.config.corp_id}:{inbound.msg_id}"

    def _run(self, inbound: Inbound) -> None:
        context = Context(workspace=self.config.corp_id, user=inbound.user, room=dm_room(inbound.user),
                          platform="wecom", delivery_id=self.key(inbound))
        if inbound.kind != "text":  # a photo, a voice note …: say what the app understands
            self.bot.handle(context, Help())
            return
        reply = numbered_reply(inbound.text)
        if reply is not None:
            self.answer_by_number(context, reply)
            return
        named = named_reply(inbound.text)
        if named is not None:
            self.answer_named(context, named)
            return
        self.handle(context, lambda: parse(command_text(inbound.text), lang=self.bot.lang))

    def handle(self, context: Context, read: Callable[[], Command]) -> None:
        """Run what the person's text means; a UserError while reading it is said to them and nothing runs."""
        try:
            command = read()
        except UserError as exc:
            self.bot.chat.reply(context=context, message=exc.message)
            return
        self.bot.handle(context, command)

    def answer_by_number(self, context: Context, reply: Reply) -> None:
        """`2`: the choice numbered 2 of the latest prompt the sender saw, as `/breach answer` would."""
        lang = self.bot.lang
        seen = self.latest_prompt(context)

        def read() -> Command:
            chosen = (seen.only() or SEVERAL) if isinstance(seen, Digest) else seen  # a digest: one that takes it
            if chosen is SEVERAL:
                raise UserError(say(lang, "several"))
            if not isinstance(chosen, Prompt):
                raise UserError(say(lang, "none"))
            return chosen.answer(reply, lang)

        self.handle(context, read)

    def answer_named(self, context: Context, named: Named) -> None:
        """`Q3 2`: question 3 of the sender's latest prompt's incident, answered as its own prompt numbers it."""
        lang = self.bot.lang
        seen = self.latest_prompt(context)
        incident = seen.incident if isinstance(seen, Prompt | Digest) else None
        if incident is None:
            try:
                incident = sender_incident(self.bot, context)
            except Exception:  # the database is down: say what to type rather than nothing
                log.exception("open incidents of %s could not be read", context.user)

        def read() -> Command:
            if incident is None:
                raise UserError(say(lang, "none"))
            spec = questions.find(self.bot.playbook, str(named.number), lang)
            reply = numbered_reply(named.text)
            if reply is not None and spec.type in NUMBERED_TYPES:  # `2` means what the prompt numbered 2
                return from_spec(spec, incident=incident, lang=lang).answer(reply, lang)
            return Answer(question=spec.key, value=named.text, incident=incident)  # a time, counts, words: as typed

        self.handle(context, read)

    def latest_prompt(self, context: Context) -> Seen | None:
        """The latest prompt the sender saw, or after a restart what the database says is open."""
        seen = self.prompts.latest(context.user)
        if seen is None:
            try:
                seen = open_prompt(self.bot, context)
            except Exception:  # the database is down: say what to type rather than nothing
                log.exception("open questions of %s could not be read", context.user)
        return seen

    def drain(self) -> None:
        """Wait until every accepted message has been handled."""
        self.worker.drain()


def delivery_key(inbound: Inbound) -> str:
    """The de-duplication key of a callback, as the bot sees it in Context.delivery_id."""
    return f"wecom:{inbound.msg_id}"


def command_text(text: str) -> str:
    """What a person typed, with the full-width space and slash a Chinese keyboard gives made plain."""
    text = text.replace(_FULLWIDTH_SPACE, " ").strip()
    return "/" + text[1:] if text.startswith("／") else text


def team_lookup(bot: Breachbot, corp_id: str) -> Callable[[str], list[str]]:
    """A war room's team from the database, for a room this process did not create."""

    def team(room: str) -> list[str]:
        return lookups.room_team(bot, Context(workspace=acting_workspace() or corp_id, user="breachbot", room=room, platform="wecom"))

    return team


def incident_lookup(bot: Breachbot, corp_id: str) -> Callable[[str], int | None]:
    """The incident number of a war room, from the database (None for a room that is no war room)."""

    def number(room: str) -> int | None:
        if room.startswith(DM_PREFIX):
            return None
        return lookups.room_incident(bot, Context(workspace=acting_workspace() or corp_id, user="breachbot", room=room, platform="wecom"))

    return number


def build(settings: Settings, *, engine: Engine, clock: Clock | None = None,
          token_storage: SessionStorage | None = None) -> WeComEndpoint:
    """The bot on WeCom and its callback endpoint for the first corp, nothing mounted or started yet."""
    return build_all(settings, engine=engine, clock=clock, token_storage=token_storage)[0]


def build_all(settings: Settings, *, engine: Engine, clock: Clock | None = None,
              token_storage: SessionStorage | None = None) -> list[WeComEndpoint]:
    """One bot for every configured corp, and one callback endpoint per corp (WECOM_CORP_ID's first); each
    corp's client keeps its own access token (wechatpy keys the token cache by corp)."""
    configs = corp_configs(settings)
    clients = {c.corp_id: WeComClient(c.corp_id, c.secret, api_url=c.api_url, session=token_storage)
               for c in configs}
    first = configs[0]
    chat = WeComChat(clients[first.corp_id], agent_id=first.agent_id)
    chat.corps = {c.corp_id: (clients[c.corp_id], c.agent_id) for c in configs}
    bot = create_app(wecom_settings(settings), chat=chat, clock=clock, engine=engine)
    chat.team = team_lookup(bot, first.corp_id)
    attach_firms(bot, settings)
    chat.clock, chat.lang, chat.lang_of = bot.clock, bot.lang, lambda: bot.lang  # each firm's own (/breach config)
    chat.pace = DatabasePace(engine)  # every serve and worker on the database counts the same messages
    chat.due = StatusDue(engine)  # and knows which new group is owed its first status
    warn_at_start(chat, bot.firm)
    chat.prompts = Prompts(playbook=lambda: bot.playbook, lang=lambda: bot.lang,
                           incident_of=incident_lookup(bot, first.corp_id))
    for corp in configs:  # a corp's configured admins are its first ones (kept once the firm names its own)
        try:
            tenancy.first_admin(bot, platform="wecom", workspace=corp.corp_id, user=list(corp.admins))
        except Exception:  # another process did it at the same moment, or the database is down: not fatal
            log.exception("the first admins of WeCom corp %s could not be stored", corp.corp_id)
    worker, seen = Worker(), SeenDeliveries()  # one queue for every corp: a command at a time, in arrival order
    single = bool(settings.wecom_corp_id)
    return [WeComEndpoint(bot=bot, config=c, crypto=CallbackCrypto(token=c.token, aes_key=c.aes_key, corp_id=c.corp_id),
                          worker=worker, seen=seen, prompts=chat.prompts, primary=single and i == 0)
            for i, c in enumerate(configs)]


def register(app: Flask, *, settings: Settings, engine: Engine, clock: Clock | None = None,
             token_storage: SessionStorage | None = None) -> Breachbot:
    """Mount GET/POST /wecom/callback (WECOM_CORP_ID's corp) and /wecom/callback/<corp_id> (every corp) on `app`;
    returns the bot (start its AlertScheduler to send alerts)."""
    endpoints = build_all(settings, engine=engine, clock=clock, token_storage=token_storage)
    by_corp = {e.config.corp_id: e for e in endpoints}

    def corp_view(corp: str) -> Response:
        endpoint = by_corp.get(corp)
        if endpoint is None:
            log.warning("WeCom callback for corp %r, which is not configured: refused", corp[:40])
            return Response("", status=404, mimetype="text/plain")
        return endpoint.view()

    if endpoints[0].primary:
        app.add_url_rule(PATH, endpoint="wecom_callback", view_func=endpoints[0].view, methods=["GET", "POST"])
    app.add_url_rule(f"{PATH}/<corp>", endpoint="wecom_callback_corp", view_func=corp_view, methods=["GET", "POST"])
    app.extensions[EXTENSION] = endpoints[0]
    app.extensions[EXTENSION + ".corps"] = by_corp
    return endpoints[0].bot


def endpoint_of(app: Flask, corp: str | None = None) -> WeComEndpoint:
    """The WeCom endpoint mounted on `app` (the first corp's, or `corp`'s); tests drain its worker, shutdown
    stops it."""
    return app.extensions[EXTENSION] if corp is None else app.extensions[EXTENSION + ".corps"][corp]
