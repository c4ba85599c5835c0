"""WeCom callbacks in: URL verification, and encrypted XML opened into a small typed message.

Everything about WeCom's XML and crypto stops here; what leaves is an `Inbound`.
"""

from __future__ import annotations

import binascii
import logging
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from xml.parsers.expat import ExpatError

from wechatpy.enterprise import WeChatCrypto, parse_message
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.errors import ConfigError

log = logging.getLogger("breachbot.wecom")

AES_KEY_LENGTH = 43
FORBIDDEN, BAD_REQUEST = 403, 400


class Rejected(Exception):
    """A callback we refuse: the HTTP status to answer and why (for the log, not for the caller)."""

    def __init__(self, status: int, reason: str) -> None:
        self.status, self.reason = status, reason
        super().__init__(f"{status}: {reason}")


@dataclass(frozen=True)
class Inbound:
    """One decrypted callback: who sent what to which app."""

    user: str
    kind: str  # "text", "image", "voice", …, or "event"
    msg_id: str  # WeCom's MsgId; events have none, so they get FromUserName+CreateTime
    text: str = ""
    agent_id: int | None = None
    event: str = ""


class CallbackCrypto:
    """wechatpy's WeChatCrypto for one corp: checks signatures, decrypts, parses."""

    def __init__(self, *, token: str, aes_key: str, corp_id: str) -> None:
        if len(aes_key) != AES_KEY_LENGTH:
            raise ConfigError("problem.wecom.aes_key", length=AES_KEY_LENGTH, actual=len(aes_key))
        self.crypto = WeChatCrypto(token, aes_key, corp_id)

    def verify_url(self, args: Mapping[str, str]) -> str:
        """Answer WeCom's URL check (GET): the decrypted echostr, if the signature is ours."""
        signature, timestamp, nonce = _signed(args)
        echostr = args.get("echostr")
        if not echostr:
            raise Rejected(BAD_REQUEST, "echostr missing")
        try:
            return self.crypto.check_signature(signature, timestamp, nonce, echostr)
        except (InvalidSignatureException, InvalidCorpIdException) as exc:
            raise Rejected(FORBIDDEN, f"URL verification: {exc}") from None
        except (ValueError, binascii.Error, struct.error, IndexError, UnicodeDecodeError) as exc:
            raise Rejected(BAD_REQUEST, f"echostr cannot be decrypted: {exc}") from None

    def open(self, args: Mapping[str, str], body: bytes) -> Inbound:
        """Check and decrypt a POSTed callback; Rejected(403) for a bad signature, (400) for bad XML."""
        signature, timestamp, nonce = _signed(args)
        try:
            plain = self.crypto.decrypt_message(body, signature, timestamp, nonce)
        except (InvalidSignatureException, InvalidCorpIdException) as exc:
            raise Rejected(FORBIDDEN, f"callback: {exc}") from None
        except (ExpatError, KeyError, TypeError) as exc:
            raise Rejected(BAD_REQUEST, f"callback body is not WeCom's encrypted XML: {exc!r}") from None
        except (ValueError, binascii.Error, struct.error, IndexError, UnicodeDecodeError) as exc:
            raise Rejected(BAD_REQUEST, f"callback cannot be decrypted: {exc!r}") from None
        try:
            return _inbound(plain)
        except (ExpatError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise Rejected(BAD_REQUEST, f"decrypted callback is not a WeCom message: {exc!r}") from None


def _inbound(plain: str) -> Inbound:
    message = parse_message(plain)
    if message is None or not message.source:
        raise ValueError("no sender (FromUserName)")
    event = getattr(message, "event", "") or ""
    kind = "event" if event else (message.type if message.type != "unknown" else
                                  str(message._data.get("MsgType", "unknown")).lower())
    msg_id = str(message.id) if message.id else f"{message.source}:{message.time}:{event}"
    return Inbound(user=message.source, kind=kind, msg_id=msg_id, text=getattr(message, "content", "") or "",
                   agent_id=getattr(message, "agent", None), event=event)


def _signed(args: Mapping[str, str]) -> tuple[str, str, str]:
    values = tuple(args.get(name, "") for name in ("msg_signature", "timestamp", "nonce"))
    if not all(values):
        raise Rejected(BAD_REQUEST, "msg_signature, timestamp and nonce are required")
    return values  # type: ignore[return-value]
