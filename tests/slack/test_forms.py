"""Forms as Slack really runs them: a draft longer than one box is edited in several boxes and comes back
whole; a field the bot would refuse is answered under that field (`response_action: "errors"`) and the form
stays open with what was typed; nothing is run for a refused form."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from bot import commands
from bot.chat import Context
from handlers.slack.modals import EDIT_MAX, edit_parts
from storage.models import DraftVersion, Incident, TimelineEvent
from tests.slack.conftest import USERS, buttons, make_slack
from tests.slack.fake_slack import TEAM

ALICE, BOB, ERIN = USERS["alice"], USERS["bob"], USERS["erin"]
LETTER = ("Dear client,\n\n" + "".join(
    f"Paragraph {n}: on 28 November we found that a payroll export (bank accounts & tax IDs, "
    f"&amp; not escaped) was readable on a public share. 我们已通知监管机构，第 {n} 段。\n" for n in range(80))
    + "A single line without any line end: " + "x" * 4000 + "\nYours faithfully,\nThe Firm\n")


def declared(slack, fake) -> str:
    slack.slash(ALICE, "declare Payroll export on a public share")
    return fake.channel_named("breach-1").id


def values_of(view: dict, texts: dict[str, str | None] | None = None) -> dict:
    """What Slack sends back for the edit form: every box as shown, unless `texts` says otherwise."""
    values = {}
    for block in view["blocks"]:
        value = (texts or {}).get(block["block_id"], block["element"].get("initial_value"))
        values[block["block_id"]] = {"value": {"type": "plain_text_input", "value": value}}
    return values


def test_a_long_draft_is_edited_in_several_boxes_and_saved_unchanged(slack, fake, sqlite_engine):
    room = declared(slack, fake)
    slack.slash(ALICE, "draft media", channel=room)
    context = Context(workspace=TEAM, user=ALICE, room=room, platform="slack")
    assert slack.bot.handle(context, commands.DraftEdit(number=1, text=LETTER))
    assert len(LETTER) > 13_000

    slack.slash(ALICE, "draft edit D-1", channel=room)
    [opened] = [c for c in fake.calls_to("views.open")]
    assert fake.calls[-1].method == "views.open" and "error" not in json.dumps(fake.responses[-1:])
    view = opened["view"]
    boxes = [b for b in view["blocks"] if b["element"].get("initial_value")]
    assert len(boxes) >= 5 and all(len(b["element"]["initial_value"]) <= EDIT_MAX for b in boxes)
    assert boxes[1]["label"]["text"] == f"D-1 (2/{len(boxes)})"

    slack.submit(ALICE, view, values_of(view), view_id="V0EDIT1")
    with Session(sqlite_engine) as s:
        versions = s.exec(select(DraftVersion).order_by(DraftVersion.version)).all()
    assert versions[-1].text == LETTER  # every character, none cut off

    # A change in the third box and a line written in a spare box: the rest stays as it was.
    slack.slash(ALICE, "draft edit D-1", channel=room)
    view = fake.calls_to("views.open")[-1]["view"]
    third = view["blocks"][2]["element"]["initial_value"]
    spare = view["blocks"][-1]["block_id"]
    slack.submit(ALICE, view, values_of(view, {"text_3": third.replace("Paragraph", "Para", 1),
                                               spare: "P.S. Call us."}), view_id="V0EDIT2")
    with Session(sqlite_engine) as s:
        latest = s.exec(select(DraftVersion).order_by(DraftVersion.version.desc())).first()
    assert latest.text == LETTER.replace(third, third.replace("Paragraph", "Para", 1)) + "P.S. Call us.\n"


def test_boxes_join_back_exactly_wherever_the_text_was_cut():
    for text in (LETTER, "a" * 9001, "\n" * 7000, "line\n" * 1500, "x" * 2999 + "\n" + "y" * 10):
        parts, joins = edit_parts(text)
        assert all(len(p) <= EDIT_MAX for p in parts) and len(joins) == len(parts) - 1
        again = parts[0] + "".join(("\n" if j == "n" else "") + p for j, p in zip(joins, parts[1:], strict=True))
        assert again == text


def test_an_unreadable_time_keeps_the_declare_form_open_with_an_error_under_it(slack, fake, sqlite_engine):
    slack.slash(ALICE, "declare")
    view = fake.calls_to("views.open")[-1]["view"]
    values = {"title": {"value": {"type": "plain_text_input", "value": "Ledgers emailed to the wrong client"}},
              "severity": {"value": {"type": "static_select", "selected_option": {"value": "high"}}},
              "aware": {"value": {"type": "plain_text_input", "value": "around lunch-ish"}}}
    answered = slack.submit(ALICE, view, values)
    body = json.loads(answered.body)
    assert body["response_action"] == "errors" and list(body["errors"]) == ["aware"]
    assert "around lunch-ish" in body["errors"]["aware"] and len(body["errors"]["aware"]) <= 150
    with Session(sqlite_engine) as s:
        assert not s.exec(select(Incident)).all()
    assert not fake.calls_to("conversations.create") and not fake.responses  # no message instead of the form

    values["aware"] = {"value": {"type": "plain_text_input", "value": "2h ago"}}
    assert slack.submit(ALICE, view, values, view_id="V0MODAL2").body == ""
    with Session(sqlite_engine) as s:
        assert len(s.exec(select(Incident)).all()) == 1


def test_every_form_answers_a_bad_field_under_it(slack, fake, sqlite_engine):
    room = declared(slack, fake)

    def refused(view: dict, values: dict) -> dict:
        body = json.loads(slack.submit(ALICE, view, values, view_id=f"V0F{slack.next_id()}").body or "{}")
        assert body.get("response_action") == "errors", body
        return body["errors"]

    slack.slash(ALICE, "close", channel=room)
    close = fake.calls_to("views.open")[-1]["view"]
    assert list(refused(close, {"cause": {"value": {"type": "static_select",
                                                    "selected_option": {"value": "staff_error"}}},
                                "lessons": {"value": {"type": "plain_text_input", "value": "   "}}})) == ["lessons"]

    fake.deactivate(ERIN)
    slack.slash(ALICE, "assign", channel=room)
    assign = fake.calls_to("views.open")[-1]["view"]
    assert list(refused(assign, {"user": {"value": {"type": "users_select", "selected_user": ERIN}},
                                 "role": {"value": {"type": "static_select",
                                                    "selected_option": {"value": "legal"}}}})) == ["user"]

    slack.slash(ALICE, "clients import", channel=room)
    pick = fake.calls_to("views.open")[-1]["view"]
    assert refused(pick, {"file": {"value": {"type": "file_input", "files": []}}}) == {
        "file": "Pick the CSV file of affected clients."}

    slack.slash(ALICE, "draft media", channel=room)
    slack.slash(ALICE, "draft edit D-1", channel=room)
    edit = fake.calls_to("views.open")[-1]["view"]
    assert "empty" in refused(edit, {"text": {"value": {"type": "plain_text_input", "value": "  "}}})["text"]

    button = {"action_id": "snooze", "value": "1:immediate_response:30m", "type": "button",
              "text": {"type": "plain_text", "text": "Snooze 30m"}}
    slack.press(ALICE, button, channel=room, message_ts="1")
    snooze = fake.calls_to("views.open")[-1]["view"]
    assert list(refused(snooze, {"delay": {"value": {"type": "static_select", "selected_option": {"value": "15m"}}},
                                 "reason": {"value": {"type": "plain_text_input", "value": ""}}})) == ["reason"]

    slack.slash(ALICE, 'phase next --reason "go"', channel=room)
    prompt = next(p for p in fake.posted(room) if p["text"].startswith("❓") and "How many people" in p["text"])
    [form] = [b for b in buttons(prompt["blocks"]) if b["value"] == "1:people"]
    slack.press(ALICE, form, channel=room, message_ts="1")
    answer = fake.calls_to("views.open")[-1]["view"]
    assert "CN=1200" in refused(answer, {"value": {"value": {"type": "plain_text_input", "value": "lots"}}})["value"]

    with Session(sqlite_engine) as s:  # none of it reached the bot
        incident = s.exec(select(Incident)).one()
        kinds = {e.kind for e in s.exec(select(TimelineEvent))}
    assert incident.status == "open" and "affected" not in incident.facts
    assert "snoozed" not in kinds and not any(k.startswith("role") and "erin" in k for k in kinds)


def test_a_form_opens_at_once_while_every_listener_thread_waits_out_a_rate_limit(sqlite_engine, fake):
    listeners = ThreadPoolExecutor(max_workers=5)  # Bolt's default pool
    slack = make_slack(sqlite_engine, fake, executor=listeners, forms=ThreadPoolExecutor(max_workers=2))
    fake.rate_limit_responses(times=10, retry_after=1)  # each answer waits 1 s, twice, before it goes
    for _ in range(5):
        slack.slash(ALICE, "help")  # five answers asleep in the SDK's rate-limit retries
    sent = time.monotonic()
    slack.slash(BOB, "declare")
    opened = None
    for _ in range(400):  # poll the fake (no fixed sleep): the form opens well within Slack's 3 seconds
        opened = next((c for c in fake.calls if c.method == "views.open"), None)
        if opened is not None:
            break
        threading.Event().wait(0.005)
    assert opened is not None and opened.at - sent < 1.0, "views.open waited behind the rate-limited listeners"
    listeners.shutdown(wait=True)
    assert fake.calls_to("views.open")[0]["view"]["callback_id"] == "breach_declare"
