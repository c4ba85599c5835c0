"""Answers as a new user typed them: a first answer reads as recorded, and a question the facts made pointless
(the encryption key when nothing was encrypted) is not accepted."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from storage.models import Incident
from tests.conftest import joined, make_console

DECLARE = {"zh": "/breach 宣布 测试泄露 --严重程度 高", "en": "/breach declare test leak --severity high"}
NEXT = {"zh": "/breach 下一阶段 --理由 测试", "en": "/breach phase next --reason test"}
ANSWER = {"zh": "/breach 回答", "en": "/breach answer"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_first_answer_to_the_aware_time_is_recorded_a_later_one_is_a_change(sqlite_engine, lang):
    console = make_console(sqlite_engine, lang=lang)  # START is 10:05 UTC+8: aware defaults to it
    console.say("alice", DECLARE[lang], "general")
    first = joined(console.say("alice", f"{ANSWER[lang]} Q2 03:15", "breach-1"))
    second = joined(console.say("alice", f"{ANSWER[lang]} Q2 04:15", "breach-1"))
    if lang == "zh":
        assert "✅ @alice 回答了 Q2（事务所最早是什么时候知悉的？）：03:15" in first
        assert "修改了" not in first and "原为" not in first
        assert "✅ @alice 修改了 Q2 的答案（事务所最早是什么时候知悉的？）：04:15（原为 03:15）" in second
    else:
        assert "✅ @alice answered aware (When did the firm first become aware?): 03:15" in first
        assert "changed the answer" not in first and "(was" not in first
        assert "✅ @alice changed the answer to aware (When did the firm first become aware?): 04:15 (was 03:15)" in second
    # Quotes as the bot's own hints show them (`/breach answer aware "<when>"`), straight or as a phone writes them.
    aware = "知悉" if lang == "zh" else "aware"
    quoted = joined(console.say("alice", f'{ANSWER[lang]} {aware} "05:15"', "breach-1"))
    assert "05:15（原为 04:15）" in quoted if lang == "zh" else "05:15 (was 04:15)" in quoted
    found = joined(console.say("alice", f"{ANSWER[lang]} “Q1” 「staff_report」", "breach-1"))
    assert ("回答了 Q1（泄露是如何发现的？）：员工报告" if lang == "zh"
            else "answered discovered (How was the leak discovered?): A member of staff reported it") in found


MOOT = {"zh": "Q7 不适用：Q6（泄露的数据是否加密？）的答案是“否”。未做任何记录。如该答案有误，请先重新回答 Q6。",
        "en": "key_safe does not apply: encrypted (Was the leaked data encrypted?) was answered No. Nothing was "
              "recorded. If that answer is wrong, answer encrypted again first."}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_key_question_is_not_applicable_once_the_data_was_not_encrypted(sqlite_engine, lang):
    console = make_console(sqlite_engine, lang=lang)
    console.say("alice", DECLARE[lang], "general")
    console.say("alice", NEXT[lang], "breach-1")  # phase 2 asks Q6 and Q7
    no, yes, na = ("否", "是", "不适用") if lang == "zh" else ("no", "yes", "n/a")
    console.say("alice", f"{ANSWER[lang]} Q6 {no}", "breach-1")
    refused = joined(console.say("alice", f"{ANSWER[lang]} Q7 {yes}", "breach-1"))
    assert refused.strip() == MOOT[lang]
    with Session(sqlite_engine) as s:
        assert "key_safe" not in (s.get(Incident, 1).facts or {})
    listed = joined(console.say("alice", "/breach 问题" if lang == "zh" else "/breach questions", "breach-1"))
    assert "Q6" not in listed and "Q7" not in listed and ("加密密钥" not in listed and "encryption key" not in listed)
    assert MOOT[lang] not in joined(console.say("alice", f"{ANSWER[lang]} Q7 {na}", "breach-1"))
    console.say("alice", f"{ANSWER[lang]} Q6 {yes}", "breach-1")  # encrypted after all: the key matters again
    console.say("alice", f"{ANSWER[lang]} Q7 {yes}", "breach-1")
    with Session(sqlite_engine) as s:
        assert s.get(Incident, 1).facts.get("key_safe") is True


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_message_the_scheduler_is_sending_is_not_called_undelivered(sqlite_engine, lang):
    """The interactive console's scheduler sweeps the outbox every 30 s in its own thread: when it takes a
    command's rows first, they are on their way, and the command must not say "not delivered, will retry"."""
    from sqlmodel import col, select

    from bot import delivery
    from storage.models import OutboundMessage

    console = make_console(sqlite_engine, lang=lang)
    console.say("alice", DECLARE[lang], "general")
    bot, real = console.bot, console.bot.flush_outbox

    def swept_first(**kwargs):  # the sweep claims every row waiting, as its thread would, before the command's flush
        with bot.sessions() as s:
            ids = list(s.exec(select(OutboundMessage.id).where(col(OutboundMessage.state) == delivery.PENDING)))
        for row_id in ids:
            delivery._claim(bot.sessions, row_id, bot.now())
        return real(**kwargs)

    bot.flush_outbox = swept_first
    said = joined(console.say("alice", "/breach 完成 1" if lang == "zh" else "/breach done 1", "breach-1"))
    assert "暂未送达" not in said and "not delivered yet" not in said
    assert "重试" not in said and "retried" not in said


SAME_WORDS = {"zh": [("/breach 回答 原因 员工操作失误", "✅ @alice 回答了 Q12（泄露的原因是什么？）：员工失误"),
                     ("/breach 回答 数据 银行卡号、税号", "✅ @alice 回答了 Q3（泄露了哪些类别的数据？）：银行卡、税号 / 社保号")],
              "en": [("/breach answer cause human error", "✅ @alice answered cause (What caused the leak?): Staff error"),
                     ("/breach answer data bank account, SSN",
                      "✅ @alice answered data (Which data categories are exposed?): Bank accounts, Tax IDs / SSN / TFN")]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_question_takes_the_words_its_flag_takes(sqlite_engine, lang):
    """`/breach 结案 --原因 员工操作失误` is accepted, so the cause question takes 员工操作失误 too (and data, its words)."""
    console = make_console(sqlite_engine, lang=lang)
    console.say("alice", DECLARE[lang], "general")
    for typed, said in SAME_WORDS[lang]:
        assert said in joined(console.say("alice", typed, "breach-1"))
    with Session(sqlite_engine) as s:
        facts = s.get(Incident, 1).facts
    assert facts["cause"] == "staff_error"
    assert facts["data"] == (["card", "tax_id"] if lang == "zh" else ["bank_account", "tax_id"])
