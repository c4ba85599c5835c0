"""`breachbot outbox` lists what was not delivered and why; `doctor` warns about it; --retry puts it back."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from handlers.cli import main
from storage.db import make_engine
from storage.models import OutboundMessage
from tests.conftest import START, make_console


def test_set_aside_messages_are_listed_warned_about_and_can_be_retried(tmp_path, capsys, monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "WECOM_CORP_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BREACHBOT_DATA_KEY", "x7cYt1r4dTtXnBQvHqUQ8cR0Zp8D2xjv9uF0h3YQm1c=")
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'o.db'}"
    main(["db", "upgrade", "--db", url])
    capsys.readouterr()
    engine = make_engine(url)
    console = make_console(engine)
    console.say("alice", "/breach declare Payroll export leaked")
    assert main(["outbox", "--db", url]) == 0
    assert capsys.readouterr().out.strip() == "Everything was delivered."

    gone = console.chat.rooms.pop("breach-1")  # the war room disappears (archived, deleted)
    console.say("alice", "/breach log the share is closed", "general")
    assert main(["outbox", "--db", url]) == 1
    out = capsys.readouterr().out
    assert "BR-1 console post war room: SET ASIDE since" in out and "channel_not_found" in out
    main(["doctor", "--db", url, "--offline"])
    out = capsys.readouterr().out  # a warning (⚠), not a failure (✗)
    assert "⚠ outbox: 0 messages are waiting to be delivered, 1 set aside" in out
    assert "fix: `breachbot outbox` lists them with the reason" in out

    # An id that is no message, or one not set aside, is refused (exit 1) and nothing is put back.
    assert main(["outbox", "--db", url, "--retry", "99"]) == 1
    assert capsys.readouterr().err.strip() == ("No message #99 in the outbox; `breachbot outbox` lists the set-aside "
                                               "ones with their #id. Nothing was put back.")
    assert main(["outbox", "--db", url, "--retry", "#1"]) == 1
    assert "Message #1 is not set aside: it was delivered." in capsys.readouterr().err

    console.chat.rooms["breach-1"] = gone  # someone unarchives it
    assert main(["outbox", "--db", url, "--retry", "all"]) == 0
    assert "1 message put back" in capsys.readouterr().out
    console.advance(START + timedelta(minutes=1))
    assert [s.text for s in console.chat.sent if s.op == "post"][-1].startswith("📝 Noted by @alice")
    with Session(engine) as s:
        assert {r.state for r in s.exec(select(OutboundMessage))} == {"sent"}


def test_the_command_line_speaks_the_language_of_a_zh_workspace(tmp_path, capsys, monkeypatch):
    """A console run with --lang zh made the only workspace: verify, outbox and --retry answer in Chinese."""
    for name in ("SLACK_BOT_TOKEN", "WECOM_CORP_ID", "BREACHBOT_LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'z.db'}"
    main(["db", "upgrade", "--db", url])
    make_console(make_engine(url), lang="zh").say("alice", "/breach 宣布 工资表泄露")
    capsys.readouterr()
    assert main(["outbox", "--db", url]) == 0
    assert capsys.readouterr().out.strip() == "所有消息均已送达。"
    assert main(["outbox", "--db", url, "--retry", "99"]) == 1
    assert capsys.readouterr().err.strip() == ("发件箱中没有消息 #99；`breachbot outbox` 会列出被搁置的消息及其 #编号。"
                                               "没有放回任何消息。")
    try:
        main(["verify", "BR-9", "--db", url])
    except SystemExit as exc:
        said = str(exc)
    assert said == "数据库中没有事件 BR-9。"
