"""The text grammar every platform shares."""

from __future__ import annotations

import pytest

from bot import commands as c
from bot.errors import UserError
from handlers.router import parse, tokenize, user_ref


@pytest.mark.parametrize(("typed", "expected"), [
    ("/breach", c.Help()),
    ("/breach help declare", c.Help(topic="declare")),
    ("/breach declare Payroll export leaked --severity high",
     c.Declare(title="Payroll export leaked", severity="high")),
    ('/breach declare --aware "2h ago" --clients 1,200 --data payroll,bank_account --drill "Ledger on USB"',
     c.Declare(title="Ledger on USB", aware="2h ago", clients=1200, data=("payroll", "bank_account"), drill=True)),
    ("/breach declare Client's payroll  emailed out", c.Declare(title="Client's payroll  emailed out")),
    ("/breach declare 工资表泄露 --severity critical", c.Declare(title="工资表泄露", severity="critical")),
    ("/breach status BR-2", c.Status(incident=2)),
    ("/breach status br2", c.Status(incident=2)),
    ("/breach assign @bob it_security", c.Assign(user="bob", role="it_security")),
    ("/breach assign it_security <@U024BE7LH|bob>", c.Assign(user="U024BE7LH", role="it_security")),
    ("/breach assign BR-3 @bob LEGAL", c.Assign(user="bob", role="legal", incident=3)),
    ("/breach unassign legal", c.Unassign(role="legal")),
    ("/breach log rotated keys -- all of them --force", c.Log(text="rotated keys -- all of them --force")),
    ("/breach log BR-4 called the bank", c.Log(text="called the bank", incident=4)),
    ("/breach decision Take the share offline", c.Log(text="Take the share offline", decision=True)),
    ("/breach tasks all", c.Tasks(all=True)),
    ("/breach done 4.2 reset every password", c.Done(task="4.2", note="reset every password")),
    ("/breach done isolate", c.Done(task="isolate")),
    ('/breach phase next --reason "waiting on the bank"', c.Phase(target="next", reason="waiting on the bank")),
    ("/breach phase containment", c.Phase(target="containment")),
    ('/breach close --cause insider --lessons "Vet access"', c.Close(cause="insider", lessons="Vet access")),
    ("/breach 宣布 工资表泄露", c.Declare(title="工资表泄露")),
    ("/breach 下一阶段", c.Phase(target="next")),
    ("/breach 记录 已通知银行", c.Log(text="已通知银行")),
    # words a partner reaches for first: 关闭/结束 close an incident, 分配 assigns
    ("/breach 关闭 --原因 员工失误 --教训 共享盘不得公开", c.Close(cause="员工失误", lessons="共享盘不得公开")),
    ("/breach 结束 --cause insider --lessons x", c.Close(cause="insider", lessons="x")),
    ("/breach 分配 @bob legal", c.Assign(user="bob", role="legal")),
    ('/breach declare Leak --data "payroll, tax id, bank account"',
     c.Declare(title="Leak", data=("payroll", "tax id", "bank account"))),
    # the reason may follow the phase and the delay, as a note follows done's tasks
    ("/breach snooze 1 2h waiting for IT", c.Snooze(phase="1", duration="2h", reason="waiting for IT")),
    ("/breach snooze waiting for the bank", c.Snooze(phase=None, duration="30m", reason="waiting for the bank")),
    ("/breach snooze containment 1h vendor on the way",
     c.Snooze(phase="containment", duration="1h", reason="vendor on the way")),
    ("/breach 稍后提醒 2 1小时 等银行回复", c.Snooze(phase="2", duration="1小时", reason="等银行回复")),
])
def test_parse(typed, expected):
    assert parse(typed) == expected


@pytest.mark.parametrize(("typed", "first_line"), [
    ("/breach nope", "I don't know /breach nope."),
    ("/breach declare x --clients -5", "--clients takes a whole number, not '-5'."),
    ("/breach phase", "Say where to: /breach phase next, or /breach phase <name or number>."),
])
def test_errors_name_the_fix_and_show_usage(typed, first_line):
    with pytest.raises(UserError) as err:
        parse(typed)
    text = err.value.message.plain_text()
    assert text.startswith(first_line)


def test_usage_follows_flag_errors():
    with pytest.raises(UserError) as err:
        parse("/breach close --cause insider")
    assert err.value.message.plain_text().splitlines()[1].startswith("Usage: /breach close --cause")


def test_errors_in_chinese():
    with pytest.raises(UserError) as err:
        parse("/breach 乱码", lang="zh")
    assert err.value.message.plain_text().startswith("不认识 /breach 乱码")


def test_tokenize_keeps_unpaired_quotes_literal():
    assert [t.text for t in tokenize("it's “quoted words” 'x")] == ["it's", "quoted words", "'x"]


def test_user_ref():
    assert user_ref("<@U1|a>") == "U1" and user_ref("@li.wei") == "li.wei" and user_ref("bob") is None


# -- what a tired person types: full-width forms, ideographic spaces, dashes, unquoted words ----------------
@pytest.mark.parametrize(("typed", "expected"), [
    ("／breach 状态", c.Status()),
    ("/breach　回答　aware　2小时前", c.Answer(question="aware", value="2小时前")),
    ("/breach 状态 BR－1", c.Status(incident=1)),
    ("/breach 状态 ＢＲ-1", c.Status(incident=1)),
    ("/breach status 2", c.Status(incident=2)),
    ("/breach 指派 ＠bob legal", c.Assign(user="bob", role="legal")),
    ("/breach assign @bob executive sponsor", c.Assign(user="bob", role="executive sponsor")),
    ("/breach approve Ｄ-1", c.Approve(number=1)),
    ("/breach approve 3", c.Approve(number=3)),
    ("/breach approve", c.Approve(number=None)),
    ("/breach 完成 2，3", c.Done(task="2", also=("3",))),
    ("/breach 完成 2、3", c.Done(task="2", also=("3",))),
    ("/breach done 1 2 3", c.Done(task="1", also=("2", "3"))),
    ("/breach done 1,2 copied the logs", c.Done(task="1", also=("2",), note="copied the logs")),
    # The README's form: the leading task numbers are the tasks, the first other word starts the note.
    ("/breach done 1 2 3 team assembled", c.Done(task="1", also=("2", "3"), note="team assembled")),
    ("/breach 完成 1 2 3 已组建团队", c.Done(task="1", also=("2", "3"), note="已组建团队")),
    ("/breach 完成 1 2 3 4 已聘请律师。", c.Done(task="1", also=("2", "3", "4"), note="已聘请律师。")),
    ("/breach done 1 2 copied 40 files", c.Done(task="1", also=("2",), note="copied 40 files")),
    ('/breach done 1 2 --note "40 files copied"', c.Done(task="1", also=("2",), note="40 files copied")),
    ("/breach 完成 1 2 --备注 40个文件已复制", c.Done(task="1", also=("2",), note="40个文件已复制")),
    ("/breach 完成 ３", c.Done(task="3")),
    ('/breach done 3 --note "40 files copied"', c.Done(task="3", note="40 files copied")),
    ("/breach done 3 —note 40 files copied", c.Done(task="3", note="40 files copied")),
    ("/breach phase next --reason scope known", c.Phase(target="next", reason="scope known")),
    ("/breach 阶段 next —reason 先推进", c.Phase(target="next", reason="先推进")),
    ("/breach 阶段 next ——reason 先推进", c.Phase(target="next", reason="先推进")),
    ("/breach phase next –reason  two  spaces kept", c.Phase(target="next", reason="two  spaces kept")),
    ("/breach close --cause staff_error --lessons Shares must not be public",
     c.Close(cause="staff_error", lessons="Shares must not be public")),
    ("/breach close --lessons Shares must not be public --cause staff error",
     c.Close(cause="staff error", lessons="Shares must not be public")),
    ("/breach declare Leak --aware yesterday 11pm", c.Declare(title="Leak", aware="yesterday 11pm")),
    ("/breach declare Leak --aware 2h ago --severity 高", c.Declare(title="Leak", aware="2h ago", severity="高")),
    ("/breach declare Payroll — export leaked", c.Declare(title="Payroll — export leaked")),
    ("/breach declare Leak —details to follow", c.Declare(title="Leak —details to follow")),
    ("/breach followup Train staff --owner @bob --due next friday",
     c.FollowUpAdd(text="Train staff", owner="bob", due="next friday")),
    ("/breach notified cn-police --ref PSB case 2026-1128 --at 1h ago",
     c.Notified(regime="cn-police", reference="PSB case 2026-1128", at="1h ago")),
    ("/breach 稍后提醒 30分钟 --reason 等待", c.Snooze(duration="30分钟", reason="等待")),
    ("/breach 事实 --cac-level 较大 --data 银行账户", c.Facts(changes=(("cac_level", "较大"), ("data", "银行账户")))),
    ("/breach 影响 CN＝1200", c.Affected(counts="CN＝1200")),
    ("/breach log ＢＲ-2 记录　原样", c.Log(text="记录　原样", incident=2)),
    ("/breach log BR-1note", c.Log(text="BR-1note")),
    ("/breach -h", c.Help()),
    ("/breach letters D-1，D-2、3", c.Letters(numbers=(1, 2, 3))),
    ("/breach 帮助 结案", c.Help(topic="close")),
])
def test_parse_what_people_actually_type(typed, expected):
    assert parse(typed) == expected


@pytest.mark.parametrize(("typed", "first_line"), [
    ("/breach statsu", "I don't know /breach statsu. Did you mean /breach status?"),
    ("/breach 状太", "I don't know /breach 状太. Did you mean /breach 状态?"),
    ("/breach phase next scope known", 'Is \'scope known\' the reason? Type it after --reason: '
                                       '/breach phase next --reason "scope known"'),
    ("/breach facts --cac-level", "--cac-level needs a value."),
])
def test_a_misread_is_refused_with_what_to_type(typed, first_line):
    with pytest.raises(UserError) as err:
        parse(typed)
    assert err.value.message.plain_text().splitlines()[0].startswith(first_line)


def test_usage_lines_speak_the_workspace_language():
    with pytest.raises(UserError) as err:
        parse("/breach 完成", lang="zh")
    assert err.value.message.plain_text().splitlines()[1].startswith("用法： /breach 完成 <任务编号、阶段.任务 或任务名称>")
    with pytest.raises(UserError) as err:
        parse("/breach phase", lang="zh")
    assert err.value.message.plain_text().splitlines()[1] == '用法： /breach 阶段 下一阶段|<阶段名称或编号> [--理由 "<原因>"]'


def test_look_alike_numbers_are_not_ids():
    for typed in ("/breach status ²", "/breach approve ①", "/breach done ²"):
        try:
            command = parse(typed)
        except UserError:
            continue
        assert command not in (c.Status(incident=2), c.Approve(number=1), c.Done(task="2")), typed


def test_a_command_is_named_as_it_is_typed_in_the_workspace_language():
    from bot.help import typed_word
    assert [typed_word("zh", w) for w in ("log", "draft edit", "clients import", "followup done", "close")] == [
        "记录", "起草 修改", "客户 导入", "跟进 完成", "结案"]
    assert typed_word("en", "draft edit") == "draft edit"
