"""The vocabulary of incident facts shared by commands, clocks, drafts and reports."""

from __future__ import annotations

DATA_CATEGORIES: tuple[str, ...] = (
    "name", "contact", "bank_account", "card", "tax_id", "national_id", "passport",
    "payroll", "financial_statements", "ledgers", "login_credentials", "date_of_birth",
)
RESIDENCES: tuple[str, ...] = ("CN", "EU", "UK", "US-CA", "US-NY", "US-TX", "US-FL", "US", "SG", "AU", "CA", "JP", "HK")
TITLE_MAX = 300
TEXT_MAX = 4000
MAX_CLIENTS = 100_000_000

# Facts the playbook's questions (and /breach facts, /breach affected) may set, by answer type.
FACTS: dict[str, str] = {
    "aware_at": "datetime",
    "determined_at": "datetime",
    "assessed_at": "datetime",
    "discovered_via": "one_of",
    "cause": "one_of",
    "data": "several_of",
    "clients": "number",
    "affected": "per_residence",
    "encrypted": "yes_no",
    "key_safe": "yes_no",
    "crime_suspected": "yes_no",
    "ransom_paid": "yes_no",
    "contained": "yes_no",
    "press_aware": "yes_no",
    "clients_told": "yes_no",
    "systems": "text",
}
ANSWER_TYPES = ("yes_no", "one_of", "several_of", "number", "per_residence", "datetime", "text")


def whole_number(text: str, *, limit: int = MAX_CLIENTS) -> int | None:
    """A non-negative whole number typed by a person (ASCII or full-width digits), or None.

    Never raises: superscripts, 5,000-digit strings and the like are simply not numbers.
    """
    text = text.strip()
    if not text.isdecimal() or len(text) > len(str(limit)):
        return None
    value = int(text)
    return value if value <= limit else None
