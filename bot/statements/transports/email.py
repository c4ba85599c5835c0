"""E-mail through the firm's own mail server: SMTP with STARTTLS (587) or implicit TLS (465), AUTH from settings.

Each notice is one MIME message (plain text and HTML alternatives, an optional PDF), From the firm, with
a Reply-To and its own Message-ID. Replies are mapped to the three outcomes the runner needs (RFC 5321
§4.2.1): a 5yz reply refuses the notice for good; a 4yz reply, a refused connection or a failed login
means nothing was accepted and it may work later; a connection lost after the message was handed over
(DATA sent, no reply read) may have been delivered and is left unconfirmed, never resent by itself.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from bot.statements.sending import EMAIL, Notice, Refused, Unavailable, Uncertain


def to_html(text: str, lang: str) -> str:
    """The letter as a small HTML page: paragraphs at blank lines, everything escaped."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "\n".join("<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>" for p in paragraphs)
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}"><head><meta charset="utf-8"></head>'
            f'<body style="font-family: sans-serif; line-height: 1.5">\n{body}\n</body></html>\n')


def build(notice: Notice, *, sender: str, sender_name: str, reply_to: str, now: datetime) -> EmailMessage:
    """The MIME message for one notice."""
    message = EmailMessage()
    message["From"] = formataddr((sender_name, sender))
    message["To"] = notice.to
    message["Reply-To"] = reply_to or sender
    message["Subject"] = notice.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = notice.message_id
    message["X-Breachbot-Notice"] = notice.key
    message.set_content(notice.text)
    message.add_alternative(to_html(notice.text, notice.lang), subtype="html")
    if notice.attachment:
        message.add_attachment(notice.attachment, maintype="application", subtype="pdf",
                               filename=notice.attachment_name or "letter.pdf")
    message["Content-Language"] = "zh-CN" if notice.lang == "zh" else "en"  # after set_content, which clears it
    return message


class SmtpTransport:
    """One SMTP connection per batch, opened on first use and closed by `close`."""

    channel = EMAIL

    def __init__(self, *, host: str, port: int, security: str, user: str | None, password: str | None,
                 sender: str, sender_name: str, reply_to: str, now: Callable[[], datetime],
                 ca_file: str | None = None, timeout: float = 30.0) -> None:
        self.host, self.port, self.security = host, port, security
        self.user, self.password = user, password
        self.sender, self.sender_name, self.reply_to = sender, sender_name, reply_to
        self.now, self.timeout = now, timeout
        self.tls = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        try:
            if self.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.tls)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                smtp.ehlo()
                if self.security != "none":  # none: a relay on the same machine only
                    smtp.starttls(context=self.tls)
                    smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise Unavailable(f"the mail server refused the login ({exc.smtp_code})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise Unavailable(f"cannot reach the mail server {self.host}:{self.port}: {exc}") from None
        self._smtp = smtp
        return smtp

    def send(self, notice: Notice) -> str:
        """Hand one notice to the server; its Message-ID once the server answered 250 to the data."""
        smtp = self._connect()
        message = build(notice, sender=self.sender, sender_name=self.sender_name, reply_to=self.reply_to,
                        now=self.now())
        envelope_from = parseaddr(self.sender)[1]
        try:
            self._expect(smtp.mail(envelope_from), "MAIL FROM")
            self._expect(smtp.rcpt(notice.to), "RCPT TO")
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            raise Unavailable(f"the mail server hung up: {exc}") from None
        try:
            smtp.data(message.as_bytes(policy=policy.SMTP))
        except smtplib.SMTPDataError as exc:
            self._reset()
            raise (Refused if exc.smtp_code >= 500 else Unavailable)(f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._smtp = None
            raise Uncertain(f"no answer after the message was sent: {exc}") from None
        return notice.message_id

    def _expect(self, answer: tuple[int, bytes], step: str) -> None:
        code, reply = answer
        if code in (250, 251):
            return
        self._reset()
        error = f"{step}: {code} {_text(reply)}"
        raise Refused(error) if code >= 500 else Unavailable(error)

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._smtp = None

    def close(self) -> None:
        """End the connection (QUIT)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply))[:300]
