"""SMS through a provider: the interface the runner uses, and Alibaba Cloud SMS (阿里云短信服务) behind it.

Alibaba Cloud SMS sends only pre-approved templates with an approved signature, so the SMS is short: the
firm's template per language (say, "${firm}: your data may be affected by a security incident; see our
e-mail or call ${hotline}") with its variables filled in. The calls follow the provider's documents:
- SendSms (Version 2017-05-25, endpoint dysmsapi.aliyuncs.com): PhoneNumbers, SignName, TemplateCode,
  TemplateParam (a JSON string), OutId; the answer is JSON {"Code": "OK", "BizId": …, "RequestId": …} or
  an error Code such as isv.MOBILE_NUMBER_ILLEGAL or isv.BUSINESS_LIMIT_CONTROL.
  https://help.aliyun.com/document_detail/55284.html ("SendSms - 发送短信"; the API is not idempotent and a
  timeout should be checked against the delivery receipt before any retry, which is why a timeout here is
  left unconfirmed, never resent).
- QuerySendDetails: PhoneNumber, BizId, SendDate (yyyyMMdd), PageSize, CurrentPage; the answer lists
  SmsSendDetailDTOs.SmsSendDetailDTO[] with SendStatus 1 (waiting for the receipt), 2 (failed, ErrCode) or
  3 (delivered). https://help.aliyun.com/document_detail/419277.html
- RPC signature v1: every parameter but Signature, sorted, percent-encoded per RFC 3986 ("+"→%20, "*"→%2A,
  "%7E"→"~"), joined as k=v&…; StringToSign = "GET&%2F&" + percentEncode(that); Signature =
  Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)); with SignatureMethod HMAC-SHA1,
  SignatureVersion 1.0, a fresh SignatureNonce and an ISO 8601 UTC Timestamp.
  https://help.aliyun.com/en/document_detail/130769.html ("Signature mechanism")
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.statements.sending import SMS, Notice, Refused, Unavailable, Uncertain

# Codes that mean this number will never take the message (provider error list, SendSms page).
REFUSED_CODES = ("isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT", "isv.MOBILE_COUNT_OVER_LIMIT",
                 "isv.DAY_LIMIT_CONTROL", "isv.PARAM_NOT_SUPPORT_URL")
WAITING, FAILED, DELIVERED = "waiting", "failed", "delivered"
BEIJING = ZoneInfo("Asia/Shanghai")  # the console and SendDate count days in Beijing time


class SmsProvider(Protocol):
    """What the runner and the receipt check need from any SMS provider."""

    channel: str

    def send(self, notice: Notice) -> str: ...

    def receipt(self, *, phone: str, provider_id: str, sent_at: datetime) -> tuple[str, str]: ...


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as the signature document gives it."""
    return urllib.parse.quote(value, safe="-_.~")


def sign(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """The v1 signature of a request's parameters."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    """Alibaba Cloud SMS over its RPC API (HTTPS GET, JSON answers)."""

    channel = SMS

    def __init__(self, *, access_key_id: str, access_key_secret: str, sign_name: str, templates: dict[str, str],
                 now: Callable[[], datetime], endpoint: str = "https://dysmsapi.aliyuncs.com/",
                 timeout: float = 10.0) -> None:
        self.access_key_id, self.secret = access_key_id, access_key_secret
        self.sign_name, self.templates = sign_name, templates
        self.now, self.endpoint, self.timeout = now, endpoint, timeout

    def _call(self, action: str, params: dict[str, str]) -> dict:
        query = {"AccessKeyId": self.access_key_id, "Action": action, "Format": "JSON", "RegionId": "cn-hangzhou",
                 "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
                 "Timestamp": self.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": "2017-05-25",
                 **params}
        query["Signature"] = sign(query, self.secret)
        url = self.endpoint + "?" + "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in query.items())
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as answer:  # noqa: S310 - a configured https URL
                return json.loads(answer.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:  # errors come back as JSON with a non-200 status too
            try:
                return json.loads(exc.read().decode("utf-8"))
            except ValueError:
                raise Unavailable(f"SMS provider answered HTTP {exc.code}") from None
        except TimeoutError as exc:
            raise Uncertain(f"no answer from the SMS provider: {exc}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise Unavailable(f"cannot reach the SMS provider: {exc}") from None

    def send(self, notice: Notice) -> str:
        """SendSms with the firm's template in the client's language; the BizId once it is accepted."""
        template = self.templates.get(notice.lang) or self.templates.get("zh") or ""
        if not template:
            raise Unavailable(f"no SMS template code for language {notice.lang}")
        answer = self._call("SendSms", {"PhoneNumbers": notice.to, "SignName": self.sign_name,
                                        "TemplateCode": template,
                                        "TemplateParam": json.dumps(notice.sms_params, ensure_ascii=False),
                                        "OutId": notice.key})
        code = str(answer.get("Code", ""))
        if code == "OK":
            return str(answer.get("BizId", ""))
        error = f"{code}: {answer.get('Message', '')}"[:300]
        raise Refused(error) if code in REFUSED_CODES else Unavailable(error)

    def receipt(self, *, phone: str, provider_id: str, sent_at: datetime) -> tuple[str, str]:
        """QuerySendDetails for one message: (waiting|failed|delivered, the carrier's error code)."""
        answer = self._call("QuerySendDetails", {"PhoneNumber": phone, "BizId": provider_id,
                                                 "SendDate": sent_at.astimezone(BEIJING).strftime("%Y%m%d"),
                                                 "PageSize": "10", "CurrentPage": "1"})
        if answer.get("Code") != "OK":
            raise Unavailable(f"{answer.get('Code')}: {answer.get('Message', '')}")
        details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        for detail in details:
            status = int(detail.get("SendStatus", 1))
            if status == 3:
                return DELIVERED, ""
            if status == 2:
                return FAILED, str(detail.get("ErrCode", ""))
        return WAITING, ""
