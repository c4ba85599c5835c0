"""The PDF report carries what the HTML one does: every clocks column and label, readable columns in zh and en,
the chart's time axis, legend and awareness line, and "chain intact" in its integrity note."""

from __future__ import annotations

import pypdfium2
import pytest

from bot.report import document
from tests.test_report import built, scripted

CLOCK_COLUMNS = ("clock", "audience", "due", "result", "notified_at", "reference", "citation")


def pages_text(pdf: pypdfium2.PdfDocument) -> str:
    return "\n".join(page.get_textpage().get_text_range() for page in pdf)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_pdf_has_every_column_and_label_of_the_html(sqlite_engine, lang):
    console = scripted(sqlite_engine)
    report = built(console, lang)
    L = report["L"]  # noqa: N806
    html = document.to_html(report)
    pdf = pypdfium2.PdfDocument(document.render(report, "pdf"))
    text = pages_text(pdf)
    for column in CLOCK_COLUMNS:  # the clocks table's header, as the HTML has it
        assert f"<th>{L[column]}</th>" in html and L[column] in text, column
    assert any(c["firm_target"] for c in report["clocks"]) and f"({L['firm_target']})" in text
    met = [c["met"] for c in report["clocks"] if c["met"] not in ("", "—")]
    assert met and all(at in text for at in met)  # the notified-at times themselves
    # Readable columns: a clock id and each heading stand whole on one line, not a character per line.
    for clock in report["clocks"]:
        assert clock["id"] in text, clock["id"]
    assert L["chain_intact"] in html and L["chain_intact"] in text
    assert L["role_changes"] in text
    # The chart: the awareness line, its time axis (first and last moments) and the legend.
    for label in (L["aware_at"], L["planned"], L["actual"], L["late"]):
        assert label in text, label
    first = min(bar.start for bar in report["bars"])
    assert report["say_time"](first) in text


def test_the_chart_draws_its_awareness_line_and_legend(sqlite_engine):
    """Rendered to an image: the page with the chart shows the awareness line's orange and the legend's blues."""
    console = scripted(sqlite_engine)
    report = built(console, "zh")
    pdf = pypdfium2.PdfDocument(document.render(report, "pdf"))
    page = next(p for p in pdf if report["L"]["chart_title"] in p.get_textpage().get_text_range())
    pixels = set(page.render(scale=2).to_pil().convert("RGB").get_flattened_data())
    near = lambda rgb, want: all(abs(a - b) <= 24 for a, b in zip(rgb, want, strict=True))  # noqa: E731
    assert any(near(p, (0xD6, 0x89, 0x10)) for p in pixels)  # the awareness line
    assert any(near(p, (0xC9, 0xDA, 0xF0)) for p in pixels)  # planned bars and their legend swatch
    svg = document.to_html(report).split("<svg")[1]
    assert report["L"]["aware_at"] in svg.split("</svg>")[0]  # the HTML chart has the same line
