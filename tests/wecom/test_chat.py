"""WeComChat against the fake API: war rooms, escaping, long messages, errors people see, tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.chat import DeliveryError, Mention, Message, RoomRef, Strong, Text, Upload
from bot.clock import VirtualClock
from handlers.wecom.api import WeComClient, token_storage
from handlers.wecom.chat import WeComChat, group_name, new_chat_id
from handlers.wecom.pacing import Pace
from handlers.wecom.render import MAX_BYTES, escape, render, split
from handlers.wecom.web import team_lookup
from storage.models import Incident
from tests.conftest import START
from tests.wecom.conftest import AGENT_ID, CORP_ID, SECRET, WeComSide, make_wecom
from tests.wecom.fake_wecom import FakeWeCom


def chat_on(fake: FakeWeCom, **kwargs: object) -> WeComChat:
    return WeComChat(WeComClient(CORP_ID, SECRET, api_url=fake.url), agent_id=AGENT_ID, **kwargs)  # type: ignore[arg-type]


# -- rendering -------------------------------------------------------------------------------------
def test_text_people_wrote_cannot_become_markup():
    typed = '[点我](http://evil.example) <@all> <font color="warning">急</font> **粗** `x`\n# 标题\n> 引用'
    shown = escape(typed)
    assert shown == ('［点我］(http://evil.example) ＜@all＞ ＜font color="warning"＞急＜/font＞ ＊＊粗＊＊ ｀x｀\n'
                     '＃ 标题\n＞ 引用')
    message = Message(lines=((Strong("BR-1"), Text(" "), Mention("bob"), Text(" in "), RoomRef("breach1zab12")),),
                      kind="error")
    assert render(message, room_name=lambda r: "breach-1") == '<font color="warning">**BR-1** @bob in 「breach-1」</font>'
    assert render(message, markdown=False, room_name=lambda r: "breach-1") == "BR-1 @bob in 「breach-1」"


def test_long_messages_are_cut_at_line_ends_under_wecom_limit():
    content = "\n".join(f"{i:03d} 工资表泄露，客户银行账户" for i in range(300))
    pieces = split(content)
    assert len(pieces) > 1
    assert all(len(p.encode("utf-8")) <= MAX_BYTES for p in pieces)
    assert "\n".join(pieces) == content
    assert split("泄" * 1000) == ["泄" * 682, "泄" * 318]  # 3 bytes each: one line cut between characters


def test_chat_ids_and_group_names_fit_wecom_rules():
    chat_id = new_chat_id("breach-12")
    assert chat_id.startswith("breach12z") and chat_id.isalnum() and len(chat_id) <= 32
    assert group_name("breach-1", "工资表" * 30) == "breach-1 · " + ("工资表" * 30)[:38] + "…"
    assert len(group_name("breach-1", "工资表" * 30)) == 50


# -- war rooms -------------------------------------------------------------------------------------
def test_a_team_from_the_roster_gets_its_app_chat_at_once(sqlite_engine, fake_wecom):
    side = make_wecom(sqlite_engine, fake_wecom, roster={"it_security": ["bob"], "legal": ["erin"]})
    side.say("alice", "宣布 工资表泄露 --severity high")
    (create,) = fake_wecom.of("appchat/create")
    # Each person is invited on their own (one refused id cannot keep the others out): the chat is made
    # with the first two, the third added; all before the status is posted.
    assert create.body["userlist"] == ["alice", "bob"] and create.body["owner"] == "alice"
    assert fake_wecom.chats[create.body["chatid"]]["userlist"] == ["alice", "bob", "erin"]
    posts = fake_wecom.chat_posts(create.body["chatid"])
    assert posts[0].startswith("🚨 **BR-1** · 严重程度 高")
    assert "信息安全 @bob · 法务合规 @erin" in posts[0]
    assert [m.split("。")[0] for m in fake_wecom.messages_to("bob")] == ["你是 BR-1 的信息安全"]
    with Session(sqlite_engine) as s:
        assert s.exec(select(Incident.war_room)).one() == create.body["chatid"]
    side.endpoint.worker.stop()


def test_files_go_to_the_room_or_to_its_only_member(fake_wecom):
    chat = chat_on(fake_wecom)
    alone = chat.create_room(name="breach-1", topic="", members=["alice"], title="工资表泄露")
    team = chat.create_room(name="breach-2", topic="", members=["alice", "bob"], title="U盘丢失")
    assert chat.upload(room=alone, upload=Upload("BR-1.md", "# 报告".encode())) == "BR-1.md"
    assert chat.upload(room=team, upload=Upload("BR-2.md", b"report")) == "BR-2.md"
    uploads = fake_wecom.of("media/upload")
    assert [u.query["type"] for u in uploads] == ["file", "file"]
    assert b'filename="BR-1.md"' in uploads[0].raw and "# 报告".encode() in uploads[0].raw
    assert fake_wecom.of("message/send")[0].body["file"] == {"media_id": "MEDIA1"}
    assert fake_wecom.of("message/send")[0].body["touser"] == "alice"
    assert fake_wecom.of("appchat/send")[0].body == {"chatid": team, "safe": 0, "msgtype": "file",
                                                     "file": {"media_id": "MEDIA2"}}


def test_after_a_restart_rooms_are_found_again(fake_wecom):
    before = chat_on(fake_wecom)
    group = before.create_room(name="breach-1", topic="", members=["alice", "bob"], title="工资表泄露")
    deferred = new_chat_id("breach-2")  # reserved before the restart, never created
    after = chat_on(fake_wecom, team=lambda room: {deferred: ["erin"]}.get(room, []))
    after.post(room=group, message=Message.plain("还在"))
    after.post(room=deferred, message=Message.plain("只有 erin"))
    assert fake_wecom.chat_posts(group) == ["还在"]
    assert fake_wecom.messages_to("erin") == ["只有 erin"]
    after.invite(room=deferred, users=["frank"])
    assert fake_wecom.chats[deferred]["userlist"] == ["erin", "frank"]
    assert after.room_name(deferred) == "breach-2"


# -- errors people see -----------------------------------------------------------------------------
def test_wecom_errors_reach_the_person_with_errcode_and_errmsg(wecom_quick: WeComSide):
    side, fake = wecom_quick, wecom_quick.fake
    side.say("alice", "宣布 工资表泄露")
    side.say("alice", "指派 @bob it_security")
    fake.fail_next("appchat/send", 86008, "chat not found or app not in chat")
    side.say("alice", "记录 已断开共享盘")
    assert fake.messages_to("alice")[-1] == (
        '<font color="warning">已保存，但部分消息暂未送达，已保存并会重试：应急群消息：暂未送达（WeCom appchat/send failed '
        '(errcode 86008): chat not found or app not in chat），已保存并会重试（4秒后）</font>')

    fake.invalid_users.add("dave")
    side.say("alice", "指派 @dave legal")  # not a userid of this corp: refused, nothing changed
    assert fake.messages_to("alice")[-1] == (
        '<font color="warning">企业微信 上找不到与 @dave 对应的账号。请在输入 @ 后从列表中选择此人，或填写其成员 ID；'
        '未做任何更改。</font>')
    side.say("alice", "指派 @erin legal")
    fake.invalid_users.add("erin")  # she leaves the company
    side.say("alice", "指派 @carol legal")  # her "you were replaced" message cannot go
    told = fake.messages_to("alice")[-1]
    assert "发给 @erin 的消息：不是本企业的成员账号，或不在应用可见范围内 (wecom_user)" in told  # set aside, not retried


def test_a_refused_app_chat_leaves_a_working_incident_and_says_why(wecom_quick: WeComSide):
    side, fake = wecom_quick, wecom_quick.fake
    side.bot.firm.roster = {"it_security": ["bob"]}
    fake.fail_next("appchat/create", 60011, "no privilege to access/modify contact/party/agent")
    side.say("alice", "宣布 工资表泄露")
    # WeCom makes the app chat when the second person joins: that invite is what WeCom refuses, for good.
    assert fake.messages_to("alice")[-1] == ('<font color="warning">已保存，但有些操作未能完成：邀请 @bob：'
                                             '应用无权创建群聊：请把应用的可见范围设为根部门 (wecom_60011)</font>')
    assert len(fake.of("appchat/create")) == 1
    with Session(side.bot.engine) as s:
        assert [i.number for i in s.exec(select(Incident)).all()] == [1]  # the incident stands


def test_an_expired_token_is_fetched_again_and_the_call_retried(fake_wecom):
    chat = chat_on(fake_wecom)
    chat.direct(user="alice", message=Message.plain("一"))
    fake_wecom.token = "ROTATED"
    chat.direct(user="alice", message=Message.plain("二"))
    assert fake_wecom.apis() == ["gettoken", "message/send", "message/send", "gettoken", "message/send"]
    tokens = [c.query["access_token"] for c in fake_wecom.of("message/send")]
    assert tokens == ["FAKE-ACCESS-TOKEN", "FAKE-ACCESS-TOKEN", "ROTATED"]  # refused once, then delivered


def test_a_wrong_secret_is_a_clear_error(fake_wecom):
    chat = WeComChat(WeComClient(CORP_ID, "wrong", api_url=fake_wecom.url), agent_id=AGENT_ID)
    with pytest.raises(DeliveryError, match=r"WeCom message/send failed \(errcode 40001\): invalid credential"):
        chat.direct(user="alice", message=Message.plain("hi"))


def test_processes_sharing_a_token_store_fetch_one_token(fake_wecom):
    shared = token_storage("memory")  # stands in for token_storage("redis://…") shared by processes
    first = chat_on(fake_wecom)
    first.client = WeComClient(CORP_ID, SECRET, api_url=fake_wecom.url, session=shared)
    second = WeComChat(WeComClient(CORP_ID, SECRET, api_url=fake_wecom.url, session=shared), agent_id=AGENT_ID)
    first.direct(user="alice", message=Message.plain("一"))
    second.direct(user="bob", message=Message.plain("二"))
    assert fake_wecom.apis().count("gettoken") == 1
    assert shared.get(f"{CORP_ID}_{SECRET[:10]}_access_token") == "FAKE-ACCESS-TOKEN"
    with pytest.raises(ValueError, match="unknown WeCom token cache") as refused:
        token_storage("memcached://localhost")
    assert refused.value.said("zh") == ("未知的企业微信令牌缓存 「memcached://localhost」：请写 WECOM_TOKEN_CACHE=memory 或 "
                                        "WECOM_TOKEN_CACHE=redis://host:6379/0")


def test_a_restart_between_declare_and_assign_still_opens_the_group(wecom_quick: WeComSide):
    side, fake = wecom_quick, wecom_quick.fake
    side.say("alice", "宣布 工资表泄露")
    restarted = chat_on(fake, team=team_lookup(side.bot, CORP_ID))  # the deferred room was only in memory
    side.bot.chat = restarted
    side.say("alice", "指派 @bob it_security")
    (create,) = fake.of("appchat/create")
    assert (create.body["owner"], create.body["userlist"]) == ("alice", ["alice", "bob"])
    first, status = fake.chat_posts(create.body["chatid"])
    assert first == "👤 @bob 现在是信息安全（由 @alice 指派）。"
    assert status.startswith("🚨 **BR-1** · 严重程度 高") and "信息安全 @bob" in status


def test_an_unreachable_wecom_is_a_clear_error_without_the_token(fake_wecom):
    chat = chat_on(fake_wecom)
    chat.direct(user="alice", message=Message.plain("一"))  # a token is cached now
    fake_wecom.stop()
    with pytest.raises(DeliveryError) as err:
        chat.direct(user="alice", message=Message.plain("二"))
    assert err.value.permanent is False  # kept and retried by the outbox
    assert str(err.value).startswith("WeCom message/send failed (no errcode): could not reach WeCom:")
    assert "FAKE-ACCESS-TOKEN" not in str(err.value) and "access_token=***" in str(err.value)


def test_a_persons_own_chat_with_the_app_is_a_room_too(fake_wecom):
    chat = chat_on(fake_wecom)
    chat.post(room="dm:alice", message=Message.plain("只给你"))
    assert chat.upload(room="dm:alice", upload=Upload("BR-1.zip", b"PK")) == "BR-1.zip"
    chat.invite(room="dm:alice", users=["bob"])  # a 1:1 chat never becomes a group
    assert fake_wecom.messages_to("alice") == ["只给你", "MEDIA1"]
    assert fake_wecom.of("appchat/create") == [] and fake_wecom.of("appchat/get") == []


def test_a_token_wecom_says_is_invalid_is_fetched_again_once_and_never_in_a_loop(fake_wecom):
    chat = chat_on(fake_wecom)
    chat.client.session.set(chat.client.access_token_key, "LEFT-BY-ANOTHER-PROCESS", 7200)
    chat.direct(user="alice", message=Message.plain("一"))  # 40014, a fresh token, delivered
    assert fake_wecom.apis() == ["message/send", "gettoken", "message/send"]

    fake_wecom.refuse_tokens = True  # a corp whose tokens WeCom keeps refusing
    with pytest.raises(DeliveryError) as err:
        chat.direct(user="alice", message=Message.plain("二"))
    assert fake_wecom.apis()[3:] == ["message/send", "gettoken", "message/send"]  # one new token, one more try
    assert err.value.permanent is False and "42001" in str(err.value)


def test_thirty_messages_a_minute_to_one_person_and_the_rest_waits_instead_of_being_dropped(fake_wecom):
    clock = VirtualClock(START)
    fake_wecom.clock = clock.now
    chat = chat_on(fake_wecom)
    chat.clock = clock
    for n in range(30):
        chat.direct(user="alice", message=Message.plain(f"提醒 {n}"))
    with pytest.raises(DeliveryError) as paced:
        chat.direct(user="alice", message=Message.plain("提醒 30"))
    assert (paced.value.code, paced.value.permanent) == ("wecom_pace", False) and 1 <= paced.value.retry_after <= 60
    chat.direct(user="bob", message=Message.plain("别人不受影响"))
    clock.advance(timedelta(seconds=paced.value.retry_after))
    chat.direct(user="alice", message=Message.plain("提醒 30"))
    assert fake_wecom.messages_to("alice") == [f"提醒 {n}" for n in range(31)] and fake_wecom.dropped == []


def test_the_fake_drops_what_wecom_drops_past_thirty_a_minute(fake_wecom):
    chat = chat_on(fake_wecom)
    chat.pace = Pace(per_minute=1000)  # a bot that did not keep count
    for n in range(31):
        chat.direct(user="alice", message=Message.plain(f"提醒 {n}"))
    assert len(fake_wecom.messages_to("alice")) == 30 and len(fake_wecom.dropped) == 1
