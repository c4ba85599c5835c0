"""Horizontal scale on WeCom: two bot processes (two `serve`s behind a load balancer, or a serve and a worker)
share one database and one WeCom. A war room's state lives in WeCom (the app chat) and the database (its team);
WeComChat.rooms is only a cache: what one process left deferred, another may have made a group since."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.chat import Message
from handlers.wecom.api import WeComClient
from handlers.wecom.chat import WeComChat
from tests.wecom.conftest import AGENT_ID, CORP_ID, SECRET, WeComSide, make_wecom
from tests.wecom.fake_wecom import FakeWeCom


@pytest.fixture
def two_processes(engine: Engine, fake_wecom: FakeWeCom) -> Iterator[tuple[WeComSide, WeComSide]]:
    """Two bots, each with its own chat adapter, caches and worker, on one database and one WeCom."""
    first, second = make_wecom(engine, fake_wecom), make_wecom(engine, fake_wecom)
    second._ids = itertools.count(8_310_000_000_000_000_001)  # WeCom's MsgIds are unique whichever process gets one
    yield first, second
    first.endpoint.worker.stop()
    second.endpoint.worker.stop()


def test_a_room_made_a_group_by_one_process_is_a_group_for_the_other(two_processes):
    one, two = two_processes
    fake = one.fake
    one.say("alice", "宣布 工资表泄露")  # alone: process one keeps the room deferred (posts go 1:1)
    assert fake.of("appchat/create") == []
    two.say("alice", "指派 @bob it_security")  # process two rebuilds the room from the database: now a group
    (create,) = fake.of("appchat/create")
    room = create.body["chatid"]
    assert create.body["userlist"] == ["alice", "bob"]

    # Process one still has the room as deferred in its cache; what it says goes to the group, bob included.
    one.say("alice", "记录 防火墙告警：可疑登录")
    assert fake.chat_posts(room)[-1] == "📝 @alice 的记录已写入 BR-1 时间线（#7）。"
    assert not any("的记录已写入" in m for m in fake.messages_to("alice") + fake.messages_to("bob"))
    # …and whoever it invites is added to the group, not a second group made.
    one.say("alice", "指派 @carol legal")
    assert len(fake.of("appchat/create")) == 1
    assert fake.chats[room]["userlist"] == ["alice", "bob", "carol"]
    # Both processes now agree, whichever one says the next thing.
    for process, said in ((two, "隔离服务器"), (one, "重置密码"), (two, "通知银行")):
        before = len(fake.chat_posts(room))
        process.say("alice", f"记录 {said}")
        assert len(fake.chat_posts(room)) == before + 1 and "的记录已写入 BR-1 时间线" in fake.chat_posts(room)[-1]
    assert len(fake.of("appchat/create")) == 1


def test_two_processes_making_the_same_group_at_once_make_one(fake_wecom: FakeWeCom):
    """Both saw the room deferred and both make it: WeCom's "chatid exists" means the other got there first."""
    def chat(team: list[str]) -> WeComChat:
        made = WeComChat(WeComClient(CORP_ID, SECRET, api_url=fake_wecom.url), agent_id=AGENT_ID)
        made.team = lambda room: team
        return made

    one, two = chat(["alice"]), chat(["alice", "bob"])
    room = one.create_room(name="breach-1", topic="", members=["alice"])
    two.invite(room=room, users=["bob"])  # two made the group (from the database's team)
    fake_wecom.fail_call("appchat/get", 1, 86003, "chat not exist")  # one looked just before two made it
    one.invite(room=room, users=["carol"])
    assert len(fake_wecom.of("appchat/create")) == 2  # one's attempt was refused: chatid exists
    assert fake_wecom.chats[room]["userlist"] == ["alice", "bob", "carol"]
    one.post(room=room, message=Message.plain("大家好"))
    assert fake_wecom.chat_posts(room) == ["大家好"]


def test_the_per_person_pace_is_counted_over_both_processes(two_processes):
    """WeCom drops what goes past 30 app messages a minute to one person, whichever process sent them: the count is
    in the database, so the 31st waits (a temporary DeliveryError the outbox retries) instead of being dropped."""
    from datetime import timedelta

    from bot.chat import DeliveryError

    one, two = two_processes
    fake = one.fake
    for n in range(30):
        (one if n % 3 else two).bot.chat.direct(user="alice", message=Message.plain(f"提醒 {n}"))
    for process in (one, two):
        with pytest.raises(DeliveryError) as paced:
            process.bot.chat.direct(user="alice", message=Message.plain("提醒 30"))
        assert (paced.value.code, paced.value.permanent) == ("wecom_pace", False)
        assert 1 <= paced.value.retry_after <= 60
    two.bot.chat.direct(user="bob", message=Message.plain("别人不受影响"))
    for process in (one, two):
        process.clock.advance(timedelta(seconds=paced.value.retry_after))
    two.bot.chat.direct(user="alice", message=Message.plain("提醒 30"))
    assert fake.messages_to("alice") == [f"提醒 {n}" for n in range(31)] and fake.dropped == []
    assert fake.messages_to("bob") == ["别人不受影响"]


def test_a_new_group_gets_its_fresh_status_once_whichever_process_refreshes_it(two_processes):
    """One process makes a deferred room a group; the status refresh that follows may run in the other (another
    serve, or a worker's outbox): the room is owed one fresh status in the database, and exactly one shows it."""
    from bot.chat import MessageRef

    one, two = two_processes
    fake = one.fake
    one.say("alice", "宣布 工资表泄露")
    room = one.bot.chat.create_room(name="breach-9", topic="", members=["alice"], title="测试")
    one.bot.chat.invite(room=room, users=["bob"])  # process one makes it a group
    assert fake.chats[room]["userlist"] == ["alice", "bob"]
    status = Message.plain("🚨 BR-9 当前状态")
    two.bot.chat.update(ref=MessageRef(room=room, id="1"), message=status)  # the refresh runs in process two
    assert fake.chat_posts(room) == ["🚨 BR-9 当前状态"]
    one.bot.chat.update(ref=MessageRef(room=room, id="1"), message=status)  # and not again in process one
    two.bot.chat.update(ref=MessageRef(room=room, id="1"), message=status)
    assert fake.chat_posts(room) == ["🚨 BR-9 当前状态"]
