"""Each firm's own regimes (/breach 配置 法规 <file>): a regimes file over the deployment's, by key, for that firm
only; checked as BREACHBOT_REGIMES is (file, line, key and problem) before anything is stored."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from bot.settings import DEFAULT_PLAYBOOK, FirmConfig
from storage.models import FirmSettings, Workspace
from tests.test_regimes_file import FIRM_FILE
from tests.wecom.conftest import CORP_ID
from tests.wecom.test_corps import CORP_B, Corp, two_corps  # noqa: F401 - the fixture
from tests.wecom.test_isolation import said_to

PATH_A, PATH_B = f"/wecom/callback/{CORP_ID}", f"/wecom/callback/{CORP_B}"


def _texts(corp: Corp, since: int = 0) -> str:
    """What the bot said within one corp, as people read it."""
    out = []
    for call in corp.side.fake.calls[since:]:
        body = call.body if isinstance(call.body, dict) else {}
        if call.corp == corp.corp_id and body.get("msgtype") in ("markdown", "text"):
            out.append(body[body["msgtype"]]["content"])
    return "\n".join(out)


def _answer(corp: Corp, path: str, typed: str, user: str = "zhangsan") -> str:
    mark = len(corp.side.fake.calls)
    assert corp.post(path, user, typed) == 200
    return re.sub(r"</?font[^>]*>", "", _texts(corp, mark))  # errors come in WeCom's warning colour


def _stored(corp: Corp, corp_id: str) -> dict:
    with Session(corp.side.bot.engine) as s:
        ws = s.exec(select(Workspace).where(Workspace.external_id == corp_id)).first()
        row = s.get(FirmSettings, ws.id) if ws else None
        return dict(row.values) if row else {}


def _deployment(corp: Corp, folder: Path) -> None:
    """The deployment's playbook in `folder`, where the firms' regimes files are kept too."""
    shutil.copy(DEFAULT_PLAYBOOK, folder / DEFAULT_PLAYBOOK.name)
    bot = corp.side.bot
    bot.settings = bot.settings.model_copy(update={"playbook": folder / DEFAULT_PLAYBOOK.name})
    bot.firm = FirmConfig(admins=["zhangsan"])


def test_a_firm_sets_its_own_regimes_and_only_its_incidents_use_them(two_corps, tmp_path):  # noqa: F811
    a, b = two_corps
    _deployment(a, tmp_path)
    (tmp_path / "acme-contracts.yaml").write_text(FIRM_FILE, encoding="utf-8")
    assert "法规: 默认值 (默认)" in _answer(a, PATH_A, "配置")
    assert _answer(a, PATH_A, "配置 法规 acme-contracts") == "设置已更新：法规 现在是 acme-contracts。"
    assert _stored(a, CORP_ID)["regimes"] == "acme-contracts"
    assert "法规: acme-contracts (本所设置)" in _answer(a, PATH_A, "配置")
    for corp, path in ((a, PATH_A), (b, PATH_B)):
        assert "BR-1" in _answer(corp, path, "宣布 纽约客户资料泄露")
        _answer(corp, path, "影响 BR-1 US-NY=40")
    # Both list every law (23 messages each): the same userid in two corps is two people, each paced alone.
    mine, theirs = _answer(a, PATH_A, "时限 BR-1 --全部"), _answer(b, PATH_B, "时限 BR-1 --全部")
    assert "Acme 合同" in mine and "FTC（从严）" in mine
    assert "Acme 合同" not in theirs and "FTC（从严）" not in theirs and "美国联邦贸易委员会" in theirs
    # Firm B's report and export name only the deployment's regimes; firm A's report names its contract.
    _answer(a, PATH_A, "报告 BR-1")
    _answer(b, PATH_B, "报告 BR-1")
    assert "Acme" in " ".join(said_to(a)) and "Acme" not in " ".join(said_to(b))
    # While firm A has an open incident its regimes stay as they are (a minute on: WeCom's pace allows more).
    a.side.clock.advance(timedelta(minutes=2))
    assert _answer(a, PATH_A, "配置 法规 默认") == \
        "仍有进行中的事件（BR-1）时不能更换法规：请先结案。没有做任何更改。"
    assert _stored(a, CORP_ID)["regimes"] == "acme-contracts"


def test_a_broken_or_unknown_regimes_file_is_refused_and_nothing_changes(two_corps, tmp_path):  # noqa: F811
    a, _ = two_corps
    _deployment(a, tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text(FIRM_FILE.replace("deadline: 48h", "deadline: soon"), encoding="utf-8")
    said = _answer(a, PATH_A, "配置 法规 broken")
    assert said.startswith("法规文件 broken 无法使用：")
    assert f"{broken}:25：法规 「contract-acme」：clocks.0.deadline：应为时长（如 90m、4h、30d 或 14bd），而不是 「soon」" in said
    assert said.endswith("没有做任何更改。")
    assert _answer(a, PATH_A, "配置 法规 ../../etc/passwd").startswith("法规不能是“../../etc/passwd”。请输入：/breach 配置 法规 ＜与 BREACHBOT_REGIMES")
    assert "法规不能是“nowhere”" in _answer(a, PATH_A, "配置 法规 nowhere")
    # A playbook is no regimes file: refused, with what is wrong with it.
    assert _answer(a, PATH_A, "配置 法规 breach-default").startswith("法规文件 breach-default 无法使用：")
    assert _stored(a, CORP_ID) == {}
    # A file set and then broken on disk: the firm's incidents fall back to the deployment's regimes.
    (tmp_path / "acme-contracts.yaml").write_text(FIRM_FILE, encoding="utf-8")
    _answer(a, PATH_A, "配置 法规 acme-contracts")
    (tmp_path / "acme-contracts.yaml").write_text("regimes: [", encoding="utf-8")
    _answer(a, PATH_A, "宣布 纽约客户资料泄露")
    _answer(a, PATH_A, "影响 BR-1 US-NY=40")
    shown = _answer(a, PATH_A, "时限 BR-1 --全部")
    assert "美国联邦贸易委员会" in shown and "Acme" not in shown
