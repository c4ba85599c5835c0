"""The report as PDF (reportlab): the same sections as the HTML, and the chart drawn as vectors."""

from __future__ import annotations

import io
from html import escape
from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bot import chart

# A TrueType font with Chinese glyphs is embedded when one is installed (BREACHBOT_PDF_FONT, or a
# common system path); otherwise the CID font STSong-Light, which PDF readers supply themselves.
FONT = "breachbot-body"
CID_FALLBACK = "STSong-Light"
FONT_IN_USE = CID_FALLBACK
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


def _register_font(wanted: Path | None) -> str:
    """The font name to use, registering it on first use."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    for path in ([str(wanted)] if wanted else []) + list(SYSTEM_FONTS):
        if path and Path(path).is_file():
            try:
                pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
                return FONT
            except Exception:  # a font reportlab cannot read: try the next one
                continue
    if CID_FALLBACK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CID_FALLBACK


def _styles(font_path: Path | None) -> dict[str, ParagraphStyle]:
    global FONT_IN_USE
    FONT_IN_USE = _register_font(font_path)
    font = FONT_IN_USE
    base = getSampleStyleSheet()
    return {
        "h1": ParagraphStyle("h1", parent=base["Heading1"], fontName=font, fontSize=16, leading=20),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=font, fontSize=12, leading=16),
        "p": ParagraphStyle("p", parent=base["BodyText"], fontName=font, fontSize=9, leading=12),
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontName=font, fontSize=8, leading=10),
        "drill": ParagraphStyle("drill", parent=base["BodyText"], fontName=font, fontSize=11, leading=14,
                                textColor=colors.HexColor("#8a6d00"), backColor=colors.HexColor("#fff3cd")),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    # Paragraph reads a little markup: everything from the report is escaped first.
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _table(rows: list[list[object]], style: ParagraphStyle, widths: list[float] | None = None, *,
           header: bool = True) -> Table:
    table = Table([[_p(c, style) for c in row] for row in rows], colWidths=widths, repeatRows=1 if header else 0)
    shade = ("BACKGROUND", (0, 0), (-1, 0) if header else (0, -1), colors.HexColor("#f2f4f7"))
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), shade,
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
        drawing.add(String(0, y + 3, bar.label[:34], fontName=FONT_IN_USE, fontSize=7))
        drawing.add(Rect(x(bar.start), y + 2, max(x(bar.due) - x(bar.start), 1), 8, strokeWidth=0,
                         fillColor=colors.HexColor("#f3c4c4" if late else "#c9daf0")))
        drawing.add(Line(x(bar.due), y, x(bar.due), y + 12, strokeColor=colors.grey, strokeDashArray=[2, 2]))
        if bar.done:
            drawing.add(Rect(x(bar.done) - 2, y + 1, 4, 10, strokeWidth=0,
                             fillColor=colors.HexColor("#c0392b" if late else "#1f5fa8")))
    return drawing


def to_pdf(report: dict[str, Any], *, font: Path | None = None) -> bytes:
    """The report as an A4 PDF (`font`: a TTF/TTC with Chinese glyphs to embed)."""
    s = _styles(font)
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
              _p(L["facts"], s["h2"]), _table([list(r) for r in report["facts"]], s["cell"], header=False),
              _p(L["key_times"], s["h2"]), _table([list(r) for r in report["durations"]], s["cell"], header=False)]
    if report["drill_score"]:
        score = report["drill_score"]
        story += [_p(L["drill_score"], s["h2"]),
                  _table([[L["assembled"], score["assembled"]], [L["phases_on_time"], score["phases_on_time"]],
                          [L["clocks_met"], score["clocks_met"]]], s["cell"], header=False)]
    drawing = _chart(report, width)
    if drawing is not None:
        story += [KeepTogether([_p(L["chart_title"], s["h2"]), drawing])]
    story += [_p(L["team"], s["h2"]), _table([[m["role"], m["user"]] for m in report["team"]] or [["—"]],
                                             s["cell"], header=False),
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
              _table([[e["at"], e["actor"], e["kind"], e["text"]] for e in report["events"]] or [["—"]],
                     s["cell"], [38 * mm, 25 * mm, 35 * mm, None] if report["events"] else None, header=False),
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
