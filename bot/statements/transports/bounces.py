"""Bounces: delivery status notifications (RFC 3464) read by IMAP from the mailbox the firm names.

A DSN is a multipart/report; report-type=delivery-status with a message/delivery-status part (one block
per recipient: Action, Status, Final-Recipient, Diagnostic-Code) and the returned message or its
headers (message/rfc822 or text/rfc822-headers), whose Message-ID names the notice. Mail servers that
send a plain-text bounce instead still quote the Message-ID, so it is looked for in the text too.
"""

from __future__ import annotations

import email
import imaplib
import re
import ssl
from dataclasses import dataclass
from email.message import Message
from email.policy import compat32

_OURS = re.compile(rb"<breachbot\.[^<>\s]+@[^<>\s]+>")


@dataclass(frozen=True)
class Returned:
    """One notice that came back: which (by Message-ID) and why."""

    message_id: str
    status: str
    diagnostic: str


def parse_dsn(raw: bytes) -> list[Returned]:
    """The failed notices a bounce reports (an empty list for anything else, delays included)."""
    message = email.message_from_bytes(raw, policy=compat32)
    failures: list[tuple[str, str]] = []
    returned_id = ""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in part.get_payload() or []:
                if isinstance(block, Message) and (block.get("Action") or "").strip().lower() == "failed":
                    failures.append(((block.get("Status") or "").strip(),
                                     " ".join((block.get("Diagnostic-Code") or "").split())[:300]))
        elif kind == "text/rfc822-headers":
            body = part.get_payload(decode=True) or b""
            returned_id = returned_id or (email.message_from_bytes(body, policy=compat32).get("Message-ID") or "")
        elif kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                returned_id = returned_id or (inner[0].get("Message-ID") or "")
    returned_id = returned_id.strip()
    if not returned_id:
        found = _OURS.search(raw)
        returned_id = found.group(0).decode() if found else ""
    if not returned_id:
        return []
    if not failures and message.get_content_type() == "multipart/report":
        return []  # a DSN saying delayed, relayed or delivered
    return [Returned(returned_id, status, diagnostic) for status, diagnostic in failures or [("5.0.0", "")]]


class ImapBounces:
    """The firm's bounce mailbox: new messages since the last look, marked seen once they were handled."""

    def __init__(self, *, host: str, port: int, user: str, password: str, folder: str = "INBOX",
                 security: str = "ssl", ca_file: str | None = None, timeout: float = 30.0) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.folder, self.security, self.timeout = folder, security, timeout
        self.tls = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()

    def fetch(self) -> list[tuple[bytes, bytes]]:
        """(uid, raw message) for every unseen message in the folder."""
        with self._open() as imap:
            imap.select(self.folder)
            status, data = imap.uid("SEARCH", None, "UNSEEN")
            if status != "OK":
                raise OSError(f"IMAP SEARCH failed: {data!r}")
            found = []
            for uid in (data[0] or b"").split():
                status, parts = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                for part in parts:
                    if isinstance(part, tuple):
                        found.append((uid, part[1]))
            return found

    def mark_seen(self, uids: list[bytes]) -> None:
        """Flag handled messages \\Seen so the next look skips them."""
        if not uids:
            return
        with self._open() as imap:
            imap.select(self.folder)
            imap.uid("STORE", b",".join(uids), "+FLAGS", "(\\Seen)")

    def _open(self) -> imaplib.IMAP4:
        if self.security == "ssl":
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=self.tls, timeout=self.timeout)
        else:
            imap = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                imap.starttls(ssl_context=self.tls)
        imap.login(self.user, self.password)
        return imap
