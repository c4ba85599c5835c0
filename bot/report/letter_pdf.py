"""A client letter as a one-file PDF, for the e-mail attachment (`BREACHBOT_MAIL_PDF=true`)."""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from bot.report.pdf import choose_font


def letter_pdf(text: str, *, font: Path | None = None) -> bytes:
    """The letter's paragraphs set in a font with Chinese glyphs; the text is escaped, never markup."""
    name = choose_font(font).name
    style = ParagraphStyle("letter", parent=getSampleStyleSheet()["BodyText"], fontName=name, fontSize=11,
                           leading=16)
    story = []
    for paragraph in text.replace("\r\n", "\n").split("\n\n"):
        if paragraph.strip():
            story += [Paragraph(escape(paragraph).replace("\n", "<br/>"), style), Spacer(1, 4 * mm)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=22 * mm, rightMargin=22 * mm, topMargin=20 * mm,
                      bottomMargin=20 * mm).build(story)
    return buffer.getvalue()
