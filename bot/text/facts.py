"""The vocabulary of incident facts shared by commands, clocks, drafts and reports."""

from __future__ import annotations

import unicodedata

DATA_CATEGORIES: tuple[str, ...] = (
    "name", "contact", "bank_account", "card", "tax_id", "national_id", "passport",
    "payroll", "financial_statements", "ledgers", "login_credentials", "date_of_birth",
)
# US-XX: every US state, DC and the territories (Puerto Rico, Guam, US Virgin Islands); US alone: a US resident whose
# state is not known yet (the bot asks which states).
US_STATES: tuple[str, ...] = ("AL", "AK", "AZ", "AR", "CO", "CT", "DE", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR", "GU", "VI")
# EU member states are kept as typed (DE, FR …): the EU's laws cover them (`covered_by`), and GDPR's notice names the
# supervisory authority of each member state where affected people live; EU alone is a resident of a member state
# not given.
EU_MEMBERS: tuple[str, ...] = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
    "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
)
# Places whose law the regimes file lists under `not_modelled:`: typed like any residence, so /breach clocks can say
# "not modelled" for the people living there instead of refusing the count.
ELSEWHERE: tuple[str, ...] = ("KR", "IN", "MY", "TH", "PH", "VN", "ID", "TW", "MO", "BR")
RESIDENCES: tuple[str, ...] = ("CN", "EU", "UK", "US-CA", "US-NY", "US-TX", "US-FL", "US", "SG", "AU", "CA", "JP", "HK",
                               *(f"US-{state}" for state in US_STATES), *EU_MEMBERS, *ELSEWHERE)
# Other codes people use for a residence the bot knows.
RESIDENCE_CODES = {"GB": "UK", "EL": "GR", "CHN": "CN", "PRC": "CN", "USA": "US", "HKG": "HK", "SGP": "SG", "JPN": "JP",
                   "AUS": "AU", "CAN": "CA", "CALIFORNIA": "US-CA", "NEW YORK": "US-NY", "TEXAS": "US-TX",
                   "FLORIDA": "US-FL", "GEORGIA": "US-GA", "DC": "US-DC", "WASHINGTON DC": "US-DC", "USVI": "US-VI",
                   "ALABAMA": "US-AL",
                   "ALASKA": "US-AK",
                   "ARIZONA": "US-AZ",
                   "ARKANSAS": "US-AR",
                   "COLORADO": "US-CO",
                   "CONNECTICUT": "US-CT",
                   "DELAWARE": "US-DE",
                   "HAWAII": "US-HI",
                   "IDAHO": "US-ID",
                   "ILLINOIS": "US-IL",
                   "INDIANA": "US-IN",
                   "IOWA": "US-IA",
                   "KANSAS": "US-KS",
                   "KENTUCKY": "US-KY",
                   "LOUISIANA": "US-LA",
                   "MAINE": "US-ME",
                   "MARYLAND": "US-MD",
                   "MASSACHUSETTS": "US-MA",
                   "MICHIGAN": "US-MI",
                   "MINNESOTA": "US-MN",
                   "MISSISSIPPI": "US-MS",
                   "MISSOURI": "US-MO",
                   "MONTANA": "US-MT",
                   "NEBRASKA": "US-NE",
                   "NEVADA": "US-NV",
                   "NEW HAMPSHIRE": "US-NH",
                   "NEW JERSEY": "US-NJ",
                   "NEW MEXICO": "US-NM",
                   "NORTH CAROLINA": "US-NC",
                   "NORTH DAKOTA": "US-ND",
                   "OHIO": "US-OH",
                   "OKLAHOMA": "US-OK",
                   "OREGON": "US-OR",
                   "PENNSYLVANIA": "US-PA",
                   "RHODE ISLAND": "US-RI",
                   "SOUTH CAROLINA": "US-SC",
                   "SOUTH DAKOTA": "US-SD",
                   "TENNESSEE": "US-TN",
                   "UTAH": "US-UT",
                   "VERMONT": "US-VT",
                   "VIRGINIA": "US-VA",
                   "WASHINGTON": "US-WA",
                   "WEST VIRGINIA": "US-WV",
                   "WISCONSIN": "US-WI",
                   "WYOMING": "US-WY",
                   "DISTRICT OF COLUMBIA": "US-DC",
                   "PUERTO RICO": "US-PR",
                   "GUAM": "US-GU",
                   "U.S. VIRGIN ISLANDS": "US-VI"}
# The CAC's four incident levels (网络安全事件分级), lowest first.
CAC_LEVELS: tuple[str, ...] = ("general", "relatively_major", "major", "especially_major")
# What a response costs, in the words an insurer's claim form uses.
COST_CATEGORIES: tuple[str, ...] = (
    "forensics", "legal", "notification", "monitoring", "compensation", "fines", "staff", "revenue", "other",
)
TITLE_MAX = 300
TEXT_MAX = 4000
MAX_CLIENTS = 100_000_000

# Facts the playbook's questions (and /breach facts, /breach affected) may set, by answer type.
FACTS: dict[str, str] = {
    "aware_at": "datetime",
    "determined_at": "datetime",
    "assessed_at": "datetime",
    "ransom_paid_at": "datetime",
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
    "on_behalf": "yes_no",  # the data is held on behalf of clients (the firm is their processor / service provider)
    "clients_told": "yes_no",
    "systems": "text",
    "measures": "several_of",  # the playbook's measure tasks recorded as taken (/breach facts --measures)
    "exposure_from": "datetime",
    "exposure_to": "datetime",
    "reputation": "one_of",
    "spokesperson": "text",
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


def narrow(text: str) -> str:
    """Full-width letters, digits and signs (what a Chinese input method types: ＢＲ－１, ＠bob, CN＝1200, ，)
    and the ideographic space as their plain forms; every other character stays as it is.

    This is NFKC applied to the Halfwidth and Fullwidth Forms only: NFKC on everything would also turn
    superscripts, circled digits and fractions ('²', '①', '½') into numbers nobody typed.
    """
    if text.isascii():
        return text
    return "".join(unicodedata.normalize("NFKC", ch) if "\uff00" <= ch <= "\uffef" or ch == "\u3000" else ch
                   for ch in text)


def residence_code(raw: str) -> str | None:
    """A residence code as people type it ('cn', 'ＣＮ', 'de' for Germany, 'GB') → the bot's code."""
    code = " ".join(narrow(raw).upper().replace("_", "-").split())
    if code in RESIDENCES:
        return code
    return RESIDENCE_CODES.get(code)


def covered_by(residence: str, jurisdiction: str) -> bool:
    """Whether a law written for `jurisdiction` covers people living in `residence`: the same place, or a member
    state of the EU for the EU's laws (a US-wide law's reach over the states is its own rule)."""
    return residence == jurisdiction or (jurisdiction == "EU" and residence in EU_MEMBERS)


def lives_under(residence: str, jurisdiction: str) -> bool:
    """Whether someone living in `residence` is among the people a law of `jurisdiction` speaks of in a statement:
    `covered_by`, and a US-wide law (the FTC's, the IRS's) over every US state and territory too."""
    return covered_by(residence, jurisdiction) or (jurisdiction == "US" and residence.startswith("US"))
