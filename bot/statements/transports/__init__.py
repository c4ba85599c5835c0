"""The ways a notice leaves the firm: SMTP e-mail, an SMS provider, and the mailbox bounces come back to.

None of them is a chat platform; `build` makes them from settings, and a drill gets `drill()` instead,
which hands nothing to any server.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.settings import Settings
from bot.statements.sending import EMAIL, SMS, Notice, Transport


class DrillTransport:
    """A drill's transport: accepts every notice and sends nothing anywhere."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.accepted: list[Notice] = []

    def send(self, notice: Notice) -> str:
        """Keep the notice in memory; its id says it never left."""
        self.accepted.append(notice)
        return f"drill:{notice.key}"

    def close(self) -> None:
        """Nothing to close."""


def drill() -> dict[str, Transport]:
    """Transports for a drill: every channel, none of them real."""
    return {EMAIL: DrillTransport(EMAIL), SMS: DrillTransport(SMS)}


def build(settings: Settings, *, now: Callable[[], datetime]) -> dict[str, Transport]:
    """The channels the firm configured: e-mail when an SMTP host and sender are set, SMS when Alibaba Cloud is."""
    found: dict[str, Transport] = {}
    if settings.smtp_host and settings.mail_from:
        from bot.statements.transports.email import SmtpTransport

        found[EMAIL] = SmtpTransport(
            host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
            user=settings.smtp_user, password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            sender=settings.mail_from, sender_name=settings.firm().name_in("en") or settings.firm().name, reply_to=settings.mail_reply_to or "",
            now=now, ca_file=settings.mail_ca_file)
    if settings.sms_access_key_id and settings.sms_access_key_secret:
        from bot.statements.transports.sms import AliyunSms

        found[SMS] = AliyunSms(
            access_key_id=settings.sms_access_key_id,
            access_key_secret=settings.sms_access_key_secret.get_secret_value(), sign_name=settings.sms_sign_name,
            templates={"zh": settings.sms_template_zh, "en": settings.sms_template_en}, now=now,
            endpoint=settings.sms_api_url)
    return found


def bounce_mailbox(settings: Settings) -> object | None:
    """The IMAP mailbox bounces come back to, if the firm named one."""
    if not (settings.imap_host and settings.imap_user):
        return None
    from bot.statements.transports.bounces import ImapBounces

    return ImapBounces(host=settings.imap_host, port=settings.imap_port, user=settings.imap_user,
                       password=settings.imap_password.get_secret_value() if settings.imap_password else "",
                       folder=settings.imap_folder, security=settings.imap_security, ca_file=settings.mail_ca_file)
