"""Closing on WeCom, where every command comes from the person's 1:1 chat with the app."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import Deadline, Incident, TimelineEvent
from tests.wecom.conftest import WeComSide

ALICE, ERIN = "ZhangLi", "ChenYi"


def test_close_asks_to_confirm_then_legal_records_a_notice_from_the_one_to_one_chat(wecom_quick: WeComSide):
    side, fake = wecom_quick, wecom_quick.fake
    side.say(ALICE, "/breach 宣布 工资表泄露 --clients 3")
    side.say(ALICE, f"/breach assign @{ERIN} legal")
    side.say(ALICE, "/breach 影响 CN=10")
    side.say(ALICE, '/breach 结案 --cause insider --lessons "审查权限"')
    listing = fake.messages_to(ALICE)[-1]
    assert "⚠️ BR-1 尚未结案。" in listing and "个人信息保护法" in listing, listing
    assert listing.endswith('/breach 结案 BR-1 --原因 内部人员 --教训 "审查权限" --确认')
    with Session(side.bot.engine) as s:
        assert s.exec(select(Incident)).one().status == "open"
    side.say(ALICE, '/breach 结案 BR-1 --原因 内部人员 --教训 "审查权限" --确认')
    # Legal has no open incident left; a notice typed without BR-1 still finds the closed one that owes it.
    side.say(ERIN, '/breach notified cn-pipl-57/authority --ref "CAC-1"')
    with Session(side.bot.engine) as s:
        clock = s.exec(select(Deadline).where(Deadline.ref == "cn-pipl-57/authority")).one()
        assert clock.met_at is not None
        last = s.exec(select(TimelineEvent).order_by(TimelineEvent.seq.desc())).first()
        assert (last.kind, last.actor) == ("notified", ERIN)
    (chatid,) = fake.chats
    assert [p for p in fake.chat_posts(chatid) if p.startswith("✅ @ChenYi 记录了 个人信息保护法：个人信息泄露（履行个人信息保护职责的部门）")
            and "编号 CAC-1" in p]
