"""Servers the sending tests talk to over real sockets (not a test module).

- A real SMTP server (aiosmtpd) with STARTTLS required before AUTH, a certificate made here with
  `cryptography`, LOGIN/PLAIN authentication, and per-recipient replies (550 for unknown mailboxes).
- A fake IMAP4rev1 server (RFC 3501: LOGIN, SELECT, UID SEARCH, UID FETCH BODY.PEEK[], UID STORE, LOGOUT)
  over implicit TLS, holding the bounce mailbox. No IMAP server that a test can start in-process is
  among this project's dependencies, so the protocol subset imaplib uses is served here.
- A fake Alibaba Cloud SMS endpoint answering SendSms and QuerySendDetails as their documents say
  (https://help.aliyun.com/document_detail/55284.html, https://help.aliyun.com/document_detail/419277.html):
  it checks the v1 signature (https://help.aliyun.com/en/document_detail/130769.html) and answers
  SignatureDoesNotMatch with HTTP 400 when it is wrong, isv.MOBILE_NUMBER_ILLEGAL for a bad number, and
  SendStatus 1/2/3 in receipts.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import http.server
import ipaddress
import json
import re
import socket
import socketserver
import ssl
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SMTP_USER, SMTP_PASSWORD = "notices@lotus.example", "s3cret-pass"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key, written to `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server accepted: (envelope recipients, raw message) in order."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)  # recipients answered 550
    logins: list[str] = field(default_factory=list)
    on_message: object = None  # called with the count after each accepted message (the crash test kills there)

    def parsed(self) -> list[email.message.Message]:
        """Every accepted message, parsed."""
        return [email.message_from_bytes(raw, policy=email.policy.default) for _, raw in self.messages]


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201
        if address in self.box.unknown:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        self.box.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        if callable(self.box.on_message):
            self.box.on_message(len(self.box.messages))
        return "250 2.0.0 Ok: queued"


def start_smtp(folder: Path, box: Mailbox) -> tuple[Controller, int, Path]:
    """aiosmtpd on 127.0.0.1: STARTTLS required, AUTH only after it; returns (controller, port, CA file)."""
    cert, key = self_signed(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == SMTP_USER
              and auth_data.password.decode() == SMTP_PASSWORD)
        if ok:
            box.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    port = free_port()
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, auth_required=True, auth_require_tls=True,
                            authenticator=authenticate)
    controller.start()
    return controller, port, cert


# ---------------------------------------------------------------------------------------------- IMAP
class ImapStore:
    """The bounce mailbox the fake IMAP server serves: uid → (raw message, seen)."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.messages: dict[int, list] = {}

    def deliver(self, raw: bytes) -> None:
        """A new message arrives, unseen."""
        self.messages[len(self.messages) + 1] = [raw, False]


class _ImapSession(socketserver.StreamRequestHandler):
    store: ImapStore

    def _send(self, text: str | bytes) -> None:
        self.wfile.write(text if isinstance(text, bytes) else text.encode())
        self.wfile.flush()

    def handle(self) -> None:
        self._send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake bounce mailbox ready\r\n")
        authed = False
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            tag, _, rest = raw.decode().rstrip("\r\n").partition(" ")
            verb, _, args = rest.partition(" ")
            verb = verb.upper()
            if verb == "CAPABILITY":
                self._send(f"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK CAPABILITY completed\r\n")
            elif verb == "LOGIN":
                user, password = [p.strip('"') for p in args.split(" ", 1)]
                authed = (user, password) == (self.store.user, self.store.password)
                self._send(f"{tag} OK LOGIN completed\r\n" if authed else f"{tag} NO [AUTHENTICATIONFAILED] bad login\r\n")
            elif verb == "LOGOUT":
                self._send(f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n")
                return
            elif not authed:
                self._send(f"{tag} BAD log in first\r\n")
            elif verb == "SELECT":
                self._send(f"* {len(self.store.messages)} EXISTS\r\n* FLAGS (\\Seen)\r\n"
                           f"{tag} OK [READ-WRITE] SELECT completed\r\n")
            elif verb == "UID":
                self._uid(tag, args)
            else:
                self._send(f"{tag} BAD unknown command\r\n")

    def _uid(self, tag: str, args: str) -> None:
        sub, _, rest = args.partition(" ")
        sub = sub.upper()
        if sub == "SEARCH":
            found = [str(u) for u, (_, seen) in self.store.messages.items() if not seen]
            self._send(f"* SEARCH {' '.join(found)}\r\n{tag} OK SEARCH completed\r\n")
        elif sub == "FETCH":
            uid = int(rest.split(" ", 1)[0])
            raw = self.store.messages[uid][0]
            self._send(f"* {uid} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode() + raw + b")\r\n")
            self._send(f"{tag} OK FETCH completed\r\n")
        elif sub == "STORE":
            uids = [int(u) for u in rest.split(" ", 1)[0].split(",")]
            for uid in uids:
                self.store.messages[uid][1] = True
                self._send(f"* {uid} FETCH (UID {uid} FLAGS (\\Seen))\r\n")
            self._send(f"{tag} OK STORE completed\r\n")
        else:
            self._send(f"{tag} BAD unknown UID command\r\n")


class _TlsServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__(address, handler)

    def get_request(self):  # noqa: ANN201
        sock, address = super().get_request()
        return self.context.wrap_socket(sock, server_side=True), address


def start_imap(cert: Path, key: Path, store: ImapStore) -> tuple[socketserver.BaseServer, int]:
    """The fake IMAP server with implicit TLS (port 993 style) on 127.0.0.1."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = type("Session", (_ImapSession,), {"store": store})
    server = _TlsServer(("127.0.0.1", 0), handler, context)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def dsn(*, original: bytes, recipient: str, status: str = "5.1.1",
        diagnostic: str = "smtp; 550 5.1.1 User unknown") -> bytes:
    """A delivery status notification (RFC 3464) for `original`, as a receiving MTA would return it."""
    headers = original.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    boundary = uuid.uuid4().hex
    return (f"From: MAILER-DAEMON@mx.client.example\r\nTo: bounces@lotus.example\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your message could not be "
            f"delivered.\r\n\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
            f"Reporting-MTA: dns; mx.client.example\r\n\r\nFinal-Recipient: rfc822; {recipient}\r\n"
            f"Action: failed\r\nStatus: {status}\r\nDiagnostic-Code: {diagnostic}\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n").encode() + headers + (
            f"\r\n\r\n--{boundary}--\r\n").encode()


# ----------------------------------------------------------------------------------------------- SMS
def expected_signature(params: dict[str, str], secret: str) -> str:
    """The v1 signature computed the way the signature document spells it out (written apart from the bot's)."""
    def enc(value: str) -> str:
        return urllib.parse.quote(value.encode("utf-8"), safe="").replace("+", "%20").replace("*", "%2A").replace(
            "%7E", "~")

    canonical = "&".join(enc(k) + "=" + enc(params[k]) for k in sorted(params))
    string_to_sign = "GET" + "&" + enc("/") + "&" + enc(canonical)
    mac = hmac.new((secret + "&").encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


class AliyunFake:
    """Alibaba Cloud SMS as documented: SendSms and QuerySendDetails, signature v1 checked."""

    def __init__(self, key_id: str, secret: str) -> None:
        self.key_id, self.secret = key_id, secret
        self.sent: list[dict[str, str]] = []
        self.illegal: set[str] = set()
        self.failed: dict[str, str] = {}  # phone → carrier error code in its receipt
        self.requests: list[dict[str, str]] = []

    def answer(self, params: dict[str, str]) -> tuple[int, dict]:
        """(HTTP status, JSON body) for one request."""
        self.requests.append(params)
        request_id = str(uuid.uuid4()).upper()
        given = params.pop("Signature", "")
        if params.get("AccessKeyId") != self.key_id:
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.",
                         "RequestId": request_id}
        if given != expected_signature(params, self.secret):
            return 400, {"Code": "SignatureDoesNotMatch",
                         "Message": "Specified signature is not matched with our calculation.",
                         "RequestId": request_id}
        if params.get("Action") == "SendSms":
            phone = params.get("PhoneNumbers", "")
            if not re.fullmatch(r"(\+?86)?1\d{10}|\d{8,15}", phone) or phone in self.illegal:
                return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": request_id}
            try:
                json.loads(params.get("TemplateParam", "{}"))
            except ValueError:
                return 200, {"Code": "isv.INVALID_JSON_PARAM", "Message": "JSON参数不合法，只接受字符串值",
                             "RequestId": request_id}
            biz = f"{len(self.sent) + 900000}^0"
            self.sent.append({**params, "BizId": biz})
            return 200, {"Code": "OK", "Message": "OK", "BizId": biz, "RequestId": request_id}
        if params.get("Action") == "QuerySendDetails":
            phone, biz = params.get("PhoneNumber", ""), params.get("BizId", "")
            rows = []
            for sent in self.sent:
                if sent["BizId"] == biz and sent["PhoneNumbers"] == phone:
                    failed = self.failed.get(phone)
                    rows.append({"PhoneNum": phone, "SendStatus": 2 if failed else 3, "ErrCode": failed or "DELIVERED",
                                 "TemplateCode": sent["TemplateCode"], "Content": "", "SendDate": "", "ReceiveDate": "",
                                 "OutId": sent.get("OutId", "")})
            return 200, {"Code": "OK", "Message": "OK", "RequestId": request_id, "TotalCount": len(rows),
                         "SmsSendDetailDTOs": {"SmsSendDetailDTO": rows}}
        return 400, {"Code": "InvalidAction.NotFound", "Message": "Specified api is not found.", "RequestId": request_id}


def start_aliyun(fake: AliyunFake) -> tuple[http.server.HTTPServer, str]:
    """The fake SMS endpoint on 127.0.0.1; returns the server and its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            query = urllib.parse.urlsplit(self.path).query
            params = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
            status, body = fake.answer(params)
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"
