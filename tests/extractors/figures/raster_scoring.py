"""Scoring the raster digitizer against the generator's truth (tests/fixtures/plots/generate.py).

A raster case's PDF holds one embedded PNG covering the page; the digitizer gets that PNG's pixels (as the figures
stage would) with the page rect as bbox, so series boxes come back in page points, comparable to the truth panel
boxes. The score is the vector digitizer's (pipeline/figures/score.py): median point error in axis-range units,
every truth series (right-axis ones included) matched; the raster goal is a median error below 1 % of the range.
"""

from __future__ import annotations

import numpy as np

from pipeline.figures.score import CaseScore
from pipeline.figures.score import score_case as _score

TOL = 0.01  # raster goal: median error < 1 % of the axis range


def score_case(case, result) -> CaseScore:
    """E's score of one generated case (PlotCase) for a raster FigureResult."""
    return _score(result, case.to_json())


def case_image(pdf):
    """The embedded PNG of a raster case, as an RGB array, and the page rect."""
    import cv2
    import pymupdf

    with pymupdf.open(pdf) as doc:
        page = doc[0]
        xref = page.get_images()[0][0]
        data = doc.extract_image(xref)["image"]
        rect = page.rect
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    return np.ascontiguousarray(img), (rect.x0, rect.y0, rect.x1, rect.y1)
