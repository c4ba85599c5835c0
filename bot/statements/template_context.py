"""What a statement template is given: the incident's facts, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.incident import care, media
from bot.incident.incidents import ref
from bot.incident.playbook import Playbook
from bot.incident.wording import place_name
from bot.law import authorities as eu_authorities
from bot.law import clocks
from bot.law.regimes import RegimeBook
from bot.settings import FirmConfig
from bot.statements import regulator
from bot.statements.clients import tally
from bot.statements.drafts import CLIENT_TOKEN, DATA_TOKEN, REGULATORS_TOKEN
from bot.statements.gaps import placeholder
from bot.text.facts import lives_under
from bot.text.i18n import catalogue, has_chinese
from bot.text.i18n import text as t
from bot.text.times import format_number, zone_label
from storage.models import Incident, Workspace


def long_date(when: datetime, tz: str, lang: str) -> str:
    """'28 November 2026, 10:05' / '2026年11月28日 10:05' in the workspace timezone."""
    local = when.astimezone(ZoneInfo(tz))
    if lang == "zh":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%B %Y, %H:%M}"


def zoned_date(when: datetime, tz: str, lang: str) -> str:
    """A moment in a letter or notice, with its zone, as a reader elsewhere needs it: '5 December 2026, 19:18
    (UTC-5)' / '2026年12月5日 19:18 UTC-5' (no brackets: a zh template may already be in them)."""
    zone = zone_label(tz, when)
    return long_date(when, tz, lang) + (f" {zone}" if lang == "zh" else f" ({zone})")


def exposure_window(facts: dict[str, Any], tz: str, lang: str) -> dict[str, str | None]:
    """The exposure window's ends (None: a gap), the zone said once at the end when both ends share it."""
    ends = {key: datetime.fromisoformat(facts[key]) if facts.get(key) else None for key in ("exposure_from", "exposure_to")}
    start, end = ends["exposure_from"], ends["exposure_to"]
    once = start is not None and end is not None and zone_label(tz, start) == zone_label(tz, end)
    return {"exposure_from": (long_date if once else zoned_date)(start, tz, lang) if start else None,
            "exposure_to": zoned_date(end, tz, lang) if end else None}


def data_labels(playbook: Playbook, keys: list[str], lang: str, places: list[str] | None = None, *,
                company: bool = False) -> list[str]:
    """Data categories in words (the data question's option labels). With `places` (the readers' residences),
    a category named differently by country is named as those readers' countries name it: a tax number is a
    Social Security number only for US residents and a TFN only for Australians (draft.data_place); a
    `company`'s is its tax ID (an EIN in the US), never a person's number."""
    labels: dict[str, str] = {}
    for question in playbook.questions():
        if question.sets == "data":
            labels = {o.key: o.label(lang) for o in question.options}
    if places is None:
        return [labels.get(k, k) for k in keys]
    return [place_label(k, places, lang, company=company) or labels.get(k, k) for k in keys]


def _place_group(residence: str, company: bool = False) -> str:
    code = residence.upper()
    if company:  # a company's own tax number: an EIN in the US, a tax ID elsewhere (an ABN is not a TFN either)
        return "company_US" if code == "US" or code.startswith("US-") else "other"
    return "US" if code == "US" or code.startswith("US-") else "AU" if code == "AU" else "other"


def place_label(key: str, places: list[str], lang: str, *, company: bool = False) -> str | None:
    """A data category as the readers' countries name it (None when the catalogue has no such naming): each
    country's own words once, the general words when no residence is known."""
    if f"draft.data_place.{key}.other" not in catalogue("en"):
        return None
    groups = list(dict.fromkeys(_place_group(p, company) for p in places)) or ["other"]
    if "US" in groups and "other" in groups:  # "Social Security numbers and tax IDs" names the others' too
        groups.remove("other")
    return " / ".join(t(lang, f"draft.data_place.{key}.{group}") for group in groups)


def public_in(facts: dict[str, Any], lang: str) -> tuple[str | None, str | None]:
    """What statements in `lang` say happened, and the gap to show when there is none: an English statement
    never carries a description typed in Chinese, it asks for the English one (`public_en`)."""
    text = facts.get(f"public_{lang}") or facts.get("public") or ""
    if lang == "en" and has_chinese(text):
        return None, "public_en"
    return text.rstrip().rstrip("。.") or None, "public"


def cause_words(playbook: Playbook, key: str | None, lang: str) -> str | None:
    """The cause in words that fit a sentence ('a mistake by a member of our staff' / '本所员工的操作失误'):
    the catalogue's phrase for the playbook's causes, the playbook's label for a firm's own cause."""
    if not key or key not in playbook.causes:
        return None
    phrase = f"draft.cause.{key}"
    return t(lang, phrase) if phrase in catalogue(lang) else playbook.causes[key](lang)


def measures_done(session: Session, *, incident: Incident, playbook: Playbook, lang: str) -> list[str]:
    """What statements may say was done: the measures recorded as taken (/breach facts --measures), in the
    playbook's words and order. A ticked task alone is not a claim ("restore from backups where needed" may
    have needed nothing)."""
    taken = set(incident.facts.get("measures") or [])
    return [task.measure(lang) for phase in playbook.phases for task in phase.tasks
            if task.measure is not None and task.key in taken]


def cac_level_label(level: str | None, lang: str) -> str | None:
    """The CAC incident level in the reader's words (一般 / general), never its key."""
    if not level:
        return None
    key = f"regime_reason.cac_level.{level}"
    return t(lang, key) if key in catalogue(lang) else level


def _is_police(row: clocks.ClockRow) -> bool:
    """A report to the police (China's, the IRS guidance's local police report): said as such, never listed among the
    authorities told."""
    return "police" in row.result.regime_key or row.result.clock_id == "us-irs-taxpro/police"


def _tells_people(row: clocks.ClockRow) -> bool:
    return any(word in row.result.clock_id for word in ("individual", "residents", "subjects"))


# Clocks met that told no authority: each owning client, the credit bureaus, the firm's own assessment, a filed
# no-harm determination (not a report of the breach).
NOT_AUTHORITIES = ("owner", "cra", "assess", "no-harm")


def _tells_no_authority(row: clocks.ClockRow) -> bool:
    return row.result.clock_id.rsplit("/", 1)[-1] in NOT_AUTHORITIES


def authorities_told(rows: list[clocks.ClockRow], regimes: RegimeBook, lang: str,
                     affected: Mapping[str, int] | None = None) -> list[tuple[str, str]]:
    """(jurisdiction, authority) for every clock met that told an authority (not the police, not people, not the
    owning clients or credit bureaus); each EU member state's authority by name where people live there
    (`affected`), with that member state as its jurisdiction."""
    out: list[tuple[str, str]] = []
    for row in rows:
        if row.status != "met" or _is_police(row) or _tells_people(row) or _tells_no_authority(row):
            continue
        regime = regimes.regimes.get(row.result.regime_key)
        spec = next((c for c in regime.clocks if f"{regime.key}/{c.id}" == row.result.clock_id), None) if regime else None
        if spec is not None and spec.each_authority and affected and eu_authorities.members(affected):
            items = list(zip(eu_authorities.members(affected), eu_authorities.named(affected, lang), strict=True))
            if affected.get("EU"):  # people whose member state is not given: the authorities in general
                items.append(("EU", spec.authority(lang) if spec.authority is not None else spec.audience(lang)))
        elif spec is not None and spec.authority is not None:  # "users and the competent department": the department
            items = [(regime.jurisdiction, spec.authority(lang))]
        else:
            items = [(regime.jurisdiction if regime else "*", row.result.audience_zh if lang == "zh"
                      else row.result.audience_en)]
        out += [item for item in items if item not in out]
    return out


def for_residence(authorities: list[tuple[str, str]], residence: str) -> list[str]:
    """The authorities told whose law covers people living in `residence` (US-wide laws cover every US state)."""
    return [name for where, name in authorities
            if where == "*" or lives_under(residence, where)]


def clients_notice(*, told_fact: bool | None, total: int, notified: int) -> str | None:
    """'all' when the clients are recorded as told, 'some' when some are, else None."""
    if told_fact is True or (total and notified == total):
        return "all"
    return "some" if notified else None


def care_context(session: Session, *, incident: Incident, playbook: Playbook, ws: Workspace,
                 lang: str) -> dict[str, Any]:
    """Offers, the spokesperson, open media enquiries, the survey's questions and the next update's date."""
    upcoming = [d.due_at for d in care.update_deadlines(session, incident) if d.met_at is None and d.cancelled_at is None]
    return {
        "offers": [{"kind": t(lang, f"offer.kinds.{o['kind']}"), "text": o["text"]} for o in care.offers(incident)],
        "spokesperson": media.spokesperson(incident) or None,
        "open_enquiries": [{"outlet": e["outlet"], "question": e["question"]} for e in media.unanswered(incident)],
        "survey": [q(lang) for q in playbook.survey],
        "next_update": long_date(min(upcoming), ws.timezone, lang).rsplit(" ", 1)[0].rstrip(",") if upcoming else None,
    }


def context(session: Session, *, incident: Incident, playbook: Playbook, regimes: RegimeBook,
            firm_profile: frozenset[str], ws: Workspace, lang: str, now: datetime, firm: FirmConfig,
            regime_key: str | None = None) -> dict[str, Any]:
    """The template variables: only recorded facts. Unknown facts are None (the template asks `gap()` to mark them)."""
    facts = incident.facts
    cause_key = incident.cause or facts.get("cause")
    rows = clocks.rows(session, incident=incident, book=regimes, firm_profile=firm_profile, now=now)
    affected = dict(facts.get("affected") or {})
    regulators = list(dict.fromkeys(name for _, name in authorities_told(rows, regimes, lang, affected)))  # once each
    police = any(r.status == "met" and _is_police(r) for r in rows)
    found = regimes.regimes.get(regime_key) if regime_key else None
    regime = regulator.notice(found, rows, affected, lang) if found is not None else None
    data = data_labels(playbook, list(facts.get("data") or []), lang, places=list(affected))
    total, notified, without_data = tally(session, incident)
    # A letter's data line is each client's own categories, else the incident's: known when either covers all.
    letter_data = DATA_TOKEN if data or (total and not without_data) else None
    phase_spec = playbook.phase(incident.current_phase)
    public, public_gap = public_in(facts, lang)
    firm_name = firm.name_in(lang) or placeholder(lang, "firm_name")
    return {
        # A firm with no name in breachbot.toml gets a gap like any other missing fact, never a stand-in name.
        # `subject`: the name opening a Chinese sentence, spaced off only when it ends in a Latin letter or digit.
        "firm": {"name": firm_name, "contact": firm.contact, "address": firm.address,
                 "subject": firm_name + (" " if firm_name[-1:].isascii() and firm_name[-1:].isalnum() else "")},
        "drill_banner": t(lang, "draft.drill_banner") + "\n\n" if incident.drill else "",
        "incident_id": ref(incident),
        "title": incident.title,  # internal: only the staff briefing uses it
        # the templates end the sentence themselves: a description typed with its own full stop keeps one
        "public": public,
        "public_gap": public_gap,  # public_en: the description recorded is in Chinese, an English one is needed
        "severity": incident.severity,
        "today": long_date(now, ws.timezone, lang).rsplit(" ", 1)[0].rstrip(","),
        "aware_at": zoned_date(incident.aware_at, ws.timezone, lang),  # times carry their zone; dates need none
        "data": data,
        "encrypted": facts.get("encrypted"),
        "key_safe": facts.get("key_safe"),
        "contained": facts.get("contained"),
        "clients_told": facts.get("clients_told"),
        "clients_notice": clients_notice(told_fact=facts.get("clients_told"), total=total, notified=notified),
        "cause": cause_words(playbook, cause_key, lang),
        "measures": measures_done(session, incident=incident, playbook=playbook, lang=lang),
        "police": police,
        "regulators": regulators,
        # counts as the language writes them (1,858), from the CLDR data
        "affected": {code: format_number(count, lang) for code, count in affected.items()},
        "places": {place_name(code, lang): format_number(count, lang) for code, count in affected.items()},
        "affected_total": format_number(sum(affected.values()), lang) if affected and sum(affected.values()) else None,
        "clients": format_number(facts["clients"], lang) if isinstance(facts.get("clients"), int | float) else facts.get("clients"),
        "systems": facts.get("systems"),
        # the exposure window (/breach facts --from --to): when the data was open to others, each end a gap until set
        **exposure_window(facts, ws.timezone, lang),
        "cac_level": cac_level_label(facts.get("cac_level"), lang),
        "late": any(r.status == "missed" for r in rows),
        "law_enforcement_delay": bool(facts.get("law_enforcement_delay")),
        "phase": f"{playbook.position(phase_spec.key)}/{len(playbook.phases)} {phase_spec.title(lang)}",
        "regime": regime,
        **care_context(session, incident=incident, playbook=playbook, ws=ws, lang=lang),
        # merge fields, filled in per client when letters are merged
        "client": {"name": CLIENT_TOKEN, "data": letter_data,
                   "regulators": REGULATORS_TOKEN if regulators else None},
    }
