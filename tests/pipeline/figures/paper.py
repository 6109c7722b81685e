"""A one-page 'paper' around a generated plot: the vector plot placed on an A4 page with a body paragraph and a
"Figure 1." caption, so parse finds the figure exactly as it finds one in a journal PDF."""

from __future__ import annotations

from pathlib import Path

import pymupdf

BODY = ("We measured the resistivity of LaFeAsO0.9F0.1 films between 2 and 300 K. The transition is sharp and the "
        "normal state is metallic. Figure 1 shows the data for all samples studied in this work.")


def paper_with_plot(plot_pdf: Path, out: Path, caption: str = "Figure 1. Resistivity of LaFeAsO0.9F0.1 films.") -> tuple:
    """Write the page to `out`; returns (dx, dy, scale): plot point (x, y) lands at (dx + x*scale, dy + y*scale)."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_textbox(pymupdf.Rect(60, 60, 535, 140), BODY, fontsize=10, fontname="helv")
    with pymupdf.open(plot_pdf) as src:
        r = src[0].rect
        scale = min(420 / r.width, 340 / r.height)
        target = pymupdf.Rect(80, 160, 80 + r.width * scale, 160 + r.height * scale)
        page.show_pdf_page(target, src, 0)
    page.insert_textbox(pymupdf.Rect(60, target.y1 + 12, 535, target.y1 + 60), caption, fontsize=9, fontname="helv")
    page.insert_textbox(pymupdf.Rect(60, target.y1 + 70, 535, target.y1 + 140), BODY, fontsize=10, fontname="helv")
    doc.save(out)
    doc.close()
    return target.x0, target.y0, scale


def moved_truth(case, place: tuple) -> dict:
    """The case's truth with panel boxes moved to where paper_with_plot put the plot."""
    dx, dy, k = place
    t = case.to_json()
    for p in t["panels"]:
        x0, y0, x1, y1 = p["bbox"]
        p["bbox"] = (dx + x0 * k, dy + y0 * k, dx + x1 * k, dy + y1 * k)
    return t
