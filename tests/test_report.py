"""Reports, follow-ups, drills and history: content, escaping, the chart, the PDF, and drills that stay drills."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pypdfium2
from sqlmodel import Session, select

from bot.report import document
from storage.models import Incident, TimelineEvent, Workspace
from tests.conftest import START, joined, make_console

HOSTILE = '<script>alert("x")</script> **bold** [click](https://evil) {{ 7*7 }}'
SCRIPT = f"""
alice #general> /breach declare Ledger backup on a lost laptop --severity high --data ledgers,bank_account
alice #breach-1> /breach assign @erin legal
alice #breach-1> /breach assign @dave it_security
alice #breach-1> /breach affected CN=1200 US-CA=40
~ +30m
alice #breach-1> /breach done 1
alice #breach-1> /breach done 2
alice #breach-1> /breach done 3
alice #breach-1> /breach decision {HOSTILE}
alice #breach-1> /breach phase next
~ +10h
dave #breach-1> /breach phase next --reason "scope known"
erin #breach-1> /breach notified us-ca-1798-82 --ref CA-77
alice #breach-1> /breach followup Brief the insurer --owner @alice --due +3d
alice #breach-1> /breach close --cause external_attack --lessons "Encrypt laptops {{{{ 1+1 }}}}" --confirm
"""


class Balanced(HTMLParser):
    """Checks that every opened element is closed, in order (void elements aside)."""

    VOID = {"meta", "br", "img", "hr", "input", "link", "rect", "line", "path"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def scripted(engine):
    console = make_console(engine)
    assert console.run_script(SCRIPT.strip().splitlines(), out=io.StringIO()) == 0
    return console


def built(console, lang="en"):
    with Session(console.bot.engine) as s:
        incident = s.exec(select(Incident)).one()
        ws = s.get(Workspace, incident.workspace_id)
        return document.build(s, incident=incident, playbook=console.bot.playbook, regimes=console.bot.regimes,
                            firm_profile=frozenset(), ws=ws, lang=lang, now=console.clock.now(),
                            firm_name="Lotus & Co.")


def test_report_sections_and_numbers(engine):
    console = scripted(engine)
    data = built(console)
    md = document.to_markdown(data)
    for heading in ("## Facts", "## Key times (from awareness)", "## Response team", "## Phases: due against actual",
                    "## Legal notification clocks", "## Notes, decisions and answers",
                    "## Timeline (in the order things happened)", "## Appendix: the complete record",
                    "## Statements and approvals", "## Client notification", "## Cause and lessons",
                    "## Follow-up actions", "## Integrity of this record"):
        assert heading in md, heading
    durations = dict(data["durations"])
    # The California notice goes to residents: a client notice, not a regulator's.
    assert durations["To declare"] == "0m" and durations["To first client told"] == "10h 30m"
    assert durations["To first regulator notice"] == "—"
    assert durations["To close"] == "10h 30m"
    phases = {p["position"]: p for p in data["phases"]}
    assert phases[1]["status"] == "met" and phases[1]["done"] == "28 November 2026, 10:35"
    assert phases[2]["status"] == "late by 2h 30m"
    assert phases[3]["status"] == "not completed" and phases[3]["due"] == "28 November 2026, 22:05"
    clocks = {c["id"]: c for c in data["clocks"]}
    assert clocks["us-ca-1798-82/residents"]["reference"] == "CA-77"
    assert clocks["us-ca-1798-82/residents"]["status"] == "met"
    assert clocks["cn-pipl-57/authority"]["firm_target"] is True
    assert [f["text"] for f in data["followups"]][0] == "Brief the insurer"
    assert len(data["followups"]) == 4  # ours and the three standard ones
    assert data["cause"] == "Outside attack" and data["lessons"] == "Encrypt laptops {{ 1+1 }}"
    with Session(engine) as s:
        head = s.exec(select(TimelineEvent).order_by(TimelineEvent.seq.desc())).first().hash
    assert f"`{head}`" in md and "breachbot verify BR-1" in md
    # user text is inert in Markdown
    assert "\\[click\\](https://evil)" in md and "\\<script>" in md and "{{ 7\\*7 }}" in md  # literal, never run


def test_html_is_balanced_escaped_and_has_the_chart(sqlite_engine):
    console = scripted(sqlite_engine)
    html = document.to_html(built(console))
    checker = Balanced()
    checker.feed(html)
    assert checker.errors == [] and checker.stack == []
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert html.count("<svg") == 1 and "Phases and clocks: planned against actual" in html
    assert "cn-pipl-57/authority" in html.split("<svg")[1].split("</svg>")[0]


def test_pdf_opens_and_its_first_page_renders(sqlite_engine, tmp_path):
    console = scripted(sqlite_engine)
    body = document.render(built(console, "zh"), "pdf")
    assert body.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(body)
    assert len(pdf) >= 2
    image = pdf[0].render(scale=1).to_pil()
    assert image.size[0] > 500 and len(set(image.convert("L").get_flattened_data())) > 2  # not a blank page
    text = pdf[0].get_textpage().get_text_range()
    assert "BR-1" in text and "Ledger backup on a lost laptop" in text


def ink(page: pypdfium2.PdfPage, words: str, scale: int = 2) -> int:
    """Dark pixels where `words` stand on a rendered page: text a viewer cannot draw leaves none."""
    textpage = page.get_textpage()
    found = textpage.search(words).get_next()
    assert found, words
    start, count = found
    boxes = [textpage.get_charbox(start + i) for i in range(count)]
    left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
    height = page.get_height()
    image = page.render(scale=scale).to_pil().convert("L")
    crop = image.crop((int(left * scale), int((height - top) * scale), int(right * scale) + 1,
                       int((height - bottom) * scale) + 1))
    return sum(1 for p in crop.get_flattened_data() if p < 160)


def test_chinese_glyphs_are_drawn_in_the_pdf(sqlite_engine):
    """pdfium (and Chrome) draw no glyph for a CID font the reader must supply: the font must be embedded."""
    console = scripted(sqlite_engine)
    zh = pypdfium2.PdfDocument(document.render(built(console, "zh"), "pdf"))[0]
    en = pypdfium2.PdfDocument(document.render(built(console, "en"), "pdf"))[0]
    latin = ink(en, "Post-incident report")
    assert latin > 100  # the English heading, as a yardstick
    assert ink(zh, "事件总结报告") > latin / 4  # six Chinese characters carry at least a quarter of its ink
    assert ink(zh, "事实") > 0  # and the headings further down


def test_without_an_embeddable_font_the_doctor_warns(monkeypatch, tmp_path):
    from bot.report import pdf as report_pdf
    from handlers.doctor import diagnose
    from handlers.doctor import report as doctor_report
    from tests.conftest import make_settings

    monkeypatch.chdir(tmp_path)  # the doctor opens the database too: never the work tree's
    db = f"sqlite:///{tmp_path / 'doctor.db'}"
    ok = [c for c in diagnose(make_settings(database_url=db), probe_platforms=False) if c.name == "pdf font"]
    assert ok[0].ok and not ok[0].warn and "NotoSansSC" in ok[0].detail
    monkeypatch.setattr(report_pdf, "packaged_font", lambda: None)
    monkeypatch.setattr(report_pdf, "SYSTEM_FONTS", ())
    checks = diagnose(make_settings(database_url=db, pdf_font=tmp_path / "missing.ttf"), probe_platforms=False)
    said = doctor_report([c for c in checks if c.name == "pdf font"])
    assert said.startswith("⚠ pdf font: no TrueType font with Chinese glyphs can be embedded: Chinese text in PDF "
                           "reports will show blank in pdfium, Chrome and many other viewers")
    assert "missing.ttf: no such file" in said and "fix: reinstall breachbot's dependencies" in said
    assert report_pdf.choose_font(None).name == report_pdf.CID_FALLBACK  # what the PDF then falls back to


def test_report_command_uploads_to_the_war_room(sqlite_engine):
    console = scripted(sqlite_engine)
    sent = console.say("alice", "/breach report BR-1 --format html", "general")
    upload = next(s for s in sent if s.op == "upload")
    assert upload.room == "breach-1"  # never a public room
    assert Path(upload.text).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "📄 Report for BR-1 (html): " in joined(sent)
    data = json.loads(Path(next(s for s in console.say("alice", "/breach report --format json", "breach-1")
                                if s.op == "upload").text).read_text(encoding="utf-8"))
    assert data["id"] == "BR-1" and data["durations"]["To close"] == "10h 30m"
    assert "No report format 'doc'" in joined(console.say("alice", "/breach report --format doc", "breach-1"))


def test_summary_in_chat(sqlite_engine):
    console = scripted(sqlite_engine)
    text = joined(console.say("alice", "/breach summary", "breach-1"))
    assert text.startswith("BR-1 · Ledger backup on a lost laptop · severity high · closed")
    assert "Phase 3/10 Report to management" in text and HOSTILE in text


def test_followups_remind_after_close(sqlite_engine):
    console = scripted(sqlite_engine)
    later = console.advance(START + timedelta(hours=10, minutes=35) + timedelta(days=3) - timedelta(hours=1))
    reminders = [s for s in later if s.op == "direct" and "F-1" in s.text]
    assert [s.user for s in reminders] == ["alice"]
    assert "follow-up F-1 is due" in reminders[0].text and "Brief the insurer" in reminders[0].text
    console.say("alice", "/breach followup done F-1", "breach-1")
    quiet = console.advance(START + timedelta(days=5))
    assert not [s for s in quiet if "F-1" in s.text]
    listing = joined(console.say("alice", "/breach followups", "breach-1"))
    assert "[✓] F-1 Brief the insurer" in listing and "[ ] F-2 Client satisfaction check" in listing


def test_a_drill_is_marked_injected_and_scored(sqlite_engine):
    console = make_console(sqlite_engine)
    sent = console.say("alice", "/breach drill public-share")
    text = joined(sent)
    assert "[DRILL] 🚨 BR-1 declared by @alice" in text
    assert "🎭 Drill BR-1 started from scenario public-share." in text
    timeline = console.advance(START + timedelta(minutes=25))
    injects = [s.text for s in timeline if s.op == "post" and "🎭 Inject" in s.text]
    assert injects == ["[DRILL] 🎭 Inject (20m into the drill): A client calls: they received a phishing email quoting their "
                       "tax ID and asking them to 'confirm' a refund."]
    # every message of a drill says so
    assert all(s.text.startswith("[DRILL]") for s in timeline if s.op in ("post", "direct"))
    console.say("alice", "/breach assign @erin legal", "breach-1")
    console.say("alice", "/breach assign @dave it_security", "breach-1")
    console.say("alice", '/breach close --cause staff_error --lessons "Drill went fine" --confirm', "breach-1")
    data = built(console)
    assert data["drill"] and data["drill_score"]["assembled"] == "25m"
    assert document.to_markdown(data).startswith("> **DRILL — this is an exercise report")
    letters = joined(console.say("alice", "/breach draft client", "breach-1"))
    assert "closed" in letters  # a closed drill drafts nothing more


def test_history_keeps_drills_out_of_the_averages(sqlite_engine):
    console = scripted(sqlite_engine)
    console.say("alice", "/breach drill public-share", "general")
    text = joined(console.say("alice", "/breach history", "general"))
    assert "BR-1 · high · closed · Ledger backup on a lost laptop · 0m / — / — / 10h 30m / 10h 30m" in text
    assert "BR-2 · DRILL · open" in text
    assert "Average time to declare (real incidents): 0m over 1" in text
