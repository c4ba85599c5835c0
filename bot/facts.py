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
