"""Records from figures: only reported marked points, with the material from the caption; never curve points."""

from __future__ import annotations

import pytest

from extractors.figures.records import figure_records, says_reported
from schemas import Axis, BBox, Figure, FigureResult, FigureSeries, ParsedDocument, SeriesStyle
from schemas.document import Sentence
from schemas.geometry import CharSpan

CAPTION = "Fig. 2. Critical temperature of MgB2 films under pressure. Symbols are the measured values; the line is a fit."


def _doc(caption=CAPTION, sentences=()):
    fig = Figure(id="f1", page=3, bbox=BBox(x0=50, y0=60, x1=300, y1=260), label="Fig. 2", caption=caption)
    sents = [Sentence(id=f"s{i}", block_id="b1", span=CharSpan(start=0, end=len(t)), text=t) for i, t in enumerate(sentences)]
    return ParsedDocument(paper_id="p1", parser="pymupdf@1", figures=[fig], sentences=sents)


def _series(kind="markers", n=4, y_title="Tc (K)", y_prop="critical_temperature", label=None, i=0):
    pts = [[float(k), 39.0 - 0.8 * k] for k in range(n)]
    return FigureSeries(
        series_id=f"s{i}", paper_id="p1", figure_id="f1", page=3, bbox=BBox(x0=60, y0=70, x1=290, y1=240),
        x=Axis(title="Pressure (GPa)", property_id="pressure", unit_raw="GPa", unit="GPa"),
        y=Axis(title=y_title, property_id=y_prop, unit_raw="K", unit="K", side="left"),
        label=label, style=SeriesStyle(kind=kind, color="#ff0000"), points=pts, y_err=[0.5] * n,
    )


def _result(*series):
    return FigureResult(paper_id="p1", figure_id="f1", label="Fig. 2", page=3, status="digitized", series=list(series))


def test_marked_reported_points_become_records_with_figure_provenance():
    recs = figure_records(_doc(), [_result(_series(), _series(kind="line", n=200, i=1))])
    assert len(recs) == 4  # the markers only; the 200-point fit line gives nothing
    r = recs[1]
    assert r.property.id == "critical_temperature" and r.quantity.values == [38.2] and r.quantity.unit_raw == "K"
    assert r.quantity.uncertainty == 0.5
    assert r.material.formula == "MgB2"
    (c,) = r.conditions
    assert c.property_id == "pressure" and c.quantity.values == [1.0] and c.quantity.unit_raw == "GPa"
    assert r.evidence.source_kind == "figure" and r.evidence.source_id == "f1"
    assert r.evidence.prov[0].page == 3 and r.evidence.prov[0].bbox is not None
    assert r.extractor == "figures.records" and r.extractor_version
    assert len({x.record_id for x in recs}) == 4
    assert [x.record_id for x in figure_records(_doc(), [_result(_series())])] == [x.record_id for x in recs]


def test_cue_in_a_sentence_citing_the_figure_counts():
    doc = _doc(caption="Fig. 2. Critical temperature of MgB2 films under pressure.",
               sentences=["The measured values in Fig. 2 agree with earlier reports."])
    assert len(figure_records(doc, [_result(_series())])) == 4


@pytest.mark.parametrize(
    ("doc", "series"),
    [
        (_doc(caption="Fig. 2. Critical temperature of MgB2 films under pressure."), _series()),  # no cue
        (_doc(caption="Fig. 2. Tc of MgB2 and NbSe2 under pressure. Symbols are measured values."), _series()),  # 2 materials
        (_doc(caption="Fig. 2. Symbols are the measured values."), _series()),  # no material
        (_doc(), _series(kind="line")),  # a curve
        (_doc(), _series(n=40)),  # too many points to be reported values
        (_doc(), _series(y_title="Intensity (a.u.)", y_prop=None)),  # not a property
    ],
)
def test_no_records_without_every_condition(doc, series):
    assert figure_records(doc, [_result(series)]) == []


def test_uncalibrated_figures_give_nothing():
    res = _result(_series())
    res.status = "uncalibrated"
    assert figure_records(_doc(), [res]) == []


def test_reported_cues():
    assert says_reported("Open symbols denote the experimental values.")
    assert says_reported("Measured values are shown as circles.")
    assert not says_reported("The solid line is a guide to the eye.")
