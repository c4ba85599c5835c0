"""The report as PDF (reportlab): the same sections as the HTML, and the chart drawn as vectors."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from html import escape
from importlib.resources import files
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

from bot.report import chart

# Chinese text needs a TrueType font embedded in the PDF. The CID font STSong-Light (which readers are
# meant to supply) shows every Chinese glyph blank in pdfium, Chrome and other viewers without Adobe's
# Asian font packs, so it is only the last resort. reportlab embeds TrueType outlines only (not CFF/OTF).
CID_FALLBACK = "STSong-Light"
PACKAGED = ("justmytype_intl_cjk", "fonts/ofl/notosanssc/NotoSansSC[wght].ttf")  # Noto Sans SC, OFL-1.1
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)
PROBE = "中"  # a font without this glyph cannot set the Chinese report


@dataclass(frozen=True)
class FontChoice:
    """The font Chinese text is set in: an embedded TrueType file, or (path None) the CID fallback."""

    name: str
    path: Path | None
    problems: tuple[str, ...] = ()  # why wanted or found fonts were passed over


def packaged_font() -> Path | None:
    """Noto Sans SC as shipped by the justmytype-intl-cjk dependency, if it is installed."""
    try:
        found = Path(str(files(PACKAGED[0]) / PACKAGED[1]))
    except ModuleNotFoundError:
        return None
    return found if found.is_file() else None


def choose_font(wanted: Path | None = None) -> FontChoice:
    """The first font that can be embedded with Chinese glyphs: `wanted`, the packaged one, a system one."""
    problems: list[str] = []
    packaged = packaged_font()
    candidates = ([wanted] if wanted else []) + ([packaged] if packaged else []) + [Path(p) for p in SYSTEM_FONTS]
    for path in candidates:
        if not path.is_file():
            if path == wanted:
                problems.append(f"{path}: no such file")
            continue
        name = "breachbot-" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
        if name not in pdfmetrics.getRegisteredFontNames():
            try:
                font = TTFont(name, str(path), subfontIndex=0)
            except Exception as exc:  # not TrueType (CFF/OTF), damaged, unreadable: try the next one
                problems.append(f"{path}: reportlab cannot embed it ({str(exc).splitlines()[0][:120]})")
                continue
            if ord(PROBE) not in font.face.charToGlyph:
                problems.append(f"{path}: has no Chinese glyphs")
                continue
            pdfmetrics.registerFont(font)
        return FontChoice(name, path, tuple(problems))
    if CID_FALLBACK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return FontChoice(CID_FALLBACK, None, tuple(problems))


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "h1": ParagraphStyle("h1", parent=base["Heading1"], fontName=font, fontSize=16, leading=20),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=font, fontSize=12, leading=16, keepWithNext=1),
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


def _chart(report: dict[str, Any], width: float, font: str) -> Drawing | None:
    bars: list[chart.Bar] = report["bars"]
    if not bars:
        return None
    row, left, top, bottom = 14, 150, 14, 34  # top: the awareness label; bottom: the time axis and the legend
    height = top + row * len(bars) + bottom
    drawing = Drawing(width, height)
    first, last = chart.span(bars, report["now"])
    total = max((last - first).total_seconds(), 1.0)

    def x(when: Any) -> float:
        return left + (width - left - 10) * (when - first).total_seconds() / total

    for i, bar in enumerate(bars):
        y = height - top - (i + 1) * row
        late = (bar.done and bar.done > bar.due) or (not bar.done and report["now"] > bar.due)
        drawing.add(String(0, y + 3, bar.label[:34], fontName=font, fontSize=7))
        drawing.add(Rect(x(bar.start), y + 2, max(x(bar.due) - x(bar.start), 1), 8, strokeWidth=0,
                         fillColor=colors.HexColor("#f3c4c4" if late else "#c9daf0")))
        drawing.add(Line(x(bar.due), y, x(bar.due), y + 12, strokeColor=colors.grey, strokeDashArray=[2, 2]))
        if bar.done:
            drawing.add(Rect(x(bar.done) - 2, y + 1, 4, 10, strokeWidth=0,
                             fillColor=colors.HexColor("#c0392b" if late else "#1f5fa8")))
    L, say = report["L"], report["say_time"]  # noqa: N806
    axis = bottom - 6  # the time axis: a line with the first, middle and last moments under it
    drawing.add(Line(left, axis, width - 10, axis, strokeColor=colors.grey))
    for at, anchor in ((first, "start"), (first + (last - first) / 2, "middle"), (last, "end")):
        drawing.add(Line(x(at), axis - 2, x(at), axis + 2, strokeColor=colors.grey))
        drawing.add(String(x(at), axis - 9, say(at), fontName=font, fontSize=6, textAnchor=anchor))
    aware = x(max(report["aware"], first))  # the moment the firm became aware: every clock counts from it
    drawing.add(Line(aware, axis, aware, height - 4, strokeColor=colors.HexColor("#d68910"), strokeWidth=1.5))
    drawing.add(String(aware + 3, height - 10, L["aware_at"], fontName=font, fontSize=7,
                       fillColor=colors.HexColor("#d68910")))
    for i, (label, colour, size) in enumerate(((L["planned"], "#c9daf0", 10), (L["actual"], "#1f5fa8", 4),
                                               (L["late"], "#f3c4c4", 10))):
        lx = i * 110
        drawing.add(Rect(lx, 1, size, 7, strokeWidth=0, fillColor=colors.HexColor(colour)))
        drawing.add(String(lx + size + 3, 2, label, fontName=font, fontSize=7))
    return drawing


def _extra(entry: dict[str, Any], L: dict[str, str]) -> str:  # noqa: N803 - the templates' name
    """When it was recorded, and what corrected it, after an entry's text."""
    out = L["recorded"].format(at=entry["recorded"]) if entry["recorded"] else ""
    if entry["corrected_by"]:
        out += L["corrected_note"].format(by=entry["corrected_by"], at=entry["was"])
    return out


def to_pdf(report: dict[str, Any], *, font: Path | None = None) -> bytes:
    """The report as an A4 PDF (`font`: a TTF/TTC with Chinese glyphs to embed, else see choose_font)."""
    chosen = choose_font(font).name
    s = _styles(chosen)
    L = report["L"]  # noqa: N806
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            title=f"{L['title']}: {report['id']}", author=report["firm"],
                            subject=f"breachbot-verify {report['id']} upto {report['head_seq']} {report['head_hash']}")
    width = A4[0] - 30 * mm
    story: list[Any] = []
    if report["drill"]:
        story.append(_p(L["drill_banner"], s["drill"]))
    story += [_p(f"{L['title']}: {report['id']} — {report['title']}", s["h1"]),
              _p(f"{report['firm']} · {L['generated']} {report['generated']} · {L['status']}: {report['status']} · {report['zone']}",
                 s["p"]),
              _p(L["facts"], s["h2"]), _table([list(r) for r in report["facts"]], s["cell"], [55 * mm, None], header=False),
              _p(L["key_times"], s["h2"]),
              _table([list(r) for r in report["durations"]], s["cell"], [55 * mm, None], header=False)]
    if report["drill_score"]:
        score = report["drill_score"]
        story += [_p(L["drill_score"], s["h2"]),
                  _table([[L["assembled"], score["assembled"]], [L["phases_on_time"], score["phases_on_time"]],
                          [L["clocks_met"], score["clocks_met"]]], s["cell"], header=False)]
    drawing = _chart(report, width, chosen)
    if drawing is not None:
        story += [KeepTogether([_p(L["chart_title"], s["h2"]), drawing])]
    story += [_p(L["team"], s["h2"]), _table([[m["role"], m["user"]] for m in report["team"]] or [["—"]],
                                             s["cell"], header=False),
              _p(f"{L['role_changes']}:", s["p"]),
              *[_p(f"{c['at']} · {c['role']} → {c['user']} ({L['by']} {c['by']})"
                   + (f" · {L['until']} {c['ended']}" if c["ended"] else ""), s["p"]) for c in report["role_changes"]],
              _p(L["phases"], s["h2"]),
              _table([["#", L["phase"], L["owner"], L["due"], L["done"], L["result"]]]
                     + [[p["position"], p["title"], p["owner"], p["due"], p["done"],
                         p["status"] + (f" ({p['note']})" if p.get("note") else "")]
                        for p in report["phases"]], s["cell"], [8 * mm, 45 * mm, 28 * mm, 32 * mm, 32 * mm, None])]
    story.append(_p(L["clocks"], s["h2"]))
    if report["clocks"]:
        # The same seven columns as the HTML, each wide enough to read (a clock id is one unbroken word).
        story += [_table([[L["clock"], L["audience"], L["due"], L["result"], L["notified_at"], L["reference"],
                           L["citation"]]]
                         + [[c["id"], c["audience"], c["due"] + (f" ({L['firm_target']})" if c["firm_target"] else ""),
                             c["status"], c["met"], c["reference"], c["citation"]] for c in report["clocks"]],
                         s["cell"], [36 * mm, 27 * mm, 26 * mm, 16 * mm, 24 * mm, 19 * mm, None]),
                  _p(L["not_advice"], s["p"])]
    else:
        story.append(_p(L["no_clocks"], s["p"]))
    head = [L["col_time"], L["col_who"], L["col_what"], L["col_details"]]
    story += [_p(L["decisions"], s["h2"]),
              _table([head] + ([[e["at"], e["actor"], e["kind"], e["text"] + _extra(e, L)] for e in report["words"]]
                               or [["—", "", "", ""]]), s["cell"], [38 * mm, 25 * mm, 30 * mm, None])]
    if report["words_more"]:
        story.append(_p(L["more_in_appendix"].format(count=report["words_more"]), s["p"]))
    story += [_p(L["timeline"], s["h2"]),
              _table([head] + [[e["at"], e["actor"], e["kind"], e["text"] + _extra(e, L)] for e in report["events"]],
                     s["cell"], [38 * mm, 25 * mm, 30 * mm, None])]
    if report["events_more"]:
        story.append(_p(L["more_in_appendix"].format(count=report["events_more"]), s["p"]))
    story += [_p(L["statements"], s["h2"])]
    story += [_p(f"{d['id']} {d['version']} · {d['kind']} · {d['lang']} · {d['status']} · {d['approvals']}", s["p"])
              for d in report["drafts"]] or [_p("—", s["p"])]
    summary = report["clients_summary"]
    story += [_p(L["clients_heading"], s["h2"]), _p(f"{L['clients_told']}: {summary['notified']}/{summary['total']}"
                 + (f" ({report['clients_breakdown']})" if report["clients_breakdown"] else ""), s["p"]),
              *[part for section in report["response"] for part in (
                  _p(section["title"], s["h2"]), *(_p(text, s["p"]) for text in section["lines"]))],
              _p(L["cause_lessons"], s["h2"]), _p(f"{L['cause']}: {report['cause']}", s["p"]),
              _p(f"{L['lessons']}: {report['lessons']}", s["p"]), _p(L["followups"], s["h2"])]
    story += [_p(f"{f['id']} · {f['text']} · {f['owner']} · {L['due']} {f['due']} · {L['done']} {f['done']}", s["p"])
              for f in report["followups"]] or [_p("—", s["p"])]
    story += [Spacer(1, 6 * mm), _p(L["integrity"], s["h2"]),
              _p(f"{L['head_hash']}: {report['head_hash']} ({report['events_count']} {L['events']}, "
                 f"{L['chain_intact'] if report['intact'] else L['chain_broken']})", s["p"]),
              _p(L["last_event"].format(seq=report["head_seq"], hash=report["head_hash"]), s["p"]),
              _p(L["verify_how"].format(id=report["id"], seq=report["head_seq"]), s["p"]),
              _p(L["appendix"], s["h2"]),
              _table([["#", *head]] + [[e["seq"], e["at"], e["actor"], e["kind"], e["text"] + _extra(e, L)]
                                       for e in report["appendix"]], s["cell"],
                     [10 * mm, 36 * mm, 22 * mm, 28 * mm, None])]
    doc.build(story)
    return buffer.getvalue()
