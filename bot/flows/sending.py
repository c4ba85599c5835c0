"""`/breach send`: approved client letters sent by the bot (e-mail, SMS), after a preview and a confirmation.

`/breach send D-1 D-2` shows what would go out (how many, by which channel, who is skipped and why, one
letter as a sample) and changes nothing; `--test-to me` sends that sample to the firm's own sender
address; `--confirm` queues the run, which the bot then sends within the firm's rate
(bot.flows.send_runner). `/breach send stop` stops every running send of the incident,
`/breach send` lists the sends, `/breach send check` reads bounces and SMS receipts now.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.chat import Context, Mention, Message, Strong, Text
from bot.commands import Send
from bot.errors import UserError
from bot.flows import permissions, send_runner
from bot.flows.base import acknowledge, here, resolve, role_holders, role_names
from bot.flows.grammar import parsers as p
from bot.flows.send_runner import Breachbot
from bot.incident import incidents, wording
from bot.outbox import Outbox
from bot.registry import command
from bot.statements import clients, drafts, sending
from bot.statements import gaps as draft_gaps
from bot.statements import letters as letter_merge
from bot.text.i18n import line, message
from bot.text.i18n import text as t
from storage.models import Draft, DraftVersion, Incident, Workspace

SAMPLE_LINES = 14


@command(Send, "send", parse=p.send, zh=("发送",), group="tell")
def send(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Send, out: Outbox) -> None:
    """Preview, test, confirm, stop, list or check, by what the person typed."""
    incident = resolve(session, ws, context, cmd.incident, lock=cmd.action != "list")
    if cmd.action == "list":
        _list(session, ws, context, incident, out)
        return
    if cmd.action != "send":  # a send is checked against the senders of the kind of drafts it sends
        _may_send(bot, session, ws, context, incident)
    if cmd.action == "stop":
        stopped = sending.stop(session, incident=incident, actor=context.user, now=bot.now())
        if not stopped:
            raise UserError(t(ws.lang, "send.nothing_running", id=incidents.ref(incident)))
        out.post(incident, message(ws.lang, "send.stopped", actor=Mention(context.user),
                                            runs=("、" if ws.lang == "zh" else ", ").join(f"S-{r.number}" for r in stopped)))
        acknowledge(out, context, incident, ws.lang)
        return
    if cmd.action == "check":
        out.reply(message(ws.lang, "send.checking"))
        return
    _send(bot, session, ws, context, cmd, incident, out)


FOLLOW_ON = ("update", "survey")  # sent only to clients already told, by e-mail; nobody becomes told by them


def _may_send(bot: Breachbot, session: Session, ws: Workspace, context: Context, incident: Incident,
              kind: str = "client") -> None:
    rule = bot.playbook.drafts.get(kind) or bot.playbook.drafts["client"]
    permissions.check("send", needed=tuple(rule.senders), user=context.user,
                      holders=role_holders(session, incident),
                      declarer=incident.declared_by, lang=ws.lang, role_names=role_names(bot, ws.lang))


def _letters(bot: Breachbot, session: Session, incident: Incident, numbers: tuple[int, ...],
             lang: str) -> tuple[str, dict[tuple[str, str], tuple[Draft, DraftVersion]]]:
    """The kind of the drafts named, and the approved, gap-free ones by (language, client type).

    First letters go by language and client type; a progress update or a survey by language alone.
    """
    if not numbers:
        raise UserError(t(lang, "send.which"))
    found: dict[tuple[str, str], tuple[Draft, DraftVersion]] = {}
    kinds = set()
    for number in numbers:
        draft = drafts.by_number(session, incident=incident, number=number, lang=lang)
        version = drafts.current(session, draft)
        if draft.kind != "client" and draft.kind not in FOLLOW_ON:
            raise UserError(t(lang, "send.not_client", id=f"D-{number}"))
        kinds.add(draft.kind)
        if version.status != "approved":
            raise UserError(t(lang, "send.not_approved", id=f"D-{number} v{version.version}", n=number))
        gaps = draft_gaps.find_gaps(version.text)
        if gaps:
            raise UserError(draft_gaps.refusal("letters.gaps", gaps, playbook=bot.playbook, draft_id=f"D-{number}",
                                               version=version.version, lang=lang,
                                               redraft=drafts.redraft_command(draft, lang)))
        variants = (letter_merge.variant_of(draft),) if draft.kind == "client" else ("individual", "company")
        for variant in variants:
            found[(draft.lang, variant)] = (draft, version)
    if len(kinds) > 1:
        raise UserError(t(lang, "send.mixed", kinds=", ".join(
            wording.name(lang, "draft_kind", k) for k in sorted(kinds))))
    return kinds.pop(), found


def _target(session: Session, incident: Incident, raw: str, lang: str, kind: str = "client") -> str:
    folded = raw.strip().lower()
    if folded in ("all", "全部", "所有"):
        return "told" if kind in FOLLOW_ON else "all"
    if folded in ("not-notified", "not_notified", "未通知"):
        if kind in FOLLOW_ON:
            raise UserError(t(lang, "send.told_only"))
        return "not-notified"
    everyone = clients.register(session, incident)
    client = clients.find(everyone, raw, lang)
    if client is None:
        raise UserError(t(lang, "send.bad_to", value=raw, count=len(everyone)))
    return f"client:{client.id}"


def _send(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Send, incident: Incident,
          out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    kind, letters = _letters(bot, session, incident, cmd.numbers, lang)
    if not drafts.after_close(incident, kind):
        incidents.require_open(incident, lang)
    _may_send(bot, session, ws, context, incident, kind)
    if not clients.register(session, incident):
        raise UserError(t(lang, "clients.none"))
    vault = send_runner.vault(bot, session, incident.workspace_id)
    if not vault.ready():
        raise UserError(t(lang, "clients.no_key"))
    channels = frozenset(send_runner.transports_for(bot, incident))
    if kind in FOLLOW_ON:  # the SMS template is the first notice's; updates and surveys go by e-mail only
        channels &= {sending.EMAIL}
    if not channels:
        raise UserError(t(lang, "send.not_configured" if kind == "client" else "send.email_only"))
    target = _target(session, incident, cmd.to, lang, kind)
    plan = sending.plan(session, incident=incident, letters=letters, target=target, vault=vault, channels=channels)
    composer = send_runner.Composer.of(bot, session, incident)
    if cmd.test_to is not None:
        _test(bot, ws, incident, plan, composer, cmd, out)
        return
    if not plan.going:
        raise UserError(message(lang, "send.nobody", kind="error", skipped=_skipped(plan, lang) or "-"))
    ids = " ".join(f"D-{n}" for n in cmd.numbers)
    if not cmd.confirm:
        out.reply(_preview(bot, incident, plan, composer, ids, cmd.to, lang), public=here(context, incident))
        return
    run = sending.start(session, incident=incident, plan_=plan, target=target, actor=context.user, now=now,
                        domain=send_runner.mail_domain(bot))
    by_channel = plan.by_channel()
    out.post(incident, Message(lines=(
        (*( (Text(t(lang, "drill.prefix")),) if incident.drill else ()),
         *line(lang, "send.started", id=Strong(f"S-{run.number}"), actor=Mention(context.user),
               count=len(plan.going), email=by_channel.get(sending.EMAIL, 0), sms=by_channel.get(sending.SMS, 0),
               letters=ids, rate=bot.settings.send_per_minute)),)))
    acknowledge(out, context, incident, lang)


def _skipped(plan: sending.Plan, lang: str) -> str:
    return ", ".join(f"{t(lang, f'send.skip.{reason}')} {count}" for reason, count in sorted(plan.skipped().items()))


def _preview(bot: Breachbot, incident: Incident, plan: sending.Plan, composer: send_runner.Composer, ids: str,
             to: str, lang: str) -> Message:
    """What a confirmed send would do: count, channels, letters, who is skipped, one sample letter."""
    by_channel = plan.by_channel()
    kinds = sorted({f"D-{i.draft.number} v{i.version.version} ({i.draft.lang}"
                    + (f"/{letter_merge.variant_of(i.draft)})" if i.draft.kind == "client" else ")")
                    for i in plan.going if i.draft and i.version})
    lines = [line(lang, "send.preview", count=len(plan.going), email=by_channel.get(sending.EMAIL, 0),
                  sms=by_channel.get(sending.SMS, 0), letters=("、" if lang == "zh" else ", ").join(kinds))]
    if plan.skipped():
        lines.append(line(lang, "send.preview_skipped", skipped=_skipped(plan, lang)))
    sample = send_runner.preview(bot, composer, plan.going[0])
    lines.append(line(lang, "send.sample", name=clients.shown_name(plan.going[0].client)))
    lines += [(Text("    " + part),) for part in sample.split("\n")[:SAMPLE_LINES]]
    if len(sample.split("\n")) > SAMPLE_LINES:
        lines.append((Text("    …"),))
    again = f"/breach send {ids}" + (f" --to {to}" if to != "all" else "")
    lines.append(line(lang, "send.how_to_confirm", test=f"{again} --test-to me", confirm=f"{again} --confirm"))
    prefix = (Text(t(lang, "drill.prefix")),) if incident.drill else ()
    return Message(lines=(prefix + lines[0], *lines[1:]))


def _test(bot: Breachbot, ws: Workspace, incident: Incident, plan: sending.Plan, composer: send_runner.Composer,
          cmd: Send, out: Outbox) -> None:
    """One sample letter to the firm's own address (or the one given), now; nothing is recorded as sent."""
    lang, test_to = ws.lang, cmd.test_to or ""
    address = (bot.settings.mail_from or "") if test_to.strip().lower() in ("me", "我") else test_to.strip()
    if sending.channel_of(address) != sending.EMAIL:
        raise UserError(t(lang, "send.bad_test_to", value=test_to))
    item = next((i for i in plan.going if i.channel == sending.EMAIL), None) or (plan.going[0] if plan.going
                                                                                   else None)
    if item is None or item.draft is None or item.version is None:
        raise UserError(message(lang, "send.nobody", kind="error", skipped=_skipped(plan, lang) or "-"))
    transport = send_runner.transports_for(bot, incident).get(sending.EMAIL)
    if transport is None:
        raise UserError(t(lang, "send.no_email"))
    key = f"test.{incident.id}.{item.version.id}"
    notice = composer.notice(item.client, item.draft, item.version, channel=sending.EMAIL, to=address, key=key,
                             message_id=sending.message_id(f"{key}.{bot.now().timestamp():.0f}",
                                                          domain=send_runner.mail_domain(bot)), test=True)
    try:
        transport.send(notice)
    except (sending.Refused, sending.Unavailable, sending.Uncertain) as exc:
        raise UserError(t(lang, "send.test_failed", error=str(exc)[:300])) from None
    finally:
        close = getattr(transport, "close", None)
        if close:
            close()
    again = "/breach send " + " ".join(f"D-{n}" for n in cmd.numbers) + (f" --to {cmd.to}" if cmd.to != "all" else "")
    out.reply(message(lang, "send.test_sent", address=address, name=clients.shown_name(item.client),
                      confirm=f"{again} --confirm"))


def _list(session: Session, ws: Workspace, context: Context, incident: Incident, out: Outbox) -> None:
    lang = ws.lang
    found = sending.runs(session, incident)
    if not found:
        out.reply(message(lang, "send.none", id=incidents.ref(incident)), public=here(context, incident))
        return
    lines = [line(lang, "send.list_header", id=incidents.ref(incident))]
    for run in found:
        counts = sending.tally(session, run)
        lines.append(line(lang, "send.list_row", id=f"S-{run.number}", state=t(lang, f"send.state.{run.state}"),
                          total=counts.total, sent=counts.sent, refused=counts.refused, bounced=counts.bounced,
                          queued=counts.queued, unconfirmed=counts.unconfirmed))
    out.reply(Message(lines=tuple(lines)), public=here(context, incident))
