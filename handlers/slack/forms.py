"""Checking a submitted form before Slack closes it: a bad field is answered with `response_action:
"errors"` under that field, and the form stays open with everything typed in it.

Slack waits 3 seconds for the answer to a view_submission; a non-empty `errors` object keyed by block
id "displays the errors … and keeps the modal open" (docs.slack.dev/surfaces/modals, "Displaying
errors in views"). The checks are the bot's own (the same parsers and limits a typed command meets),
run without the database, so they answer in milliseconds; what only the bot can judge (who may close,
a closed incident) still comes back as a message after the form closed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

from bot import commands
from bot.app import Breachbot
from bot.errors import UserError
from bot.flows.canonical import canonical
from bot.incident.answers import parse_answer
from bot.incident.incidents import check_text, check_title
from bot.statements.drafts import DRAFT_MAX
from bot.text.i18n import text as t
from bot.text.times import parse_duration
from handlers.slack import modals
from handlers.slack.chat import SlackChat

Errors = dict[str, str]
ERROR_MAX = 150  # keep what is shown under a field short: the first sentence of the bot's refusal


def _said(exc: UserError | ValueError) -> str:
    """A refusal as one short text for under a field."""
    text = exc.message.plain_text() if isinstance(exc, UserError) else str(exc)
    text = " ".join(text.split())
    if len(text) <= ERROR_MAX:
        return text
    sentence = text[:ERROR_MAX].rsplit(". ", 1)[0]
    return sentence + "." if len(sentence) > 20 else text[:ERROR_MAX - 1] + "…"


class FormChecks:
    """One check per form: the submitted view → errors by block id (empty: the form is fine)."""

    def __init__(self, bot: Breachbot, chat: SlackChat) -> None:
        self.bot = bot
        self.chat = chat

    def by_callback(self) -> dict[str, Callable[[dict[str, Any]], Errors]]:
        """Each form's callback id and its check."""
        return {modals.DECLARE: self.declare, modals.ASSIGN: self.assign, modals.EDIT: self.edit,
                modals.CLOSE: self.close, modals.SNOOZE: self.snooze, modals.ANSWER: self.answer,
                modals.IMPORT: self.import_}

    def acker(self, callback_id: str) -> Callable[..., None]:
        """Bolt's ack function for a form: the errors under their fields, or a plain ack."""
        check = self.by_callback()[callback_id]

        def ack_form(ack: Ack, view: dict[str, Any]) -> None:
            errors = self.safely(check, view)
            if errors:
                ack(response_action="errors", errors=errors)
            else:
                ack()

        return ack_form

    @staticmethod
    def safely(check: Callable[[dict[str, Any]], Errors], view: dict[str, Any]) -> Errors:
        """A check that itself failed lets the form through: the bot then judges it and answers."""
        try:
            return check(view)
        except Exception:  # noqa: BLE001 - the bot's own handling reports anything real
            return {}

    def _canonical(self, command: commands.Command) -> None:
        canonical(command, playbook=self.bot.playbook, lang=self.bot.lang, now=self.bot.now(),
                  tz=self.bot.timezone)

    # -- the forms -------------------------------------------------------------------------------
    def declare(self, view: dict[str, Any]) -> Errors:
        command = modals.read_declare(view)
        errors: Errors = {}
        try:
            check_title(command.title, self.bot.lang)
        except UserError as exc:
            errors["title"] = _said(exc)
        if command.aware:
            try:
                self._canonical(commands.Declare(title=command.title or "-", aware=command.aware))
            except UserError as exc:
                errors["aware"] = _said(exc)
        return errors

    def assign(self, view: dict[str, Any]) -> Errors:
        command = modals.read_assign(view)
        errors: Errors = {}
        if not command.user or self.chat.check_user(command.user) is not None:
            errors["user"] = _said(UserError(t(self.bot.lang, "error.unknown_person", typed=command.user or "-",
                                                 platform=t(self.bot.lang, "platform_name.slack"))))
        try:
            self._canonical(command)
        except UserError as exc:
            errors["role"] = _said(exc)
        return errors

    def edit(self, view: dict[str, Any]) -> Errors:
        text = modals.edited_text(view)
        origin = modals.Origin.load(view.get("private_metadata"))
        if not text.strip():
            return {"text": t(self.bot.lang, "draft.edit_empty", id=f"D-{origin.draft}")}
        if len(text) > DRAFT_MAX:
            return {"text": t(self.bot.lang, "error.text_long", what=f"D-{origin.draft}", max=DRAFT_MAX,
                              length=len(text))}
        return {}

    def close(self, view: dict[str, Any]) -> Errors:
        command = modals.read_close(view)
        errors: Errors = {}
        try:
            self._canonical(command)
        except UserError as exc:
            errors["cause"] = _said(exc)
        try:
            check_text(command.lessons, self.bot.lang, what=modals.ui(self.bot.lang, "close.lessons"))
        except UserError as exc:
            errors["lessons"] = _said(exc)
        return errors

    def snooze(self, view: dict[str, Any]) -> Errors:
        command = modals.read_snooze(view)
        errors: Errors = {}
        try:
            parse_duration(command.duration, lang=self.bot.lang)
        except ValueError as exc:
            errors["delay"] = _said(exc)
        try:
            check_text(command.reason, self.bot.lang, what=modals.ui(self.bot.lang, "snooze.reason"))
        except UserError as exc:
            errors["reason"] = _said(exc)
        return errors

    def answer(self, view: dict[str, Any]) -> Errors:
        command = modals.read_answer(view)
        try:
            spec = self.bot.playbook.question(command.question)
        except KeyError:
            return {}
        try:
            parse_answer(spec, command.value, now=self.bot.now(), tz=self.bot.timezone, lang=self.bot.lang)
        except (UserError, ValueError) as exc:
            return {"value": _said(exc)}
        return {}

    def import_(self, view: dict[str, Any]) -> Errors:
        if modals.import_file(view) is None:
            return {"file": modals.ui(self.bot.lang, "import.pick_file")}
        return {}
