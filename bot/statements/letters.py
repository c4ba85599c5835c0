"""Client letters merged once per client, with that client's own fields; and who such a letter covers.

An approved client letter carries merge fields (bot.drafts): «CLIENT» (the name), «DATA» (the client's
data categories from the register, else the incident's) and «REGULATORS» (the authorities told whose
law covers the client's residence; the line is left out where there are none); advice lines tagged «CN»,
«US», «EU» or «OTHER» are kept only in the letters of clients living there. A client counts as
covered, and may be recorded as told, only once an approved letter in their language and type,
without gaps, was merged for them (`letters_merged` in the timeline).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from bot.incident import wording
from bot.incident.playbook import Playbook
from bot.incident.wording import place_name
from bot.statements import drafts, sending
from bot.statements import gaps as draft_gaps
from bot.statements.clients import shown_name
from bot.statements.template_context import data_labels, for_residence
from bot.text.i18n import text as t
from bot.text.times import format_iso
from storage.models import Client, Draft, DraftVersion, Incident, TimelineEvent

MERGED = "letters_merged"
SHOWN_NAMES = 3


def variant_of(draft: Draft) -> str:
    """individual or company: which clients a client letter is for."""
    return "company" if "company" in draft.template else "individual"


def approved_letters(session: Session, incident: Incident) -> dict[tuple[str, str], list[tuple[Draft, DraftVersion]]]:
    """The approved client letters for each (language, client type), oldest first."""
    found: dict[tuple[str, str], list[tuple[Draft, DraftVersion]]] = {}
    for draft, version in drafts.all_drafts(session, incident):
        if draft.kind == "client" and version.status == "approved":
            found.setdefault((draft.lang, variant_of(draft)), []).append((draft, version))
    return found


def fill(text: str, *, name: str, data: str | None, regulators: str, survey: str = "",
         residence: str | None = None) -> str:
    """One client's letter from the approved text: merge fields replaced, an empty «REGULATORS» or «SURVEY»
    line left out (`survey`: the client's own link to the online survey, when the firm serves one), and of the
    advice tagged by place only the lines for the client's `residence` (all of them, untagged, when unknown)."""
    out = []
    region = drafts.advice_region(residence)
    for line in text.split("\n"):
        tag = next((key for key, prefix in drafts.ADVICE_TAGS.items() if line.startswith(prefix)), None)
        if tag is not None:
            if region is not None and tag != region:
                continue
            line = line[len(drafts.ADVICE_TAGS[tag]):]
        if drafts.SURVEY_TOKEN in line:
            if not survey:
                continue
            line = line.replace(drafts.SURVEY_TOKEN, survey)
        if drafts.REGULATORS_TOKEN in line:
            if not regulators:
                continue
            line = line.replace(drafts.REGULATORS_TOKEN, regulators)
        if data is not None:
            line = line.replace(drafts.DATA_TOKEN, data)
        out.append(line.replace(drafts.CLIENT_TOKEN, name))
    return "\n".join(out)


def client_data(client: Client, *, incident: Incident, playbook: Playbook, lang: str) -> str | None:
    """The data categories a client's letter names: their own from the register, else the incident's; each as
    the client's country names it (no Social Security number or TFN for a client in Germany)."""
    keys = list(client.data or incident.facts.get("data") or [])
    if not keys:
        return None
    places = [client.residence] if client.residence else []
    return ("、" if lang == "zh" else ", ").join(data_labels(playbook, keys, lang, places=places,
                                                           company=client.kind == "company"))


def client_regulators(client: Client, authorities: list[tuple[str, str]], lang: str) -> str:
    """The authorities told whose law covers this client's residence, in words."""
    return ("、" if lang == "zh" else ", ").join(for_residence(authorities, client.residence))


def manifest_row(client: Client, *, filename: str, draft: Draft, version: DraftVersion, lang: str, tz: str,
                 data: str | None = None, letter: bool = True) -> dict[str, str]:
    """One row of a letters ZIP's manifest.csv, headers and values in the workspace's language (`letter`: a
    client letter, which also names the client's type, residence, data and when they were told)."""
    def head(key: str) -> str:
        return t(lang, f"letters.manifest.{key}")

    row = {head("file"): filename, head("client"): client.name}
    if letter:
        row[head("type")] = t(lang, f"value_name.variant.{client.kind}")
    row[head("language")] = t(lang, f"value_name.lang.{client.lang}").split("/")[0]
    if letter:
        row[head("residence")] = place_name(client.residence, lang) if client.residence else ""
        row[head("data")] = data or ""
    row[head("draft")] = f"D-{draft.number}"
    row[head("version")] = str(version.version)
    if letter:
        row[head("notified_at")] = format_iso(client.notified_at, tz) or ""
    return row


@dataclass
class Coverage:
    """Which clients an approved, merged letter covers, and why the others are not."""

    letters: dict[tuple[str, str], list[tuple[Draft, DraftVersion]]]
    merges: list[dict]
    incident_data: bool
    handed: set[int] = field(default_factory=set)  # clients the bot handed an approved letter to (/breach send)
    _gaps: dict[int, bool] = field(default_factory=dict)

    @classmethod
    def of(cls, session: Session, incident: Incident) -> Coverage:
        """The coverage as recorded now."""
        events = session.exec(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id,
                                                          TimelineEvent.kind == MERGED)
                              .order_by(col(TimelineEvent.seq)))
        return cls(letters=approved_letters(session, incident), merges=[e.data for e in events],
                   incident_data=bool(incident.facts.get("data")), handed=sending.handed_over(session, incident))

    def why_not(self, client: Client) -> str | None:
        """None when the client's letter is approved and was merged for them (or sent); else what is missing."""
        if client.id in self.handed:
            return None
        letters = [(d, v) for d, v in self.letters.get((client.lang, client.kind), []) if not self._has_gaps(v)]
        if not letters:
            return "gaps" if self.letters.get((client.lang, client.kind)) else "no_letter"
        for draft, version in letters:
            for merge in self.merges:
                if ({"draft": draft.number, "version": version.version} in merge.get("letters", [])
                        and client.id is not None and client.id <= merge.get("upto", 0)
                        and client.id not in merge.get("skipped", [])):
                    return None
        if all(drafts.DATA_TOKEN in v.text for _, v in letters) and not client.data and not self.incident_data:
            return "no_data"
        return "not_merged"

    def _has_gaps(self, version: DraftVersion) -> bool:
        assert version.id is not None
        if version.id not in self._gaps:
            self._gaps[version.id] = bool(draft_gaps.find_gaps(version.text))
        return self._gaps[version.id]


def missing_lines(left_out: list[tuple[Client, str]], coverage: Coverage, lang: str) -> str:
    """Who has no approved, merged letter, grouped by language/type and reason, each with what to type."""
    groups: dict[tuple[str, str, str], list[Client]] = {}
    for client, reason in left_out:
        groups.setdefault((reason, client.lang, client.kind), []).append(client)
    lines = []
    for (reason, client_lang, kind), clients in sorted(groups.items(), key=lambda g: (g[0][1], g[0][2], g[0][0])):
        names = ("、" if lang == "zh" else ", ").join(shown_name(c) for c in clients[:SHOWN_NAMES]) + ("…" if len(clients) > SHOWN_NAMES else "")
        found = coverage.letters.get((client_lang, kind))
        ident = f"D-{found[-1][0].number}" if found else "D-n"
        command = draft_gaps.redraft_command(kind="client", lang=client_lang, regime=None,
                                             template_name=f"client_{kind}", shown_in=lang)
        lines.append(t(lang, f"letters.why.{reason}", group=(f"{wording.name(lang, 'lang', client_lang)}/{wording.name(lang, 'variant', kind)}"
                              if lang == "zh" else f"{client_lang}/{kind}"), count=len(clients),
                       names=names, command=command, id=ident))
    return "\n".join(lines)
