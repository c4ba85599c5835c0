"""The report's response sections: costs (for the insurer), client care, the media desk, reporting up and
client satisfaction. Each section is a heading and plain lines, so Markdown, HTML and PDF say the same."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.incident import care, changes, media
from bot.incident.playbook import Playbook
from bot.text.i18n import catalogue
from bot.text.i18n import text as t
from storage.models import Incident, TimelineEvent


def _money(entry: dict[str, Any]) -> str:
    return changes.Amount(Decimal(entry["amount"]), entry["currency"]).show()


def _totals(amounts: dict[str, changes.Amount]) -> str:
    return " + ".join(a.show() for a in amounts.values()) or "0"


def _reputation(incident: Incident, playbook: Playbook, lang: str) -> str:
    value = incident.facts.get("reputation")
    for question in playbook.questions():
        if question.sets == "reputation":
            return next((o.label(lang) for o in question.options if o.key == value), "—")
    return str(value or "—")


def fact_rows(incident: Incident, lang: str, when: Callable[[datetime | None], str]) -> list[tuple[str, str]]:
    """The facts that change after declare, as rows of the report's facts table."""
    facts = incident.facts

    def moment(key: str) -> str:
        return when(datetime.fromisoformat(facts[key])) if facts.get(key) else "—"

    exposure = f"{moment('exposure_from')} – {moment('exposure_to')}" if (
        facts.get("exposure_from") or facts.get("exposure_to")) else "—"
    level = facts.get("cac_level")
    level_key = f"regime_reason.cac_level.{level}"
    return [(t(lang, "report.care.public"), str(facts.get("public") or "—")),
            (t(lang, "report.care.systems"), str(facts.get("systems") or "—")),
            (t(lang, "report.care.exposure"), exposure),
            (t(lang, "report.care.cac_level"), (t(lang, level_key) if level_key in catalogue(lang) else str(level))
             if level else "—")]


def sections(incident: Incident, events: list[TimelineEvent], playbook: Playbook, lang: str,
             when: Callable[[datetime | None], str], *, approved_updates: int,
             name: Callable[[str], str] = str) -> list[dict[str, Any]]:
    """[{title, lines}] for costs, client care, media, reporting up and satisfaction, in that order; people by
    `name` (their display name), addresses as typed."""
    def L(key: str, **values: Any) -> str:  # noqa: N802 - as the report's templates call their labels
        return t(lang, f"report.care.{key}", **values)

    def at(iso: str) -> str:
        return when(datetime.fromisoformat(iso))

    colon = "：" if lang == "zh" else ": "

    costs = [L("cost_total", total=_totals(changes.totals(incident)))]
    costs += [L("cost_category", category=t(lang, f"names.cost.{category}"), amount=amount.show())
              for (category, _), amount in changes.by_category(incident).items()]
    costs += [f"C-{e['n']} · {at(e['at'])} · {_money(e)} · {t(lang, 'names.cost.' + e['category'])}"
              + (f" · {e['note']}" if e["note"] else "") + f" · {e['by']}" for e in changes.costs(incident)]
    costs.append(L("reputation", value=_reputation(incident, playbook, lang)))

    offers = [f"O-{o['n']} · {t(lang, 'offer.kinds.' + o['kind'])}{colon}{o['text']}" for o in care.offers(incident)]
    paid = care.compensation(incident)
    client_care = (offers or [L("no_offers")]) + [L("compensation_total", total=_totals(care.compensation_totals(incident)),
                                                    count=len({e["client"] for e in paid}))]
    client_care += [f"{e['name']} · {_money(e)}" + (f" · {e['note']}" if e["note"] else "") + f" · {at(e['at'])}"
                    for e in paid]
    client_care.append(L("updates", approved=approved_updates,
                         missed=sum(1 for e in events if e.kind == "update_due")))

    enquiries = media.enquiries(incident)
    desk = [L("spokesperson", who=media.spokesperson(incident) or "—"),
            L("enquiries", total=len(enquiries), open=len(media.unanswered(incident)))]
    desk += [f"M-{e['n']} · {at(e['at'])} · {e['outlet']}{colon}{e['question']} — "
             + (L("answered", at=at(e["answered_at"])) if e.get("answered_at") else L("unanswered")) for e in enquiries]
    desk += [f"W-{w['n']} · {at(w['at'])} · {w['note']}" for w in media.watch_notes(incident)]

    briefed = [L("briefed", at=when(e.at), to=", ".join(name(p) for p in e.data.get("to", [])),
                 why=L(f"why_{e.data.get('why', 'asked')}")) for e in events if e.kind == "management_briefed"]

    answers = care.feedback(incident)
    average = care.average_score(incident)
    satisfaction = [L("score", average=average, count=len(answers)) if average is not None else L("no_feedback")]
    satisfaction += [f"{e['score']}/5 · {e['name']}" + (f"{colon}{e['comment']}" if e["comment"] else "")
                     for e in answers]
    return [{"title": L("costs"), "lines": costs}, {"title": L("client_care"), "lines": client_care},
            {"title": L("media"), "lines": desk}, {"title": L("reporting_up"), "lines": briefed or [L("not_briefed")]},
            {"title": L("satisfaction"), "lines": satisfaction}]


def as_json(incident: Incident) -> dict[str, Any]:
    """The same, as data for the export: totals per currency, offers, compensation, media, satisfaction."""
    return {
        "costs": {"entries": changes.costs(incident),
                  "totals": {c: str(a.value) for c, a in changes.totals(incident).items()}},
        "reputation": incident.facts.get("reputation"),
        "offers": care.offers(incident),
        "compensation": {"entries": care.compensation(incident),
                         "totals": {c: str(a.value) for c, a in care.compensation_totals(incident).items()}},
        "media": {"spokesperson": media.spokesperson(incident) or None, "enquiries": media.enquiries(incident),
                  "monitoring": media.watch_notes(incident)},
        "satisfaction": {"average": care.average_score(incident), "answers": len(care.feedback(incident)),
                         "feedback": care.feedback(incident)},
    }
