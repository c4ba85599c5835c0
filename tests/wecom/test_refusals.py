"""What the bot does when WeCom refuses, with WeCom's own errcodes per API (全局错误码,
developer.work.weixin.qq.com/document/path/90313): a rate limit waits and sends once, a dismissed
group falls back to the lead, an unknown userid is named in the war room, and long Chinese messages
go in parts cut at line ends, each under 2,048 bytes."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.chat import Message, Text
from handlers.wecom.render import MAX_BYTES
from storage.models import OutboundMessage
from tests.wecom.conftest import make_wecom


def declared(engine, fake, **roster):
    side = make_wecom(engine, fake, roster={"it_security": ["bob"], **roster})
    side.say("alice", "宣布 工资表泄露 --severity high")
    (create,) = fake.of("appchat/create")
    return side, create.body["chatid"]


def test_a_frequency_limit_keeps_the_message_and_sends_it_once_a_minute_later(sqlite_engine, fake_wecom):
    side, chat = declared(sqlite_engine, fake_wecom)
    fake_wecom.fail_call("appchat/send", 1, 45009, "api freq out of limit")
    side.say("alice", "记录 已断开共享盘")
    with Session(sqlite_engine) as s:
        waiting = s.exec(select(OutboundMessage).where(OutboundMessage.state == "pending")).all()
    assert [r.reason for r in waiting] == ["wecom_45009"]
    before = len(fake_wecom.chat_posts(chat))
    side.bot.advance(side.clock.now() + timedelta(seconds=61))
    posts = fake_wecom.chat_posts(chat)
    assert len(posts) == before + 1 and posts[-1].startswith("📝")
    side.bot.advance(side.clock.now() + timedelta(minutes=10))
    assert len(fake_wecom.chat_posts(chat)) == before + 1  # once


def test_a_dismissed_group_sends_the_war_room_message_to_the_lead(sqlite_engine, fake_wecom):
    side, chat = declared(sqlite_engine, fake_wecom)
    del fake_wecom.chats[chat]  # the group was dismissed in the WeCom client: appchat/send answers 86003
    side.say("alice", "决定 通知全部客户")
    assert any("通知全部客户" in m for m in fake_wecom.messages_to("alice"))
    with Session(sqlite_engine) as s:
        dead = s.exec(select(OutboundMessage).where(OutboundMessage.state == "dead")).all()
    assert [r.reason for r in dead] == ["wecom_chat"]


def test_an_unknown_userid_is_named_in_the_war_room_and_the_rest_goes_on(sqlite_engine, fake_wecom):
    side, chat = declared(sqlite_engine, fake_wecom)
    fake_wecom.fail_call("appchat/update", 1, 40031, "invalid userid list")
    side.say("alice", "指派 @erin legal")
    posts = fake_wecom.chat_posts(chat)
    assert any("@erin" in p and "⚠️" in p for p in posts)
    side.say("alice", "记录 继续")
    assert fake_wecom.chat_posts(chat)[-1].startswith("📝")


def test_a_long_chinese_message_goes_in_parts_cut_at_line_ends(sqlite_engine, fake_wecom):
    side, chat = declared(sqlite_engine, fake_wecom)
    lines = [f"问题 {n}：本次泄露是否涉及客户的银行账户、纳税识别号、工资明细或身份证号码？请用数字回答。" * 3
             for n in range(1, 9)]
    before = len(fake_wecom.chat_posts(chat))
    side.bot.chat.post(room=chat, message=Message(lines=tuple((Text(line),) for line in lines)))
    parts = fake_wecom.chat_posts(chat)[before:]
    assert len(parts) >= 2 and all(len(p.encode("utf-8")) <= MAX_BYTES for p in parts)
    shown = [line for p in parts for line in p.split("\n")]
    assert all(line in shown for line in lines)  # every question whole, in one part


def test_content_wecom_measures_too_long_is_sent_in_smaller_parts(sqlite_engine, fake_wecom):
    side, chat = declared(sqlite_engine, fake_wecom)
    fake_wecom.fail_call("appchat/send", 1, 45002, "content size out of limit")
    side.say("alice", "记录 " + "客户通知已发出。" * 100)
    with Session(sqlite_engine) as s:
        assert {r.state for r in s.exec(select(OutboundMessage))} == {"sent"}
    assert fake_wecom.chat_posts(chat)[-1].endswith("。")


def test_people_are_named_as_the_address_book_names_them(sqlite_engine, fake_wecom):
    fake_wecom.names.update({"alice": "李爱丽", "bob": "王波"})
    side, chat = declared(sqlite_engine, fake_wecom)
    side.say("alice", "指派 @bob legal")
    posts = fake_wecom.chat_posts(chat)
    assert any(p.startswith("👤 @王波 现在是法务") and "@李爱丽" in p for p in posts), [p[:40] for p in posts]
    assert not any("@bob" in p or "@alice" in p for p in posts)
    assert fake_wecom.apis().count("user/get") <= 4  # each name asked once (plus the checks of the typed id)


def test_a_long_draft_goes_as_a_file_with_its_card(sqlite_engine, fake_wecom):
    from bot import commands
    from bot.chat import Context
    from storage.models import DraftVersion
    from tests.wecom.conftest import CORP_ID

    side, chat = declared(sqlite_engine, fake_wecom)
    side.say("alice", "起草 media")
    letter = "".join(f"第 {n} 段：我们于 11 月 28 日发现工资表可被公开访问，已通知监管机构。\n" for n in range(400))
    context = Context(workspace=CORP_ID, user="alice", room="dm:alice", platform="wecom")
    assert side.bot.handle(context, commands.DraftEdit(number=1, text=letter))
    side.endpoint.drain()
    before = len(fake_wecom.of("media/upload"))
    side.say("alice", "起草 show D-1")

    [upload] = fake_wecom.of("media/upload")[before:]
    with Session(sqlite_engine) as s:
        stored = s.exec(select(DraftVersion).order_by(DraftVersion.version.desc())).first().text
    assert stored.encode("utf-8") in upload.raw  # the whole draft, exactly
    said = fake_wecom.messages_to("alice")
    card = next(m for m in said if "D-1-v2.txt" in m and "字符" in m)
    assert len(card.encode("utf-8")) <= 2048 and "第 399 段" not in card
