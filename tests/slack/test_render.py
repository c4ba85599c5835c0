"""Block Kit rendering: people's text stays text, mentions and rooms are live only when the bot means them."""

from __future__ import annotations

import json

import pytest

from bot.chat import Button, Mention, Message, RoomRef, Strong, Text
from handlers.slack import inbound
from handlers.slack.chat import channel_name, slug
from handlers.slack.render import render

HOSTILE = [
    "<!channel> pay now",
    "<!here|here>",
    "<!everyone>",
    "<@U0BOSS> approved it",
    "<https://evil.example/login|Your bank>",
    "<#C0SECRET|payroll>",
    "<!subteam^S0ALL|@everyone>",
    "a & b <c> d",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_text_written_by_people_never_becomes_markup(hostile):
    rendered = render(Message(lines=((Text("Title: "), Text(hostile)),)))
    shown = rendered.blocks[0]["text"]
    wire = json.dumps({"text": rendered.text, "blocks": rendered.blocks})
    assert "<" not in shown["text"] and ">" not in shown["text"]
    assert "<" not in rendered.text and ">" not in rendered.text
    assert "<!" not in wire and "<@" not in wire and "<#" not in wire and "<http" not in wire
    # Slack shows &lt; &gt; &amp; as the characters the person typed
    restored = shown["text"].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert restored == f"Title: {hostile}"
    assert shown["verbatim"] is True  # a typed @here or #room is not auto-linked either


def test_mentions_and_rooms_the_bot_means_are_live():
    msg = Message(lines=((Text("Assigned "), Mention("U0BOB"), Text(" in "), RoomRef("C0WAR1")),))
    assert render(msg).blocks[0]["text"]["text"] == "Assigned <@U0BOB> in <#C0WAR1>"
    assert render(msg).text == "Assigned <@U0BOB> in <#C0WAR1>"


def test_a_mention_that_is_not_a_slack_id_is_shown_as_text():
    msg = Message(lines=((Mention("!channel"), Text(" "), Mention("bob>"), Text(" "), RoomRef("general")),))
    assert render(msg).blocks[0]["text"]["text"] == "@!channel @bob&gt; #general"


def test_strong_is_bold_and_escaped_inside():
    msg = Message(lines=((Strong("BR-1"), Text(" "), Strong("<!here> x")),))
    assert render(msg).blocks[0]["text"]["text"] == "*BR-1* *&lt;!here&gt; x*"


def test_fields_and_buttons_become_blocks():
    msg = Message(
        lines=((Text("Phase 1"),),),
        fields=(("Lead", (Mention("U0ALICE"),)), ("Note <b>", (Text("<!channel>"),))),
        buttons=(Button("Done 1", "task_done", "1:1.1"), Button("Done 2", "task_done", "1:1.2"),
                 Button("Close", "close", "1", style="danger", confirm="Close BR-1 for good?")),
    )
    blocks = render(msg).blocks
    assert [b["type"] for b in blocks] == ["section", "section", "actions"]
    assert [f["text"] for f in blocks[1]["fields"]] == ["*Lead*\n<@U0ALICE>", "*Note &lt;b&gt;*\n&lt;!channel&gt;"]
    done1, done2, close = blocks[2]["elements"]
    # Block Kit rejects repeated action ids in a block: repeats get a suffix the listeners ignore
    assert (done1["action_id"], done1["value"]) == ("task_done:1", "1:1.1")
    assert (done2["action_id"], done2["value"]) == ("task_done:2", "1:1.2")
    assert inbound.button_command(done2["action_id"], done2["value"]).task == "1.2"
    assert close["action_id"] == "close" and close["style"] == "danger"
    assert close["confirm"]["text"] == {"type": "plain_text", "text": "Close BR-1 for good?", "emoji": True}
    assert close["confirm"]["deny"]["text"] == "Cancel" and close["confirm"]["confirm"]["text"] == "Close"


def test_confirm_dialog_speaks_the_workspace_language():
    msg = Message(buttons=(Button("结案", "close", "1", confirm="确定结案？"),))
    assert render(msg, lang="zh").blocks[0]["elements"][0]["confirm"]["deny"]["text"] == "取消"


def test_long_messages_are_split_within_slack_limits():
    msg = Message(lines=tuple((Text("x" * 900 + f" {i}"),) for i in range(10)))
    sections = render(msg).blocks
    assert len(sections) > 1 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert "".join(b["text"]["text"] for b in sections).count("x") == 9000
    assert len(render(msg).text) <= 4000


@pytest.mark.parametrize(("typed", "meant"), [
    ("declare Leak &lt;b&gt; &amp; more", "declare Leak <b> & more"),
    ("log told <!channel> at once", "log told @channel at once"),
    ("log <!subteam^S0IT|@it-team> on it", "log @it-team on it"),
    ("log see <#C0GENERAL|general>", "log see #general"),
    ("log link <https://evil.example|bank>", "log link https://evil.example"),
    ("assign <@U0BOB|bob> it_security", "assign <@U0BOB|bob> it_security"),
    ("log literal &lt;@U0BOSS&gt;", "log literal <@U0BOSS>"),
])
def test_slash_text_is_read_as_the_person_meant_it(typed, meant):
    assert inbound.command_text(typed) == meant


@pytest.mark.parametrize(("title", "name"), [
    ("Payroll export for 40 clients found on a public file share", "breach-1-payroll-export-for-40"),
    ("Café ledgers: leaked!", "breach-1-cafe-ledgers-leaked"),
    ("工资表在公共网盘泄露", "breach-1"),
    ("Supercalifragilisticexpialidocious-everything", "breach-1-supercalifragilisticexpi"),
])
def test_war_room_names_are_short_ascii_slugs(title, name):
    assert channel_name("breach-1", title) == name
    assert len(slug(title)) <= 24


def test_the_declare_modal_speaks_chinese_in_a_chinese_workspace():
    from handlers.slack.modals import Origin, declare_view

    view = declare_view(lang="zh", severities=["low", "high"], default_severity="high", origin=Origin("C0GENERAL"))
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == ("宣布数据泄露", "宣布", "取消")
    assert [b["label"]["text"] for b in view["blocks"]][:2] == ["发生了什么", "严重程度"]
    assert view["blocks"][1]["element"]["initial_option"]["value"] == "high"


def test_snooze_and_approve_buttons_come_back_as_commands():
    from bot import commands
    from handlers.slack.inbound import SNOOZE_REASON, button_command

    assert button_command("snooze", "3:containment:30m") == commands.Snooze(
        phase="containment", duration="30m", reason=SNOOZE_REASON, incident=3)
    assert button_command("approve:2", "3:7") == commands.Approve(number=7, incident=3)
    assert button_command("approve", "nonsense") is None
