"""Buttons, the assign modal with its user picker, and App Home, through Bolt."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from storage.models import Incident, PhaseState, RoleAssignment, TaskState
from tests.slack.conftest import GENERAL, USERS, blocks_text, buttons, make_slack

ALICE, BOB = USERS["alice"], USERS["bob"]
TITLE = "Payroll export for 40 clients found on a public file share"


def declared(slack, fake) -> str:
    slack.slash(ALICE, f"declare {TITLE} --severity high")
    return fake.channel_named("breach-1").id


def prompt_of(fake, room: str, phase: str) -> dict:
    """The last phase prompt posted for `phase`, with its ts."""
    posts = [p for p in fake.posted(room) if f"*{phase}*" in p["text"] and buttons(p["blocks"])]
    ts = next(ts for (channel, ts), m in reversed(fake.messages.items())
              if channel == room and m["text"] == posts[-1]["text"])
    return {**posts[-1], "ts": ts}


def test_done_buttons_mark_tasks_and_next_phase_moves_on(slack, fake, sqlite_engine):
    room = declared(slack, fake)
    prompt = prompt_of(fake, room, "Immediate response")
    done = [b for b in buttons(prompt["blocks"]) if b["action_id"].startswith("task_done")]
    assert [(b["text"]["text"], b["value"]) for b in done] == [("Done 1", "1:1.1"), ("Done 2", "1:1.2"),
                                                               ("Done 3", "1:1.3")]
    next_phase = next(b for b in buttons(prompt["blocks"]) if b["action_id"] == "phase_next")

    assert slack.press(ALICE, done[0], channel=room, message_ts=prompt["ts"]).status == 200
    assert "☑️ <@U0ALICE> did: Assemble the team: IT security, legal, management (Immediate response)" in [
        p["text"] for p in fake.posted(room)]
    status_ts = fake.channel_named("breach-1").pins[0]
    assert fake.calls_to("chat.update")[-1]["ts"] == status_ts  # the one living status message

    slack.press(ALICE, next_phase, channel=room, message_ts=prompt["ts"])
    where, refusal = fake.responses[-1]
    assert where.startswith("button") and refusal["response_type"] == "ephemeral"
    assert refusal["text"].startswith("Immediate response still has 2 open tasks")

    for button in done[1:]:
        slack.press(ALICE, button, channel=room, message_ts=prompt["ts"])
    slack.press(ALICE, next_phase, channel=room, message_ts=prompt["ts"])

    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
        done_tasks = {(t.phase_key, t.position) for t in s.exec(select(TaskState).where(TaskState.done_by == ALICE))}
        first = s.exec(select(PhaseState).where(PhaseState.key == "immediate_response")).one()
    assert incident.current_phase == "investigation" and first.completed_at is not None
    assert done_tasks == {("immediate_response", 1), ("immediate_response", 2), ("immediate_response", 3)}
    assert prompt_of(fake, room, "Preliminary investigation")["text"].startswith("▶️ BR-1 phase 2/10")
    status = fake.messages[(room, status_ts)]
    assert "phase 2/10 Preliminary investigation" in status["text"]
    assert fake.channel_named("breach-1").topic.startswith("BR-1 · high · phase 2/10 Preliminary investigation")
    assert len(fake.channel_named("breach-1").pins) == 1


def test_a_button_on_a_closed_incident_tells_the_person_and_changes_nothing(slack, fake, sqlite_engine):
    room = declared(slack, fake)
    prompt = prompt_of(fake, room, "Immediate response")
    slack.slash(ALICE, 'close --cause staff_error --lessons "Shares must not be public" --confirm', channel=room)
    slack.press(ALICE, buttons(prompt["blocks"])[0], channel=room, message_ts=prompt["ts"])

    assert fake.responses[-1][1]["text"] == "BR-1 is closed; it can be read but no longer changed."
    with Session(sqlite_engine) as s:
        assert s.exec(select(TaskState).where(TaskState.done_at.is_not(None))).all() == []


def test_assign_opens_a_user_picker_and_gives_the_role(slack, fake, sqlite_engine):
    room = declared(slack, fake)
    slack.slash(ALICE, "assign", channel=room)

    view = fake.calls_to("views.open")[-1]["view"]
    assert view["callback_id"] == "breach_assign"
    picker, role = view["blocks"]
    assert picker["element"]["type"] == "users_select"
    assert {"text": {"type": "plain_text", "text": "IT security (it_security)", "emoji": True},
            "value": "it_security"} in role["element"]["options"]

    slack.submit(ALICE, view, {"user": {"value": {"type": "users_select", "selected_user": BOB}},
                               "role": {"value": {"type": "static_select",
                                                  "selected_option": {"value": "it_security"}}}})
    with Session(sqlite_engine) as s:
        holders = {a.role: a.user for a in s.exec(select(RoleAssignment).where(RoleAssignment.ended_at.is_(None)))}
    assert holders == {"lead": ALICE, "it_security": BOB}
    assert BOB in fake.channel_named("breach-1").members
    assert "👤 <@U0BOB> is now IT security (assigned by <@U0ALICE>)." in [p["text"] for p in fake.posted(room)]


def test_only_the_lead_may_assign_from_the_picker(slack, fake, sqlite_engine):
    room = declared(slack, fake)
    slack.slash(BOB, "assign", channel=room)
    view = fake.calls_to("views.open")[-1]["view"]
    slack.submit(BOB, view, {"user": {"value": {"selected_user": BOB}},
                             "role": {"value": {"selected_option": {"value": "lead"}}}}, view_id="V0BOB")
    assert fake.responses[-1][1]["text"] == "Only Incident lead <@U0ALICE> may give roles here."
    with Session(sqlite_engine) as s:
        lead = s.exec(select(RoleAssignment).where(RoleAssignment.role == "lead")).one()
    assert lead.user == ALICE


def test_app_home_lists_open_incidents_with_phase_and_next_deadline(slack, fake):
    slack.event({"type": "app_home_opened", "user": ALICE, "channel": "D0ALICE", "tab": "home"}, event_id="Ev0")
    [empty] = fake.calls_to("views.publish")
    assert blocks_text(empty["view"]["blocks"]) == "No open incidents. Declare one with /breach declare &lt;what happened&gt;."

    room = declared(slack, fake)
    slack.event({"type": "app_home_opened", "user": ALICE, "channel": "D0ALICE", "tab": "home"}, event_id="Ev1")
    home = fake.calls_to("views.publish")[-1]
    assert home["user_id"] == ALICE and home["view"]["type"] == "home"
    assert blocks_text(home["view"]["blocks"]) == (
        "Open incidents: 1\n*BR-1* · high · Payroll export for 40 clients found on a public file share · "
        f"phase 1/10 Immediate response · next due 11:05, in 1h 00m · <#{room}>")


def test_declare_from_a_direct_message_answers_there(slack, fake):
    slack.slash(ALICE, f"declare {TITLE}", channel="D0ALICE")
    room = fake.channel_named("breach-1").id
    where, announce = fake.responses[-1]
    assert announce["response_type"] == "in_channel" and f"private war room <#{room}>" in announce["text"]
    assert GENERAL not in [p["channel"] for p in fake.posted()]


def test_an_answer_button_records_the_fact(slack, fake, sqlite_engine):
    room = declared(slack, fake)
    question = next(p for p in fake.posted(room) if p["text"].startswith("❓")
                    and any(b["action_id"].startswith("answer") for b in buttons(p["blocks"])))
    choice = buttons(question["blocks"])[0]
    number, key, value = choice["value"].split(":")
    assert number == "1"
    ts = next(t for (channel, t), m in fake.messages.items() if channel == room and m["text"] == question["text"])
    slack.press(ALICE, choice, channel=room, message_ts=ts,
                message={"text": question["text"], "blocks": question["blocks"]})
    # The prompt itself now says who answered what in place of that question's buttons; the other
    # question of the message keeps its own.
    shown = fake.messages[(room, ts)]
    blocks = shown["blocks"] if isinstance(shown["blocks"], list) else json.loads(shown["blocks"])
    assert [b["value"] for b in buttons(blocks)] == ["1:aware"]
    assert [b["type"] for b in blocks] == ["section", "context", "section", "actions"]
    assert blocks[1]["elements"][0]["text"] == f"✅ <@{ALICE}> answered: {choice['text']['text']}"

    fact = slack.bot.playbook.question(key).sets
    with Session(sqlite_engine) as s:
        assert s.exec(select(Incident)).one().facts[fact] == value
    said = [p["text"] for p in fake.posted(room)]
    assert any(t.startswith(f"✅ <@{ALICE}> answered {key} (") and t.endswith(f"): {choice['text']['text']}")
               for t in said), said[-3:]


def test_a_draft_is_edited_in_a_modal_with_its_current_text(slack, fake, sqlite_engine):
    from storage.models import DraftVersion

    room = declared(slack, fake)
    slack.slash(ALICE, "draft media", channel=room)
    slack.slash(ALICE, "draft edit D-1", channel=room)
    view = fake.calls_to("views.open")[-1]["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "breach_draft_edit"
    [box] = view["blocks"]
    assert box["element"]["multiline"] is True and box["element"]["initial_value"].startswith("Holding statement")
    slack.submit(ALICE, view, {"text": {"value": {"type": "plain_text_input",
                                                  "value": "Holding statement\nWe are investigating."}}})
    with Session(sqlite_engine) as s:
        versions = s.exec(select(DraftVersion).order_by(DraftVersion.version)).all()
    assert [(v.version, v.status) for v in versions] == [(1, "superseded"), (2, "draft")]
    assert versions[1].text == "Holding statement\nWe are investigating.\n"
    slack.slash(ALICE, "draft edit D-9", channel=room)
    assert fake.responses[-1][1]["text"] == "There is no draft D-9 in BR-1. /breach drafts lists them."


def test_clients_are_imported_from_a_csv_picked_in_a_form(slack, fake, sqlite_engine):
    from storage.models import Client

    room = declared(slack, fake)
    slack.slash(ALICE, "clients import", channel=room)
    view = fake.calls_to("views.open")[-1]["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "breach_clients_import"
    assert view["blocks"][0]["element"]["type"] == "file_input"
    rows = "name,type,contact,language,residence,data\n" + "".join(
        f"Client {i},individual,c{i}@example.com,en,US-CA,bank_account\n" for i in range(500))
    shared = fake.share_file("clients.csv", rows.encode("utf-8"))
    slack.submit(ALICE, view, {"file": {"value": {"type": "file_input", "files": [shared]}}})
    with Session(sqlite_engine) as s:
        stored = s.exec(select(Client)).all()
    assert len(stored) == 500 and all("@" not in c.contact_encrypted for c in stored)
    said = [p["text"] for p in fake.posted(room)]
    assert any(t.startswith(f"📇 <@{ALICE}> imported 500 affected clients") for t in said)
    assert not any("example.com" in t for t in said)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_register_over_20_mb_or_one_slack_will_not_give_is_refused_in_the_firms_language(sqlite_engine, fake,
                                                                                           lang):
    from storage.models import Client

    slack = make_slack(sqlite_engine, fake, lang=lang)
    slack.slash(ALICE, f"declare {TITLE}")
    room = fake.channel_named("breach-1").id
    slack.slash(ALICE, "clients import" if lang == "en" else "客户 导入", channel=room)
    view = fake.calls_to("views.open")[-1]["view"]
    view = json.loads(view) if isinstance(view, str) else view
    big = fake.share_file("clients.csv", b"name,type,contact\n" + b"x" * (20 * 1024 * 1024))
    slack.submit(ALICE, view, {"file": {"value": {"type": "file_input", "files": [big]}}}, view_id="V0BIG")
    too_big = fake.responses[-1][1]["text"]
    gone = {**fake.share_file("old.csv", b""), "url_private_download": f"{fake.url}/files/F999999"}
    slack.submit(ALICE, view, {"file": {"value": {"type": "file_input", "files": [gone]}}}, view_id="V0GONE")
    unread = fake.responses[-1][1]["text"]
    if lang == "en":
        assert too_big == ("clients.csv is larger than 20 MB, more than a client register needs: split it into "
                           "CSV files under 20 MB and import each (/breach clients import).")
        assert unread == ("old.csv could not be read from Slack (HTTP 404): pick the file again "
                          "and submit the form, or upload it with /breach clients import.")
    else:
        assert too_big == ("clients.csv 超过 20 MB，客户名单用不了这么大：请拆成几个小于 20 MB 的 CSV 文件，"
                           "分别导入（/breach 客户 导入）。")
        assert unread == ("无法从 Slack 读取 old.csv（HTTP 404）：请重新选择文件并提交表单，"
                          "或用 /breach 客户 导入 上传。")
    with Session(sqlite_engine) as s:
        assert s.exec(select(Client)).all() == []  # nothing imported


def test_close_is_a_form_the_lead_submits_on_purpose(slack, fake, sqlite_engine):
    room = declared(slack, fake)
    slack.slash(ALICE, "close", channel=room)
    view = fake.calls_to("views.open")[-1]["view"]
    assert view["callback_id"] == "breach_close"
    values = {"cause": {"value": {"type": "static_select", "selected_option": {"value": "staff_error"}}},
              "lessons": {"value": {"type": "plain_text_input", "value": "Shares must not be public"}}}
    slack.submit(BOB, view, values, view_id="V0CLOSE1")
    assert fake.responses[-1][1]["text"] == "Only Incident lead <@U0ALICE> may close the incident here."
    # The lead's submission says what is still open and closes nothing until confirmed.
    slack.submit(ALICE, view, values, view_id="V0CLOSE2")
    said = fake.responses[-1][1]["text"]
    assert said.startswith("⚠️ BR-1 is not closed yet.") and "3 open tasks" in said
    assert said.endswith('/breach close BR-1 --cause staff_error --lessons "Shares must not be public" --confirm')
    with Session(sqlite_engine) as s:
        assert s.exec(select(Incident)).one().status == "open"
    slack.slash(ALICE, 'close BR-1 --cause staff_error --lessons "Shares must not be public" --confirm', channel=room)
    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
    assert (incident.status, incident.cause, incident.lessons) == ("closed", "staff_error", "Shares must not be public")


def test_the_snooze_button_asks_why_then_puts_the_reminder_off(slack, fake, sqlite_engine):
    from storage.models import TimelineEvent

    room = declared(slack, fake)
    button = {"action_id": "snooze", "value": "1:immediate_response:30m", "type": "button",
              "text": {"type": "plain_text", "text": "Snooze 30m"}}
    slack.press(ALICE, button, channel=ALICE, message_ts="1")
    view = fake.calls_to("views.open")[-1]["view"]
    assert view["callback_id"] == "breach_snooze"
    slack.submit(ALICE, view, {"delay": {"value": {"type": "static_select", "selected_option": {"value": "15m"}}},
                               "reason": {"value": {"type": "plain_text_input", "value": "on the phone with IT"}}},
                 view_id="V0SNOOZE")
    with Session(sqlite_engine) as s:
        snoozed = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "snoozed")).one()
    assert snoozed.data["reason"] == "on the phone with IT" and snoozed.data["phase"] == "immediate_response"
    assert any("put off the reminder for Immediate response" in p["text"] for p in fake.posted(room))


def test_a_count_is_answered_in_a_small_form_from_the_prompt(slack, fake, sqlite_engine):
    room = declared(slack, fake)
    slack.slash(ALICE, 'phase next --reason "go"', channel=room)
    prompt = next(p for p in fake.posted(room) if p["text"].startswith("❓") and "How many people" in p["text"])
    [button] = [b for b in buttons(prompt["blocks"]) if b["value"] == "1:people"]
    assert button["action_id"].startswith("answer_form")
    slack.press(BOB, button, channel=room, message_ts="1")
    view = fake.calls_to("views.open")[-1]["view"]
    assert view["callback_id"] == "breach_answer"
    assert "CN=1200 US-CA=40" in json.dumps(view, ensure_ascii=False)  # the hint says what to type
    slack.submit(BOB, view, {"value": {"value": {"type": "plain_text_input", "value": "CN=1200 US-CA=40"}}},
                 view_id="V0ANSWER")
    with Session(sqlite_engine) as s:
        assert s.exec(select(Incident)).one().facts["affected"] == {"CN": 1200, "US-CA": 40}
    assert any("now applies" in p["text"] and "PIPL: personal information leak" in p["text"] for p in fake.posted(room))


def test_prompts_and_commands_reach_the_same_facts_and_clocks_on_slack(slack, fake, sqlite_engine):
    from bot.law import clocks

    def prompt(room: str, words: str) -> dict:
        return next(p for p in fake.posted(room) if p["text"].startswith("❓") and words in p["text"])

    def form(room: str, words: str, value: str, view_id: str) -> None:
        key = {"Which data categories": "data", "How many people": "people"}[words]
        [button] = [b for b in buttons(prompt(room, words)["blocks"]) if b["value"] == f"1:{key}"]
        slack.press(BOB, button, channel=room, message_ts="1")
        slack.submit(BOB, fake.calls_to("views.open")[-1]["view"],
                     {"value": {"value": {"type": "plain_text_input", "value": value}}}, view_id=view_id)

    slack.slash(ALICE, "declare Payroll export leaked")
    by_prompts = fake.channel_named("breach-1").id
    slack.slash(ALICE, 'phase next --reason "go"', channel=by_prompts)
    form(by_prompts, "Which data categories", "3,8", "V1")
    form(by_prompts, "How many people", "CN=1200 US-CA=40", "V2")
    [no] = [b for b in buttons(prompt(by_prompts, "Was the leaked data encrypted")["blocks"])
            if b.get("value", "") == "1:encrypted:no"]
    slack.press(BOB, no, channel=by_prompts, message_ts="2")

    slack.slash(ALICE, "declare Payroll export leaked --data bank_account,payroll --new")  # the same, on purpose
    by_commands = fake.channel_named("breach-2").id
    slack.slash(ALICE, 'phase next --reason "go"', channel=by_commands)
    slack.slash(BOB, "affected CN=1200 US-CA=40", channel=by_commands)
    slack.slash(BOB, "facts --encrypted no", channel=by_commands)

    with Session(sqlite_engine) as s:
        first, second = s.exec(select(Incident).order_by(Incident.number)).all()
        assert {**first.facts, "data": sorted(first.facts["data"])} == {**second.facts,
                                                                          "data": sorted(second.facts["data"])}
        due = [{r.result.clock_id: (r.status, r.result.due_at) for r in clocks.rows(
            s, incident=i, book=slack.bot.regimes, firm_profile=frozenset(), now=slack.bot.now())}
            for i in (first, second)]
    assert due[0] == due[1] and due[0]["us-ca-1798-82/residents"][0] == "pending"


def test_a_refused_answer_keeps_the_buttons_and_says_why(slack, fake, sqlite_engine):
    # a closed drill takes no answer (a real incident's notices still owed take some after close)
    slack.slash(ALICE, f"declare {TITLE} --severity high --drill")
    room = fake.channel_named("breach-1").id
    question = next(p for p in fake.posted(room) if "❓" in p["text"][:12]
                    and any(b["action_id"].startswith("answer") for b in buttons(p["blocks"])))
    ts = next(t for (channel, t), m in fake.messages.items() if channel == room and m["text"] == question["text"])
    slack.slash(ALICE, "close --cause staff_error --lessons 'Shares must not be public' --confirm", channel=room)
    with Session(sqlite_engine) as s:
        assert s.exec(select(Incident)).one().status == "closed"
    updates = len(fake.calls_to("chat.update"))

    choice = buttons(question["blocks"])[0]
    slack.press(ALICE, choice, channel=room, message_ts=ts,
                message={"text": question["text"], "blocks": question["blocks"]})

    shown = fake.messages[(room, ts)]
    blocks = shown["blocks"] if isinstance(shown["blocks"], list) else json.loads(shown["blocks"])
    assert [b["value"] for b in buttons(blocks)] == [b["value"] for b in buttons(question["blocks"])]
    assert "answered" not in json.dumps(blocks)
    assert len(fake.calls_to("chat.update")) == updates  # the prompt was left as it was
    where, told = fake.responses[-1]
    assert where.startswith("button") and "closed" in told["text"]
