"""Sending safety and channels: drills reach no server, only approved letters, the liaison's role, stop and
resume, refused recipients, SMS through the Alibaba Cloud fake and its receipts, DSN parsing, MIME."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.statements.sending import Notice, Unavailable, channel_of
from bot.statements.transports.bounces import parse_dsn
from bot.statements.transports.email import build
from bot.statements.transports.sms import AliyunSms
from storage.models import Client, FollowUp, SendAttempt
from tests.conftest import joined
from tests.mail_servers import AliyunFake, Mailbox, dsn, free_port, start_aliyun, start_smtp
from tests.send_fixtures import approved_letters, clients_csv, mail_console, mail_settings


@pytest.fixture
def smtp(tmp_path):
    box = Mailbox()
    controller, port, ca = start_smtp(tmp_path, box)
    yield box, port, ca
    controller.stop()


def test_a_drill_sends_through_the_whole_flow_and_reaches_no_server(sqlite_engine, tmp_path, monkeypatch):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    port = listener.getsockname()[1]
    console = mail_console(sqlite_engine, **mail_settings(smtp_port=port, ca_file=tmp_path / "none.pem",
                                                          sms_access_key_id="LTAI-test",
                                                          sms_access_key_secret="secret",
                                                          sms_api_url=f"http://127.0.0.1:{port}/"))
    contacts = {1: "13800138001"}
    approved_letters(console, clients_csv(tmp_path / "c.csv", 6, contact=lambda i: contacts.get(i, f"d{i}@c.example")),
                     drill=True, people="CN=3 EU=3")
    connects: list[object] = []
    real_connect = socket.socket.connect

    def watched(self, address):  # noqa: ANN001, ANN202
        connects.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", watched)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connects.append(a) or (_ for _ in ()).throw(
        OSError("a drill must not connect")))
    preview = joined(console.say("lily", "/breach send D-1 D-2", "breach-1"))
    assert preview.startswith("[DRILL] 📨 This would send 6 letters: 5 by e-mail, 1 by SMS")
    test = joined(console.say("lily", "/breach send D-1 D-2 --test-to me", "breach-1"))
    assert "🧪 Test letter sent to notices@lotus.example" in test
    done = joined(console.say("lily", "/breach send D-1 D-2 --confirm", "breach-1"))
    assert "DRILL: nothing left the bot; no client was contacted." in done
    assert "✅ S-1 finished: 6 sent (5 by e-mail, 1 by SMS)" in done
    assert connects == []
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody ever knocked
    listener.close()
    with Session(sqlite_engine) as s:
        assert all(a.message_id.startswith("drill:") for a in s.exec(select(SendAttempt))
                   if a.channel == "sms")


def test_only_approved_letters_by_the_liaison_after_a_preview_and_stop_then_resume(sqlite_engine, tmp_path, smtp):
    box, port, ca = smtp
    console = mail_console(sqlite_engine, **mail_settings(smtp_port=port, ca_file=ca, send_per_minute=4))
    say = console.say
    approved_letters(console, clients_csv(tmp_path / "c.csv", 10), people="CN=5 EU=5")
    say("erin", "/breach draft edit D-2 Dear «CLIENT», a new wording.", "breach-1")
    refused = joined(say("lily", "/breach send D-1 D-2 --confirm", "breach-1"))
    assert refused == "D-2 v3 is not approved yet; only approved versions are sent. Legal approves it with " \
                      "/breach approve D-2."
    say("erin", "/breach approve D-2", "breach-1")
    nope = joined(say("erin", "/breach send D-1 D-2 --confirm", "breach-1"))
    assert nope == "Only Client liaison @lily may have the bot send client letters here."
    assert box.messages == []
    assert "No client “nobody”" in joined(say("lily", "/breach send D-1 --to nobody", "breach-1"))
    assert "Say which approved client letters to send" in joined(say("lily", "/breach send --confirm", "breach-1"))

    started = joined(say("lily", "/breach send D-1 D-2 --confirm", "breach-1"))
    assert "at most 4 a minute" in started and len(box.messages) == 4
    stopped = joined(say("lily", "/breach send stop", "breach-1"))
    assert "🛑 @lily stopped S-1." in stopped
    console.advance(console.clock.now() + timedelta(minutes=5))
    assert len(box.messages) == 4  # stopped means stopped
    assert "No send of BR-1 is running." in joined(say("lily", "/breach send stop", "breach-1"))

    # Confirming again sends only the rest; then the one left out on purpose.
    resumed = joined(say("lily", "/breach send D-1 D-2 --to not-notified", "breach-1"))
    assert "This would send 6 letters" in resumed
    say("lily", "/breach send D-1 D-2 --to not-notified --confirm", "breach-1")
    console.advance(console.clock.now() + timedelta(minutes=5))
    recipients = [rcpt[0] for rcpt, _ in box.messages]
    assert len(recipients) == 10 and len(set(recipients)) == 10
    again = joined(say("lily", "/breach send D-1 D-2 --confirm", "breach-1"))
    assert "Nobody would get a letter: already sent this letter 10." in again
    listing = joined(say("lily", "/breach send", "breach-1"))
    assert "S-1 · stopped · 4 letters · sent 4" in listing and "S-2 · done · 6 letters · sent 6" in listing


def test_zh_workspace_and_unset_mail_server(sqlite_engine, tmp_path):
    console = mail_console(sqlite_engine, **mail_settings(smtp_port=None, ca_file=None, lang="zh"))
    approved_letters(console, clients_csv(tmp_path / "c.csv", 2), people="CN=1 EU=1")
    said = joined(console.say("lily", "/breach send D-1", "breach-1"))
    assert said.startswith("尚未设置发送：请设置 BREACHBOT_SMTP_HOST 和 BREACHBOT_MAIL_FROM")
    assert "请指明要发送的已批准客户通知" in joined(console.say("lily", "/breach 发送 --confirm", "breach-1"))


def test_a_refused_recipient_is_not_told_and_never_retried(sqlite_engine, tmp_path, smtp):
    box, port, ca = smtp
    box.unknown.add("c3@clients.example")
    console = mail_console(sqlite_engine, **mail_settings(smtp_port=port, ca_file=ca))
    approved_letters(console, clients_csv(tmp_path / "c.csv", 4, contact=lambda i: "by post" if i == 2 else
                                          f"c{i}@clients.example"), people="CN=2 EU=2")
    preview = joined(console.say("lily", "/breach send D-1 D-2", "breach-1"))
    assert "This would send 3 letters" in preview and "Skipped: no e-mail address or mobile number 1." in preview
    done = joined(console.say("lily", "/breach send D-1 D-2 --confirm", "breach-1"))
    assert "✅ S-1 finished: 2 sent (2 by e-mail, 0 by SMS), 1 refused by the server, 0 bounced, 1 skipped" in done
    assert "not met until every client they cover is reached: PIPL: personal information leak (Affected individuals) 1/2; GDPR: tell the people affected 1/2." in done
    with Session(sqlite_engine) as s:
        refused = s.exec(select(SendAttempt).where(SendAttempt.state == "refused")).one()
        assert "550 5.1.1" in refused.error
        assert s.get(Client, refused.client_id).notified_at is None


def test_sms_through_the_alibaba_cloud_fake_with_receipts(sqlite_engine, tmp_path):
    fake = AliyunFake("LTAI-test", "the-secret")
    fake.illegal.add("13800000003")
    server, url = start_aliyun(fake)
    try:
        console = mail_console(sqlite_engine, **mail_settings(
            smtp_port=None, ca_file=None, sms_access_key_id="LTAI-test", sms_access_key_secret="the-secret",
            sms_sign_name="莲花会计", sms_template_zh="SMS_100001", sms_template_en="SMS_100002", sms_api_url=url,
            firm_contact="400-800-1234"))
        approved_letters(console, clients_csv(tmp_path / "c.csv", 4, contact=lambda i: f"1380000000{i}"),
                         people="CN=2 EU=2")
        done = joined(console.say("lily", "/breach send D-1 D-2 --confirm", "breach-1"))
        assert "✅ S-1 finished: 3 sent (0 by e-mail, 3 by SMS), 1 refused by the server" in done
        assert [(r["PhoneNumbers"], r["SignName"], r["TemplateCode"]) for r in fake.sent] == [
            ("13800000000", "莲花会计", "SMS_100001"), ("13800000001", "莲花会计", "SMS_100002"),
            ("13800000002", "莲花会计", "SMS_100001")]
        assert fake.sent[0]["TemplateParam"] == '{"firm": "Lotus & Co. Accountants", "hotline": "400-800-1234"}'
        assert fake.sent[0]["OutId"].endswith(".sms") and fake.sent[0]["SignatureVersion"] == "1.0"

        fake.failed["13800000002"] = "MK:0001"
        checked = joined(console.say("lily", "/breach send check", "breach-1"))
        assert "📭 A letter to 客户**** did not arrive (SMS: MK:0001). F-1 for @lily" in checked
        with Session(sqlite_engine) as s:
            states = {a.client_id: a.state for a in s.exec(select(SendAttempt))}
            assert sorted(states.values()) == ["bounced", "delivered", "delivered", "refused"]
            assert s.exec(select(FollowUp)).one().owner == "lily"
    finally:
        server.shutdown()


def test_a_wrong_sms_secret_is_the_providers_error_not_a_sent_message(tmp_path):
    fake = AliyunFake("LTAI-test", "the-secret")
    server, url = start_aliyun(fake)
    try:
        sms = AliyunSms(access_key_id="LTAI-test", access_key_secret="wrong", sign_name="莲花会计",
                        templates={"zh": "SMS_1"}, now=lambda: datetime(2026, 12, 1, tzinfo=UTC), endpoint=url)
        with pytest.raises(Unavailable, match="SignatureDoesNotMatch"):
            sms.send(Notice(key="k", channel="sms", to="13800138000", lang="zh", subject="", text="", message_id=""))
        assert fake.sent == []
        closed = AliyunSms(access_key_id="LTAI-test", access_key_secret="the-secret", sign_name="s",
                           templates={"zh": "SMS_1"}, now=lambda: datetime(2026, 12, 1, tzinfo=UTC),
                           endpoint=f"http://127.0.0.1:{free_port()}/")
        with pytest.raises(Unavailable, match="cannot reach the SMS provider"):
            closed.send(Notice(key="k", channel="sms", to="13800138000", lang="zh", subject="", text="", message_id=""))
    finally:
        server.shutdown()


def test_mime_message_and_dsn_parsing():
    notice = Notice(key="c7.v2.email", channel="email", to="wei@clients.example", lang="zh", subject="通知",
                    text="尊敬的张伟：\n\n第一段。\n\n<b>不是标记</b>", message_id="<breachbot.c7.v2.email.ab@lotus.example>",
                    attachment=b"%PDF-1.4 test", attachment_name="BR-1-通知函.pdf")
    message = build(notice, sender="notices@lotus.example", sender_name="莲花会计", reply_to="privacy@lotus.example",
                    now=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    parsed = email.message_from_bytes(message.as_bytes(policy=email.policy.SMTP), policy=email.policy.default)
    assert parsed["From"] == "莲花会计 <notices@lotus.example>" and parsed["Reply-To"] == "privacy@lotus.example"
    assert parsed["Content-Language"] == "zh-CN" and parsed["Date"] == "Tue, 01 Dec 2026 08:00:00 +0000"
    assert "&lt;b&gt;不是标记&lt;/b&gt;" in parsed.get_body(("html",)).get_content()
    attachment = next(parsed.iter_attachments())
    assert attachment.get_filename() == "BR-1-通知函.pdf" and attachment.get_content() == b"%PDF-1.4 test"

    raw = message.as_bytes(policy=email.policy.SMTP)
    returned = parse_dsn(dsn(original=raw, recipient="wei@clients.example"))
    assert [(r.message_id, r.status) for r in returned] == [("<breachbot.c7.v2.email.ab@lotus.example>", "5.1.1")]
    delayed = dsn(original=raw, recipient="wei@clients.example").replace(b"Action: failed", b"Action: delayed")
    assert parse_dsn(delayed) == []
    plain = b"Subject: failure notice\r\n\r\nSorry. Message-ID: <breachbot.c7.v2.email.ab@lotus.example> bounced.\r\n"
    assert parse_dsn(plain)[0].message_id == "<breachbot.c7.v2.email.ab@lotus.example>"
    assert parse_dsn(b"Subject: hello\r\n\r\nThanks for the letter.\r\n") == []


def test_contacts_are_told_apart():
    assert channel_of("wei@clients.example") == "email"
    assert channel_of("+86 138-0013-8000") == "sms" and channel_of("13800138000") == "sms"
    assert channel_of("12 Nanjing Road, Shanghai") is None and channel_of("a@b") is None
