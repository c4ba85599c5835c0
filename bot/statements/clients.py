"""The affected-client register: CSV import (all or nothing), encrypted contacts, who was told."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlmodel import Session, col, select

from bot.errors import UserError
from bot.incident import deadlines, names, timeline
from bot.incident.incidents import require_open
from bot.text.facts import DATA_CATEGORIES, whole_number
from bot.text.i18n import text as t
from storage.models import Client, Incident

REQUIRED = ("name", "type", "contact", "language", "residence")
OPTIONAL = ("data", "notice_hours")
# The column names a Chinese workspace writes (姓名,类型,联系方式,语言,居住地,数据,通知时限).
COLUMN_ALIASES = {
    "name": ("姓名", "名称", "客户", "客户名称", "名字"),
    "type": ("类型", "客户类型"),
    "contact": ("联系方式", "联系人", "邮箱", "电话"),
    "language": ("语言",),
    "residence": ("居住地", "所在地", "地区", "国家/地区"),
    "data": ("数据", "数据类别", "涉及数据", "泄露数据"),
    "notice_hours": ("通知时限", "通知时限(小时)", "通知小时数"),
}
KINDS = {"individual": "individual", "person": "individual", "个人": "individual",
         "company": "company", "corporate": "company", "business": "company", "企业": "company", "公司": "company"}
LANGS = {"en": "en", "english": "en", "英文": "en", "英语": "en",
         "zh": "zh", "zh-cn": "zh", "chinese": "zh", "中文": "zh", "汉语": "zh", "简体中文": "zh", "普通话": "zh",
         "国语": "zh", "华语": "zh", "繁体中文": "zh", "粤语": "zh", "mandarin": "zh", "cantonese": "zh"}
VIA = ("email", "phone", "sms", "post", "wecom")
CLIENT = "client"
MAX_CSV = 20 * 1024 * 1024  # a register's file, however handed over (a register of 10,000 rows is well under this)


class Vault:
    """Encrypts client contacts at rest (Fernet: AES-128-CBC + HMAC-SHA256). Several keys (a list, or comma-separated
    text): the first seals, any of them opens (a key being rotated out still opens what it sealed)."""

    def __init__(self, key: str | Sequence[str] | None, lang: str = "en") -> None:
        self.lang = lang  # what a contact no key opens is said in
        keys = [k.strip() for k in (key.split(",") if isinstance(key, str) else key or []) if k.strip()]
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys]) if keys else None

    @staticmethod
    def new_key() -> str:
        """A fresh key for BREACHBOT_DATA_KEY (or a firm's own data key)."""
        return Fernet.generate_key().decode()

    def ready(self) -> bool:
        """Whether a key is configured."""
        return self._fernet is not None

    def seal(self, text: str) -> str:
        """Encrypt under the first key."""
        assert self._fernet is not None
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str:
        """Decrypt (only for a file the firm itself asked for, never for chat)."""
        assert self._fernet is not None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise UserError(t(self.lang, "keys.undecryptable")) from None

    def reseal(self, token: str) -> str:
        """The same text sealed under the first key (a rotation); UserError when no key opens it."""
        assert self._fernet is not None
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise UserError(t(self.lang, "keys.undecryptable")) from None


def matches(client: Client, fragment: str) -> bool:
    """Whether a client's name holds a typed fragment (case, spacing and full-width ignored)."""
    return _normal(fragment).replace(" ", "") in _normal(client.name).replace(" ", "")


def shown_name(client: Client) -> str:
    """A client's name in chat: a company's in full (a company name is not personal data), a person's masked."""
    return client.name if client.kind == "company" else mask(client.name)


def mask(name: str) -> str:
    """'Zhang Wei' → 'Zh*** W**', '李明' → '李*': enough to recognise, not enough to leak."""
    def one(word: str) -> str:
        keep = 1 if len(word) <= 3 else 2
        return word[:keep] + "*" * max(1, len(word) - keep)

    return " ".join(one(w) for w in name.split())


def decode(raw: bytes, lang: str) -> tuple[str, str]:
    """CSV bytes as (text, the encoding read): UTF-8 (with or without BOM), else GB18030 (GBK, a Chinese Excel's
    default) when that reads as Chinese text; anything else is refused with what to do."""
    try:
        return raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        raise UserError(t(lang, "clients.not_utf8")) from None
    if not re.search(r"[\u4e00-\u9fff]", text):  # Western Excel (cp1252) bytes also "decode": refuse, do not guess
        raise UserError(t(lang, "clients.not_utf8"))
    return text, "GBK"


@dataclass
class ImportResult:
    """What an import did, or every row that stopped it."""

    imported: int = 0
    problems: list[str] = field(default_factory=list)
    encoding: str = "UTF-8"  # how the file was read (UTF-8, or GBK from a Chinese Excel)


def _normal(text: str) -> str:
    """A name or header as people type it: full-width folded, case and spacing ignored."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def column_names() -> str:
    """The columns as a workspace reads them: 'name/姓名, type/类型, …'."""
    return ", ".join(f"{c}/{COLUMN_ALIASES[c][0]}" for c in REQUIRED)


def column_names_in(lang: str) -> str:
    """The required columns as a workspace names them: Chinese only in Chinese ('姓名、类型、…')."""
    return "、".join(COLUMN_ALIASES[c][0] for c in REQUIRED) if lang == "zh" else column_names()


def _header(raw: str) -> str:
    name = _normal(raw).replace(" ", "")
    for column, aliases in COLUMN_ALIASES.items():
        if name == column or name in (_normal(a).replace(" ", "") for a in aliases):
            return column
    return name


def import_csv(session: Session, *, incident: Incident, raw: bytes, vault: Vault, actor: str, now: datetime,
               lang: str, progress: Callable[[int, int], None] | None = None,
               data_aliases: dict[str, str] | None = None) -> ImportResult:
    """Validate every row first; import all of them or none, and say which lines are wrong.

    Columns may be named in English or Chinese; `data_aliases` maps the words people use for a data
    category (the playbook's labels, '银行账户', 'Bank accounts') to its key.
    """
    require_open(incident, lang)
    if not vault.ready():
        raise UserError(t(lang, "clients.no_key"))
    text, encoding = decode(raw, lang)
    reader = csv.reader(io.StringIO(text))
    headers = [_header(h) for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise UserError(t(lang, "clients.columns", missing=(
            "、".join(COLUMN_ALIASES[c][0] for c in missing) if lang == "zh"
            else ", ".join(f"{c}/{COLUMN_ALIASES[c][0]}" for c in missing)), required=column_names_in(lang)))
    aliases = {_normal(k): v for k, v in (data_aliases or {}).items()}
    existing = {_normal(n) for n in session.exec(select(Client.name).where(Client.incident_id == incident.id))}
    seen: dict[str, int] = {}
    rows: list[dict] = []
    problems: list[str] = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        row = {h: (cells[i] if i < len(cells) else "").strip() for i, h in enumerate(headers)}
        row["data"] = ",".join(aliases.get(_normal(c)) or names.key("data", c, None) or c
                               for c in _categories(row.get("data", "")))
        bad = _check(row, lang)
        name = _normal(row.get("name", ""))
        if name in seen:
            bad.append(t(lang, "clients.duplicate", name=row["name"], line=seen[name]))
        elif name in existing:
            bad.append(t(lang, "clients.already", name=row["name"]))
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
        client = Client(incident_id=incident.id, name=row["name"], kind=KINDS[_normal(row["type"])],
                        contact_encrypted=vault.seal(row["contact"]), lang=LANGS[_normal(row["language"])],
                        residence=_residence(row["residence"]) or "", data=_categories(row["data"]),
                        notice_hours=hours)
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
    return ImportResult(imported=total, encoding=encoding)


def _categories(raw: str) -> list[str]:
    for separator in ("，", ";", "；", "、", "|"):
        raw = raw.replace(separator, ",")
    return list(dict.fromkeys(c.strip().lower() for c in raw.split(",") if c.strip()))


def _residence(raw: str) -> str | None:
    """A residence as a CSV may give it: a code (`cn`, `DE` → EU) or a name the bot shows (`中国`, `加州`)."""
    return names.residence(raw)


def _check(row: dict, lang: str) -> list[str]:
    bad = []
    for column in REQUIRED:
        if not row.get(column):
            bad.append(t(lang, "clients.blank", column=COLUMN_ALIASES[column][0] if lang == "zh" else column))
    if row.get("type") and _normal(row["type"]) not in KINDS:
        bad.append(t(lang, "clients.bad_type", value=row["type"]))
    if row.get("language") and _normal(row["language"]) not in LANGS:
        bad.append(t(lang, "clients.bad_lang", value=row["language"]))
    if row.get("residence") and _residence(row["residence"]) is None:
        bad.append(t(lang, "clients.bad_residence", value=row["residence"]))
    unknown = [c for c in _categories(row.get("data", "")) if c not in DATA_CATEGORIES]
    if unknown:
        bad.append(t(lang, "clients.bad_data", value=", ".join(unknown), choices=names.choices("data", None, lang)))
    hours = row.get("notice_hours", "")
    if hours and not whole_number(hours, limit=24 * 365):
        bad.append(t(lang, "clients.bad_hours", value=hours))
    if len(row.get("name", "")) > 300 or len(row.get("contact", "")) > 1000:
        bad.append(t(lang, "clients.too_long"))
    return bad


def register(session: Session, incident: Incident) -> list[Client]:
    """Every client of an incident, in import order (their number in `/breach clients` is the position)."""
    return list(session.exec(select(Client).where(Client.incident_id == incident.id).order_by(col(Client.id))))


def tally(session: Session, incident: Incident) -> tuple[int, int, int]:
    """(clients, told, without their own data categories), without decrypting or loading whole rows."""
    rows = session.exec(select(Client.notified_at, Client.data).where(Client.incident_id == incident.id)).all()
    return len(rows), sum(1 for told, _ in rows if told), sum(1 for _, data in rows if not data)


def counts(clients: list[Client]) -> dict:
    """Totals for status lines and the export."""
    return {"total": len(clients), "notified": sum(1 for c in clients if c.notified_at),
            "by_type": dict(Counter(c.kind for c in clients)), "by_residence": dict(Counter(c.residence for c in clients)),
            "by_language": dict(Counter(c.lang for c in clients))}


def find(everyone: list[Client], who: str, lang: str = "en") -> Client | None:
    """A client by number in `/breach clients`, or by name as in the CSV (case, spacing and full-width ignored;
    `names.matching`: the start or a word of it too, `明星` → 上海明星贸易有限公司); a name several clients share a
    part of is asked about, listed as the register shows them."""
    wanted = _normal(who.strip().strip("\"'“”‘’"))
    number = whole_number(wanted.lstrip("#"), limit=len(everyone))
    exact = [c for c in everyone if _normal(c.name) == wanted]
    if exact or number:
        return exact[0] if exact else everyone[number - 1]
    found = [everyone[int(i)] for i in names.matching(wanted, [(names.fold(c.name), str(i)) for i, c in enumerate(everyone)])]
    if len(found) > 1:
        raise names.ambiguous(who, [f"{everyone.index(c) + 1}. {shown_name(c)}" for c in found], lang)
    return found[0] if found else None


_LIST = re.compile(r"\s*[,，、;；]\s*")
_RANGE = re.compile(r"^#?(\d{1,6})\s*(?:-|–|—|~|～|到|至)\s*#?(\d{1,6})$")


def several(everyone: list[Client], who: str, lang: str = "en") -> list[Client] | None:
    """Several clients: numbers, ranges or names in a list (`1,2`, `1、2、4`, `1 2 4`, `1-3`, `Ann Lee、Bo Chen`), each
    once; None when `who` is one client (a name may hold a comma). One that is no client is refused."""
    typed = unicodedata.normalize("NFKC", who).strip()
    if find_exact(everyone, typed) is not None:
        return None
    parts = [p for p in _LIST.split(typed) if p]
    if len(parts) == 1 and all(re.fullmatch(r"#?\d{1,6}", w) for w in typed.split()):
        parts = typed.split()  # numbers apart by spaces
    if len(parts) < 2 and not _RANGE.match(typed):
        return None
    found: list[Client] = []
    for part in parts:
        if span := _RANGE.match(part):
            low, high = int(span[1]), int(span[2])
            if not 1 <= low <= high <= len(everyone):
                raise UserError(t(lang, "clients.unknown", name=part, count=len(everyone)))
            found += everyone[low - 1:high]
        elif (client := find(everyone, part, lang)) is not None:
            found.append(client)
        else:
            raise UserError(t(lang, "clients.unknown", name=part, count=len(everyone)))
    return list({c.id: c for c in found}.values())  # each once, in the order first named


def find_exact(everyone: list[Client], who: str) -> Client | None:
    """The client whose whole name is `who` (case, spacing and full-width ignored)."""
    wanted = _normal(who.strip().strip("\"'“”‘’"))
    return next((c for c in everyone if _normal(c.name) == wanted), None)


@dataclass
class Told:
    """Who was recorded as told, and who was left out because no approved, merged letter covers them."""

    recorded: list[Client]
    left_out: list[tuple[Client, str]]


def mark_notified(session: Session, *, incident: Incident, who: str, via: str, at: datetime, actor: str,
                  now: datetime, lang: str, why_not: Callable[[Client], str | None]) -> Told:
    """Record that clients were told (one by name or number, several (`1,2`, `1、2、4`, `1-3`), or `all` not yet told).

    `why_not(client)` says why a client has no approved, merged letter (None when they have one):
    such clients are never recorded as told. `all` (and several named) records the ones covered and names the rest;
    a single client without a letter, or `all` with none covered, is refused and nothing changes. A closed
    incident still records who was told: the notices are owed after close (not a drill's).
    """
    if incident.drill:
        require_open(incident, lang)
    if via not in VIA:
        raise UserError(t(lang, "clients.bad_via", value=via, choices=names.choices("via", None, lang)))
    everyone = register(session, incident)
    if not everyone:
        raise UserError(t(lang, "clients.none"))
    if _normal(who) in ("all", "全部", "所有"):
        pending = [c for c in everyone if c.notified_at is None]
        if not pending:
            raise UserError(t(lang, "clients.all_told"))
    elif (chosen := several(everyone, who, lang)) is not None:  # `1,2`, `1、2、4`, `1-3`: each, all or none
        if told_before := [c for c in chosen if c.notified_at is not None]:
            raise UserError(t(lang, "clients.told_already", name=shown_name(told_before[0])))
        pending = chosen
    else:
        client = find(everyone, who, lang)
        if client is None:
            raise UserError(t(lang, "clients.unknown", name=who, count=len(everyone)))
        if client.notified_at is not None:
            raise UserError(t(lang, "clients.told_already", name=shown_name(client)))
        pending = [client]
    verdicts = [(c, why_not(c)) for c in pending]
    chosen = [c for c, reason in verdicts if reason is None]
    left_out = [(c, reason) for c, reason in verdicts if reason is not None]
    if not chosen:
        return Told(recorded=[], left_out=left_out)
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
    return Told(recorded=chosen, left_out=left_out)


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
