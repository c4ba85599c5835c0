"""wechatpy's WeCom client, pointed at a configurable API base, with errors that say what failed.

wechatpy builds every API URL from `API_BASE_URL` but fetches the access token from a
hard-coded https://qyapi.weixin.qq.com/cgi-bin/gettoken; `WeComClient` moves both, so a
proxy or a test fake sees the whole conversation.

The access token lives in wechatpy's session storage (`wechatpy.session`): memory by
default (one token per process), or any `SessionStorage` shared by several processes —
`token_storage("redis://…")` builds wechatpy's `RedisStorage` when the `redis` package is
installed. WeCom hands out the same token while it is valid, so processes never invalidate
each other; sharing only saves `gettoken` calls (which WeCom rate-limits).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

import requests
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from bot.chat import DeliveryError
from bot.errors import ConfigError
from bot.text.worded import shown
from handlers import platform_errors

DEFAULT_API_URL = "https://qyapi.weixin.qq.com/cgi-bin/"
# 42001 access_token 已过期, 40014 不合法的 access_token (全局错误码, developer.work.weixin.qq.com/document/
# path/90313): the cached token is stale (expired, or replaced by another process's fetch).
TOKEN_REFUSED = {42001, 40014}
TIMEOUT_SECONDS = 10.0
log = logging.getLogger("breachbot.wecom")
_SECRET_PARAM = re.compile(r"(access_token|corpsecret)=[^&\s'\")]+")


class WeComAPIError(RuntimeError):
    """A WeCom API call that did not do what was asked: errcode ≠ 0, an HTTP failure, or no answer."""

    def __init__(self, api: str, errcode: int | None, errmsg: str) -> None:
        self.api, self.errcode, self.errmsg = api, errcode, errmsg
        code = f"errcode {errcode}" if errcode is not None else "no errcode"
        super().__init__(f"WeCom {api} failed ({code}): {errmsg}")


class WeComClient(WeChatClient):
    """wechatpy's enterprise client with every URL, the token fetch included, under `api_url`."""

    def __init__(self, corp_id: str, secret: str, *, api_url: str = DEFAULT_API_URL,
                 session: SessionStorage | None = None, timeout: float = TIMEOUT_SECONDS) -> None:
        # wechatpy's own retry on a refused token (auto_retry) recurses without end while WeCom keeps
        # refusing; `_request` below fetches a new token once and tries once more.
        super().__init__(corp_id, secret, session=session or MemoryStorage(), timeout=timeout, auto_retry=False)
        # An instance attribute: wechatpy's _request reads self.API_BASE_URL for every call.
        self.API_BASE_URL = api_url if api_url.endswith("/") else api_url + "/"

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        """One API call; a token WeCom refuses (42001 expired, 40014 invalid) is fetched again once."""
        try:
            return super()._request(method, url_or_endpoint, **kwargs)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_REFUSED:
                raise
            log.info("WeCom refused the access token (errcode %s): fetching a new one, trying once more", exc.errcode)
        self.session.delete(self.access_token_key)
        self.fetch_access_token()
        kwargs.setdefault("params", {})["access_token"] = self.session.get(self.access_token_key)
        for item in (kwargs.get("files") or {}).values():  # an upload's file is read again from its start
            body = item[1] if isinstance(item, tuple) else item
            if hasattr(body, "seek"):
                body.seek(0)
        return super()._request(method, url_or_endpoint, **kwargs)

    def fetch_access_token(self) -> dict:
        """Fetch a token from `<api_url>gettoken` and keep it in the session storage.

        wechatpy's own fetch hard-codes qyapi.weixin.qq.com and waits without a timeout.
        """
        res = self._http.get(self.API_BASE_URL + "gettoken", timeout=self.timeout,
                             params={"corpid": self.corp_id, "corpsecret": self.secret})
        if res.status_code != 200:
            raise WeChatClientException(None, f"HTTP {res.status_code} from gettoken", client=self,
                                        request=res.request, response=res)
        result = res.json()
        if result.get("errcode", 0) != 0:
            raise WeChatClientException(result["errcode"], result.get("errmsg", ""), client=self,
                                        request=res.request, response=res)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result


# WeCom's global error codes (developer.work.weixin.qq.com/document/path/90313, 全局错误码) that no retry
# can change, by what they are about. Anything else (-1 系统繁忙, 45009 接口调用超过限制, 45033 并发调用超过限制,
# 42001 access_token 已过期, no answer at all) is temporary.
PERMANENT = {
    "user": {60111, 60103, 40031, 81013, 60102, 46004},  # userid not found / invalid / all invalid / member missing
    "room": {86001, 86003, 86004, 86215, 86216},  # chatid invalid / chat does not exist / owner or members invalid
    "size": {45002, 44004},  # content size out of limit (markdown ≤ 2048 bytes) / empty content
    "call": {40001, 40013, 40056, 48002, 60011, 60020, 301002},  # credential, agent, privilege, IP not allowed
}
# 45009 接口调用超过限制, 45033 接口并发调用超过限制, 45047 群发/推送频率限制: wait a minute before the next try.
RATE_LIMITED = {45009, 45033, 45047}
RATE_LIMIT_WAIT = 60.0


def delivery_error(exc: WeComAPIError, *, about: str = "room") -> DeliveryError:
    """A WeCom error as a DeliveryError: permanent or temporary, and what it is about."""
    code = exc.errcode
    if "not delivered to invaliduser" in exc.errmsg:  # message/send said errcode 0 but named people it missed
        return DeliveryError("wecom_user", permanent=True, subject="user", detail=str(exc))
    subject = platform_errors.subject_of(code, PERMANENT)
    label = {"user": "wecom_user", "room": "wecom_chat"}.get(subject or "", f"wecom_{code}" if code is not None
                                                               else "wecom_unreachable")
    return platform_errors.classify(code, PERMANENT, label=label, about=about, detail=str(exc),
                                    retry_after=RATE_LIMIT_WAIT if code in RATE_LIMITED else None)


translated = platform_errors.translating(WeComAPIError, lambda exc, about: delivery_error(exc, about=about))
"""`with translated(about):` WeCom's errors become DeliveryErrors, so the outbox knows whether to retry."""


def call(api: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict:
    """Run one wechatpy call; anything but success becomes a WeComAPIError naming the API."""
    try:
        result = fn(*args, **kwargs)
    except WeChatClientException as exc:
        errmsg = exc.errmsg
        if errmsg is None and exc.response is not None:
            errmsg = f"HTTP {exc.response.status_code}"
        raise WeComAPIError(api, exc.errcode, redact(str(errmsg or "no answer"))) from exc
    except requests.RequestException as exc:  # includes an answer that is not JSON
        # `from None`: requests' own message carries the URL with the access token in it.
        raise WeComAPIError(api, None, redact(f"could not reach WeCom: {exc}")) from None
    if not isinstance(result, dict):
        raise WeComAPIError(api, None, "the answer was not JSON")
    return result


def redact(text: str) -> str:
    """Hide access tokens and secrets that requests puts in its error texts (they reach chat and logs)."""
    return _SECRET_PARAM.sub(lambda m: f"{m[1]}=***", text)


def check_delivered(api: str, result: dict) -> dict:
    """message/send answers errcode 0 even when some people got nothing: say who."""
    missed = {key: result.get(key) for key in ("invaliduser", "invalidparty", "invalidtag") if result.get(key)}
    if missed:
        who = "; ".join(f"{key} {value}" for key, value in missed.items())
        raise WeComAPIError(api, result.get("errcode", 0),
                            f"not delivered to {who} (not a userid of this corp, or outside the app's visible range)")
    return result


def token_storage(url: str | None) -> SessionStorage:
    """Where access tokens are kept: 'memory' (the default) or a shared 'redis://host:port/db'."""
    if not url or url == "memory":
        return MemoryStorage()
    if url.startswith(("redis://", "rediss://", "unix://")):
        try:
            import redis  # optional: only firms that share a token cache install it
        except ImportError as exc:
            raise ConfigError("problem.wecom.no_redis", url=url) from exc
        return RedisStorage(redis.Redis.from_url(url), prefix="breachbot:wecom")
    raise ConfigError("problem.wecom.token_cache", value=shown(url))
