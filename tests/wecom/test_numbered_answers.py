"""Answering the bot's questions on WeCom with just a number: `2`, `１`, `1200`.

Everything reaches the bot as WeCom delivers it (an encrypted callback POSTed to
/wecom/callback); what it did is read from the database and from the fake WeCom API.
"""

from __future__ import annotations

import itertools
import string
from datetime import timedelta

import yaml
from sqlmodel import Session, select

from handlers.wecom.callback import Inbound
from handlers.wecom.numbered import CATALOGUE, Named, Prompt, Prompts, named_reply, numbered_reply, say
from handlers.wecom.web import WeComEndpoint, build
from storage.models import Incident, TimelineEvent
from tests.wecom.conftest import WeComSide, make_wecom

HOW_DISCOVERED = "泄露是如何发现的？"


def facts(side: WeComSide) -> dict:
    with Session(side.bot.engine) as s:
        return dict(s.exec(select(Incident.facts)).one())


def fact_events(side: WeComSide) -> list[dict]:
    """The `set` of every facts_changed event, in timeline order."""
    with Session(side.bot.engine) as s:
        return [e.data["set"] for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "facts_changed")
                                              .order_by(TimelineEvent.seq))]


def timeline_size(side: WeComSide) -> int:
    with Session(side.bot.engine) as s:
        return len(s.exec(select(TimelineEvent.id)).all())


def question_prompts(texts: list[str]) -> list[str]:
    return [m for m in texts if m.startswith("❓")]


_restart_ids = itertools.count(1)


def restarted(side: WeComSide) -> WeComEndpoint:
    """A second process on the same database and WeCom app: it remembers no prompt."""
    endpoint = build(side.bot.settings, engine=side.bot.engine, clock=side.clock)
    endpoint.bot.firm = side.bot.firm
    return endpoint


def typed(user: str, text: str) -> Inbound:
    """A decrypted text message, as the callback hands it to the worker."""
    return Inbound(user=user, kind="text", msg_id=f"after-restart-{next(_restart_ids)}", text=text)


def declare_with_a_team(side: WeComSide) -> str:
    """alice declares, answers the discovery question with `2`, makes bob IT security; returns the chatid."""
    side.say("alice", "宣布 工资表泄露")
    side.say("alice", "2")
    side.say("alice", "/breach assign @bob it_security")
    (create,) = side.fake.of("appchat/create")
    return create.body["chatid"]


def test_a_bare_number_answers_the_prompt_the_person_just_saw(wecom: WeComSide):
    side, fake = wecom, wecom.fake
    side.say("alice", "宣布 工资表泄露")
    # Phase 1's two questions in one message: the choices the Slack buttons offer are numbered, the
    # date question offers none, so a bare number can only mean Q1.
    [asked] = question_prompts(fake.messages_to("alice"))
    assert asked.startswith("❓ BR-1 阶段 1/10：紧急响应 — 2 个问题，请 事件负责人 @alice 回答\n"
                            f"  Q1 **{HOW_DISCOVERED}** — 事件负责人 @alice\n    1. 系统告警")
    assert "\n  Q2 **事务所最早是什么时候知悉的？" in asked
    assert asked.endswith("\n👉 直接回复数字即可回答 Q1；回答其他问题请先写问题编号，例如 Q2 ＜答案＞")

    side.say("alice", "2")
    assert facts(side)["discovered_via"] == "client_report"
    assert fact_events(side) == [{"discovered_via": "client_report"}]
    with Session(side.bot.engine) as s:
        event = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "facts_changed")).one()
        assert (event.actor, event.data["via"]) == ("alice", "answer:discovered")
    # alice gets the receipt, and the war room (still her 1:1 chat: nobody else yet) hears the answer.
    assert fake.messages_to("alice")[-2:] == ["已为 BR-1 记录：Q1 = 客户告知",
                                             f"✅ @alice 回答了 Q1（{HOW_DISCOVERED}）：客户告知"]


def test_everyone_in_the_war_room_answers_a_question_of_the_phase_digest_by_its_number(wecom: WeComSide):
    side, fake = wecom, wecom.fake
    chatid = declare_with_a_team(side)
    side.say("alice", '下一阶段 --reason "证据已保全"')
    # Phase 2's eight questions arrive as one message, each under its own number.
    [asked] = question_prompts(fake.chat_posts(chatid))[-1:]
    assert asked.startswith("❓ BR-1 阶段 2/10：初步调查 — 8 个问题，请 信息安全 @bob · 法务合规 未指派 · 对外沟通 未指派 回答")
    assert [ln.split(" ", 3)[2] for ln in asked.splitlines() if ln.startswith("  Q")] == [
        f"Q{n}" for n in range(3, 11)]
    assert asked.endswith("\n👉 回复问题编号和答案即可作答，例如 Q3 1")

    side.say("bob", "Ｑ１０ １")  # a Chinese keyboard's full-width letters and digits, from someone who did not declare
    assert facts(side)["press_aware"] is True
    assert fact_events(side)[-1] == {"press_aware": True}
    assert fake.chat_posts(chatid)[-1] == "✅ @bob 回答了 Q10（媒体或公众是否已知晓此次泄露？）：是"
    assert fake.messages_to("bob")[-1] == "已为 BR-1 记录：Q10 = 是"

    side.say("alice", " q10：２ ")  # a later answer supersedes the earlier one; both stay in the timeline
    assert facts(side)["press_aware"] is False
    assert fact_events(side)[-2:] == [{"press_aware": True}, {"press_aware": False}]
    assert fake.chat_posts(chatid)[-1] == "✅ @alice 修改了 Q10 的答案（媒体或公众是否已知晓此次泄露？）：否（原为 是）"

    # Each number goes to its own question: choices by their numbers, a count as itself, counts by residence typed out.
    side.say("bob", "Q3 3，8")
    side.say("bob", "Q4 1,240")
    side.say("bob", "Q5 CN=1200 US-CA=40")
    assert fact_events(side)[-3:] == [{"data": ["bank_account", "payroll"]}, {"clients": 1240},
                                      {"affected": {"CN": 1200, "US-CA": 40}}]
    before, events = facts(side), timeline_size(side)
    side.say("bob", "2")  # a bare number: several of the digest's questions take one
    assert fake.messages_to("bob")[-1].startswith("刚才的消息列出了多个问题，只回复数字无法确定是哪一个。请先写问题编号，例如 Q3 1")
    side.say("bob", "Q6 3")  # yes is 1, no is 2
    assert fake.messages_to("bob")[-1] == "3 不是 BR-1 问题 encrypted 的选项。请回复其中一个数字：1 = 是 · 2 = 否"
    side.say("bob", "Q42 1")
    assert fake.messages_to("bob")[-1].startswith("没有问题「42」。")
    assert (facts(side), timeline_size(side)) == (before, events)


def test_a_count_is_the_number_itself_when_the_bot_asks_for_it_again(wecom_quick: WeComSide):
    side, fake = wecom_quick, wecom_quick.fake
    chatid = declare_with_a_team(side)
    side.say("alice", '下一阶段 --reason "证据已保全"')
    for command in ("回答 aware 10:00", "回答 data 3,5", "回答 people CN=1200", "回答 encrypted 否",
                    "回答 key_safe 否", "回答 crime 否", "回答 on_behalf 否", "回答 press 否"):
        side.say("alice", command)
    side.bot.advance(side.clock.now() + timedelta(minutes=30))  # only `clients` is still open: asked again alone
    again = question_prompts(fake.chat_posts(chatid))[-1]
    assert again.startswith("❓ BR-1 问题 Q4") and "（第 2 次询问，共 4 次）" in again
    assert again.endswith("👉 直接回复数字即可作答，例如 40")

    side.say("bob", "1200")
    assert facts(side)["clients"] == 1200
    assert fact_events(side)[-1] == {"clients": 1200}
    assert fake.messages_to("bob")[-1] == "已为 BR-1 记录：Q4 = 1200"


def test_a_number_that_is_not_a_choice_gets_the_choices_and_changes_nothing(wecom_quick: WeComSide):
    side, fake = wecom_quick, wecom_quick.fake
    side.say("alice", "宣布 工资表泄露")
    before, events = facts(side), timeline_size(side)
    for reply in ("7", "0", "1 3"):
        side.say("alice", reply)
    assert fake.messages_to("alice")[-3:] == [
        "7 不是 BR-1 问题 discovered 的选项。请回复其中一个数字：1 = 系统告警 · 2 = 客户告知 · 3 = 员工报告 · 4 = 第三方告知",
        "0 不是 BR-1 问题 discovered 的选项。请回复其中一个数字：1 = 系统告警 · 2 = 客户告知 · 3 = 员工报告 · 4 = 第三方告知",
        "BR-1 问题 discovered 只能选一个。请回复其中一个数字：1 = 系统告警 · 2 = 客户告知 · 3 = 员工报告 · 4 = 第三方告知",
    ]
    assert (facts(side), timeline_size(side)) == (before, events)


def test_without_a_question_a_number_says_what_to_type_and_changes_nothing(wecom_quick: WeComSide):
    side, fake = wecom_quick, wecom_quick.fake
    side.say("carol", "2")  # on no incident at all
    assert fake.messages_to("carol") == [
        "现在没有等你用数字回答的问题。请写明问题和答案：回答 ＜问题＞ ＜答案＞（例如 回答 encrypted 是）；"
        "发送 /breach questions 可列出待回答的问题。"]
    side.say("alice", "宣布 工资表泄露")
    side.say("alice", "回答 discovered 1")
    side.say("alice", "回答 aware 10:00")  # every question asked so far is answered
    before, events = facts(side), timeline_size(side)
    restarted(side).run(typed("alice", "2"))  # nothing remembered, and nothing open in the database
    assert fake.messages_to("alice")[-1].startswith("现在没有等你用数字回答的问题。")
    assert (facts(side), timeline_size(side)) == (before, events)


def test_after_a_reminder_with_several_questions_a_bare_number_is_refused(wecom_quick: WeComSide):
    side, fake = wecom_quick, wecom_quick.fake
    chatid = declare_with_a_team(side)
    side.bot.advance(side.clock.now() + timedelta(minutes=30))  # `aware` alone: a prompt of its own
    side.say("alice", '下一阶段 --reason "证据已保全"')
    side.bot.advance(side.clock.now() + timedelta(minutes=30))  # phase 2's eight questions and `aware`, at once
    # One reminder (WeCom would cut it at 2,048 bytes; the reply hint closes it).
    posts = fake.chat_posts(chatid)
    assert any(p.startswith("❓ BR-1：仍有 9 个问题待回答（第 3 次询问，共 4 次）：\n  Q2 ") for p in posts[-2:])
    assert posts[-1].endswith("\n👉 回复问题编号和答案即可作答，例如 Q3 1")
    before, events = facts(side), timeline_size(side)
    side.say("bob", "1")
    assert fake.messages_to("bob")[-1].startswith("刚才的消息列出了多个问题，只回复数字无法确定是哪一个。")
    assert (facts(side), timeline_size(side)) == (before, events)
    side.say("bob", "Q4 1200")  # the question's number first: the reminder's questions are answered one by one
    side.say("alice", "q2 10:00")
    assert fact_events(side)[-2:] == [{"clients": 1200}, {"aware_at": "2026-11-28T02:00:00+00:00"}]


def test_after_a_restart_the_latest_open_question_of_the_senders_incident_is_answered(wecom_quick: WeComSide):
    side, fake = wecom_quick, wecom_quick.fake
    side.say("alice", "宣布 工资表泄露")
    restarted(side).run(typed("alice", "４"))  # Q1 (discovered) is the open question a number answers
    assert facts(side)["discovered_via"] == "third_party"
    assert fake.messages_to("alice")[-2] == "已为 BR-1 记录：Q1 = 第三方告知"


def test_after_a_restart_the_questions_asked_together_still_need_their_number(wecom_quick: WeComSide):
    side, fake = wecom_quick, wecom_quick.fake
    declare_with_a_team(side)
    side.say("alice", '下一阶段 --reason "证据已保全"')  # phase 2's seven questions, in one message
    before, events = facts(side), timeline_size(side)
    again = restarted(side)
    again.run(typed("bob", "1"))  # nothing remembered: the database says seven were asked at once
    assert fake.messages_to("bob")[-1].startswith("刚才的消息列出了多个问题，只回复数字无法确定是哪一个。")
    assert (facts(side), timeline_size(side)) == (before, events)
    again.run(typed("bob", "Q7 1"))
    assert facts(side)["key_safe"] is True
    assert fake.messages_to("bob")[-1] == "已为 BR-1 记录：Q7 = 是"


def test_english_workspaces_get_english_numbers(sqlite_engine, fake_wecom):
    side = make_wecom(sqlite_engine, fake_wecom, lang="en")
    try:
        side.say("alice", "/breach declare Payroll leak")
        discovered = question_prompts(fake_wecom.messages_to("alice"))[0]
        assert discovered.endswith("\n👉 Reply with just the number to answer Q1; for another question put its "
                                   "number first, e.g. Q2 ＜answer＞")
        side.say("alice", "9")
        assert fake_wecom.messages_to("alice")[-1] == (
            "9 is not a choice for BR-1 question discovered. Reply with one of: 1 = System alert · "
            "2 = A client told us · 3 = A member of staff reported it · 4 = A third party told us")
    finally:
        side.endpoint.worker.stop()


# -- the pieces ---------------------------------------------------------------------------------
def test_only_digits_are_a_numbered_reply():
    assert numbered_reply("２").numbers == ("2",)  # type: ignore[union-attr]
    assert numbered_reply(" 1，3 ").numbers == ("1", "3")  # type: ignore[union-attr]
    assert numbered_reply("1、3").text == "1、3"  # type: ignore[union-attr]
    assert numbered_reply("1 200").text == "1 200"  # type: ignore[union-attr]
    for text in ("", "2a", "BR-2", "状态", "-1", "1.5", "٢"):
        assert numbered_reply(text) is None, text


def test_a_question_number_then_the_answer_is_a_named_reply():
    assert named_reply("Ｑ３ ２") == Named(number=3, text="2")
    assert named_reply("q4：1,200") == Named(number=4, text="1,200")
    assert named_reply(" Q2 昨天 18:00 ") == Named(number=2, text="昨天 18:00")
    for text in ("Q3", "Q32", "3 2", "Q 3 2", "QA 2", "回答 q3 2", "/breach answer q3 2"):
        assert named_reply(text) is None, text


def test_a_several_of_reply_picks_several_and_a_count_keeps_its_digits():
    several = Prompt(incident=3, question="data", type="several_of", options=("name", "contact", "bank_account"),
                     labels=("姓名", "联系方式", "银行账户"))
    answer = several.answer(numbered_reply("3，1，3"), "zh")  # type: ignore[arg-type]
    assert (answer.question, answer.value, answer.incident) == ("data", "bank_account,name", 3)
    count = Prompt(incident=3, question="clients", type="number")
    assert count.answer(numbered_reply("1 200"), "zh").value == "1200"  # type: ignore[arg-type]


def test_the_memory_is_bounded():
    prompts = Prompts(playbook=lambda: None, lang=lambda: "zh", size=2)  # type: ignore[arg-type,return-value]
    seen = Prompt(incident=1, question="press", type="yes_no", options=("yes", "no"), labels=("是", "否"))
    prompts.remember(["a", "b", "c"], seen)
    assert [prompts.latest(u) for u in "abc"] == [None, seen, seen]


def test_the_catalogue_has_every_sentence_in_both_languages_with_the_same_placeholders():
    raw = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))

    def flat(node: dict, prefix: str = "") -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for key, value in node.items():
            if isinstance(value, dict):
                out |= flat(value, f"{prefix}{key}.")
            else:
                out[prefix + key] = {f for _, f, _, _ in string.Formatter().parse(value) if f}
        return out

    assert flat(raw["zh"]) == flat(raw["en"])
    assert say("en", "hint.pick", last=4).endswith("(1–4)")
