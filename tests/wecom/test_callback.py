"""/wecom/callback as WeCom calls it: URL check, signatures, replays, bad XML, answering first."""

from __future__ import annotations

import hashlib
import threading
from urllib.parse import urlencode

from sqlalchemy import func
from sqlmodel import Session, select
from wechatpy.enterprise.crypto import PrpCrypto

from storage.models import Incident, TimelineEvent, Workspace
from tests.wecom.conftest import AES_KEY, CORP_ID, TOKEN, WeComSide


def signature(*parts: str) -> str:
    """WeCom's msg_signature: sha1 of the token, timestamp, nonce and ciphertext, sorted."""
    return hashlib.sha1("".join(sorted((TOKEN, *parts))).encode()).hexdigest()


def stored(side: WeComSide) -> tuple[int, int, int]:
    """Workspaces, incidents and timeline events in the database."""
    with Session(side.bot.engine) as s:
        return tuple(s.exec(select(func.count()).select_from(model)).one()  # type: ignore[return-value]
                     for model in (Workspace, Incident, TimelineEvent))


def test_url_verification_answers_the_decrypted_echostr(wecom_quick: WeComSide):
    import base64

    key = base64.b64decode(AES_KEY + "=")
    echostr = PrpCrypto(key).encrypt("5927782489442352469", CORP_ID).decode()
    query = {"msg_signature": signature("1764295500", "xyz", echostr), "timestamp": "1764295500", "nonce": "xyz",
             "echostr": echostr}
    answer = wecom_quick.http.get("/wecom/callback?" + urlencode(query))
    assert (answer.status_code, answer.data) == (200, b"5927782489442352469")

    query["msg_signature"] = signature("1764295500", "xyz", echostr + "A")
    refused = wecom_quick.http.get("/wecom/callback?" + urlencode(query))
    assert (refused.status_code, refused.data) == (403, b"")
    assert wecom_quick.http.get("/wecom/callback?echostr=abc").status_code == 400


def test_a_tampered_signature_is_refused_and_changes_nothing(wecom: WeComSide):
    query, body = wecom.seal(wecom.message_xml("alice", "/breach declare 工资表泄露"))
    before = stored(wecom)
    forged = query.replace("msg_signature=", "msg_signature=0")
    answer = wecom.post(forged, body)
    other_body = wecom.post(query, body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[x"))
    wecom.endpoint.drain()
    assert (answer.status_code, answer.data) == (403, b"")
    assert other_body.status_code == 403
    assert stored(wecom) == before
    assert wecom.fake.calls == []


def test_a_replayed_message_is_handled_once(wecom: WeComSide):
    declare = wecom.seal(wecom.message_xml("alice", "/breach declare 工资表泄露", msg_id=11))
    assert wecom.post(*declare).status_code == 200
    wecom.endpoint.drain()
    after_first = (stored(wecom), len(wecom.fake.calls))

    # WeCom retries the same MsgId when it thinks we were slow: same answer, nothing new.
    again = wecom.post(*declare)
    wecom.endpoint.drain()
    assert (again.status_code, again.data) == (200, b"")
    assert (stored(wecom), len(wecom.fake.calls)) == after_first

    note = wecom.seal(wecom.message_xml("alice", "记录 已通知银行", msg_id=12))
    for _ in range(3):
        assert wecom.post(*note).status_code == 200
    wecom.endpoint.drain()
    with Session(wecom.bot.engine) as s:
        notes = s.exec(select(TimelineEvent.text).where(TimelineEvent.kind == "note")).all()
    assert notes == ["已通知银行"]
    # Alone in a deferred war room, alice gets the reply and the room's line, once each.
    assert wecom.fake.messages_to("alice")[-2:] == ["已写入 BR-1 时间线，编号 #6。",
                                                    "📝 @alice 的记录已写入 BR-1 时间线（#6）。"]


def test_malformed_xml_is_a_400_and_changes_nothing(wecom: WeComSide):
    query, _ = wecom.seal(wecom.message_xml("alice", "/breach declare 工资表泄露"))
    before = stored(wecom)
    for body in (b"<xml><Encrypt>not closed", b"", b"<xml><ToUserName>x</ToUserName></xml>", b"\xff\xfe<<"):
        answer = wecom.post(query, body)
        assert (answer.status_code, answer.data) == (400, b""), body
    # Signed and encrypted by WeCom's key, but what is inside is not a message.
    inside = wecom.seal("<xml><FromUserName>alice</FromUserName><MsgType>text")
    assert wecom.post(*inside).status_code == 400
    assert wecom.post("timestamp=1&nonce=2", b"<xml/>").status_code == 400  # no signature at all
    wecom.endpoint.drain()
    assert stored(wecom) == before
    assert wecom.fake.calls == []


def test_the_answer_comes_before_the_work(wecom_quick: WeComSide):
    gate = threading.Event()
    wecom_quick.endpoint.worker.submit(gate.wait)  # the worker is busy with someone else
    answer = wecom_quick.send("alice", "宣布 工资表泄露 --severity high")
    assert (answer.status_code, answer.data) == (200, b"")
    assert stored(wecom_quick)[1] == 0 and wecom_quick.fake.calls == []
    gate.set()
    wecom_quick.endpoint.drain()
    assert stored(wecom_quick)[1] == 1
    assert wecom_quick.fake.messages_to("alice")[1].startswith("🚨 @alice 宣布了 **BR-1**。应急小组在私密应急群")


def test_events_and_other_apps_are_ignored_pictures_get_help(wecom_quick: WeComSide):
    enter = (f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>alice</FromUserName><CreateTime>1</CreateTime>"
             "<MsgType>event</MsgType><Event>enter_agent</Event><EventKey></EventKey><AgentID>1000002</AgentID></xml>")
    assert wecom_quick.post(*wecom_quick.seal(enter)).status_code == 200
    other_app = wecom_quick.message_xml("alice", "状态").replace("<AgentID>1000002<", "<AgentID>1000009<")
    assert wecom_quick.post(*wecom_quick.seal(other_app)).status_code == 200
    wecom_quick.endpoint.drain()
    assert wecom_quick.fake.calls == []

    picture = wecom_quick.message_xml("alice", "", kind="image")
    assert wecom_quick.post(*wecom_quick.seal(picture)).status_code == 200
    wecom_quick.endpoint.drain()
    help_text = "\n".join(wecom_quick.fake.messages_to("alice"))  # long help is split under WeCom's size limit
    assert "/breach 宣布" in help_text and "宣布" not in stored_titles(wecom_quick)


def stored_titles(side: WeComSide) -> list[str]:
    with Session(side.bot.engine) as s:
        return list(s.exec(select(Incident.title)).all())
