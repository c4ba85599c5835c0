"""/breach firms (所有事务所): the deployment's operators see every firm, its install, usage and health, in chat;
nobody else does, and a userid is an operator only in the workspace named for it."""

from __future__ import annotations

from datetime import timedelta

from tests.wecom.conftest import AGENT_ID, CORP_ID
from tests.wecom.test_corps import AGENT_B, CORP_B, two_corps  # noqa: F401 - the fixture
from tests.wecom.test_firm_regimes import PATH_A, PATH_B, _answer


def test_only_an_operator_lists_every_firm_with_its_install_usage_and_health(two_corps):  # noqa: F811
    a, b = two_corps
    bot = a.side.bot
    bot.settings = bot.settings.model_copy(update={"operators": f"wecom:{CORP_B}:lisi, nonsense"})
    assert "BR-1" in _answer(a, PATH_A, "宣布 甲所工资表泄露")

    listed = _answer(b, PATH_B, "所有事务所", "lisi")
    lines = listed.splitlines()
    assert lines[0] == "**共 2 个事务所：**"
    assert f"    安装：企业微信应用 {AGENT_ID}，回调地址 /wecom/callback/{CORP_ID}" in lines
    assert f"    安装：企业微信应用 {AGENT_B}，回调地址 /wecom/callback/{CORP_B}" in lines
    assert any(line.startswith("    使用：事件 1 起，进行中 1 起，演练 0 次；最近活动 ") for line in lines)
    assert "问题：" not in listed and "    提示：尚未使用" in lines
    assert _answer(b, PATH_B, "所有事务所 全部", "lisi") == \
        "/breach 所有事务所 后面不需要写内容（而不是“全部”）：请输入 /breach 所有事务所。没有显示任何内容。"

    # Two hours on, no worker ran: firm A's overdue reminders are shown as its problem.
    bot.clock.advance(timedelta(hours=2))
    later = _answer(b, PATH_B, "所有事务所", "lisi")
    assert [line for line in later.splitlines() if line.startswith("    问题：")] == [
        "    问题：10 条提醒逾期超过 5分：｀breachbot worker｀ 是否在运行？"]
    assert f"✗ wecom:{CORP_ID}" in later

    # Anyone else — firm A's own people, the same userid in the other corp — is told who may, and sees nothing.
    for path, user, corp in ((PATH_A, "zhangsan", CORP_ID), (PATH_A, "lisi", CORP_ID), (PATH_B, "zhangsan", CORP_B)):
        refused = _answer(a if path == PATH_A else b, path, "所有事务所", user)
        assert refused == (f"只有部署的运维人员可以列出所有事务所；BREACHBOT_OPERATORS 以 平台:工作区:用户 的形式列出他们"
                           f"（你是 wecom:{corp}:{user}）。没有显示任何内容。")
        assert "甲所" not in refused and CORP_B not in refused.replace(f"wecom:{CORP_B}:{user}", "")

