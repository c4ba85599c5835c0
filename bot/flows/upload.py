"""The client register's upload form, opened by the signed link `/breach clients import` gives where a chat cannot
carry a file (WeCom: bot/flows/register_import.py).

The form runs the very import a Slack file runs (the `clients import` flow, dispatched as the link's person from
the room they asked in, so who may import is checked as in chat), and the war room is told the same way. The
link is checked again inside the import's transaction, so a link revoked or expired meanwhile imports nothing.
It stays usable until it expires, for a corrected file: a file repeating clients already imported is refused
row by row, as in chat, so the register never doubles.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.chat import Context
from bot.commands import ClientsImport
from bot.errors import UserError, new_error_id
from bot.flows import delivering, dispatch, tenancy
from bot.flows.page import PageSite, Refused
from bot.flows.port import Bot
from bot.incident import incidents, links
from bot.outbox import Outbox
from bot.statements import clients
from bot.statements.template_context import long_date
from bot.text.i18n import message
from bot.text.i18n import text as t
from bot.views import page as view
from storage.db import transaction

log = logging.getLogger("breachbot.page")
CSV_ENDINGS = (".csv", ".txt")  # what Excel's "Save As CSV" and a text editor write


class RegisterUpload:
    """The upload form of one link, and the import of the file posted to it."""

    def __init__(self, site: PageSite, bots: Mapping[str, Bot]) -> None:
        self.site = site
        self.bots = dict(bots)  # platform → the bot that speaks for its firms (the war room is told through it)

    def form(self, *, token: str, number: int) -> dict[str, Any]:
        """What the form shows, in the firm's language; Refused unless the link opens it now."""
        now = self.site.clock.now()
        with transaction(self.site.readers) as session:
            opened = links.check(session, token=token, number=number, now=now, upload=True)
            ws, incident = opened.workspace, opened.incident
            lang = ws.lang if ws.lang in view.LANGS else "en"
            held = self.site._firm(session, ws)
            firm = held.firm.name_in(lang)
            shown = {"W": view.words(lang), "lang": lang, "firm": firm, "id": incidents.ref(incident),
                     "drill": incident.drill, "platform": ws.platform, "workspace": ws.external_id,
                     "user": "@" + self.site._namer(ws.platform, held)(opened.user), "person": opened.user,
                     "room": opened.room, "until": long_date(opened.link.expires_at, ws.timezone, lang),
                     "columns": clients.column_names_in(lang), "megabytes": clients.MAX_CSV // (1024 * 1024)}
        bot = self.bots.get(ws.platform)
        if bot is not None:  # the firm as the bot that imports for it knows it (its own settings, /breach config)
            with tenancy.serving(bot, ws.external_id):
                shown["firm"] = bot.firm.name_in(lang) or firm
        return shown

    def receive(self, *, token: str, number: int, filename: str, content: bytes | None,
                too_large: bool = False) -> dict[str, Any]:
        """Import a posted file as the link's person: the form's data with `done` (what the war room was told) or
        `error` (what was refused and why, every row that stopped it). Refused as the form is."""
        shown = self.form(token=token, number=number)
        lang, name = shown["lang"], filename or "CSV"
        bot = self.bots.get(shown["platform"])
        if bot is None:  # this process serves no bot for the firm's platform: nobody could tell the war room
            raise Refused(f"no {shown['platform']} bot here")
        if too_large or (content is not None and len(content) > clients.MAX_CSV):
            return shown | {"error": t(lang, "clients.file_too_large", name=name, megabytes=shown["megabytes"]),
                            "too_large": True}
        if not content:
            return shown | {"error": t(lang, "clients.upload_no_file")}
        if not name.lower().endswith(CSV_ENDINGS):
            return shown | {"error": t(lang, "clients.upload_not_csv", name=name)}
        context = Context(workspace=shown["workspace"], user=shown["person"], room=shown["room"],
                          platform=shown["platform"])
        with tenancy.serving(bot, context.workspace):
            return shown | self._run(bot, context, token=token, number=number, command=ClientsImport(
                content=content, source=name, incident=number), lang=lang)

    def _run(self, bot: Bot, context: Context, *, token: str, number: int, command: ClientsImport,
             lang: str) -> dict[str, str]:
        outbox = Outbox()
        try:
            with bot.unit() as session:
                links.check(session, token=token, number=number, now=bot.now(), upload=True)
                ws = bot.workspace(session, context)
                dispatch.run(bot, session, ws, context, command, outbox)  # type: ignore[arg-type]
                rows = delivering.enqueue(bot, session, outbox, now=bot.now())  # type: ignore[arg-type]
                held = self.site._firm(session, ws)
        except UserError as exc:
            return {"error": exc.message.plain_text()}
        except Refused:
            raise
        except Exception:
            error_id = new_error_id()
            log.exception("register upload failed (error %s) for %s", error_id, context.user)
            return {"error": message(lang, "error.internal", kind="error", error_id=error_id).plain_text()}
        bot.deliver(None, outbox, rows)  # type: ignore[attr-defined]  # the war room is told; nobody else
        name = self.site._namer(context.platform, held)
        return {"done": "\n".join(m.plain_text(mention=lambda u: "@" + name(u)) for _, _, m in outbox.posts)}
