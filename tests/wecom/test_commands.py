"""Commands typed to the app in its 1:1 chat: aliases, the sender's incident, language, configuration."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.errors import ConfigError
from handlers.wecom.config import WeComConfig, wecom_settings
from handlers.wecom.web import command_text
from storage.models import Incident, RoleAssignment, TaskState, TimelineEvent
from tests.conftest import make_settings
from tests.wecom.conftest import AES_KEY, WeComSide, make_wecom


def test_chinese_commands_without_breach_run_on_the_senders_incident(wecom: WeComSide):
    side, fake = wecom, wecom.fake
    side.say("alice", "宣布 工资表泄露 --severity high")
    side.say("alice", "状态")
    assert fake.messages_to("alice")[-1].startswith("🚨 **BR-1** · 严重程度 高 · 阶段 1/10 紧急响应")
    side.say("alice", "记录 已断开共享盘")
    side.say("alice", "决定 暂停对外文件共享")
    side.say("alice", "完成 1")
    side.say("alice", "/breach 下一阶段 --reason \"证据已保全\"")
    with Session(side.bot.engine) as s:
        events = [(e.kind, e.text) for e in s.exec(select(TimelineEvent).order_by(TimelineEvent.seq))]
        assert ("note", "已断开共享盘") in events and ("decision", "暂停对外文件共享") in events
        assert s.exec(select(Incident.current_phase)).one() == "investigation"
        done = s.exec(select(TaskState.key).where(TaskState.done_at.is_not(None))).all()
        assert done == ["assemble_team"]
        assert ("phase_completed", "immediate_response: 证据已保全") in events
    side.say("alice", "帮助")
    assert "/breach 宣布" in "\n".join(fake.messages_to("alice")[-2:])  # long help comes in two parts


def test_with_two_open_incidents_the_bot_asks_which(wecom_quick: WeComSide):
    side, fake = wecom_quick, wecom_quick.fake
    side.say("alice", "宣布 工资表泄露")
    side.say("alice", "宣布 U盘丢失")
    side.say("alice", "记录 已通知银行")
    assert fake.messages_to("alice")[-1] == ('<font color="warning">你参与了多个进行中的事件，请写明是哪一个，例如 /breach 记录 BR-2 …</font>\n'
                                              "  BR-2 · 高 · U盘丢失\n  BR-1 · 高 · 工资表泄露")
    side.say("alice", "记录 BR-1 已通知银行")
    with Session(side.bot.engine) as s:
        notes = s.exec(select(TimelineEvent.incident_id).where(TimelineEvent.kind == "note")).all()
        first = s.exec(select(Incident.id).where(Incident.number == 1)).one()
    assert notes == [first]


def test_someone_with_no_incident_and_unknown_words_get_told_what_to_type(wecom_quick: WeComSide):
    side, fake = wecom_quick, wecom_quick.fake
    side.say("bob", "状态")
    side.say("bob", "你好")
    first, second = fake.messages_to("bob")
    assert first.startswith("你没有进行中的事件。可用 /breach 宣布 ＜发生了什么＞ 宣布")
    assert second.startswith("不认识 /breach 你好。子命令：宣布、状态")


def test_a_chinese_keyboard_full_width_space_and_slash_are_understood(wecom_quick: WeComSide):
    assert command_text("／breach　宣布　工资表泄露 ") == "/breach 宣布 工资表泄露"
    wecom_quick.say("alice", "宣布　工资表泄露")
    with Session(wecom_quick.bot.engine) as s:
        assert s.exec(select(Incident.title)).one() == "工资表泄露"


def test_english_when_the_firm_says_so(sqlite_engine, fake_wecom):
    side = make_wecom(sqlite_engine, fake_wecom, lang="en")
    side.say("alice", "/breach status")
    assert fake_wecom.messages_to("alice") == ["You have no open incident. Declare one with /breach declare "
                                               "＜what happened＞, or name one by its number: /breach status BR-n."]
    side.endpoint.worker.stop()


def test_wecom_workspaces_default_to_chinese_and_shanghai():
    settings = make_settings()
    settings.__pydantic_fields_set__ -= {"lang", "timezone"}  # as if BREACHBOT_LANG/TIMEZONE were unset
    chosen = wecom_settings(settings)
    assert (chosen.lang, chosen.timezone) == ("zh", "Asia/Shanghai")
    explicit = wecom_settings(make_settings(lang="en", timezone="Europe/Berlin"))
    assert (explicit.lang, explicit.timezone) == ("en", "Europe/Berlin")


def test_configuration_names_what_is_missing_or_wrong():
    with pytest.raises(ConfigError, match="WeCom needs WECOM_AGENT_ID, WECOM_SECRET, WECOM_TOKEN, WECOM_AES_KEY"):
        WeComConfig.from_settings(make_settings(wecom_corp_id="ww1"))
    full = {"wecom_corp_id": "ww1", "wecom_agent_id": "1000002", "wecom_secret": "s", "wecom_token": "t",
            "wecom_aes_key": AES_KEY}
    with pytest.raises(ConfigError, match="WECOM_AES_KEY is the 43-character EncodingAESKey, not 42"):
        WeComConfig.from_settings(make_settings(**{**full, "wecom_aes_key": AES_KEY[:-1]}))
    with pytest.raises(ConfigError, match="WECOM_AGENT_ID is the app's numeric AgentId, not 'bot'"):
        WeComConfig.from_settings(make_settings(**{**full, "wecom_agent_id": "bot"}))
    config = WeComConfig.from_settings(make_settings(**full))
    assert (config.agent_id, config.api_url) == (1000002, "https://qyapi.weixin.qq.com/cgi-bin/")


def test_a_person_typed_by_their_chinese_name_is_found(sqlite_engine, fake_wecom):
    """WeCom's own app has no @-picker: a partner types the colleague's name (`@陈晓`), not the userid.
    The roster member with that address-book name is meant; a name nobody has is refused and changes nothing."""
    fake_wecom.names.update({"carol": "陈晓", "dave": "王磊"})
    side = make_wecom(sqlite_engine, fake_wecom, roster={"lead": ["alice"], "legal": ["carol"], "it_security": ["dave"]})
    try:
        side.say("alice", "宣布 工资表泄露")
        side.say("alice", "指派 @王磊 法务")
        assert "@王磊 是 BR-1 的法务合规" in "\n".join(fake_wecom.messages_to("alice"))
        side.say("alice", "分配 ＠陈晓 信息安全")
        side.say("alice", "指派 @李四 对外沟通")
        assert "李四" in fake_wecom.messages_to("alice")[-1]
        with Session(side.bot.engine) as s:
            holders = dict(s.exec(select(RoleAssignment.role, RoleAssignment.user).where(RoleAssignment.ended_at.is_(None))).all())
        assert holders["legal"] == "dave" and holders["it_security"] == "carol" and "communications" not in holders
    finally:
        side.endpoint.worker.stop()
