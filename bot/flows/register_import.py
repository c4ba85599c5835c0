"""`/breach clients import` (zh `客户 导入`): the affected-client register from a CSV, as a platform hands it over.

Slack hands over the file shared with the command, the console the file at the path typed. A WeCom self-built
app never receives a file: its callbacks carry only text, images, voice, video, locations and links ("消息类型
支持:文本、图片、语音、视频、位置以及链接信息", 企业内部开发 › 接收消息与事件 › 消息格式,
https://developer.work.weixin.qq.com/document/path/90239). There, and wherever `Chat.receives_files` is False,
the command answers the asker alone with a signed upload link (`upload_url`, valid `links.UPLOAD_HOURS`) to a
form `breachbot serve` serves (bot/flows/upload.py), which runs this same import as that person.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.chat import Context, Mention, Message
from bot.commands import ClientsImport
from bot.errors import UserError
from bot.flows.base import acknowledge, drill, resolve
from bot.flows.port import Bot
from bot.incident import incidents, links, wording
from bot.incident.incidents import require_open
from bot.outbox import Outbox
from bot.registry import command
from bot.statements import clients, keys
from bot.statements.template_context import long_date
from bot.text.i18n import message
from bot.text.i18n import text as t
from storage.models import Incident, Workspace


def upload_url(base: str, incident: Incident, token: str) -> str:
    """Where an upload link opens the register's upload form."""
    return f"{base}/incidents/{incidents.ref(incident)}/clients/upload?k={token}"


@command(ClientsImport, "clients import")
def clients_import(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: ClientsImport,
                   out: Outbox) -> None:
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident)
    if cmd.content is None:
        if bot.chat.receives_files:
            raise UserError(t(lang, "clients.need_file"))
        offer_upload(bot, session, ws, context, incident, out)
        return
    vault = keys.firm_vault(session, workspace_id=incident.workspace_id, now=bot.now(),  # made at the first import
                            master=bot.settings.data_key.get_secret_value() if bot.settings.data_key else None)
    progress_lines: list[str] = []

    def progress(done: int, total: int) -> None:
        progress_lines.append(t(lang, "clients.progress", done=done, total=total))

    result = clients.import_csv(session, incident=incident, raw=cmd.content, vault=vault, actor=context.user,
                                now=bot.now(), lang=lang, progress=progress, data_aliases=_data_words(bot))
    if result.problems:
        shown = result.problems[:20]
        more = len(result.problems) - len(shown)
        text = "\n".join([t(lang, "clients.rejected", count=len(result.problems))] + shown
                         + ([t(lang, "clients.more", count=more)] if more else []))
        raise UserError(text)
    if len(progress_lines) > 1:
        out.reply(Message.plain("\n".join(progress_lines)))
    summary = clients.counts(clients.register(session, incident))
    out.post(incident, message(lang, "clients.imported", actor=Mention(context.user),
                                        count=result.imported, total=summary["total"], encoding=result.encoding,
                                        residences=wording.residences(summary["by_residence"], lang)))
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)


def offer_upload(bot: Bot, session: Session, ws: Workspace, context: Context, incident: Incident,
                 out: Outbox) -> None:
    """The asker's own link to upload the register's CSV (told to them only); nothing else changes but the
    timeline's record of the link. Refused like an import would be: a closed incident, no data key."""
    lang = ws.lang
    require_open(incident, lang)
    if not bot.settings.data_key:
        raise UserError(t(lang, "clients.no_key"))
    now = bot.now()
    made, token = links.create(session, incident=incident, hours=links.UPLOAD_HOURS,
                               for_name=t(lang, "clients.upload_for", user=context.user)[:links.MAX_FOR],
                               actor=context.user, now=now, upload_room=context.room)
    out.reply(message(lang, "clients.upload_link", id=incidents.ref(incident), link=f"L-{made.number}",
                      url=upload_url(bot.settings.page_base, incident, token),
                      until=long_date(made.expires_at, ws.timezone, lang)).prefixed(drill(incident, lang)),
              public=False)


def _data_words(bot: Bot) -> dict[str, str]:
    """The words a CSV may use for a data category: the data question's labels, whole or split at '/'."""
    words: dict[str, str] = {}
    for question in bot.playbook.questions():
        if question.sets == "data":
            for option in question.options:
                for label in (option.label.en, option.label.zh):
                    for word in [label, *label.split("/")]:
                        words.setdefault(word.strip(), option.key)
    return words
