"""Notices the bot sends: 500 clients through a real SMTP server (STARTTLS, AUTH), a kill -9 and a resume,
bounces read back by IMAP, and what that means for the register and the legal clocks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from storage.models import Client, FollowUp, SendAttempt, TimelineEvent
from tests.conftest import joined
from tests.mail_servers import ImapStore, Mailbox, dsn, start_imap, start_smtp
from tests.send_fixtures import approved_letters, clients_csv, mail_console, mail_settings
from tests.test_processes import ROOT, _target

N = 500
KILL_AT = 230  # the message during which the sending process is killed (kill -9)


def _spawn(engine, now, port: int, ca: Path, out: Path) -> subprocess.Popen:
    url, schema = _target(engine)
    return subprocess.Popen([sys.executable, "-m", "tests.send_process", url, schema, now.isoformat(), str(port),
                             str(ca), str(out)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_500_letters_with_a_crash_and_a_resume_each_client_once_in_their_language(engine, tmp_path):
    box = Mailbox()
    smtp, port, ca = start_smtp(tmp_path, box)
    imap_store = ImapStore("bounces@lotus.example", "imap-pass")
    imap, imap_port = start_imap(tmp_path / "cert.pem", tmp_path / "key.pem", imap_store)  # the same test CA
    try:
        console = mail_console(engine, **mail_settings(
            smtp_port=port, ca_file=ca, send_per_minute=100, imap_host="127.0.0.1", imap_port=imap_port,
            imap_user="bounces@lotus.example", imap_password="imap-pass", imap_security="ssl",
            mail_ca_file=str(ca)))
        approved_letters(console, clients_csv(tmp_path / "clients.csv", N))
        say = console.say

        preview = joined(say("lily", "/breach send D-1 D-2", "breach-1"))
        assert "📨 This would send 500 letters: 500 by e-mail, 0 by SMS — D-1 v2 (zh/individual), " \
               "D-2 v2 (en/individual)." in preview
        assert "Sample, as 客户**** would get it:" in preview and "尊敬的客户****：" in preview
        assert "/breach send D-1 D-2 --test-to me" in preview and "/breach send D-1 D-2 --confirm" in preview
        assert box.messages == []  # a preview sends nothing

        test = joined(say("lily", "/breach send D-1 D-2 --test-to me", "breach-1"))
        assert "🧪 Test letter sent to notices@lotus.example" in test
        assert [rcpt for rcpt, _ in box.messages] == [["notices@lotus.example"]]
        assert box.parsed()[0]["Subject"] == "[测试] Lotus & Co. Accountants：关于您的信息安全的重要通知"  # the sample is zh
        box.messages.clear()

        # The first minute goes out in this process (100 a minute); the rest in a worker killed mid-run.
        started = joined(say("lily", "/breach send D-1 D-2 --confirm", "breach-1"))
        assert "📨 S-1: @lily is sending 500 letters (500 by e-mail, 0 by SMS) from D-1 D-2, at most 100 a minute." \
               in started
        assert len(box.messages) == 100

        worker = None

        def kill(count: int) -> None:
            if count == KILL_AT and worker is not None:
                os.kill(worker.pid, signal.SIGKILL)  # after the server took message 230, before the worker heard

        box.on_message = kill
        worker = _spawn(engine, console.clock.now() + timedelta(minutes=1), port, ca, tmp_path / "worker.jsonl")
        worker.wait(timeout=120)
        assert worker.returncode == -signal.SIGKILL, worker.stderr.read() if worker.stderr else ""
        box.on_message = None
        assert len(box.messages) == KILL_AT

        # Resume here once the dead worker's lease has run out: every remaining client exactly once.
        sent = console.advance(console.clock.now() + timedelta(minutes=10))
        said = joined(sent)
        assert len(box.messages) == N
        recipients = Counter(rcpt[0] for rcpt, _ in box.messages)
        assert len(recipients) == N and set(recipients.values()) == {1}
        assert "✅ S-1 finished: 499 sent (499 by e-mail, 0 by SMS), 0 refused by the server, 0 bounced" in said
        assert "⚠️ 1 letter unconfirmed" in said
        assert "⚖️ PIPL: personal information leak (Affected individuals): 250/250 clients in the register reached — met." in said
        assert "⚖️ GDPR: tell the people affected: 249/250 clients in the register reached — not met until all are reached." in said

        # Each in their language, a proper MIME message from the firm.
        by_rcpt = {m["To"]: m for m in box.parsed()}
        for address, message in by_rcpt.items():  # every one in its client's language (even: zh, odd: en)
            number = int(address.split("@")[0][1:])
            zh_client = number % 2 == 0
            assert message["Content-Language"] == ("zh-CN" if zh_client else "en")
            assert message.get_body(("plain",)).get_content().startswith(
                f"尊敬的客户{number:04d}：" if zh_client else f"Dear Client {number:04d},")
        zh, en = by_rcpt["c0@clients.example"], by_rcpt["c1@clients.example"]
        assert zh["Content-Language"] == "zh-CN" and "尊敬的客户0000：" in zh.get_body(("plain",)).get_content()
        assert "银行账户" in zh.get_body(("plain",)).get_content()
        assert en["Content-Language"] == "en" and "Dear Client 0001," in en.get_body(("plain",)).get_content()
        assert "<p>Dear Client 0001,</p>" in en.get_body(("html",)).get_content()
        assert en["From"] == '"Lotus & Co. Accountants" <notices@lotus.example>'
        assert en["Reply-To"] == "privacy@lotus.example"
        assert len({m["Message-ID"] for m in box.parsed()}) == N
        assert box.logins and set(box.logins) == {"notices@lotus.example"}

        # The unconfirmed one did reach the server: a person checks and records it, and the EU clock is met.
        with Session(engine) as s:
            unconfirmed = s.exec(select(SendAttempt).where(SendAttempt.state == "sending")).one()
            number = s.get(Client, unconfirmed.client_id).id
        assert number == KILL_AT  # the 230th client, odd, en in the EU
        told = joined(say("lily", f"/breach clients notified {number} --via email", "breach-1"))
        assert "⚖️ GDPR: tell the people affected: 250/250 clients in the register reached — met." in told

        # Two bounces come back to the firm's mailbox (two CN clients): failures, tasks, the CN clock reopens.
        for address in ("c4@clients.example", "c10@clients.example"):
            raw = next(raw for rcpt, raw in box.messages if rcpt == [address])
            imap_store.deliver(dsn(original=raw, recipient=address))
        imap_store.deliver(b"From: someone@client.example\r\nSubject: thanks\r\n\r\nThank you for telling us.\r\n")
        checked = joined(say("lily", "/breach send check", "breach-1"))
        assert checked.count("📭 A letter to 客户**** did not arrive (e-mail: 5.1.1 smtp; 550 5.1.1 User unknown).") == 2
        assert "F-1 for @lily" in checked and "F-2 for @lily" in checked
        assert [seen for _, seen in imap_store.messages.values()] == [True, True, False]  # the reply stays unread
        again = joined(say("lily", "/breach send check", "breach-1"))
        assert "did not arrive" not in again  # read once, counted once

        register = joined(say("lily", "/breach clients", "breach-1"))
        assert "Clients of BR-1: 500 · told 498" in register
        clocks = joined(say("lily", "/breach clocks", "breach-1"))
        assert "cn-pipl-57/individuals · PIPL: personal information leak → Affected individuals · pending" in clocks
        assert "eu-gdpr-34/individuals · GDPR: tell the people affected → Data subjects · met" in clocks
        listing = joined(say("lily", "/breach send", "breach-1"))
        assert "S-1 · done · 500 letters · sent 497 · refused 0 · bounced 2 · waiting 0 · unconfirmed 1" in listing

        with Session(engine) as s:
            tasks = s.exec(select(FollowUp).order_by(FollowUp.number)).all()
            assert [(f.owner, f.text) for f in tasks] == [
                ("lily", "Reach 客户**** another way: the e-mail notice did not arrive (5.1.1 smtp; 550 5.1.1 User unknown)")
            ] * 2
            kinds = Counter(e.kind for e in s.exec(select(TimelineEvent)))
            contacts = [c.contact_encrypted for c in s.exec(select(Client))]
        assert kinds["notice_sent"] == 499 and kinds["notice_failed"] == 2 and kinds["clock_reopened"] == 1
        assert not any("@clients.example" in c for c in contacts)
        assert "@clients.example" not in joined(console.chat.sent)  # contacts never reach chat
    finally:
        smtp.stop()
        imap.shutdown()
