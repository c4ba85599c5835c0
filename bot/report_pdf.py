"""The report as PDF (reportlab): the same sections as the HTML, and the chart drawn as vectors."""

from __future__ import annotations

import io
from html import escape
from typing import Any

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bot import chart

FONT = "STSong-Light"  # a CID font every PDF viewer has for CJK; it carries Latin text too


def _styles() -> dict[str, ParagraphStyle]:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = getSampleStyleSheet()
    return {
        "h1": ParagraphStyle("h1", parent=base["Heading1"], fontName=FONT, fontSize=16, leading=20),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=FONT, fontSize=12, leading=16),
        "p": ParagraphStyle("p", parent=base["BodyText"], fontName=FONT, fontSize=9, leading=12),
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontName=FONT, fontSize=8, leading=10),
        "drill": ParagraphStyle("drill", parent=base["BodyText"], fontName=FONT, fontSize=11, leading=14,
                                textColor=colors.HexColor("#8a6d00"), backColor=colors.HexColor("#fff3cd")),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    # Paragraph reads a little markup: everything from the report is escaped first.
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _table(rows: list[list[object]], style: ParagraphStyle, widths: list[float] | None = None) -> Table:
    table = Table([[_p(c, style) for c in row] for row in rows], colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f4f7")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _chart(report: dict[str, Any], width: float) -> Drawing | None:
    bars: list[chart.Bar] = report["bars"]
    if not bars:
        return None
    row, left = 14, 150
    height = row * len(bars) + 20
    drawing = Drawing(width, height)
    first, last = chart.span(bars, report["now"])
    total = max((last - first).total_seconds(), 1.0)

    def x(when: Any) -> float:
        return left + (width - left - 10) * (when - first).total_seconds() / total

    for i, bar in enumerate(bars):
        y = height - (i + 1) * row
        late = (bar.done and bar.done > bar.due) or (not bar.done and report["now"] > bar.due)
        drawing.add(String(0, y + 3, bar.label[:34], fontName=FONT, fontSize=7))
        drawing.add(Rect(x(bar.start), y + 2, max(x(bar.due) - x(bar.start), 1), 8, strokeWidth=0,
                         fillColor=colors.HexColor("#f3c4c4" if late else "#c9daf0")))
        drawing.add(Line(x(bar.due), y, x(bar.due), y + 12, strokeColor=colors.grey, strokeDashArray=[2, 2]))
        if bar.done:
            drawing.add(Rect(x(bar.done) - 2, y + 1, 4, 10, strokeWidth=0,
                             fillColor=colors.HexColor("#c0392b" if late else "#1f5fa8")))
    return drawing


def to_pdf(report: dict[str, Any]) -> bytes:
    """The report as an A4 PDF."""
    s = _styles()
    L = report["L"]  # noqa: N806
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            title=f"{L['title']}: {report['id']}", author=report["firm"])
    width = A4[0] - 30 * mm
    story: list[Any] = []
    if report["drill"]:
        story.append(_p(L["drill_banner"], s["drill"]))
    story += [_p(f"{L['title']}: {report['id']} — {report['title']}", s["h1"]),
              _p(f"{report['firm']} · {L['generated']} {report['generated']} · {L['status']}: {report['status']}",
                 s["p"]),
              _p(L["facts"], s["h2"]), _table([["", ""]] + [list(r) for r in report["facts"]], s["cell"]),
              _p(L["key_times"], s["h2"]), _table([["", ""]] + [list(r) for r in report["durations"]], s["cell"])]
    if report["drill_score"]:
        score = report["drill_score"]
        story += [_p(L["drill_score"], s["h2"]),
                  _table([["", ""], [L["assembled"], score["assembled"]], [L["phases_on_time"], score["phases_on_time"]],
                          [L["clocks_met"], score["clocks_met"]]], s["cell"])]
    drawing = _chart(report, width)
    if drawing is not None:
        story += [_p(L["chart_title"], s["h2"]), drawing]
    story += [_p(L["team"], s["h2"]), _table([[L["team"], ""]] + [[m["role"], m["user"]] for m in report["team"]],
                                             s["cell"]),
              _p(L["phases"], s["h2"]),
              _table([["#", L["phase"], L["owner"], L["due"], L["done"], L["result"]]]
                     + [[p["position"], p["title"], p["owner"], p["due"], p["done"], p["status"]]
                        for p in report["phases"]], s["cell"], [8 * mm, 45 * mm, 28 * mm, 32 * mm, 32 * mm, None])]
    story.append(_p(L["clocks"], s["h2"]))
    if report["clocks"]:
        story += [_table([[L["clock"], L["audience"], L["due"], L["result"], L["reference"], L["citation"]]]
                         + [[c["id"], c["audience"], c["due"], c["status"], c["reference"], c["citation"]]
                            for c in report["clocks"]], s["cell"]), _p(L["not_advice"], s["p"])]
    else:
        story.append(_p(L["no_clocks"], s["p"]))
    story += [_p(L["decisions"], s["h2"])]
    story += [_p(f"{d['at']} · {d['actor']}: {d['text']}", s["p"]) for d in report["decisions"]] or [_p("—", s["p"])]
    story += [_p(L["timeline"], s["h2"]),
              _table([["", "", "", ""]] + [[e["at"], e["actor"], e["kind"], e["text"]] for e in report["events"]],
                     s["cell"], [38 * mm, 25 * mm, 35 * mm, None]),
              _p(L["statements"], s["h2"])]
    story += [_p(f"{d['id']} v{d['version']} · {d['kind']} · {d['lang']} · {d['status']} · {d['approvals']}", s["p"])
              for d in report["drafts"]] or [_p("—", s["p"])]
    summary = report["clients_summary"]
    story += [_p(L["clients_heading"], s["h2"]), _p(f"{L['clients_told']}: {summary['notified']}/{summary['total']}", s["p"]),
              _p(L["cause_lessons"], s["h2"]), _p(f"{L['cause']}: {report['cause']}", s["p"]),
              _p(f"{L['lessons']}: {report['lessons']}", s["p"]), _p(L["followups"], s["h2"])]
    story += [_p(f"{f['id']} · {f['text']} · {f['owner']} · {L['due']} {f['due']} · {L['done']} {f['done']}", s["p"])
              for f in report["followups"]] or [_p("—", s["p"])]
    story += [Spacer(1, 6 * mm), _p(L["integrity"], s["h2"]),
              _p(f"{L['head_hash']}: {report['head_hash']} ({report['events_count']} {L['events']})", s["p"]),
              _p(L["verify_how"].format(id=report["id"]), s["p"])]
    doc.build(story)
    return buffer.getvalue()
