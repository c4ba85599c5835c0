"""A WeCom firm loads its client register: a WeCom app never receives a file (its callbacks carry text, images,
voice, video, locations and links), so `客户 导入` answers the asker alone with a signed upload link, and the form
`breachbot serve` serves behind it runs the same import as a Slack file, telling the war room the same way.

Everything goes through the real entry points: wechatpy-encrypted callbacks, and multipart POSTs to the Flask app
behind the edge's own body limit (handlers/edge.py BodyLimit)."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.statements.clients import MAX_CSV
from handlers.edge import MAX_BODY, UPLOAD_BODY, BodyLimit
from handlers.page import register as register_pages
from storage.models import Client, TimelineEvent
from tests.test_zh_first import CSV
from tests.test_zh_wording import latin_words
from tests.wecom.conftest import WeComSide, make_wecom

ROSTER = {"it_security": ["bob"]}  # someone besides the declarer: the war room is an app group chat
LINK = re.compile(r"https?://[^/\s]+(/incidents/BR-(\d+)/clients/upload\?k=\S+)")
ASK = {"zh": ("宣布 工资表泄露", "客户 导入"), "en": ("/breach declare Payroll leak", "/breach clients import")}


def serve_pages(side: WeComSide) -> None:
    """The side's Flask app as `breachbot serve` builds it: the pages beside the callback, behind the edge."""
    register_pages(side.app, settings=side.bot.settings, engine=side.bot.engine, clock=side.clock, bots=[side.bot])
    side.app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    side.app.wsgi_app = BodyLimit(side.app.wsgi_app)  # type: ignore[method-assign]


@pytest.fixture
def upload_side(sqlite_engine, fake_wecom):
    def make(lang: str = "zh") -> WeComSide:
        side = make_wecom(sqlite_engine, fake_wecom, lang=lang, roster=ROSTER)
        serve_pages(side)
        made.append(side)
        return side

    made: list[WeComSide] = []
    yield make
    for side in made:
        side.endpoint.worker.stop()


def ask_link(side: WeComSide, user: str, typed: str) -> str:
    """`user` types `typed` to the app; the path and query of the upload link the app answered them with."""
    side.say(user, typed)
    found = LINK.search(side.fake.messages_to(user)[-1])
    assert found, side.fake.messages_to(user)[-1]
    return found[1]


def post(side: WeComSide, path: str, content: bytes, name: str = "客户.csv"):
    return side.http.post(path, data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def register(side: WeComSide) -> dict[str, str]:
    with Session(side.bot.engine) as s:
        return {c.name: c.residence for c in s.exec(select(Client))}


def imports(side: WeComSide) -> list[str]:
    with Session(side.bot.engine) as s:
        return [e.actor for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "clients_imported"))]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_wecom_firm_imports_a_gbk_register_through_its_upload_link(upload_side, lang):
    side = upload_side(lang)
    declare, ask = ASK[lang]
    side.say("alice", declare)
    path = ask_link(side, "alice", ask)
    told = side.fake.messages_to("alice")[-1]
    assert ("企业微信应用收不到文件" if lang == "zh" else "a WeCom app cannot receive files") in told
    assert not any("/clients/upload" in p for p in side.fake.chat_posts())  # shown to the asker only
    form = side.http.get(path)
    assert form.status_code == 200
    assert ("上传客户名单" if lang == "zh" else "Upload the client register") in form.text
    assert "form-action 'self'" in form.headers["Content-Security-Policy"]
    assert form.headers["Referrer-Policy"] == "no-referrer" and "<script" not in form.text

    done = post(side, path, CSV.encode("gbk"))  # as a Chinese Excel saves it: Chinese headers and cities
    assert done.status_code == 200, done.text
    assert register(side) == {"王芳": "CN", "李强": "CN", "上海明星贸易有限公司": "CN", "金门贸易": "US-CA"}
    assert imports(side) == ["alice"]
    room = "\n".join(side.fake.chat_posts())
    said = ("导入了 4 个受影响客户", "文件按 GBK 编码读取") if lang == "zh" else (
        "imported 4 affected clients", "the file was read as GBK")
    assert all(s in room for s in said), room
    assert all(s in done.text for s in said)
    if lang == "zh":  # the form and its answer in Chinese only
        shown = html.unescape(re.sub(r"<[^>]+>", " ", form.text + done.text)).replace("Lotus & Co. Accountants", "")
        assert [w for w, _ in latin_words(shown)] == []

    again = post(side, path, CSV.encode("gbk"))  # the same file again: refused row by row, never doubled
    assert again.status_code == 400
    assert ("已在客户名单中" if lang == "zh" else "is already in the register") in again.text
    assert len(register(side)) == 4 and imports(side) == ["alice"]

    fixed = "姓名,类型,联系方式,语言,居住地\n赵敏,个人,zhao@example.cn,中文,广东\n".encode("gbk")
    assert post(side, path, fixed).status_code == 200  # the same link, within its hour, for a corrected file
    assert register(side)["赵敏"] == "CN" and imports(side) == ["alice", "alice"]


def test_rows_that_stop_the_import_are_listed_in_the_firms_language(upload_side):
    side = upload_side("zh")
    side.say("alice", "宣布 工资表泄露")
    path = ask_link(side, "alice", "客户 导入")
    bad = "姓名,类型,联系方式,语言,居住地\n王芳,个人,wang@example.cn,中文,火星\n李强,机构,1380000,中文,北京\n"
    answer = post(side, path, bad.encode("gbk"))
    assert answer.status_code == 400
    assert "未导入任何数据：有 2 行需要修改。" in answer.text and "第 2 行：居住地「火星」无法识别" in answer.text
    assert "第 3 行：类型「机构」不是 个人 或 企业" in answer.text
    assert register(side) == {} and imports(side) == []


def test_refused_links_and_files_change_nothing(upload_side):
    side = upload_side("zh")
    side.say("alice", "宣布 工资表泄露")
    side.say("alice", "宣布 U盘丢失")
    path = ask_link(side, "alice", "客户 导入 BR-1")
    token = path.split("k=")[1]
    gbk = CSV.encode("gbk")
    forbidden = [
        path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb"),  # tampered
        path.replace("/BR-1/", "/BR-2/"),  # another incident
        f"/incidents/BR-1?k={token}",  # an upload link never opens the incident page
    ]
    for where in forbidden:
        assert side.http.get(where).status_code == 403, where
        assert post(side, where, gbk).status_code == (403 if "/clients/upload" in where else 405), where
    side.say("alice", "链接 BR-1")  # nor does the page's own link open the upload form
    page_token = re.search(r"/incidents/BR-1\?k=(\S+)", side.fake.messages_to("alice")[-1])[1]
    assert side.http.get(f"/incidents/BR-1/clients/upload?k={page_token}").status_code == 403
    assert post(side, path, b"\x89PNG\r\n\x1a\n" + bytes(200), "photo.png").status_code == 400  # not a CSV
    assert "photo.png 不是 CSV 文件" in post(side, path, b"\x89PNG", "photo.png").text
    assert "既不是 UTF-8 也不是 GBK" in post(side, path, b"PK\x03\x04\x14\x00\x00\x00\xff\xfe", "客户.csv").text
    too_big = post(side, path, b"a" * (MAX_CSV + 1))  # under the form's body limit, over the import's
    assert too_big.status_code == 413 and "超过 20 MB" in too_big.text
    huge = side.http.post(path, data=b"x" * (UPLOAD_BODY + 1), content_type="multipart/form-data; boundary=x")
    assert huge.status_code == 413  # refused by the edge from its Content-Length
    assert side.http.post("/wecom/callback", data=b"x" * (MAX_BODY + 1)).status_code == 413  # others keep 1 MB
    assert register(side) == {} and imports(side) == []

    side.clock.advance(timedelta(minutes=61))  # expired after its hour
    assert post(side, path, gbk).status_code == 403 and side.http.get(path).status_code == 403
    fresh = ask_link(side, "alice", "客户 导入 BR-1")
    side.say("alice", "链接 BR-1 撤销")  # the lead takes every link back, this one too
    assert "L-3（alice 上传客户名单）" in "\n".join(side.fake.chat_posts())
    assert post(side, fresh, gbk).status_code == 403
    assert register(side) == {} and imports(side) == []


def test_only_someone_who_may_import_gets_a_link(upload_side):
    side = upload_side("zh")
    side.say("alice", "宣布 工资表泄露")
    side.say("mallory", "客户 导入 BR-1")  # not on the incident: told it does not exist, given nothing
    assert "BR-1" in side.fake.messages_to("mallory")[-1]
    assert not LINK.search("\n".join(side.fake.messages_to("mallory")))
    side.say("alice", "结案 --原因 员工失误 --教训 无 --确认")
    side.say("alice", "客户 导入 BR-1")  # closed: nothing to import into
    assert not LINK.search(side.fake.messages_to("alice")[-1])


def test_a_link_stops_working_for_someone_who_may_no_longer_import(upload_side):
    side = upload_side("zh")
    side.say("alice", "宣布 工资表泄露")
    path = ask_link(side, "bob", "客户 导入")  # bob is on the roster: he may import
    side.say("alice", "结案 --原因 员工失误 --教训 无 --确认")
    answer = post(side, path, CSV.encode("gbk"))
    assert answer.status_code == 400 and "已结案" in answer.text
    assert register(side) == {}


def test_waitress_gives_the_upload_form_its_own_body_limit_and_keeps_1_mb_elsewhere():
    """The edge's limits by path (handlers/edge.py): a register of a few MB reaches the upload form, with a length or
    chunked; any other path still refuses a body over MAX_BODY, a chunked one included; the form over UPLOAD_BODY."""
    import http.client
    import threading

    from waitress import wasyncore

    from handlers import edge

    got: list[tuple[str, int]] = []

    def app(environ, start_response):
        got.append((environ["PATH_INFO"], len(environ["wsgi.input"].read())))
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    srv = edge.make_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()

    def send(path: str, size: int, *, chunked: bool = False) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", srv.effective_port, timeout=30)
        body = b"x" * size
        try:
            if chunked:
                conn.request("POST", path, body=iter([body[i:i + 65536] for i in range(0, size, 65536)]),
                             encode_chunked=True, headers={"Transfer-Encoding": "chunked"})
            else:
                conn.request("POST", path, body=body)
            return conn.getresponse().status
        except (BrokenPipeError, ConnectionResetError):
            return 413  # answered and closed before the rest was sent
        finally:
            conn.close()

    form, three = "/incidents/BR-1/clients/upload", 3 * 1024 * 1024
    try:
        assert send(form, three) == 200 and send(form, three, chunked=True) == 200
        assert send("/slack/events", three) == 413 and send("/incidents/BR-1", three, chunked=True) == 413
        assert send("/slack/events", 1000) == 200
        assert send(form, UPLOAD_BODY + 1) == 413
    finally:
        srv.task_dispatcher.shutdown()
        srv.close()
        wasyncore.close_all(srv._map)
        thread.join(timeout=10)
    assert got == [(form, three), (form, three), ("/slack/events", 1000)]
