"""SlackChat on its own against the fake Web API, and what the team sees when Slack fails mid-command."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.chat import Context, DeliveryError, Message, Upload
from handlers.slack.chat import SlackChat, make_outbox_client
from storage.models import RoleAssignment
from tests.slack.conftest import GENERAL, USERS, slack_settings

ALICE, BOB = USERS["alice"], USERS["bob"]


@pytest.fixture
def chat(fake) -> SlackChat:
    return SlackChat(make_outbox_client(slack_settings(fake)))


def test_every_call_goes_to_the_configured_api_url_with_the_bot_token(chat, fake):
    ref = chat.post(room=GENERAL, message=Message.plain("hello"))
    assert ref.room == GENERAL
    assert fake.calls[-1].method == "chat.postMessage" and fake.calls[-1].token == "xoxb-1-test"
    assert fake.messages[(GENERAL, ref.id)]["text"] == "hello"


def test_upload_shares_the_file_in_the_room(chat, fake):
    link = chat.upload(room="C0WAR1", upload=Upload("BR-1.md", b"# BR-1 report", title="BR-1 report"))
    [file_id] = fake.uploads
    assert fake.uploads[file_id] == b"# BR-1 report"
    assert fake.calls_to("files.getUploadURLExternal")[0] == {"filename": "BR-1.md", "length": "13"}
    done = fake.calls_to("files.completeUploadExternal")[0]
    assert done["channel_id"] == "C0WAR1" and "BR-1 report" in str(done["files"])
    assert link == f"https://firm.slack.com/files/U0BOT/{file_id}"


def test_display_names_come_from_slack_and_unknown_people_keep_their_id(chat, fake):
    assert chat.display_name(BOB) == "Bob"
    assert chat.display_name(BOB) == "Bob"
    assert chat.display_name("U0GONE") == "U0GONE"
    assert [p["user"] for p in fake.calls_to("users.info")] == [BOB, "U0GONE"]  # names are remembered


def test_a_reply_where_the_bot_cannot_whisper_goes_to_a_direct_message(chat, fake):
    fake.fail("chat.postEphemeral", "channel_not_found")
    chat.reply(context=Context(workspace="T0FIRM", user=ALICE, room="C0ELSEWHERE", platform="slack"),
               message=Message.plain("Only you can see this"))
    assert fake.calls_to("conversations.open") == []
    assert fake.posted(ALICE)[0]["text"] == "Only you can see this"


def test_an_expired_response_url_falls_back_to_the_web_api(chat, fake):
    context = Context(workspace="T0FIRM", user=ALICE, room=GENERAL, platform="slack", delivery_id="slash:t1")
    with chat.responding("slash:t1", fake.response_url("expired")):
        chat.reply(context=context, message=Message.plain("Recorded."))
    assert fake.calls_to("chat.postEphemeral")[0]["text"] == "Recorded."


def test_other_slack_errors_are_raised_for_the_bot_to_report_with_their_kind(chat, fake):
    fake.fail("conversations.invite", "user_is_restricted")
    with pytest.raises(DeliveryError) as refused:
        chat.invite(room="C0WAR1", users=[BOB])
    assert (refused.value.code, refused.value.permanent, refused.value.subject) == ("user_is_restricted", True, "user")
    fake.fail("chat.postMessage", "ratelimited", status=429, retry_after=20)
    with pytest.raises(DeliveryError) as limited:
        chat.post(room="C0WAR1", message=Message.plain("hello"))
    assert (limited.value.permanent, limited.value.retry_after) == (False, 20.0)
    fake.fail("chat.postMessage", "internal_error", status=500)
    with pytest.raises(DeliveryError) as down:
        chat.post(room="C0WAR1", message=Message.plain("hello"))
    assert down.value.permanent is False
    fake.fail("conversations.invite", "already_in_channel")
    chat.invite(room="C0WAR1", users=[BOB])  # being there already is what was wanted


def test_a_status_update_slack_refuses_is_reported_and_the_change_stands(slack, fake, sqlite_engine):
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    fake.fail("chat.update", "restricted_action")  # (a deleted status is posted again: test_status_topic.py)
    slack.slash(ALICE, "assign <@U0BOB|bob> it_security", channel=room)

    with Session(sqlite_engine) as s:
        holder = s.exec(select(RoleAssignment).where(RoleAssignment.role == "it_security")).one()
    assert holder.user == BOB
    where, told = fake.responses[-1]
    assert told["response_type"] == "ephemeral"
    assert told["text"].startswith("Saved, but some things could not be done: updating the status:")
    assert "restricted_action" in told["text"]
