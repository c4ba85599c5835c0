"""/breach, buttons, modals and App Home: each acks at once and does its work lazily."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any
from urllib.error import HTTPError

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot import commands
from bot.app import Breachbot
from bot.chat import Context, Message
from bot.commands import Command
from bot.errors import UserError, new_error_id
from bot.incident.answers import valid_choices
from bot.text.i18n import message
from handlers.router import parse
from handlers.slack import inbound, modals
from handlers.slack.catalogue import ui
from handlers.slack.chat import FileTooLarge, SlackChat, download
from handlers.slack.forms import FormChecks
from handlers.slack.render import answered, escape, render

log = logging.getLogger("breachbot.slack")


def ack_now(ack: Ack) -> None:
    """Answer Slack inside its 3 seconds; the real work runs in a lazy listener."""
    ack()


IMPORT_WITHOUT_FILE = re.compile(r"(?:clients|客户)\s+(?:import|导入)(?:\s+BR-?(?P<incident>\d+))?", re.I)
EDIT_WITHOUT_TEXT = re.compile(r"(?:draft|起草)\s+edit\s+(?:BR-?(?P<incident>\d+)\s+)?D-?(?P<draft>\d+)", re.I)


class Listeners:
    """The bot behind Bolt: every method takes a Slack payload and hands the bot a neutral command."""

    def __init__(self, bot: Breachbot, chat: SlackChat, *, forms: Executor) -> None:
        self.bot = bot
        self.chat = chat
        self.forms = forms
        self.checks = FormChecks(bot, chat)

    def register(self, app: App) -> None:
        """Attach every listener to the Bolt app."""
        # A form opens from the ack, on a thread of its own: the trigger_id is good for 3 seconds, and the
        # lazy listeners' threads may all be asleep waiting out rate limits.
        app.command("/breach")(ack=self.slash_ack, lazy=[self.slash])
        app.action(inbound.BUTTONS)(ack=self.button_ack, lazy=[self.button])
        # Each form's answers become one command, run in the room the form was asked from; the view id
        # keys the delivery, so a double submit acts once.
        # A field the bot would refuse is answered under the field, and the form stays open (forms.py).
        for callback_id, read in ((modals.DECLARE, modals.read_declare), (modals.ASSIGN, modals.read_assign),
                                  (modals.EDIT, modals.read_edit), (modals.CLOSE, modals.read_close),
                                  (modals.SNOOZE, modals.read_snooze), (modals.ANSWER, modals.read_answer)):
            app.view(callback_id)(ack=self.checks.acker(callback_id), lazy=[self.submitted(callback_id, read)])
        app.view(modals.IMPORT)(ack=self.checks.acker(modals.IMPORT), lazy=[self.submit_import])
        app.event("app_home_opened")(ack=ack_now, lazy=[self.home])

    # -- running a command --------------------------------------------------------------------
    def run(self, context: Context, command: Command, response_url: str | None) -> bool:
        """Hand the bot a command; answers go back through the response_url when Slack gave one.

        True when the bot carried it out; False when it refused (it has said why) or failed.
        """
        with self.chat.responding(context.delivery_id, response_url):
            return self.bot.handle(context, command)

    def answer(self, context: Context, msg: Message, response_url: str | None) -> None:
        """Tell the person something without running a command (a typo, a modal that would not open)."""
        with self.chat.responding(context.delivery_id, response_url):
            try:
                self.chat.reply(context=context, message=msg)
            except Exception:
                log.exception("could not answer %s", context.user)

    # -- /breach --------------------------------------------------------------------------------
    @staticmethod
    def _slash_form(body: dict[str, Any]) -> bool:
        """Whether this /breach opens a form (a bare declare, assign or close; import or edit with no text)."""
        text = inbound.command_text(body.get("text", "")).strip()
        return bool(inbound.modal_word(text) or IMPORT_WITHOUT_FILE.fullmatch(text) or EDIT_WITHOUT_TEXT.fullmatch(text))

    def slash_ack(self, ack: Ack, body: dict[str, Any]) -> None:
        """Ack at once; a form is opened now, on the forms' own threads."""
        ack()
        if self._slash_form(body):
            self.forms.submit(self._logged, self.slash_form, body)

    def slash(self, body: dict[str, Any]) -> None:
        """/breach <text> as the router's command (forms were opened by the ack)."""
        if self._slash_form(body):
            return
        context = inbound.slash_context(body)
        text = inbound.command_text(body.get("text", ""))
        response_url = body.get("response_url")
        try:
            command = parse(text, lang=self.bot.lang)
        except UserError as exc:
            self.answer(context, exc.message, response_url)
            return
        self.run(context, command, response_url)

    @staticmethod
    def _logged(work: Callable[..., None], *args: Any) -> None:
        try:
            work(*args)
        except Exception:
            log.exception("could not open a form")

    def slash_form(self, body: dict[str, Any]) -> None:
        """The form a /breach asks for: declare, assign, close, client import or draft edit."""
        context = inbound.slash_context(body)
        text = inbound.command_text(body.get("text", ""))
        response_url = body.get("response_url")
        word = inbound.modal_word(text)
        if word:
            self.open_modal(word, body, context, response_url)
            return
        if found := IMPORT_WITHOUT_FILE.fullmatch(text.strip()):
            origin = modals.Origin(channel=context.room, response_url=response_url,
                                   incident=int(found["incident"]) if found["incident"] else None)
            self.open_view(body, context, response_url, modals.import_view(lang=self.bot.lang, origin=origin))
            return
        if edit := EDIT_WITHOUT_TEXT.fullmatch(text.strip()):
            self.open_edit(body, context, response_url, draft=int(edit["draft"]),
                           incident=int(edit["incident"]) if edit["incident"] else None)

    def open_edit(self, body: dict[str, Any], context: Context, response_url: str | None, *, draft: int,
                  incident: int | None) -> None:
        """`/breach draft edit D-n` with no text: the draft's current text in a modal."""
        try:
            text = self.bot.draft_text(context, draft, incident=incident)
        except UserError as exc:
            self.answer(context, exc.message, response_url)
            return
        origin = modals.Origin(channel=context.room, response_url=response_url, draft=draft, incident=incident)
        view = modals.edit_view(lang=self.bot.lang, origin=origin, text=text)
        if view is None:
            self.answer(context, Message.plain(ui(self.bot.lang, "edit.too_long").format(
                id=f"D-{draft}", length=len(text)), kind="error"), response_url)
            return
        self.open_view(body, context, response_url, view)

    def open_modal(self, word: str, body: dict[str, Any], context: Context, response_url: str | None) -> None:
        """views.open with the slash command's trigger_id (valid for 3 seconds, so it goes first)."""
        lang, playbook = self.bot.lang, self.bot.playbook
        origin = modals.Origin(channel=context.room, response_url=response_url)
        if word == "declare":
            view = modals.declare_view(lang=lang, severities=playbook.severities,
                                       default_severity=playbook.default_severity, origin=origin)
        elif word == "close":
            view = modals.close_view(lang=lang, causes={k: name(lang) for k, name in playbook.causes.items()},
                                     origin=origin)
        else:
            view = modals.assign_view(lang=lang, roles={k: name(lang) for k, name in playbook.roles.items()},
                                      origin=origin)
        self.open_view(body, context, response_url, view)

    # -- buttons and modals ----------------------------------------------------------------------
    @staticmethod
    def _button_form(action: dict[str, Any]) -> commands.Command | None:
        """The command of a button that opens a form (snooze, an answer typed in a box); else None."""
        command = inbound.button_command(action.get("action_id", ""), action.get("value", ""))
        if isinstance(command, commands.Snooze) or (isinstance(command, commands.Answer) and not command.value):
            return command
        return None

    def button_ack(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Ack at once; a button that asks in a form opens it now, on the forms' own threads."""
        ack()
        if self._button_form(action) is not None:
            self.forms.submit(self._logged, self.button_form, body, action)

    def button(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """task_done / phase_next / answer / approve buttons of the bot's own prompts."""
        command = inbound.button_command(action.get("action_id", ""), action.get("value", ""))
        if command is None:
            log.warning("ignoring button %r with value %r", action.get("action_id"), action.get("value"))
            return
        if self._button_form(action) is not None:  # opened by the ack
            return
        context = inbound.interaction_context(body, key=f"action:{body.get('trigger_id')}")
        # "Answered" replaces the buttons only once the bot took the answer; a refused one (the incident
        # is closed, the question gone) leaves them, and the refusal says why.
        if self.run(context, command, body.get("response_url")) and isinstance(command, commands.Answer):
            self.mark_answered(body, action)

    def button_form(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """The small form a snooze or an answer_form button asks in."""
        command = self._button_form(action)
        context = inbound.interaction_context(body, key=f"action:{body.get('trigger_id')}")
        if isinstance(command, commands.Snooze):  # a reason is needed: ask for it in a small form
            origin = modals.Origin(channel=context.room, response_url=body.get("response_url"),
                                   incident=command.incident, phase=command.phase)
            self.open_view(body, context, body.get("response_url"),
                           modals.snooze_view(lang=self.bot.lang, origin=origin))
            return
        if isinstance(command, commands.Answer):  # a count or a time: ask in a form
            self.open_answer(body, context, command)

    def open_answer(self, body: dict[str, Any], context: Context, command: commands.Answer) -> None:
        """The answer form for a question a button cannot answer."""
        lang = self.bot.lang
        try:
            spec = self.bot.playbook.question(command.question)
        except KeyError:
            return
        origin = modals.Origin(channel=context.room, response_url=body.get("response_url"),
                               incident=command.incident, question=spec.key)
        self.open_view(body, context, body.get("response_url"),
                       modals.answer_view(lang=lang, origin=origin, question=spec.text(lang)[:2000],
                                          hint=valid_choices(spec, lang)[:2000]))

    def mark_answered(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Turn the answered question's buttons into a line saying who answered what (a later answer does the same)."""
        message_ = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        ts = (body.get("container") or {}).get("message_ts") or message_.get("ts")
        if not channel or not ts or not message_.get("blocks"):
            return
        label = (action.get("text") or {}).get("text", action.get("value", ""))
        user = (body.get("user") or {}).get("id", "")
        said = ui(self.bot.lang, "answered").format(user=user, answer=escape(label))
        note = {"type": "context", "elements": [{"type": "mrkdwn", "text": said}]}
        blocks = answered(message_["blocks"], value=str(action.get("value", "")), note=note)
        try:
            self.chat.client.chat_update(channel=channel, ts=ts, blocks=blocks, text=message_.get("text", ""))
        except SlackApiError:
            log.warning("could not update the answered question in %s", channel)

    def submitted(self, callback_id: str, read: Callable[[dict[str, Any]], Command]) -> Callable[..., None]:
        """A lazy listener for a form whose answers `read` turns into a command."""
        check = self.checks.by_callback()[callback_id]

        def submit(body: dict[str, Any], view: dict[str, Any]) -> None:
            if self.checks.safely(check, view):  # answered under its fields; the form is still open
                return
            origin = modals.Origin.load(view.get("private_metadata"))
            context = inbound.interaction_context(body, room=origin.channel, key=f"view:{view['id']}")
            self.run(context, read(view), origin.response_url)

        return submit

    def open_view(self, body: dict[str, Any], context: Context, response_url: str | None,
                  view: dict[str, Any]) -> None:
        """views.open, telling the person (with an error id) if Slack refuses."""
        try:
            self.chat.client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError:
            error_id = new_error_id()
            log.exception("views.open failed (error %s)", error_id)
            self.answer(context, message(self.bot.lang, "error.internal", kind="error", error_id=error_id),
                        response_url)

    def submit_import(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The import modal: download the CSV Slack holds, hand its bytes to the bot."""
        if self.checks.import_(view):
            return
        origin = modals.Origin.load(view.get("private_metadata"))
        context = inbound.interaction_context(body, room=origin.channel, key=f"view:{view['id']}")
        shared = modals.import_file(view)
        url = (shared or {}).get("url_private_download") or (shared or {}).get("url_private")
        if not url:
            self.answer(context, message(self.bot.lang, "clients.need_file", kind="error"), origin.response_url)
            return
        name = shared.get("name", "CSV")
        try:
            content = download(self.chat.client, url)
        except FileTooLarge as exc:
            self.answer(context, message(self.bot.lang, "clients.file_too_large", kind="error", name=name,
                                         megabytes=exc.megabytes), origin.response_url)
            return
        except OSError as exc:  # Slack would not give it: gone, no access, a timeout
            why = f"HTTP {exc.code}" if isinstance(exc, HTTPError) else str(getattr(exc, "reason", exc))
            self.answer(context, message(self.bot.lang, "clients.file_unread", kind="error", name=name, why=why),
                        origin.response_url)
            return
        self.run(context, commands.ClientsImport(content=content, source=shared.get("name", ""),
                                                 incident=origin.incident), origin.response_url)

    # -- App Home ---------------------------------------------------------------------------------
    def home(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """Open incidents with their phase and next deadline, on the person's App Home tab."""
        if event.get("tab", "home") != "home":
            return
        context = inbound.event_context(body, user=event["user"], room=event.get("channel", ""))
        rendered = render(self.bot.home(context), lang=self.bot.lang)
        self.chat.client.views_publish(user_id=event["user"], view={"type": "home", "blocks": rendered.blocks})
