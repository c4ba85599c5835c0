"""Shared set-up for the sending tests (not a test module): a console with the firm's mail server configured,
an incident with approved zh and en letters, and a register of clients."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.app import create_app
from bot.clock import VirtualClock
from bot.settings import FirmConfig
from handlers.console.chat import ConsoleChat
from handlers.console.workspace import ConsoleWorkspace
from tests.conftest import START, _uploads_root, make_settings
from tests.mail_servers import SMTP_PASSWORD, SMTP_USER

ROSTER = {"legal": ["erin"], "client_liaison": ["lily"], "executive": ["frank"]}
ZH_LETTER = "尊敬的«CLIENT»：\n\n我所发生客户数据泄露事件，涉及您的«DATA»。\n\n如有疑问请致电 400-800-1234。"
EN_LETTER = "Dear «CLIENT»,\n\nA data breach at our firm involved your «DATA».\n\nCall us on +86 400 800 1234."


def mail_settings(*, smtp_port: int | None, ca_file: Path | None, lang: str = "en", **extra: object) -> dict:
    """Settings overrides for the firm's SMTP server in the tests."""
    found: dict = {"lang": lang, "send_per_minute": 1000, "mail_from": "notices@lotus.example",
                   "mail_reply_to": "privacy@lotus.example"}
    if smtp_port is not None:
        found.update(smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_security="starttls", smtp_user=SMTP_USER,
                     smtp_password=SMTP_PASSWORD, mail_ca_file=str(ca_file))
    found.update(extra)
    return found


def mail_console(engine: Engine, *, start=START, **settings: object) -> ConsoleWorkspace:
    """A console workspace whose settings name the test mail server."""
    chat = ConsoleChat(out=io.StringIO(), uploads=_uploads_root() / uuid.uuid4().hex[:12])
    clock = VirtualClock(start)
    bot = create_app(make_settings(**settings), chat=chat, clock=clock, engine=engine)
    bot.firm = FirmConfig(roster=ROSTER)
    return ConsoleWorkspace(bot=bot, chat=chat, clock=clock)


def clients_csv(path: Path, n: int, *, contact=None) -> Path:
    """n individual clients, even ones zh in CN and odd ones en in the EU, each with an e-mail address."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["name", "type", "contact", "language", "residence", "data"])
    writer.writeheader()
    for i in range(n):
        zh = i % 2 == 0
        writer.writerow({"name": f"客户{i:04d}" if zh else f"Client {i:04d}", "type": "individual",
                         "contact": contact(i) if contact else f"c{i}@clients.example",
                         "language": "zh" if zh else "en", "residence": "CN" if zh else "EU",
                         "data": "bank_account,tax_id"})
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


def approved_letters(console: ConsoleWorkspace, csv_path: Path, *, drill: bool = False, people: str = "") -> None:
    """Declare (or drill), import the register, and have legal approve a zh (D-1) and an en (D-2) letter."""
    say = console.say
    say("alice", "/breach declare 工资表在公共网盘泄露 --data payroll,bank_account" + (" --drill" if drill else ""))
    say("erin", f"/breach affected {people or 'CN=250 EU=250'}", "breach-1")
    say("lily", f"/breach clients import {csv_path}", "breach-1")
    for lang, text in (("zh", ZH_LETTER), ("en", EN_LETTER)):
        say("erin", f"/breach draft client --lang {lang}", "breach-1")
        number = 1 if lang == "zh" else 2
        say("erin", f"/breach draft edit D-{number} {text}", "breach-1")
        say("erin", f"/breach approve D-{number}", "breach-1")
