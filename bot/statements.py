"""What a statement template is given: the incident's facts, in the reader's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot import clocks
from bot.drafts import CLIENT_TOKEN
from bot.i18n import text as t
from bot.incidents import ref
from bot.phases import task_states
from bot.playbook import Playbook
from bot.regimes import RegimeBook
from storage.models import Incident, Workspace

MEASURE_PHASES = ("immediate_response", "containment", "remediation")


def long_date(when: datetime, tz: str, lang: str) -> str:
    """'28 November 2026, 10:05' / '2026年11月28日 10:05' in the workspace timezone."""
    local = when.astimezone(ZoneInfo(tz))
    if lang == "zh":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%B %Y, %H:%M}"


def data_labels(playbook: Playbook, keys: list[str], lang: str) -> list[str]:
    """Data categories in words (the data question's option labels)."""
    labels: dict[str, str] = {}
    for question in playbook.questions():
        if question.sets == "data":
            labels = {o.key: o.label(lang) for o in question.options}
    return [labels.get(k, k) for k in keys]


def context(session: Session, *, incident: Incident, playbook: Playbook, regimes: RegimeBook,
            firm_profile: frozenset[str], ws: Workspace, lang: str, now: datetime, firm_name: str,
            firm_contact: str, regime_key: str | None = None, client_name: str = CLIENT_TOKEN) -> dict[str, Any]:
    """The template variables. Unknown facts are None (the template asks `gap()` to mark them)."""
    facts = incident.facts
    cause_key = incident.cause or facts.get("cause")
    measures = []
    for phase_key in MEASURE_PHASES:
        spec = next((p for p in playbook.phases if p.key == phase_key), None)
        if spec is None:
            continue
        for task in task_states(session, incident, phase_key):
            if task.done_at is not None:
                measures.append(spec.tasks[task.position - 1].text(lang))
    rows = clocks.rows(session, incident=incident, book=regimes, firm_profile=firm_profile, now=now)
    regulators = [r.result.audience_zh if lang == "zh" else r.result.audience_en
                  for r in rows if r.status == "met" and "individual" not in r.result.clock_id
                  and "residents" not in r.result.clock_id and "subjects" not in r.result.clock_id]
    police = any(r.status == "met" and "police" in r.result.regime_key for r in rows)
    regime = None
    if regime_key:
        found = regimes.regimes.get(regime_key)
        if found is not None:
            clock = found.clocks[0]
            regime = {"key": found.key, "title": found.title(lang), "citation": found.citation,
                      "content": list(clock.content)}
    affected = dict(facts.get("affected") or {})
    phase_spec = playbook.phase(incident.current_phase)
    return {
        "firm": {"name": firm_name, "contact": firm_contact},
        "drill_banner": t(lang, "draft.drill_banner") + "\n\n" if incident.drill else "",
        "incident_id": ref(incident),
        "title": incident.title,
        "severity": incident.severity,
        "today": long_date(now, ws.timezone, lang).rsplit(" ", 1)[0].rstrip(","),
        "aware_at": long_date(incident.aware_at, ws.timezone, lang),
        "data": data_labels(playbook, list(facts.get("data") or []), lang),
        "encrypted": facts.get("encrypted"),
        "key_safe": facts.get("key_safe"),
        "contained": facts.get("contained"),
        "clients_told": facts.get("clients_told"),
        "cause": playbook.causes[cause_key](lang) if cause_key in playbook.causes else None,
        "measures": measures,
        "police": police,
        "regulators": regulators,
        "affected": affected,
        "affected_total": sum(affected.values()) or None,
        "clients": facts.get("clients"),
        "systems": facts.get("systems"),
        "cac_level": facts.get("cac_level"),
        "late": any(r.status == "missed" for r in rows),
        "law_enforcement_delay": bool(facts.get("law_enforcement_delay")),
        "phase": f"{playbook.position(phase_spec.key)}/{len(playbook.phases)} {phase_spec.title(lang)}",
        "regime": regime,
        "client": {"name": client_name},
    }

