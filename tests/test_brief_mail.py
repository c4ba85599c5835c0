"""The management briefing by e-mail (#20): a partner listed in `[firm] partners` by address gets the summary
through the firm's mail server (the aiosmtpd test server), the others by direct message; a refused address and
an unset mail server are said in the war room, in en and zh."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlmodel import Session, select

from bot.settings import FirmConfig
from storage.models import OutboundMessage, TimelineEvent
from tests.conftest import joined
from tests.mail_servers import Mailbox, start_smtp
from tests.send_fixtures import ROSTER, mail_console, mail_settings


@pytest.fixture
def smtp(tmp_path):
    box = Mailbox()
    controller, port, ca = start_smtp(tmp_path, box)
    yield box, port, ca
    controller.stop()


def _firm(console, *partners: str):
    console.bot.firm = FirmConfig(roster=ROSTER, partners=list(partners))
    return console


def _briefed(engine) -> list[dict]:
    with Session(engine) as s:
        return [e.data for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "management_briefed"))]


def test_a_partner_listed_by_address_gets_the_summary_by_email(sqlite_engine, smtp):
    box, port, ca = smtp
    console = _firm(mail_console(sqlite_engine, **mail_settings(smtp_port=port, ca_file=ca)), "paul",
                    "pat@lotus.example")
    console.say("alice", "/breach declare Payroll export leaked --data payroll")
    sent = console.say("alice", "/breach brief", "breach-1")
    assert "The summary of BR-1 went to management: @frank, @paul, pat@lotus.example." in joined(sent)
    assert [s.user for s in sent if s.op == "direct"] == ["frank", "paul"]
    [(to, raw)] = box.messages
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert to == ["pat@lotus.example"]
    assert message["Subject"] == "Lotus & Co. Accountants: briefing on incident BR-1 for management"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Briefing on BR-1 for management (sent by @alice)" in body and "Payroll export leaked" in body
    assert _briefed(sqlite_engine) == [{"to": ["frank", "paul", "pat@lotus.example"], "why": "asked"}]
    with Session(sqlite_engine) as s:
        assert [r.state for r in s.exec(select(OutboundMessage).where(OutboundMessage.op == "email"))] == ["sent"]


def test_a_refused_address_is_said_in_the_war_room_in_chinese(sqlite_engine, smtp):
    box, port, ca = smtp
    box.unknown.add("gone@lotus.example")
    console = _firm(mail_console(sqlite_engine, **mail_settings(smtp_port=port, ca_file=ca, lang="zh")),
                    "gone@lotus.example")
    console.say("alice", "/breach 宣布 工资表泄露 --数据 工资")
    said = joined(console.say("alice", "/breach 汇报", "breach-1"))
    assert "BR-1 的事件总结已发送给管理层：@frank、gone@lotus.example。" in said
    assert "发给 gone@lotus.example 的汇报邮件被邮件服务器拒收（RCPT TO: 550 5.1.1" in said, said
    assert "未能完成：发给 gone@lotus.example 的邮件：邮件服务器拒收该地址 (email_refused)" in said
    assert box.messages == []


def test_without_a_mail_server_an_address_is_not_briefed_and_the_room_hears_why(sqlite_engine):
    console = _firm(mail_console(sqlite_engine, **mail_settings(smtp_port=None, ca_file=None)), "pat@lotus.example")
    console.say("alice", "/breach declare Payroll export leaked --data payroll")
    said = joined(console.say("alice", "/breach brief", "breach-1"))
    assert "went to management: @frank." in said
    assert "📨 Not e-mailed: pat@lotus.example — e-mail is not set up" in said
    assert _briefed(sqlite_engine) == [{"to": ["frank"], "why": "asked"}]


def test_doctor_warns_of_a_partner_by_address_without_a_mail_server(tmp_path):
    from bot.settings import Settings
    from handlers.doctor import _partners

    config = tmp_path / "breachbot.toml"
    config.write_text('[firm]\nname = "Lotus"\npartners = ["gina", "hank@lotus.example"]\n', encoding="utf-8")
    check = _partners(Settings(config_file=config))
    assert check.ok and check.warn and "hank@lotus.example get no briefing" in check.detail
    assert "BREACHBOT_SMTP_HOST" in check.fix
    mailed = _partners(Settings(config_file=config, smtp_host="mail.lotus.example", mail_from="n@lotus.example"))
    assert mailed.ok and not mailed.warn and mailed.detail == "2 listed (1 by e-mail address)"
