"""Progress updates and satisfaction surveys sent by the bot through `/breach send` (#20): by e-mail, only to
the clients already told, once each, in their language; they tell nobody of the breach and meet no clock."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlmodel import Session, select

from storage.models import Client, SendAttempt, TimelineEvent
from tests.conftest import joined
from tests.mail_servers import Mailbox, start_smtp
from tests.send_fixtures import approved_letters, clients_csv, mail_console, mail_settings


@pytest.fixture
def smtp(tmp_path):
    box = Mailbox()
    controller, port, ca = start_smtp(tmp_path, box)
    yield box, port, ca
    controller.stop()


def _subjects(box: Mailbox) -> list[tuple[str, str]]:
    parsed = [email.message_from_bytes(raw, policy=email.policy.default) for _, raw in box.messages]
    return [(rcpt[0], str(m["Subject"])) for (rcpt, _), m in zip(box.messages, parsed, strict=True)]


def _body(box: Mailbox, index: int) -> str:
    message = email.message_from_bytes(box.messages[index][1], policy=email.policy.default)
    return message.get_body(preferencelist=("plain",)).get_content()


def _told(console, tmp_path, lang: str = "en"):
    """Four clients (0, 2 zh; 1, 3 en), first letters D-1 (zh) and D-2 (en) sent to clients 0 and 1 only."""
    approved_letters(console, clients_csv(tmp_path / "c.csv", 4), people="CN=2 EU=2")
    for draft, name in (("D-1", "客户0000"), ("D-2", '"Client 0001"')):
        assert "S-" in joined(console.say("lily", f"/breach send {draft} --to {name} --confirm", "breach-1"))
    console.say("erin", "/breach answer contained yes", "breach-1")
    console.say("erin", "/breach answer cause staff_error", "breach-1")
    console.say("alice", "/breach public A payroll file was shared by mistake", "breach-1")


def _notified(engine) -> dict[str, object]:
    with Session(engine) as s:
        return {c.name: c.notified_at for c in s.exec(select(Client))}


def test_a_progress_update_goes_by_email_to_the_clients_told_only(sqlite_engine, tmp_path, smtp):
    box, port, ca = smtp
    console = mail_console(sqlite_engine, **mail_settings(smtp_port=port, ca_file=ca))
    _told(console, tmp_path)
    before = _notified(sqlite_engine)
    assert len(box.messages) == 2
    for lang in ("zh", "en"):
        console.say("erin", f"/breach draft update --lang {lang}", "breach-1")
    console.say("erin", "/breach approve D-3", "breach-1")
    console.say("erin", "/breach approve D-4", "breach-1")

    preview = joined(console.say("lily", "/breach send D-3 D-4", "breach-1"))
    assert "This would send 2 letters: 2 by e-mail, 0 by SMS — D-3 v1 (zh), D-4 v1 (en)." in preview
    assert "not told of the breach yet (a first letter goes before any update or survey) 2" in preview
    assert "Refused" not in preview and len(box.messages) == 2
    refused = joined(console.say("lily", "/breach send D-3 --to not-notified", "breach-1"))
    assert refused == ("Progress updates and surveys go only to clients already told: use --to all (the clients "
                       "told) or --to <client>.")
    mixed = joined(console.say("lily", "/breach send D-2 D-3", "breach-1"))
    assert mixed.startswith("Send one kind at a time") and "client letter, Progress update" in mixed

    done = joined(console.say("lily", "/breach send D-3 D-4 --confirm", "breach-1"))
    assert "✅ S-3 finished: 2 sent (2 by e-mail, 0 by SMS)" in done
    sent = _subjects(box)[2:]
    assert sorted(sent) == [("c0@clients.example", "Lotus & Co. Accountants：关于此前告知您的事件的最新进展"),
                            ("c1@clients.example", "Lotus & Co. Accountants: an update on the incident we told you about")]
    assert any("Client 0001" in _body(box, i) for i in (2, 3))
    assert _notified(sqlite_engine) == before  # nobody became told by an update, nobody lost it
    with Session(sqlite_engine) as s:
        kinds = [e.data.get("draft_kind") for e in s.exec(select(TimelineEvent)
                                                          .where(TimelineEvent.kind == "notice_sent"))]
        assert kinds == ["client", "client", "update", "update"]
    again = joined(console.say("lily", "/breach send D-3 D-4 --confirm", "breach-1"))
    assert "Nobody would get a letter" in again and len(box.messages) == 4


def test_a_survey_is_sent_after_close_in_chinese(sqlite_engine, tmp_path, smtp):
    box, port, ca = smtp
    console = mail_console(sqlite_engine, **mail_settings(smtp_port=port, ca_file=ca, lang="zh",
                                                          public_url="https://breach.lotus.example"))
    _told(console, tmp_path)
    console.say("alice", '/breach 结案 --原因 员工操作失误 --教训 "检查共享" --确认', "breach-1")
    console.say("lily", "/breach 起草 回访 --语言 zh", "breach-1")
    console.say("lily", "/breach 批准 D-3", "breach-1")
    done = joined(console.say("lily", "/breach 发送 D-3 --确认", "breach-1"))
    assert "S-3" in done, done
    [(to, subject)] = _subjects(box)[2:]
    assert to == "c0@clients.example" and subject.endswith("请评价我们的处理——关于此次事件的几个问题")
    assert "1. 您对我们告知此次事件的方式是否满意？" in _body(box, 2)
    assert "也可在线填写（约一分钟）：https://breach.lotus.example/survey?k=" in _body(box, 2)  # the client's own link
    with Session(sqlite_engine) as s:
        assert len(list(s.exec(select(SendAttempt)))) == 3


def test_updates_need_email(sqlite_engine, tmp_path):
    console = mail_console(sqlite_engine, **mail_settings(smtp_port=None, ca_file=None,
                                                          sms_access_key_id="LTAI-test", sms_access_key_secret="s"))
    approved_letters(console, clients_csv(tmp_path / "c.csv", 2), people="CN=1 EU=1")
    console.say("lily", "/breach clients notified all --via email", "breach-1")
    console.say("erin", "/breach answer contained yes", "breach-1")
    console.say("erin", "/breach answer cause staff_error", "breach-1")
    console.say("alice", "/breach public A payroll file was shared by mistake", "breach-1")
    console.say("erin", "/breach draft update --lang en", "breach-1")
    console.say("erin", "/breach approve D-3", "breach-1")
    said = joined(console.say("lily", "/breach send D-3", "breach-1"))
    assert said.startswith("A progress update or a survey goes by e-mail, and e-mail is not set up"), said
