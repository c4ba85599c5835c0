"""Flows for statements and the client register: draft, edit, approve, import, letters, who was told."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlmodel import Session

from bot.chat import Action, Context, Mention, Message, Strong, Text, Upload
from bot.commands import (
    Approve,
    ClientsNotified,
    ClientsShow,
    DraftEdit,
    DraftNew,
    Drafts,
    DraftShow,
    Letters,
)
from bot.errors import UserError
from bot.flows import support
from bot.flows.base import acknowledge, here, moment_done, resolve, role_holders
from bot.flows.grammar import parsers as p
from bot.flows.port import Bot
from bot.incident import care, incidents, names, timeline, wording
from bot.law import clocks, reasons
from bot.outbox import FILE_PLACE, Outbox
from bot.registry import command
from bot.statements import clients, drafts, reach, regulator, template_context
from bot.statements import gaps as draft_gaps
from bot.statements import letters as letter_merge
from bot.text.i18n import drill_prefix, drill_suffix, line, message
from bot.text.i18n import text as t
from storage.models import Draft, DraftVersion, Incident, Workspace


def _context(bot: Bot, session: Session, ws: Workspace, incident: Incident, lang: str,
             regime: str | None = None) -> dict:
    return template_context.context(session, incident=incident, playbook=bot.playbook, regimes=bot.regimes,
                              firm_profile=bot.firm_profile, ws=ws, lang=lang, now=bot.now(),
                              firm=bot.settings.identity(bot.firm),
                              regime_key=regime)


def _version(lang: str, number: int, version: int) -> str:
    """`D-1 v2`, or `D-1 第2版` in Chinese."""
    return f"D-{number} " + t(lang, "report.version", version=version)


def _role(bot: Bot, role: str, lang: str) -> str:
    """A role as a Chinese workspace names it; its key in English (as typed in commands)."""
    return bot.playbook.roles[role](lang) if lang == "zh" and role in bot.playbook.roles else role


def _named(lang: str, group: str, code: str) -> str:
    """A draft kind or language in Chinese words; its key in English."""
    return wording.name(lang, group, code) if lang == "zh" else code


def draft_card(bot: Bot, incident: Incident, draft: Draft, version: DraftVersion, ws: Workspace, *,
               full: bool) -> Message:
    """A draft in the war room: header, gaps and how to fill each, merge fields, the text, what to do next."""
    lang = ws.lang
    prefix = drill_prefix(lang, incident.drill)
    lines = [prefix + line(lang, "draft.header", id=Strong(_version(lang, draft.number, version.version)),
                           kind=_named(lang, "draft_kind", draft.kind), lang=_named(lang, "lang", draft.lang),
                           status=t(lang, f"draft.status.{version.status}"))]
    gaps = draft_gaps.find_gaps(version.text)
    if gaps:
        lines.append(line(lang, "draft.gaps", gaps=draft_gaps.labels(lang, gaps)))
        lines += draft_gaps.fill_lines(gaps, playbook=bot.playbook, draft_id=f"D-{draft.number}", lang=lang,
                                       redraft=drafts.redraft_command(draft, lang))
    if draft.kind == "client":
        fields = [t(lang, f"draft.merge.{name}") for name, tokens in (
            ("client", (drafts.CLIENT_TOKEN,)), ("data", (drafts.DATA_TOKEN,)), ("regulators", (drafts.REGULATORS_TOKEN,)),
            ("advice", tuple("\n" + tag for tag in drafts.ADVICE_TAGS.values())))
            if any(token in version.text for token in tokens)]
        if fields:
            lines.append(line(lang, "draft.merge_fields", fields=" · ".join(fields)))
    if version.approvals:
        signed = ", ".join(f"{_role(bot, a['role'], lang)} {a['user']}" for a in version.approvals)
        lines.append(line(lang, "draft.signed", who=signed))
    body = version.text if full else version.text[:1500] + ("…" if len(version.text) > 1500 else "")
    lines += [(Text("    " + part),) for part in body.rstrip("\n").split("\n")]
    lines.append(line(lang, "draft.hint_gaps" if gaps else "draft.hint", n=draft.number))
    buttons = () if version.status == "approved" or gaps else (
        Action("approve", incident.number, (str(draft.number),)).button(
            t(lang, "draft.approve_button", id=f"D-{draft.number}"), style="primary",
            confirm=t(lang, "draft.approve_confirm", id=f"D-{draft.number} v{version.version}")),)
    return Message(lines=tuple(lines), buttons=buttons, kind="draft")


@command(DraftNew, "draft", parse=p.draft, zh=("起草",), group="tell")
def draft_new(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: DraftNew, out: Outbox) -> None:
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
        named = clocks.named_regime(bot.regimes, cmd.regime)
        if not named:
            raise UserError(t(ws.lang, "draft.bad_regime", value=cmd.regime, choices=("、" if ws.lang == "zh" else ", ").join(
                clocks.shown_regime(bot.regimes, k, ws.lang) for k in bot.regimes.regimes)))
        if len(named) > 1:
            raise names.ambiguous(cmd.regime, [clocks.shown_regime(bot.regimes, k, ws.lang) for k in named], ws.lang)
        cmd = replace(cmd, regime=named[0])
    if cmd.kind == "regulator" and cmd.regime:
        _require_authority_notice(bot, session, ws, incident, cmd.regime)
    name = drafts.template_name(cmd.kind, lang, variant=cmd.variant, regime=cmd.regime)
    rendered = drafts.render(bot.templates, name, _context(bot, session, ws, incident, lang, cmd.regime), lang)
    # The same statement drafted again while it waits for approval is its next version, not a new draft.
    twin = drafts.unapproved_twin(session, incident=incident, kind=cmd.kind, template=name, regime=cmd.regime)
    if twin is not None:
        draft, version = twin, drafts.redraft(session, incident=incident, draft=twin, rendered=rendered,
                                              actor=context.user, now=now, lang=ws.lang)
    else:
        draft, version = drafts.create(session, incident=incident, kind=cmd.kind, template=name, lang=lang,
                                       regime=cmd.regime, rendered=rendered, actor=context.user, now=now)
    out.post(incident, draft_card(bot, incident, draft, version, ws, full=True))
    if not here(context, incident):
        out.reply(message(ws.lang, "draft.created", id=f"D-{draft.number}", incident=incidents.ref(incident)))


def _require_authority_notice(bot: Bot, session: Session, ws: Workspace, incident: Incident, key: str) -> None:
    """A regulator notice only under a law that tells an authority; the refusal names those that do here."""
    lang, regime = ws.lang, bot.regimes.regimes[key]
    rows = clocks.rows(session, incident=incident, book=bot.regimes, firm_profile=bot.firm_profile, now=bot.now())
    found = regulator.applying(rows, bot.regimes)
    owed = {f"{key}/{c.id}" for c in regulator.authority_clocks(regime)}
    if key in found or (owed and not (incident.facts or {}).get("affected")):
        return  # owed, or not known yet: with nobody's residence recorded the draft's gaps ask for the facts
    # A law with an authority notice that these facts do not trigger (60 Floridians, under the 500 threshold) is
    # refused with its clock's own reason, like a law that tells no authority.
    why = next((reasons.render(row.result.reason, lang) for row in rows if row.result.clock_id in owed),
               t(lang, "draft.not_owed_unknown")) if owed else None
    names_of = [f"{k} ({bot.regimes.regimes[k].title(lang)})" if lang == "en" else bot.regimes.regimes[k].title(lang)
                for k in found]
    said = {"regime": clocks.shown_regime(bot.regimes, key, lang), "title": regime.title(lang),
            "incident": incidents.ref(incident), **({"why": why} if why is not None else {})}
    kind = "not_owed" if why is not None else "no_authority"
    if not found:
        raise UserError(t(lang, f"draft.{kind}_none", **said))
    example = draft_gaps.redraft_command(kind="regulator", lang=lang, template_name="", regime=found[0], shown_in=lang)
    raise UserError(t(lang, f"draft.{kind}", applies=("；" if lang == "zh" else "; ").join(names_of),
                      example=example, **said))


@command(DraftEdit, "draft edit")
def draft_edit(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: DraftEdit,
               out: Outbox) -> None:
    incident = resolve(session, ws, context, cmd.incident)
    draft = drafts.by_number(session, incident=incident, number=cmd.number, lang=ws.lang)
    version = drafts.edit(session, incident=incident, draft=draft, text=cmd.text, actor=context.user,
                          now=bot.now(), lang=ws.lang)
    out.post(incident, draft_card(bot, incident, draft, version, ws, full=False))


@command(DraftShow, "draft show")
def draft_show(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: DraftShow,
               out: Outbox) -> None:
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    draft = drafts.by_number(session, incident=incident, number=cmd.number, lang=ws.lang)
    out.reply(draft_card(bot, incident, draft, drafts.current(session, draft), ws, full=True),
              public=here(context, incident))


@command(Drafts, "drafts", parse=p.drafts, zh=("草稿",), group="tell")
def draft_list(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Drafts, out: Outbox) -> None:
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    found = drafts.all_drafts(session, incident)
    if not found:
        out.reply(message(lang, "draft.none", id=incidents.ref(incident)))
        return
    lines = [line(lang, "draft.list_header", id=incidents.ref(incident))]
    for draft, version in found:
        need = ("、" if lang == "zh" else ", ").join(_role(bot, r, lang) for r in bot.playbook.drafts[draft.kind].approvers)
        kind = _named(lang, "draft_kind", draft.kind) + (  # a client letter says whom it is for
            f" · {_named(lang, 'variant', letter_merge.variant_of(draft))}" if draft.kind == "client" else "")
        lines.append((Text(f"  {_version(lang, draft.number, version.version)} · {kind}"
                           f" · {_named(lang, 'lang', draft.lang)} · "
                           f"{t(lang, f'draft.status.{version.status}')} · {need}"),))
    out.reply(Message(lines=tuple(lines)), public=here(context, incident))


@command(Approve, "approve", parse=p.approve, zh=("批准",), group="tell")
def approve(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Approve, out: Outbox) -> None:
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident)
    if cmd.number is None:  # `/breach approve` alone: say which drafts wait for approval, and by whom
        waiting = [(d, v) for d, v in drafts.all_drafts(session, incident) if v.status == "draft"]
        if not waiting:
            raise UserError(t(lang, "parse.approve_none", id=incidents.ref(incident)))
        listing = "; ".join(f"{_version(lang, d.number, v.version)} ({_named(lang, 'draft_kind', d.kind)}: "
                            f"{', '.join(_role(bot, r, lang) for r in bot.playbook.drafts[d.kind].approvers)})"
                            for d, v in waiting)
        raise UserError(t(lang, "parse.approve_which", drafts=listing, example=f"D-{waiting[0][0].number}"))
    # Several drafts in one command are approved in one transaction: a refusal of any changes none.
    for number in (cmd.number, *cmd.more):
        draft = drafts.by_number(session, incident=incident, number=number, lang=lang)
        result = drafts.approve(session, incident=incident, draft=draft, playbook=bot.playbook,
                                holders=role_holders(session, incident), actor=context.user, now=bot.now(), lang=lang)
        key = "draft.approved" if result.approved else "draft.signed_waiting"
        holders = role_holders(session, incident)
        posted = message(lang, key, id=_version(lang, draft.number, result.version.version),
                         actor=Mention(context.user),
                         roles=("、" if lang == "zh" else ", ").join(_role(bot, r, lang) for r in result.roles),
                         missing=drafts.approvers(result.missing, holders=holders, playbook=bot.playbook, lang=lang))
        hints = drafts.assign_hints(result.missing, holders=holders, lang=lang)
        out.post(incident, Message(lines=posted.lines + tuple(hints), kind=posted.kind))
        if result.approved and draft.kind == "update" and incident.status == incidents.OPEN:
            care.update_sent(session, incident=incident, playbook=bot.playbook, now=bot.now())
    acknowledge(out, context, incident, lang)


def _counted(lang: str, group: str, counts: dict[str, int]) -> str:
    """`individual=3 company=1`, or `个人 3 · 企业 1` in Chinese."""
    if lang == "zh":
        return " · ".join(f"{wording.name(lang, group, k)} {v}" for k, v in counts.items()) or "-"
    return " ".join(f"{k}={v}" for k, v in counts.items()) or "-"


PAGE = 20  # clients a page of `/breach clients`


@command(ClientsShow, "clients", parse=p.clients, zh=("客户",), group="tell")
def clients_show(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: ClientsShow,
                 out: Outbox) -> None:
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    everyone = clients.register(session, incident)
    if not everyone:
        out.reply(message(lang, "clients.empty_register", id=incidents.ref(incident), columns=clients.column_names_in(lang)),
                  public=here(context, incident))
        return
    summary = clients.counts(everyone)
    lines = [line(lang, "clients.summary", id=incidents.ref(incident), total=summary["total"],
                  notified=summary["notified"],
                  types=_counted(lang, "variant", summary["by_type"]),
                  residences=(wording.residences(summary["by_residence"], lang) if lang == "zh" else
                              " ".join(f"{k}={v}" for k, v in summary["by_residence"].items())) or "-",
                  langs=_counted(lang, "lang", summary["by_language"]))]
    # Numbers stay those of the whole register, so `/breach clients notified 3` means the same client everywhere.
    chosen = [(n, c) for n, c in enumerate(everyone, start=1)
              if (not cmd.untold or c.notified_at is None)
              and (not cmd.fragment or clients.matches(c, cmd.fragment))]
    pages = max(1, -(-len(chosen) // PAGE))
    page = min(cmd.page, pages)
    if (cmd.untold or cmd.fragment) and not chosen:
        lines.append(line(lang, "clients.no_match", what=cmd.fragment or t(lang, "clients.untold_word")))
    for number, client in chosen[(page - 1) * PAGE:page * PAGE]:
        told = "✓" if client.notified_at else " "
        lines.append((Text(f"  {number}. [{told}] {clients.shown_name(client)} · {_named(lang, 'variant', client.kind)} · "
                           f"{wording.place_name(client.residence, lang)} · {_named(lang, 'lang', client.lang)}"),))
    if pages > 1:
        lines.append(line(lang, "clients.page", page=page, pages=pages, count=len(chosen), next=page % pages + 1))
    lines.append(line(lang, "clients.show_hint"))
    out.reply(Message(lines=tuple(lines)), public=here(context, incident))


@command(ClientsNotified, "clients notified")
def clients_notified(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: ClientsNotified,
                     out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    at = moment_done(cmd.at, now=now, ws=ws, incident=incident)
    coverage = letter_merge.Coverage.of(session, incident)
    told = clients.mark_notified(session, incident=incident, who=cmd.who, via=cmd.via.lower(), at=at,
                                 actor=context.user, now=now, lang=lang, why_not=coverage.why_not)
    missing = letter_merge.missing_lines(told.left_out, coverage, lang)
    if not told.recorded:
        raise UserError(message(lang, "clients.no_letter", missing=missing, kind="error"))
    care.first_told(session, incident=incident, playbook=bot.playbook, now=now, at=at)
    summary = clients.counts(clients.register(session, incident))
    out.post(incident, message(lang, "clients.told", actor=Mention(context.user), count=len(told.recorded),
                                        via=_channel(lang, cmd.via), notified=summary["notified"], total=summary["total"]))
    if told.left_out:
        out.post(incident, message(lang, "clients.left_out", count=len(told.left_out), missing=missing))
    shown = [audience for audience in reach.audiences(session, incident=incident, book=bot.regimes,
                                                      firm_profile=bot.firm_profile, now=now, meet=True, lang=lang,
                                                      actor=context.user)
             if (audience.changed and audience.met  # a law's audience is now all told
                 or not audience.met and audience.reached)]  # some told, the law's notice still owed to the rest
    if shown:  # the clocks not met yet in one line, not one 'not met' line per clock
        out.post(incident, Message(lines=tuple(reach.standing(shown, lang))))
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)


MAILED = {"update", "survey"}  # merged for the clients already told (bot/flows/support.py)


@command(Letters, "letters", parse=p.letters, zh=("信函",), group="tell")
def letters(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Letters, out: Outbox) -> None:
    """Merge approved, gap-free client letters once per client, each with that client's own fields."""
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    if {drafts.by_number(session, incident=incident, number=n, lang=lang).kind for n in cmd.numbers} <= MAILED:
        return support.mailing(bot, session, ws, context, incident, cmd.numbers, out)  # updates, surveys
    holders = role_holders(session, incident)
    approved: dict[tuple[str, str], tuple[Draft, DraftVersion]] = {}
    for number in cmd.numbers:
        draft = drafts.by_number(session, incident=incident, number=number, lang=lang)
        version = drafts.current(session, draft)
        if draft.kind != "client":
            raise UserError(t(lang, "letters.not_client", id=f"D-{number}"))
        if version.status != "approved":
            who: list[Any] = []  # each approver by role and display name (a mention), not by platform id
            for r in bot.playbook.drafts["client"].approvers:
                who += [Text("、" if lang == "zh" else ", ")] if who else []
                who += ([Text(f"{bot.playbook.roles[r](lang)} "), Mention(holders[r])] if r in holders
                        else [Text(f"{bot.playbook.roles[r](lang)} ({t(lang, 'roles.unassigned')})")])
            raise UserError(message(lang, "letters.not_approved", id=f"D-{number} v{version.version}", who=tuple(who),
                                    n=number, kind="error"))
        gaps = draft_gaps.find_gaps(version.text)
        if gaps:
            raise UserError(draft_gaps.refusal("letters.gaps", gaps, playbook=bot.playbook, draft_id=f"D-{number}",
                                               version=version.version, lang=lang,
                                               redraft=drafts.redraft_command(draft, lang)))
        approved[(draft.lang, letter_merge.variant_of(draft))] = (draft, version)
    everyone = clients.register(session, incident)
    if not everyone:
        raise UserError(t(lang, "clients.none"))
    rows = clocks.rows(session, incident=incident, book=bot.regimes, firm_profile=bot.firm_profile, now=now)
    affected = dict((incident.facts or {}).get("affected") or {})
    authorities = {code: template_context.authorities_told(rows, bot.regimes, code, affected) for code in ("en", "zh")}
    coverage = letter_merge.Coverage.of(session, incident)
    merged, manifest, left_out, skipped = [], [], [], []
    banner = t(lang, "draft.drill_banner") + "\n\n" if incident.drill else ""
    for index, client in enumerate(everyone, start=1):
        chosen = approved.get((client.lang, client.kind))
        if chosen is None:  # another approved letter may cover them: then say which to merge
            left_out.append((client, "not_merged" if coverage.letters.get((client.lang, client.kind)) else "no_letter"))
            continue
        draft, version = chosen
        data = letter_merge.client_data(client, incident=incident, playbook=bot.playbook, lang=draft.lang)
        if data is None and drafts.DATA_TOKEN in version.text:
            left_out.append((client, "no_data"))
            skipped.append(client.id)
            continue
        body = letter_merge.fill(version.text, name=client.name, data=data, residence=client.residence,
                                 regulators=letter_merge.client_regulators(client, authorities[draft.lang],
                                                                           draft.lang))
        if incident.drill and not body.startswith(banner.strip()):
            body = banner + body
        filename = clients.safe_filename(index, client.name)
        merged.append((client, filename, body))
        manifest.append(letter_merge.manifest_row(
            client, filename=filename, draft=draft, version=version, lang=lang, tz=ws.timezone,
            data=letter_merge.client_data(client, incident=incident, playbook=bot.playbook, lang=lang)))
    coverage.letters.update({group: [letter] for group, letter in approved.items()})
    missing = letter_merge.missing_lines(left_out, coverage, lang)
    if not merged:
        raise UserError(message(lang, "letters.nothing", missing=missing, kind="error"))
    if not incident.war_room:
        raise UserError(t(lang, "report.no_war_room", id=incidents.ref(incident)))
    archive = clients.letters_zip(letters=merged, manifest_rows=manifest)
    name = f"{incidents.ref(incident)}-letters{drill_suffix(incident.drill)}.zip"
    # Recorded after close too (the notices are still owed, and `clients notified` reads this record); a closed
    # drill owes none and records nobody as told.
    if incident.status == incidents.OPEN or drafts.after_close(incident, "client"):
        timeline.append(session, incident=incident, actor=context.user, kind=letter_merge.MERGED, now=now,
                        text=f"{len(merged)} letters from " + ", ".join(f"D-{d.number} v{v.version}"
                                                                          for d, v in approved.values()),
                        data={"letters": [{"draft": d.number, "version": v.version} for d, v in approved.values()],
                              "count": len(merged), "upto": max(c.id or 0 for c in everyone), "skipped": skipped})
    out.upload(incident, Upload(filename=name, content=archive, title=name),  # shared after the commit
               message(lang, "letters.done", count=len(merged), where=FILE_PLACE))
    if left_out:
        out.post(incident, message(lang, "letters.left_out", count=len(left_out), missing=missing))


def _channel(lang: str, via: str) -> str:
    """A channel as the workspace says it (邮件, not email)."""
    key = via.lower()
    return t(lang, f"value_name.via.{key}") if key in ("email", "phone", "post", "wecom") else via
