"""The affected-client register: CSV import (all or nothing), encrypted contacts, who was told."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from sqlmodel import Session, col, select

from bot import deadlines, timeline
from bot.errors import UserError
from bot.facts import DATA_CATEGORIES, RESIDENCES, whole_number
from bot.i18n import text as t
from bot.incidents import require_open
from storage.models import Client, Incident

REQUIRED = ("name", "type", "contact", "language", "residence", "data")
KINDS = {"individual": "individual", "person": "individual", "个人": "individual",
         "company": "company", "corporate": "company", "business": "company", "企业": "company", "公司": "company"}
LANGS = {"en": "en", "english": "en", "英文": "en", "zh": "zh", "zh-cn": "zh", "chinese": "zh", "中文": "zh"}
VIA = ("email", "phone", "post", "wecom")
CLIENT = "client"


class Vault:
    """Encrypts client contacts at rest with the firm's key (Fernet: AES-128-CBC + HMAC-SHA256)."""

    def __init__(self, key: str | None) -> None:
        self._fernet = Fernet(key.encode()) if key else None

    @staticmethod
    def new_key() -> str:
        """A fresh key for BREACHBOT_DATA_KEY."""
        return Fernet.generate_key().decode()

    def ready(self) -> bool:
        """Whether a key is configured."""
        return self._fernet is not None

    def seal(self, text: str) -> str:
        """Encrypt."""
        assert self._fernet is not None
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str:
        """Decrypt (only for a file the firm itself asked for, never for chat)."""
        assert self._fernet is not None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise UserError("A client contact cannot be decrypted with this BREACHBOT_DATA_KEY.") from None


def mask(name: str) -> str:
    """'Zhang Wei' → 'Zh*** W**', '李明' → '李*': enough to recognise, not enough to leak."""
    def one(word: str) -> str:
        keep = 1 if len(word) <= 3 else 2
        return word[:keep] + "*" * max(1, len(word) - keep)

    return " ".join(one(w) for w in name.split())


def decode(raw: bytes, lang: str) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM); GBK is named, not guessed."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        raise UserError(t(lang, "clients.not_utf8")) from None
    raise UserError(t(lang, "clients.gbk"))


@dataclass
class ImportResult:
    """What an import did, or every row that stopped it."""

    imported: int = 0
    problems: list[str] = field(default_factory=list)


def import_csv(session: Session, *, incident: Incident, raw: bytes, vault: Vault, actor: str, now: datetime,
               lang: str, progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Validate every row first; import all of them or none, and say which lines are wrong."""
    require_open(incident, lang)
    if not vault.ready():
        raise UserError(t(lang, "clients.no_key"))
    text = decode(raw, lang)
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise UserError(t(lang, "clients.columns", missing=", ".join(missing), required=", ".join(REQUIRED)))
    existing = set(session.exec(select(Client.name).where(Client.incident_id == incident.id)))
    seen: dict[str, int] = {}
    rows: list[dict] = []
    problems: list[str] = []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        bad = _check(row, lang)
        name = row.get("name", "")
        if name in seen:
            bad.append(t(lang, "clients.duplicate", name=name, line=seen[name]))
        elif name in existing:
            bad.append(t(lang, "clients.already", name=name))
        seen.setdefault(name, line)
        if bad:
            problems.append(t(lang, "clients.line", line=line, problems="; ".join(bad)))
        else:
            rows.append(row)
    if problems:
        return ImportResult(problems=problems)
    if not rows:
        raise UserError(t(lang, "clients.empty"))
    total = len(rows)
    for i, row in enumerate(rows, start=1):
        hours = int(row["notice_hours"]) if row.get("notice_hours") else None
        client = Client(incident_id=incident.id, name=row["name"], kind=KINDS[row["type"].lower()],
                        contact_encrypted=vault.seal(row["contact"]), lang=LANGS[row["language"].lower()],
                        residence=row["residence"].upper(), data=_categories(row["data"]), notice_hours=hours)
        session.add(client)
        if hours is not None:
            session.flush()
            deadlines.schedule(session, incident_id=incident.id, kind=CLIENT, ref=f"client:{client.id}",
                               due_at=incident.aware_at + timedelta(hours=hours),
                               remind_before=timedelta(hours=max(1, hours // 4)), now=now,
                               meta={"client": client.id})
        if progress and (i % 1000 == 0 or i == total):
            progress(i, total)
    session.flush()
    timeline.append(session, incident=incident, actor=actor, kind="clients_imported", now=now,
                    text=f"{total} clients", data={"count": total})
    return ImportResult(imported=total)


def _categories(raw: str) -> list[str]:
    return [c.strip().lower() for c in raw.replace("，", ",").replace(";", ",").split(",") if c.strip()]


def _check(row: dict, lang: str) -> list[str]:
    bad = []
    for column in REQUIRED:
        if not row.get(column):
            bad.append(t(lang, "clients.blank", column=column))
    if row.get("type") and row["type"].lower() not in KINDS:
        bad.append(t(lang, "clients.bad_type", value=row["type"]))
    if row.get("language") and row["language"].lower() not in LANGS:
        bad.append(t(lang, "clients.bad_lang", value=row["language"]))
    if row.get("residence") and row["residence"].upper() not in RESIDENCES:
        bad.append(t(lang, "clients.bad_residence", value=row["residence"]))
    unknown = [c for c in _categories(row.get("data", "")) if c not in DATA_CATEGORIES]
    if unknown:
        bad.append(t(lang, "clients.bad_data", value=", ".join(unknown)))
    hours = row.get("notice_hours", "")
    if hours and not whole_number(hours, limit=24 * 365):
        bad.append(t(lang, "clients.bad_hours", value=hours))
    if len(row.get("name", "")) > 300 or len(row.get("contact", "")) > 1000:
        bad.append(t(lang, "clients.too_long"))
    return bad


def register(session: Session, incident: Incident) -> list[Client]:
    """Every client of an incident, in import order."""
    return list(session.exec(select(Client).where(Client.incident_id == incident.id).order_by(col(Client.id))))


def counts(clients: list[Client]) -> dict:
    """Totals for status lines and the export."""
    return {"total": len(clients), "notified": sum(1 for c in clients if c.notified_at),
            "by_type": dict(Counter(c.kind for c in clients)), "by_residence": dict(Counter(c.residence for c in clients)),
            "by_language": dict(Counter(c.lang for c in clients))}


def mark_notified(session: Session, *, incident: Incident, who: str, via: str, at: datetime, actor: str,
                  now: datetime, lang: str) -> list[Client]:
    """Record that clients were told (one by exact name, or `all` not yet told)."""
    require_open(incident, lang)
    if via not in VIA:
        raise UserError(t(lang, "clients.bad_via", value=via, choices=", ".join(VIA)))
    everyone = register(session, incident)
    if not everyone:
        raise UserError(t(lang, "clients.none"))
    if who.lower() in ("all", "全部"):
        chosen = [c for c in everyone if c.notified_at is None]
        if not chosen:
            raise UserError(t(lang, "clients.all_told"))
    else:
        chosen = [c for c in everyone if c.name == who]
        if not chosen:
            raise UserError(t(lang, "clients.unknown", name=who))
        if chosen[0].notified_at is not None:
            raise UserError(t(lang, "clients.told_already", name=mask(who)))
    for client in chosen:
        client.notified_at, client.notified_via, client.notified_by = at, via, actor
        session.add(client)
        if client.notice_hours is not None:
            deadline = deadlines.get(session, incident_id=incident.id, kind=CLIENT, ref=f"client:{client.id}")
            if deadline is not None and deadline.met_at is None:
                deadlines.meet(session, deadline, at=at)
    timeline.append(session, incident=incident, actor=actor, kind="clients_notified", now=now, at=at,
                    text=f"{len(chosen)} via {via}", data={"count": len(chosen), "via": via,
                                                           "clients": [c.id for c in chosen][:50]})
    return chosen


def letters_zip(*, letters: list[tuple[Client, str, str]], manifest_rows: list[dict]) -> bytes:
    """A ZIP of one text file per client plus manifest.csv (no contact details in either)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for _client, filename, body in letters:
            archive.writestr(filename, body)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(manifest_rows[0]) if manifest_rows else ["file"])
        writer.writeheader()
        writer.writerows(manifest_rows)
        archive.writestr("manifest.csv", "\ufeff" + out.getvalue())
    return buffer.getvalue()


def safe_filename(index: int, name: str) -> str:
    """A file name from a client name that no archive tool can turn into a path."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in name).strip().replace(" ", "_")
    return f"{index:05d}-{cleaned[:60] or 'client'}.txt"
