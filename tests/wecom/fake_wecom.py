"""A local fake of the WeCom server API: records every call and answers in WeCom's JSON shapes.

It refuses what WeCom refuses, with WeCom's errcodes (全局错误码, developer.work.weixin.qq.com/document/
path/90313): a markdown or text message over 2,048 bytes → 45002 "content size out of limit" (消息推送:
"markdown内容，最长不超过2048个字节"); an app chat with a userid that is not in the corp → 40031
"invalid userid list"; a chat that does not exist → 86003; too many calls → 45009 "api freq out of
limit". `fail_next` / `fail_call` arrange any errcode on demand.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKEN = "FAKE-ACCESS-TOKEN"
MAX_BYTES = 2048
USERID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_\-@.]{0,63}")


@dataclass
class Call:
    """One request the bot made: the API path after /cgi-bin/, its query and its JSON body."""

    api: str
    query: dict[str, str]
    body: dict = field(default_factory=dict)
    raw: bytes = b""
    corp: str = ""  # the corp whose access token the call carried (gettoken: the corpid asked for)


class FakeWeCom:
    """Threaded HTTP server on 127.0.0.1 speaking a small, faithful part of qyapi.weixin.qq.com."""

    def __init__(self, *, corp_id: str, secret: str) -> None:
        self.corp_id, self.secret = corp_id, secret
        self.calls: list[Call] = []
        self.chats: dict[str, dict] = {}  # chatid → {"name", "owner", "userlist"}
        self.failures: dict[str, tuple[int, str]] = {}  # api → (errcode, errmsg), answered once
        self.on_call: dict[tuple[str, int], tuple[int, str]] = {}
        self.counts: dict[str, int] = {}
        self.invalid_users: set[str] = set()
        self.names: dict[str, str] = {}  # userid → the name in the address book (user/get); else the userid
        self.token = TOKEN  # change it to expire the bot's token
        # More corps on the same server (qyapi.weixin.qq.com serves every corp; the access token says which):
        # corp_id → (secret, access token). `add_corp` adds one.
        self.corps: dict[str, tuple[str, str]] = {}
        self.issued: set[str] = set()
        self.refuse_tokens = False  # WeCom refuses every token, even a fresh one
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # the test's clock, when it has one
        self.received: dict[str, list[datetime]] = {}  # when each person got an app message
        self.dropped: list[tuple[int, str]] = []  # (call index, userid): past the per-person limit
        self._lock = threading.Lock()
        self._media = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                fake._serve(self, b"")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                fake._serve(self, self.rfile.read(length))

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01},
                                       daemon=True)

    @property
    def url(self) -> str:
        """The API base to put in WECOM_API_URL."""
        return f"http://127.0.0.1:{self.server.server_port}/cgi-bin/"

    def start(self) -> FakeWeCom:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what the tests look at ---------------------------------------------------------------------
    def of(self, api: str) -> list[Call]:
        """Every call to one API, in order."""
        return [c for c in self.calls if c.api == api]

    def apis(self) -> list[str]:
        return [c.api for c in self.calls]

    def add_corp(self, corp_id: str, secret: str, token: str) -> None:
        """Another corp with its own secret; gettoken hands it `token`, and calls carrying it are that corp's."""
        self.corps[corp_id] = (secret, token)

    def corp_calls(self, corp: str) -> list[Call]:
        """Every call made for one corp (by the access token it carried)."""
        return [c for c in self.calls if c.corp == corp]

    def fail_next(self, api: str, errcode: int, errmsg: str) -> None:
        """Answer the next call to `api` with an error."""
        self.failures[api] = (errcode, errmsg)

    def fail_call(self, api: str, number: int, errcode: int, errmsg: str) -> None:
        """The `number`-th call of `api` from now on is answered with an error."""
        self.on_call[(api, self.counts.get(api, 0) + number)] = (errcode, errmsg)

    def messages_to(self, user: str) -> list[str]:
        """The content of every app message a person received (message/send), minus what WeCom dropped."""
        gone = {index for index, who in self.dropped if who == user}
        return [_content(c.body) for index, c in enumerate(self.calls) if c.api == "message/send"
                and user in c.body.get("touser", "").split("|") and index not in gone]

    def chat_posts(self, chatid: str | None = None) -> list[str]:
        """The content of every app chat message (appchat/send), in one chat or all."""
        return [_content(c.body) for c in self.of("appchat/send") if chatid in (None, c.body.get("chatid"))]

    # -- the server side ----------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        parsed = urlparse(handler.path)
        api = parsed.path.removeprefix("/cgi-bin/")
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        body: dict = {}
        if raw and not handler.headers.get("Content-Type", "").startswith("multipart/"):
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = {}
        with self._lock:
            corp = query.get("corpid", "") if api == "gettoken" else self._corp_of(query.get("access_token"))
            self.calls.append(Call(api=api, query=query, body=body, raw=raw, corp=corp))
            answer = self._answer(api, query, body)
        data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json; charset=UTF-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _corp_of(self, token: str | None) -> str:
        if token == self.token:
            return self.corp_id
        return next((corp for corp, (_, issued) in self.corps.items() if issued == token), "")

    def _answer(self, api: str, query: dict[str, str], body: dict) -> dict:
        other = self.corps.get(query.get("corpid", ""))
        if api == "gettoken" and other is not None:  # 40001 for a secret that is not this corp's
            if query.get("corpsecret") != other[0]:
                return {"errcode": 40001, "errmsg": "invalid credential"}
            return {"errcode": 0, "errmsg": "ok", "access_token": other[1], "expires_in": 7200}
        if api != "gettoken" and query.get("access_token") in {t for _, t in self.corps.values()}:
            query = {**query, "access_token": self.token}  # another corp's valid token: served the same way
        if api == "gettoken":
            if (query.get("corpid"), query.get("corpsecret")) != (self.corp_id, self.secret):
                return {"errcode": 40001, "errmsg": "invalid credential"}
            self.issued.add(self.token)
            return {"errcode": 0, "errmsg": "ok", "access_token": self.token, "expires_in": 7200}
        if query.get("access_token") != self.token or self.refuse_tokens:
            # A token this fake once handed out has expired (42001); anything else is not a token (40014).
            if query.get("access_token") in self.issued:
                return {"errcode": 42001, "errmsg": "access_token expired"}
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        self.counts[api] = self.counts.get(api, 0) + 1
        arranged = self.on_call.pop((api, self.counts[api]), None) or self.failures.pop(api, None)
        if arranged:
            errcode, errmsg = arranged
            return {"errcode": errcode, "errmsg": errmsg}
        kind = body.get("msgtype", "")
        if kind in ("markdown", "text") and len(str((body.get(kind) or {}).get("content", "")).encode()) > MAX_BYTES:
            return {"errcode": 45002, "errmsg": "content size out of limit"}
        handler = getattr(self, "_" + api.replace("/", "_"), None)
        if handler is None:
            return {"errcode": 404, "errmsg": f"fake has no {api}"}
        return handler(body)

    def _appchat_create(self, body: dict) -> dict:
        users = body.get("userlist") or []
        if len(users) < 2:
            return {"errcode": 86216, "errmsg": "chat member count invalid: at least 2"}
        if any(u in self.invalid_users for u in users):
            return {"errcode": 40031, "errmsg": "invalid userid list"}
        chatid = body.get("chatid")
        if chatid in self.chats:
            return {"errcode": 86215, "errmsg": "chatid exists"}
        self.chats[chatid] = {"name": body.get("name"), "owner": body.get("owner"), "userlist": list(users)}
        return {"errcode": 0, "errmsg": "ok", "chatid": chatid}

    def _appchat_update(self, body: dict) -> dict:
        chat = self.chats.get(body.get("chatid"))
        if chat is None:
            return {"errcode": 86003, "errmsg": "chat not exist"}
        if any(u in self.invalid_users for u in body.get("add_user_list", [])):
            return {"errcode": 40031, "errmsg": "invalid userid list"}
        chat["userlist"] += [u for u in body.get("add_user_list", []) if u not in chat["userlist"]]
        return {"errcode": 0, "errmsg": "ok"}

    def _appchat_get(self, body: dict) -> dict:
        # appchat/get takes its chatid in the query; the last call holds it.
        chatid = self.calls[-1].query.get("chatid")
        chat = self.chats.get(chatid)
        if chat is None:
            return {"errcode": 86003, "errmsg": "chat not exist"}
        return {"errcode": 0, "errmsg": "ok", "chat_info": {"chatid": chatid, **chat}}

    def _user_get(self, body: dict) -> dict:
        # user/get?userid=…: 60111 "userid not found" for someone not in the corp (通讯录管理 › 读取成员)
        userid = self.calls[-1].query.get("userid", "")
        # A userid "只能由数字、字母和“_-@.”四种字符组成，且第一个字符必须是数字或字母" (创建成员,
        # work.weixin.qq.com/api/doc/90000/90135/90195): a typed name (王磊) is nobody's userid.
        if userid in self.invalid_users or not USERID.fullmatch(userid):
            return {"errcode": 60111, "errmsg": f"userid not found: {userid}"}
        return {"errcode": 0, "errmsg": "ok", "userid": userid, "name": self.names.get(userid, userid), "status": 1,
                "enable": 1}

    def _appchat_send(self, body: dict) -> dict:
        if body.get("chatid") not in self.chats:
            return {"errcode": 86003, "errmsg": "chat not exist"}
        return {"errcode": 0, "errmsg": "ok"}

    def _message_send(self, body: dict) -> dict:
        users = body.get("touser", "").split("|")
        invalid = [u for u in users if u in self.invalid_users]
        # "每应用对同一个成员不可超过30次/分钟，1000次/小时，超过部分会被丢弃不下发" (发送应用消息,
        # document/path/90236): still errcode 0, but the person never sees it.
        now = self.clock()
        for user in users:
            seen = [t for t in self.received.setdefault(user, []) if (now - t).total_seconds() < 3600]
            if len([t for t in seen if (now - t).total_seconds() < 60]) >= 30 or len(seen) >= 1000:
                self.dropped.append((len(self.calls) - 1, user))
            else:
                seen.append(now)
            self.received[user] = seen
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid), "msgid": f"msg{len(self.calls)}"}

    def _media_upload(self, body: dict) -> dict:
        self._media += 1
        return {"errcode": 0, "errmsg": "", "type": "file", "media_id": f"MEDIA{self._media}",
                "created_at": "1380000000"}


def _content(body: dict) -> str:
    kind = body.get("msgtype", "")
    return (body.get(kind) or {}).get("content") or (body.get(kind) or {}).get("media_id") or ""
