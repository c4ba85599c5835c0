"""Issue #19's "Done when", typed through the console in en and zh: an incident with notes, out-of-order --at times,
a wrong notice time corrected, follow-ups after close and a drill closed mid-way. Its md, html and pdf reports
carry every note, list events in time order, give the key times /breach history gives, show every clocks column
in the PDF, and the head they state verifies with --upto after 30 more virtual days; the drill sends nothing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pypdfium2
import pytest

from bot.flows.report import HISTORY_KEYS
from bot.report import document, metrics
from handlers.cli import main
from storage.db import make_engine, upgrade
from tests.conftest import START, joined, make_console

SCRIPTS = {
    "en": {
        "declare": '/breach declare Payroll share exposed --severity high --aware "2026-11-28 09:40" --data payroll',
        "drill": "/breach declare Drill: lost laptop --severity high --data payroll --drill",
        "lines": [
            ("alice", "/breach assign @erin legal"),
            ("alice", "/breach affected CN=1200 US-CA=40"),
            ("alice", "/breach log The share log shows an outside IP at 09:41"),
            ("alice", "/breach decision Close the public share now"),
            ("alice", "/breach done 1 2 3 team assembled and evidence kept"),
        ],
        "notes": ["The share log shows an outside IP at 09:41", "Close the public share now",
                  "team assembled and evidence kept", "police called at 18:40"],
        "later": [
            ("erin", "/breach notified cn-pipl-57/authority --at 19:05 --ref CAC-7"),
            ("erin", "/breach notified cn-pipl-57/individuals --at 18:30"),
            ("erin", "/breach notified cn-dsl-29 --at 12:50"),
            ("erin", '/breach correct cn-dsl-29 --at 10:30 --reason "typed the wrong time"'),
            ("alice", "/breach log police called at 18:40"),
            ("alice", "/breach followup Rotate every share link --owner @erin --due +14d"),
            ("alice", '/breach close --cause staff_error --lessons "No public shares" --confirm'),
        ],
        "drill_close": '/breach close BR-2 --cause staff_error --lessons "Drill went fine" --confirm',
        "report": "/breach report --format {fmt}",
        "history": "/breach history",
    },
    "zh": {
        "declare": '/breach 宣布 工资表共享外泄 --严重程度 高 --知悉时间 "2026-11-28 09:40" --数据 工资',
        "drill": "/breach 宣布 演练：笔记本丢失 --严重程度 高 --数据 工资 --演练",
        "lines": [
            ("alice", "/breach 指派 @erin 法务"),
            ("alice", "/breach 影响 中国=1200 加州=40"),
            ("alice", "/breach 记录 网盘日志显示外部IP在09:41访问了共享"),
            ("alice", "/breach 决定 立即关闭网盘共享"),
            ("alice", "/breach 完成 1 2 3 已组建团队并保全证据"),
        ],
        "notes": ["网盘日志显示外部IP在09:41访问了共享", "立即关闭网盘共享", "已组建团队并保全证据", "18:40 已报警"],
        "later": [
            ("erin", "/breach 已通报 cn-pipl-57/authority --时间 19:05 --回执 网信-7"),
            ("erin", "/breach 已通报 cn-pipl-57/individuals --时间 18:30"),
            ("erin", "/breach 已通报 cn-dsl-29 --时间 12:50"),
            ("erin", '/breach 更正 cn-dsl-29 --时间 10:30 --理由 "时间输错了"'),
            ("alice", "/breach 记录 18:40 已报警"),
            ("alice", "/breach 跟进 更换所有共享链接 --负责人 @erin --截止 14天后"),
            ("alice", '/breach 结案 --原因 员工失误 --教训 "网盘不得公开" --确认'),
        ],
        "drill_close": '/breach 结案 BR-2 --原因 员工失误 --教训 "演练顺利" --确认',
        "report": "/breach 报告 --格式 {fmt}",
        "history": "/breach 历史",
    },
}
MONTHS = {m: i for i, m in enumerate(("January", "February", "March", "April", "May", "June", "July", "August",
                                      "September", "October", "November", "December"), start=1)}


def moment(line: str, lang: str) -> datetime:
    """The time a report line starts with, as written in that language."""
    if lang == "zh":
        y, mo, d, h, mi = map(int, re.match(r"- (\d+)年(\d+)月(\d+)日 (\d+):(\d+)", line).groups())
        return datetime(y, mo, d, h, mi)
    d, month, y, h, mi = re.match(r"- (\d+) (\w+) (\d+), (\d+):(\d+)", line).groups()
    return datetime(int(y), MONTHS[month], int(d), int(h), int(mi))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_done_when(tmp_path, monkeypatch, capsys, lang):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'done.db'}"
    engine = make_engine(url)
    upgrade(engine)
    console = make_console(engine, lang=lang, roster={"legal": ["erin"]})
    script = SCRIPTS[lang]
    assert "BR-1" in joined(console.say("alice", script["declare"], "general"))
    for who, typed in script["lines"]:
        console.say(who, typed, "breach-1")
    # The drill, declared and closed mid-way.
    assert "BR-2" in joined(console.say("alice", script["drill"], "general"))
    console.say("alice", "/breach affected BR-2 CN=500" if lang == "en" else "/breach 影响 BR-2 中国=500", "breach-2")
    console.advance(START + timedelta(hours=1))
    console.say("alice", script["drill_close"], "breach-2")
    console.advance(START + timedelta(hours=9))  # 19:05
    refused = []
    for who, typed in script["later"]:
        said = console.say(who, typed, "breach-1")
        refused += [s.text for s in said if s.op == "reply" and s.message and s.message.kind == "error"]
    assert refused == []

    reports = {}
    for fmt in ("md", "html", "pdf"):
        sent = console.say("alice", script["report"].format(fmt=fmt), "breach-1")
        reports[fmt] = Path(next(s for s in sent if s.op == "upload").text)
    md = reports["md"].read_text(encoding="utf-8")
    html = reports["html"].read_text(encoding="utf-8")
    pdf_text = "\n".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(reports["pdf"]))
    for note in script["notes"]:  # every note, in every format
        assert note in md and note in html and note in pdf_text.replace("\r\n", " ").replace("\n", " "), note

    L = document.labels(lang)  # noqa: N806
    timeline = md.split(f"## {L['timeline']}")[1].split(f"## {L['statements']}")[0]
    times = [moment(line, lang) for line in timeline.splitlines() if line.startswith("- ")]
    assert len(times) > 10 and times == sorted(times)  # in the order things happened, not as typed
    told = [line for line in timeline.splitlines() if "cn-dsl-29" in line or "cn-pipl-57" in line
            or "数据安全法" in line or "个人信息保护法" in line]
    assert any("10:30" in line for line in told)  # the corrected notice time stands

    # The key times: the report's table and /breach history say the same, from the earliest times.
    table = md.split(f"## {L['key_times']}")[1].split("\n## ")[0]
    spans = [row.split("|")[2].strip() for row in table.splitlines() if row.startswith("| ") and "---" not in row]
    spans = spans[-len(metrics.KEYS):]
    by_key = dict(zip(metrics.KEYS, spans, strict=True))
    assert by_key["notify"] in ("50m", "50分")  # 10:30, corrected, is the first regulator notice (aware 09:40)
    history = joined(console.say("alice", script["history"], "general"))
    assert " / ".join(by_key[k] for k in HISTORY_KEYS) in history

    # The PDF shows every column of the clocks table.
    for column in ("clock", "audience", "due", "result", "notified_at", "reference", "citation"):
        assert L[column] in pdf_text, column

    # 30 more virtual days: follow-up reminders add events, and the head the report states still verifies.
    found = re.search(r"(?:#1–#|第 1 至 )(\d+)[^\n]*?([0-9a-f]{64})", md)
    assert found, "the report states its last event and hash"
    seq, head = found.groups()
    later = console.advance(console.clock.now() + timedelta(days=30))
    assert main(["--db", url, "verify", "BR-1", "--upto", seq]) == 0
    assert head in capsys.readouterr().out
    for path in reports.values():
        assert main(["--db", url, "verify", "BR-1", "--report", str(path)]) == 0
    # The closed drill sends nothing more, to anyone.
    assert not [s for s in later if s.op in ("post", "direct", "reply") and ("BR-2" in (s.text or "")
                                                                          or s.room == "breach-2")]
