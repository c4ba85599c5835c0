"""A report's file held by WeCom's limits waits in the outbox, in the war room's order, and the person who asked
is told when it goes, as on Slack (tests/slack/test_no_call_in_transaction.py, the 429 upload).

WeCom's limits (访问频率限制, developer.work.weixin.qq.com/document/path/90454):
- "每应用对同一个成员不可超过30次/分钟，1000次/小时，超过部分会被丢弃不下发": a war room of one person is
  1:1 app messages (message/send), its file too; past 30 a minute WeCom answers errcode 0 and drops it
  (the fake does the same). The bot counts and holds the file until the minute has room.
- "每企业调用单个cgi/api不可超过1万次/分" and "按分钟拦截则被屏蔽60秒": media/upload answers 45009
  "api freq out of limit" (全局错误码, document/path/90313) and takes nothing for 60 s.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.chat import DeliveryError, Message, acting_for
from bot.flows.delivering import reason_text
from handlers.wecom.api import RATE_LIMITED
from storage.models import OutboundMessage
from tests.wecom.conftest import CORP_ID, make_wecom


def files_to(fake, user: str) -> list[str]:
    """The media ids of the file messages a person received (message/send), minus what WeCom dropped."""
    gone = {index for index, who in fake.dropped if who == user}
    return [c.body["file"]["media_id"] for index, c in enumerate(fake.calls) if c.api == "message/send"
            and c.body.get("msgtype") == "file" and user in c.body.get("touser", "").split("|")
            and index not in gone]


def test_a_report_for_a_one_person_war_room_waits_for_her_minute_instead_of_being_dropped(engine, fake_wecom):
    side = make_wecom(engine, fake_wecom)
    side.say("alice", "宣布 工资表泄露")
    assert fake_wecom.of("appchat/create") == []  # alice alone: her war room is her 1:1 chat with the app
    with acting_for(CORP_ID):  # alice's minute fills up (reminders, answers …): WeCom takes 30
        for n in range(40):
            try:
                side.bot.chat.direct(user="alice", message=Message.plain(f"提醒 {n}"))
            except DeliveryError as paced:
                assert paced.code == "wecom_pace"
                break
    side.say("alice", "报告")
    side.say("alice", "决定 先通知银行")  # said in the war room after the file: it waits behind it
    with Session(engine) as s:
        held = s.exec(select(OutboundMessage).where(OutboundMessage.state == "pending")
                      .order_by(OutboundMessage.id)).all()
    assert [(r.op, r.reason) for r in held][:2] == [("upload", "wecom_pace"), ("post", "")]
    assert files_to(fake_wecom, "alice") == [] and fake_wecom.dropped == []  # not sent into WeCom's silence
    seen = len(fake_wecom.messages_to("alice"))
    side.bot.advance(side.clock.now() + timedelta(seconds=61))
    assert files_to(fake_wecom, "alice") == ["MEDIA1"] and fake_wecom.dropped == []
    after = fake_wecom.messages_to("alice")[seen:]
    named = next(i for i, m in enumerate(after) if "BR-1-report-zh.md" in m)
    decided = next(i for i, m in enumerate(after) if "先通知银行" in m)
    assert named < decided  # the file (and the message naming it), then what was said after it
    with Session(engine) as s:
        [row] = s.exec(select(OutboundMessage).where(OutboundMessage.op == "upload")).all()
    assert row.state == "sent" and "content" not in row.payload


def test_a_report_upload_refused_for_the_minute_waits_60_s_in_the_war_rooms_order(engine, fake_wecom):
    side = make_wecom(engine, fake_wecom, roster={"it_security": ["bob"]})
    side.say("alice", "宣布 工资表泄露")
    (create,) = fake_wecom.of("appchat/create")
    room = create.body["chatid"]
    side.say("bob", "记录 报告之前")
    fake_wecom.fail_next("media/upload", 45009, "api freq out of limit")
    side.say("alice", "报告")
    told = fake_wecom.messages_to("alice")[-1]
    assert "分享文件 BR-1-report-zh.md：暂未送达（企业微信本分钟的接口调用次数已用完，60 秒内不再受理" in told
    assert "已保存并会重试（1分后）" in told
    side.say("bob", "决定 先通知银行")  # typed in the war room after the report: it waits behind the file
    side.say("bob", "宣布 第二起泄露")  # everything else goes on
    assert any("BR-2" in m and "第二起泄露" in m for m in fake_wecom.messages_to("bob"))
    assert not any("先通知银行" in p for p in fake_wecom.chat_posts(room))
    side.bot.advance(side.clock.now() + timedelta(seconds=59))
    assert len(fake_wecom.of("media/upload")) == 1  # not a second before WeCom takes calls again
    side.bot.advance(side.clock.now() + timedelta(seconds=1))
    assert len(fake_wecom.of("media/upload")) == 2
    posts = fake_wecom.chat_posts(room)
    assert posts[-3:] == ["MEDIA1", "📄 BR-1 的报告（文本）：BR-1-report-zh.md", "🧭 @bob 的决定：先通知银行（BR-1 时间线 #8）"]
    with Session(engine) as s:
        [row] = s.exec(select(OutboundMessage).where(OutboundMessage.op == "upload")).all()
    assert row.state == "sent" and "content" not in row.payload
    assert b"\xe6\x8a\xa5\xe5\x91\x8a\xe4\xb9\x8b\xe5\x89\x8d" in fake_wecom.of("media/upload")[-1].raw  # 报告之前


def test_every_wecom_limit_is_said_in_words_in_both_languages():
    """What a person is told about a message WeCom holds back names the limit, not a bare errcode."""
    for lang in ("zh", "en"):
        for code in [f"wecom_{n}" for n in sorted(RATE_LIMITED)] + ["wecom_pace"]:
            assert reason_text(lang, code) != code and reason_text(lang, code).endswith(f" ({code})")
    assert reason_text("zh", "wecom_pace") == "此人本分钟已收到 30 条应用消息，达到企业微信上限（超出的会被丢弃） (wecom_pace)"
    assert reason_text("en", "wecom_45009") == "WeCom's calls for this minute are used up: it takes none for 60 s (wecom_45009)"
