"""Incident facts that change after declare: severity, the internal title, the public description, costs.

Each change is a timeline event in the caller's transaction, with what it was before, so the
record shows how the firm's view of the incident moved. Costs are kept with the incident's facts
(a list of entries) and totalled per currency; amounts are exact decimals, never floats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session

from bot.errors import UserError
from bot.incident import timeline, wording
from bot.incident.incidents import check_text, require_open
from bot.incident.playbook import Playbook
from bot.text.facts import COST_CATEGORIES, narrow
from bot.text.i18n import has_chinese
from bot.text.i18n import text as t
from storage.models import Incident

# Symbols and words for a currency, as people type them; the first currency is assumed when none is given.
CURRENCIES: dict[str, str] = {
    "¥": "CNY", "￥": "CNY", "元": "CNY", "块": "CNY", "rmb": "CNY", "cny": "CNY", "人民币": "CNY",
    "hk$": "HKD", "hkd": "HKD", "港币": "HKD", "港元": "HKD",
    "us$": "USD", "$": "USD", "usd": "USD", "美元": "USD",
    "€": "EUR", "eur": "EUR", "欧元": "EUR", "£": "GBP", "gbp": "GBP", "英镑": "GBP",
    "s$": "SGD", "sgd": "SGD", "新元": "SGD", "jpy": "JPY", "日元": "JPY",
}
SYMBOLS = {"CNY": "¥", "HKD": "HK$", "USD": "$", "EUR": "€", "GBP": "£", "SGD": "S$", "JPY": "¥"}
MAX_AMOUNT = Decimal("1e12")
_UNITS = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "k": Decimal(1_000), "m": Decimal(1_000_000)}
_CURRENCY_WORDS = "|".join(sorted(map(re.escape, CURRENCIES), key=len, reverse=True))
_AMOUNT = re.compile(rf"^(?P<pre>{_CURRENCY_WORDS})?\s*(?P<num>[0-9][0-9,]*(?:\.[0-9]{{1,2}})?)\s*"
                     rf"(?P<unit>万|亿|k|m)?\s*(?P<post>{_CURRENCY_WORDS})?$", re.I)


@dataclass(frozen=True)
class Amount:
    """Money: an exact amount and its ISO currency."""

    value: Decimal
    currency: str

    def show(self) -> str:
        """`¥12,000` / `HK$3,500.50`."""
        places = 0 if self.value == self.value.to_integral_value() else 2
        return f"{SYMBOLS.get(self.currency, self.currency + ' ')}{self.value:,.{places}f}"


def parse_amount(raw: str, *, default_currency: str, lang: str) -> Amount:
    """`12000`, `¥12,000`, `1.2万`, `5000 USD`, `€300` as an Amount; UserError says what to type."""
    match = _AMOUNT.match(narrow(raw).strip())
    if not match:
        raise UserError(t(lang, "cost.amount", value=raw))
    pre, post = (match["pre"] or "").lower(), (match["post"] or "").lower()
    if pre and post and CURRENCIES[pre] != CURRENCIES[post]:
        raise UserError(t(lang, "cost.amount", value=raw))
    try:
        value = Decimal(match["num"].replace(",", "")) * _UNITS.get((match["unit"] or "").lower(), Decimal(1))
    except InvalidOperation:
        raise UserError(t(lang, "cost.amount", value=raw)) from None
    if value <= 0 or value >= MAX_AMOUNT:
        raise UserError(t(lang, "cost.amount", value=raw))
    # 万 and 亿 are Chinese units: an amount counted in them is in yuan unless it says otherwise, in any workspace.
    chinese_unit = (match["unit"] or "") in ("万", "亿")
    currency = CURRENCIES.get(pre or post, "CNY" if chinese_unit else default_currency)
    return Amount(value=value.quantize(Decimal("0.01")).normalize() if value % 1 else value.quantize(Decimal(1)),
                  currency=currency)


def set_severity(session: Session, *, incident: Incident, playbook: Playbook, severity: str, reason: str,
                 actor: str, now: datetime, lang: str) -> str:
    """Change the severity with a reason; returns the one it replaces (UserError if it is the same)."""
    require_open(incident, lang)
    if severity not in playbook.severities:
        raise UserError(t(lang, "error.severity", value=severity, choices=", ".join(playbook.severities)))
    if severity == incident.severity:
        raise UserError(t(lang, "severity.same", severity=wording.severity(lang, severity)))
    check_text(reason, lang, what=t(lang, "word.reason"))
    before, incident.severity = incident.severity, severity
    session.add(incident)
    timeline.append(session, incident=incident, actor=actor, kind="severity_changed", now=now, text=reason,
                    data={"from": before, "to": severity, "reason": reason})
    return before


def rename(session: Session, *, incident: Incident, title: str, actor: str, now: datetime, lang: str) -> str:
    """Change the internal title; returns the old one."""
    require_open(incident, lang)
    if not title.strip():
        raise UserError(t(lang, "error.title_empty"))
    title = " ".join(check_text(title, lang, what=t(lang, "word.title")).split())
    before, incident.title = incident.title, title
    session.add(incident)
    timeline.append(session, incident=incident, actor=actor, kind="renamed", now=now, text=title,
                    data={"from": before, "to": title})
    return before


def set_public(session: Session, *, incident: Incident, text: str, actor: str, now: datetime, lang: str) -> None:
    """The description statements use for what happened (the internal title never leaves the firm); also after
    close, for the notices still owed then (not a drill's), marked as recorded after the close."""
    if incident.drill:
        require_open(incident, lang)
    if not text.strip():
        raise UserError(t(lang, "public.empty"))
    text = " ".join(check_text(text, lang, what=t(lang, "word.public")).split())  # one line, as titles are
    before = incident.facts.get("public")
    # kept by language too: Chinese statements keep the Chinese description once an English one is given
    incident.facts = {**incident.facts, "public": text, f"public_{'zh' if has_chinese(text) else 'en'}": text}
    session.add(incident)
    timeline.append(session, incident=incident, actor=actor, kind="public_described", now=now, text=text,
                    data={"from": before, "to": text, **({"after_close": True} if incident.status != "open" else {})})


def add_cost(session: Session, *, incident: Incident, amount: Amount, category: str, note: str, actor: str,
             now: datetime, lang: str) -> int:
    """Record a cost of the response (also after close: invoices arrive late); returns its number."""
    if category not in COST_CATEGORIES:
        raise UserError(t(lang, "cost.category", value=category, choices=", ".join(COST_CATEGORIES)))
    note = check_text(note, lang, what=t(lang, "word.note")) if note.strip() else ""
    entries = list(incident.facts.get("costs") or [])
    entry = {"n": len(entries) + 1, "amount": str(amount.value), "currency": amount.currency, "category": category,
             "note": note, "by": actor, "at": now.isoformat()}
    incident.facts = {**incident.facts, "costs": [*entries, entry]}
    session.add(incident)
    timeline.append(session, incident=incident, actor=actor, kind="cost_recorded", now=now, text=note,
                    data={key: entry[key] for key in ("n", "amount", "currency", "category")})
    return entry["n"]


def costs(incident: Incident) -> list[dict[str, Any]]:
    """The recorded costs, oldest first."""
    return list(incident.facts.get("costs") or [])


def totals(incident: Incident) -> dict[str, Amount]:
    """The total per currency (costs in different currencies are never added together)."""
    found: dict[str, Decimal] = {}
    for entry in costs(incident):
        found[entry["currency"]] = found.get(entry["currency"], Decimal(0)) + Decimal(entry["amount"])
    return {currency: Amount(value, currency) for currency, value in sorted(found.items())}


def by_category(incident: Incident) -> dict[tuple[str, str], Amount]:
    """(category, currency) → total, in the order of COST_CATEGORIES."""
    found: dict[tuple[str, str], Decimal] = {}
    for entry in costs(incident):
        key = (entry["category"], entry["currency"])
        found[key] = found.get(key, Decimal(0)) + Decimal(entry["amount"])
    order = {c: i for i, c in enumerate(COST_CATEGORIES)}
    return {key: Amount(value, key[1]) for key, value in sorted(found.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))}
