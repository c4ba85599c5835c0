"""Flows for statements and the client register: draft, edit, approve, import, letters, who was told."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from bot import clients, drafts, incidents, statements
from bot.chat import Button, Context, Mention, Message, Strong, Text, Upload
from bot.commands import (
    Approve,
    ClientsImport,
    ClientsNotified,
    ClientsShow,
    DraftEdit,
    DraftNew,
    Drafts,
    DraftShow,
    Letters,
)
from bot.errors import UserError
from bot.flow_base import acknowledge, here, moment_done, resolve, role_holders
from bot.i18n import line, message
from bot.i18n import text as t
from bot.outbox import Outbox
from storage.models import Draft, DraftVersion, Incident, Workspace

if TYPE_CHECKING:
    from bot.app import Breachbot


def _env(bot: Breachbot):  # noqa: ANN202 - a jinja environment, built once per bot
    env = getattr(bot, "_templates", None)
    if env is None:
        env = drafts.environment(bot.settings.templates_dir)
        bot._templates = env  # type: ignore[attr-defined]
    return env


def _context(bot: Breachbot, session: Session, ws: Workspace, incident: Incident, lang: str,
             regime: str | None = None, client_name: str = drafts.CLIENT_TOKEN) -> dict:
    return statements.context(session, incident=incident, playbook=bot.playbook, regimes=bot.regimes,
                              firm_profile=bot.firm_profile, ws=ws, lang=lang, now=bot.now(),
                              firm_name=bot.settings.firm_name, firm_contact=bot.settings.firm_contact,
                              regime_key=regime, client_name=client_name)


def draft_card(incident: Incident, draft: Draft, version: DraftVersion, ws: Workspace, *, full: bool) -> Message:
    """A draft in the war room: header, gaps, the text, how to edit and approve."""
    lang = ws.lang
    prefix = (Text(t(lang, "drill.prefix")),) if incident.drill else ()
    lines = [prefix + line(lang, "draft.header", id=Strong(f"D-{draft.number} v{version.version}"), kind=draft.kind,
                           lang=draft.lang, status=t(lang, f"draft.status.{version.status}"))]
    if version.gaps:
        gaps = ", ".join(t(lang, f"draft.fact.{g}") if drafts.known_fact(g) else g for g in version.gaps)
        lines.append(line(lang, "draft.gaps", gaps=gaps))
    if version.approvals:
        signed = ", ".join(f"{a['role']} {a['user']}" for a in version.approvals)
        lines.append(line(lang, "draft.signed", who=signed))
    body = version.text if full else version.text[:1500] + ("…" if len(version.text) > 1500 else "")
    lines += [(Text("    " + part),) for part in body.rstrip("\n").split("\n")]
    lines.append(line(lang, "draft.hint", n=draft.number))
    buttons = () if version.status == "approved" else (
        Button(label=t(lang, "draft.approve_button", id=f"D-{draft.number}"), action_id="approve",
               value=f"{incident.number}:{draft.number}", style="primary",
               confirm=t(lang, "draft.approve_confirm", id=f"D-{draft.number} v{version.version}")),)
    return Message(lines=tuple(lines), buttons=buttons, kind="draft")


def draft_new(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: DraftNew, out: Outbox) -> None:
    now = bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    lang = cmd.lang or ws.lang
    if cmd.kind not in drafts.KINDS:
        raise UserError(t(ws.lang, "draft.bad_kind", value=cmd.kind, choices=", ".join(drafts.KINDS)))
    if lang not in ("en", "zh"):
        raise UserError(t(ws.lang, "draft.bad_lang", value=lang))
    if cmd.variant not in ("individual", "company"):
        raise UserError(t(ws.lang, "draft.bad_variant", value=cmd.variant))
    if cmd.regime and cmd.regime not in bot.regimes.regimes:
        raise UserError(t(ws.lang, "draft.bad_regime", value=cmd.regime,
                          choices=", ".join(bot.regimes.regimes)))
    name = drafts.template_name(cmd.kind, lang, variant=cmd.variant, regime=cmd.regime)
    rendered = drafts.render(_env(bot), name, _context(bot, session, ws, incident, lang, cmd.regime), lang)
    draft, version = drafts.create(session, incident=incident, kind=cmd.kind, template=name, lang=lang,
                                   regime=cmd.regime, rendered=rendered, actor=context.user, now=now)
    out.post(incident.war_room, draft_card(incident, draft, version, ws, full=True))
    if not here(context, incident):
        out.reply(message(ws.lang, "draft.created", id=f"D-{draft.number}", incident=incidents.ref(incident)))


def draft_edit(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: DraftEdit,
               out: Outbox) -> None:
    incident = resolve(session, ws, context, cmd.incident)
    draft = drafts.by_number(session, incident=incident, number=cmd.number, lang=ws.lang)
    version = drafts.edit(session, incident=incident, draft=draft, text=cmd.text, actor=context.user,
                          now=bot.now(), lang=ws.lang)
    out.post(incident.war_room, draft_card(incident, draft, version, ws, full=False))


def draft_show(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: DraftShow,
               out: Outbox) -> None:
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    draft = drafts.by_number(session, incident=incident, number=cmd.number, lang=ws.lang)
    out.reply(draft_card(incident, draft, drafts.current(session, draft), ws, full=True), public=here(context, incident))


def draft_list(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Drafts, out: Outbox) -> None:
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    found = drafts.all_drafts(session, incident)
    if not found:
        out.reply(message(lang, "draft.none", id=incidents.ref(incident)))
        return
    lines = [line(lang, "draft.list_header", id=incidents.ref(incident))]
    for draft, version in found:
        need = ", ".join(bot.playbook.drafts[draft.kind].approvers)
        lines.append((Text(f"  D-{draft.number} v{version.version} · {draft.kind} · {draft.lang} · "
                           f"{t(lang, f'draft.status.{version.status}')} · {need}"),))
    out.reply(Message(lines=tuple(lines)), public=here(context, incident))


def approve(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Approve, out: Outbox) -> None:
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident)
    draft = drafts.by_number(session, incident=incident, number=cmd.number, lang=lang)
    result = drafts.approve(session, incident=incident, draft=draft, playbook=bot.playbook,
                            holders=role_holders(session, incident), actor=context.user, now=bot.now(), lang=lang)
    key = "draft.approved" if result.approved else "draft.signed_waiting"
    out.post(incident.war_room, message(lang, key, id=f"D-{draft.number} v{result.version.version}",
                                        actor=Mention(context.user), roles=", ".join(result.roles),
                                        missing=", ".join(result.missing)))
    acknowledge(out, context, incident, lang)


def clients_import(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: ClientsImport,
                   out: Outbox) -> None:
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident)
    if cmd.content is None:
        raise UserError(t(lang, "clients.need_file"))
    vault = clients.Vault(bot.settings.data_key.get_secret_value() if bot.settings.data_key else None)
    progress_lines: list[str] = []

    def progress(done: int, total: int) -> None:
        progress_lines.append(t(lang, "clients.progress", done=done, total=total))

    result = clients.import_csv(session, incident=incident, raw=cmd.content, vault=vault, actor=context.user,
                                now=bot.now(), lang=lang, progress=progress)
    if result.problems:
        shown = result.problems[:20]
        more = len(result.problems) - len(shown)
        text = "\n".join([t(lang, "clients.rejected", count=len(result.problems))] + shown
                         + ([t(lang, "clients.more", count=more)] if more else []))
        raise UserError(text)
    if len(progress_lines) > 1:
        out.reply(Message.plain("\n".join(progress_lines)))
    summary = clients.counts(clients.register(session, incident))
    out.post(incident.war_room, message(lang, "clients.imported", actor=Mention(context.user),
                                        count=result.imported, total=summary["total"],
                                        residences=" ".join(f"{k}={v}" for k, v in summary["by_residence"].items())))
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)


def clients_show(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: ClientsShow,
                 out: Outbox) -> None:
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    everyone = clients.register(session, incident)
    summary = clients.counts(everyone)
    lines = [line(lang, "clients.summary", id=incidents.ref(incident), total=summary["total"],
                  notified=summary["notified"],
                  types=" ".join(f"{k}={v}" for k, v in summary["by_type"].items()) or "-",
                  residences=" ".join(f"{k}={v}" for k, v in summary["by_residence"].items()) or "-",
                  langs=" ".join(f"{k}={v}" for k, v in summary["by_language"].items()) or "-")]
    for client in everyone[:20]:
        told = "✓" if client.notified_at else " "
        lines.append((Text(f"  [{told}] {clients.mask(client.name)} · {client.kind} · {client.residence} · "
                           f"{client.lang}"),))
    if len(everyone) > 20:
        lines.append(line(lang, "clients.more", count=len(everyone) - 20))
    out.reply(Message(lines=tuple(lines)), public=here(context, incident))


def clients_notified(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: ClientsNotified,
                     out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    at = moment_done(cmd.at, now=now, ws=ws)
    chosen = clients.mark_notified(session, incident=incident, who=cmd.who, via=cmd.via.lower(), at=at,
                                   actor=context.user, now=now, lang=lang)
    summary = clients.counts(clients.register(session, incident))
    out.post(incident.war_room, message(lang, "clients.told", actor=Mention(context.user), count=len(chosen),
                                        via=cmd.via.lower(), notified=summary["notified"], total=summary["total"]))
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)


def letters(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Letters, out: Outbox) -> None:
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    approved: dict[tuple[str, str], tuple[Draft, DraftVersion]] = {}
    for number in cmd.numbers:
        draft = drafts.by_number(session, incident=incident, number=number, lang=lang)
        version = drafts.current(session, draft)
        if draft.kind != "client":
            raise UserError(t(lang, "letters.not_client", id=f"D-{number}"))
        if version.status != "approved":
            raise UserError(t(lang, "letters.not_approved", id=f"D-{number} v{version.version}"))
        variant = "company" if "company" in draft.template else "individual"
        approved[(draft.lang, variant)] = (draft, version)
    everyone = clients.register(session, incident)
    if not everyone:
        raise UserError(t(lang, "clients.none"))
    merged, manifest, uncovered = [], [], []
    banner = t(lang, "draft.drill_banner") + "\n\n" if incident.drill else ""
    for index, client in enumerate(everyone, start=1):
        chosen = approved.get((client.lang, client.kind))
        if chosen is None:
            uncovered.append(client)
            continue
        draft, version = chosen
        body = version.text.replace(drafts.CLIENT_TOKEN, client.name)
        if incident.drill and not body.startswith(banner.strip()):
            body = banner + body
        filename = clients.safe_filename(index, client.name)
        merged.append((client, filename, body))
        manifest.append({"file": filename, "client": client.name, "type": client.kind, "language": client.lang,
                         "residence": client.residence, "draft": f"D-{draft.number}", "version": version.version,
                         "notified_at": client.notified_at.isoformat() if client.notified_at else ""})
    if not merged:
        raise UserError(t(lang, "letters.nothing", missing=_missing(uncovered)))
    archive = clients.letters_zip(letters=merged, manifest_rows=manifest)
    name = f"{incidents.ref(incident)}-letters{'-DRILL' if incident.drill else ''}.zip"
    if not incident.war_room:
        raise UserError(t(lang, "report.no_war_room", id=incidents.ref(incident)))
    room = incident.war_room
    where = bot.chat.upload(room=room, upload=Upload(filename=name, content=archive, title=name))
    out.post(room, message(lang, "letters.done", count=len(merged), where=where,
                           missing=_missing(uncovered) if uncovered else "-"))


def _missing(uncovered: list) -> str:
    groups: dict[str, int] = {}
    for client in uncovered:
        key = f"{client.lang}/{client.kind}"
        groups[key] = groups.get(key, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(groups.items())) or "-"
