"""The incident page over HTTP: `/incidents/BR-n`, its live updates, downloads, `/history`, the survey and the
client register's upload form (`/incidents/BR-n/clients/upload`, bot/flows/upload.py).

Only translation lives here: query strings and headers become `PageSite` calls, results become
Jinja2 pages (autoescaped) with a strict Content-Security-Policy. No JavaScript framework, no build
step, nothing fetched from anywhere else: one stylesheet and one small script, served from here.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, render_template, request
from sqlalchemy import Engine
from werkzeug.exceptions import RequestEntityTooLarge

from bot.clock import Clock
from bot.errors import UserError
from bot.flows.page import PageSite, Refused, Survey
from bot.flows.upload import RegisterUpload
from bot.settings import Settings
from bot.views.page import words
from handlers.edge import UPLOAD_BODY

log = logging.getLogger("breachbot.page")
HERE = Path(__file__).resolve().parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SURVEY_CSP = CSP.replace("form-action 'none'", "form-action 'self'")  # the survey's one form posts back here
_POSTS_BACK = ("page.survey", "page.register_upload")  # the pages whose one form posts back to themselves
_REF = re.compile(r"^BR-?(\d{1,9})$", re.I)
_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf",
          "export": "application/json; charset=utf-8"}


def _secure(response: Response) -> Response:
    """Every answer: the strict CSP, no referrer (the link is in the URL), nothing cached, no sniffing."""
    response.headers["Content-Security-Policy"] = SURVEY_CSP if request.endpoint in _POSTS_BACK else CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _forbidden(why: str) -> Response:
    """One plain 403 in both languages, whatever the reason (the reason goes to the log only)."""
    log.info("incident page refused: %s (%s)", why, request.remote_addr)
    body = render_template("page/forbidden.html", en=words("en"), zh=words("zh"))
    return Response(body, status=403, mimetype="text/html")


def _number(ref: str) -> int | None:
    match = _REF.match(ref.strip())
    return int(match[1]) if match else None


def blueprint(site: PageSite, uploads: RegisterUpload | None = None) -> Blueprint:
    """The page routes, bound to one `PageSite` (and the register upload form to the bots that tell war rooms)."""
    pages = Blueprint("page", __name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"),
                      static_url_path="/page-static")
    pages.after_request(_secure)

    def args() -> tuple[str, str | None]:
        return request.args.get("k", ""), request.args.get("lang")

    @pages.get("/incidents/<ref>")
    def incident(ref: str) -> Any:
        token, lang = args()
        number = _number(ref)
        if number is None or not token:
            return _forbidden("no token" if number else "bad incident ref")
        try:
            shown = site.open(token=token, number=number, lang=lang, where=request.remote_addr or "-",
                              agent=request.headers.get("User-Agent", ""))
        except Refused as exc:
            return _forbidden(exc.why)
        return render_template("page/incident.html", p=shown.data, version=shown.version, token=token, ref=ref)

    @pages.get("/incidents/<ref>/live")
    def live(ref: str) -> Any:
        token, lang = args()
        number = _number(ref)
        if number is None or not token:
            return _forbidden("no token")
        try:
            shown = site.live(token=token, number=number, lang=lang, since=request.args.get("v", ""))
        except Refused as exc:
            return _forbidden(exc.why)
        if shown is None:
            return Response(status=204)
        body = render_template("page/incident.html", p=shown.data, version=shown.version, token=token, ref=ref)
        return Response(body, mimetype="text/html", headers={"X-Page-Version": shown.version})

    @pages.get("/incidents/<ref>/download/<fmt>")
    def download(ref: str, fmt: str) -> Any:
        token, lang = args()
        number = _number(ref)
        if number is None or not token or fmt not in _TYPES:
            return _forbidden("bad download")
        try:
            name, body = site.download(token=token, number=number, fmt=fmt, lang=lang)
        except Refused as exc:
            return _forbidden(exc.why)
        return Response(body, mimetype=_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @pages.get("/history")
    def history() -> Any:
        token, lang = args()
        if not token:
            return _forbidden("no token")
        try:
            data = site.history(token=token, lang=lang)
        except Refused as exc:
            return _forbidden(exc.why)
        return render_template("page/history.html", h=data, token=token)

    @pages.route("/survey", methods=["GET", "POST"])
    def survey() -> Any:
        token, lang = args()
        if not token:
            return _forbidden("no token")
        asking = Survey(site)
        try:
            if request.method == "GET":
                return render_template("page/survey.html", s=asking.form(token=token, lang=lang), token=token)
            try:
                shown = asking.answer(token=token, lang=lang, answers=request.form.to_dict())
            except UserError as exc:
                shown = asking.form(token=token, lang=lang)
                return render_template("page/survey.html", s=shown, token=token, error=str(exc),
                                       typed=request.form.to_dict()), 400
        except Refused as exc:
            return _forbidden(exc.why)
        return render_template("page/survey.html", s=shown, token=token, thanks=True)

    @pages.route("/incidents/<ref>/clients/upload", methods=["GET", "POST"])
    def register_upload(ref: str) -> Any:
        token, _ = args()
        number = _number(ref)
        if number is None or not token or uploads is None:
            return _forbidden("no token" if number else "bad incident ref")
        try:
            if request.method == "GET":
                return render_template("page/upload.html", u=uploads.form(token=token, number=number), token=token,
                                       ref=ref)
            request.max_content_length = UPLOAD_BODY  # this form's own limit (handlers/edge.py), not MAX_BODY
            try:
                sent = request.files.get("file")
                content, name, too_large = (sent.read() if sent else None), (sent.filename if sent else "") or "", False
            except RequestEntityTooLarge:
                content, name, too_large = None, "", True
            shown = uploads.receive(token=token, number=number, filename=name, content=content, too_large=too_large)
        except Refused as exc:
            return _forbidden(exc.why)
        status = 200 if "done" in shown else 413 if shown.get("too_large") else 400
        return render_template("page/upload.html", u=shown, token=token, ref=ref), status

    return pages


def register(app: Flask, *, settings: Settings, engine: Engine, clock: Clock | None = None,
             bots: list[Any] | None = None) -> PageSite:
    """Mount the incident pages on `app`; `bots` (Slack, WeCom) name people on their pages. Returns the site."""
    site = PageSite(settings, engine=engine, clock=clock,
                    names={b.chat.platform: b.chat.display_name for b in bots or []})
    app.register_blueprint(blueprint(site, RegisterUpload(site, {b.chat.platform: b for b in bots or []})))
    return site
