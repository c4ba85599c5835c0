"""Times are checked and correctable: a notice or a response step timed before awareness or in the future is
refused with the reason and changes nothing; `/breach correct` (`更正`) fixes a recorded time or reference with
a reason, keeps the original and the correction in the timeline, and the key times follow."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from bot.report import metrics
from storage.models import Deadline, Incident, TimelineEvent
from tests.conftest import joined, make_console

DECLARE_ZH = '/breach 宣布 网盘共享泄露 --severity high --aware "2026-11-28 09:40" --data payroll,bank_account'


def _zh(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", DECLARE_ZH, "general")
    console.say("alice", "/breach 指派 @erin legal", "breach-1")
    console.say("alice", "/breach 影响 中国=1200", "breach-1")
    console.advance(console.clock.now() + __import__("datetime").timedelta(hours=3))  # 13:05
    return console


def _count(engine) -> int:
    with Session(engine) as s:
        return len(s.exec(select(TimelineEvent)).all())


def test_a_notice_before_awareness_or_in_the_future_is_refused_with_the_reason(sqlite_engine):
    console = _zh(sqlite_engine)
    before = _count(sqlite_engine)
    said = joined(console.say("erin", "/breach 已通报 cn-pipl-57/authority --at 昨天 20:30", "breach-1"))
    assert "早于事务所知悉本次泄露的时间（09:40）" in said and "未作记录" in said
    said = joined(console.say("erin", "/breach 已通报 cn-pipl-57/authority --时间 2026-11-01", "breach-1"))
    assert said.startswith("--时间 11月1日周日 00:00 早于事务所知悉本次泄露的时间") and "--at" not in said  # named as zh types it
    said = joined(console.say("erin", "/breach 已通报 cn-pipl-57/authority --at 2026-11-29 10:00", "breach-1"))
    assert "将来" in said or "未来" in said
    said = joined(console.say("erin", "/breach 事实 --determined 2026-11-27 10:00", "breach-1"))
    assert "--确认时间" in said and "--determined" not in said and "早于事务所知悉" in said
    assert _count(sqlite_engine) == before  # nothing recorded
    with Session(sqlite_engine) as s:
        assert all(d.met_at is None for d in s.exec(select(Deadline).where(Deadline.kind == "regime")))


def test_a_wrong_notice_time_is_corrected_with_a_reason_and_both_stay(sqlite_engine):
    console = _zh(sqlite_engine)
    console.say("erin", "/breach 已通报 cn-pipl-57/authority --at 12:50 --ref 网信-7", "breach-1")
    again = joined(console.say("erin", "/breach 已通报 cn-pipl-57/authority --at 10:30", "breach-1"))
    assert "已记录为已通报（12:50）" in again and "/breach 更正 cn-pipl-57/authority" in again
    assert "请说明哪里有误及原因" in joined(console.say("erin", "/breach 更正 cn-pipl-57/authority --at 10:30",
                                                      "breach-1"))
    assert "早于事务所知悉" in joined(console.say(
        "erin", "/breach 更正 cn-pipl-57/authority --at 09:00 --reason 输错了", "breach-1"))
    said = joined(console.say("erin", "/breach 更正 cn-pipl-57/authority --at 10:30 --reason 通报时间输错了",
                              "breach-1"))
    assert "✏️ @erin 更正了第" in said and "12:50 → 10:30" in said and "原因：通报时间输错了" in said
    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
        deadline = s.exec(select(Deadline).where(Deadline.ref == "cn-pipl-57/authority")).one()
        assert deadline.met_at.astimezone(incident.aware_at.tzinfo).strftime("%H:%M") == "02:30"  # 10:30 CST
        kinds = [e.kind for e in s.exec(select(TimelineEvent).order_by(TimelineEvent.seq))]
        assert kinds.count("notified") == 1 and kinds.count("corrected") == 1
        assert metrics.key_times(s, incident, console.bot.regimes).span("notify").total_seconds() == 50 * 60
    # A reference too; then the report says both, in time order, and /breach history agrees.
    console.say("erin", "/breach 更正 cn-pipl-57/authority --ref 网信-8 --reason 回执编号抄错", "breach-1")
    sent = console.say("alice", "/breach 报告 --format md", "breach-1")
    md = Path(next(s for s in sent if s.op == "upload").text).read_text(encoding="utf-8")
    assert "| 至首次向监管通报 | 50分 |" in md
    timeline = md.split("## 时间线")[1].split("## 声明")[0]
    notice = next(line for line in timeline.splitlines() if "已通报" in line)
    assert notice.startswith("- 2026年11月28日 10:30 · erin · 已通报") and "原记录为 2026年11月28日 12:50" in notice
    fixes = [line for line in timeline.splitlines() if "· 更正：" in line]
    assert len(fixes) == 2 and "原因：通报时间输错了" in fixes[0] and "原因：回执编号抄错" in fixes[1]
    history = joined(console.say("alice", "/breach 历史", "general"))
    assert "25分 / — / 50分 / — / —" in history


def test_an_event_is_corrected_by_its_number_and_bot_events_are_not(sqlite_engine):
    console = make_console(sqlite_engine)
    console.say("alice", '/breach declare Lost laptop --severity high --aware "2h ago"', "general")
    console.say("alice", "/breach log Laptop seen in the taxi", "breach-1")
    with Session(sqlite_engine) as s:
        note = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "note")).one()
        bot_event = s.exec(select(TimelineEvent).where(TimelineEvent.actor == "breachbot")).first()
    said = joined(console.say("alice", f"/breach correct #{note.seq} --at 10:00 --reason typed it late", "breach-1"))
    assert f"corrected #{note.seq} (note): 10:05 → 10:00" in said
    said = joined(console.say("alice", f"/breach correct {bot_event.seq} --at 10:00 --reason no", "breach-1"))
    assert "written by the bot itself" in said
    assert "no event #999" in joined(console.say("alice", "/breach correct #999 --at 10:00 --reason x", "breach-1"))
    assert "Say what was wrong and why" in joined(console.say("alice", "/breach correct #2", "breach-1"))
