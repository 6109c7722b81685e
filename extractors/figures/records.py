"""Records from figures: only explicitly marked points that the paper says are its reported values.

A curve is not a set of facts: most plots show a measurement sweep, a fit or a simulation. So a digitized series
yields records only when all of these hold:

* the y axis reads as a vocabulary property (not a condition, not "Intensity (a.u.)") with a unit;
* the series is a set of marked points (markers), few enough to be individual values (`max_points`);
* the caption names exactly one material (or the series label does);
* the caption, or a body sentence citing the figure, says the marked points are the measured / reported values.

Each record keeps the figure id, page, panel box, series id and the x value as a condition when the x axis is a
condition (temperature, field, pressure...). Values stay in the axis unit; normalize converts them.
"""

from __future__ import annotations

import re
from typing import Iterable

from schemas import (
    Condition,
    Evidence,
    Figure,
    FigureResult,
    FigureSeries,
    Material,
    ParsedDocument,
    PropertyRef,
    Prov,
    Quantity,
    Record,
)

NAME = "figures.records"
VERSION = "1"
MAX_POINTS = 12

_REPORTED = re.compile(
    r"\b(symbols?|markers?|points?|circles?|squares?|triangles?|dots?)\b[^.;]{0,60}?\b(are|show|shows|denote|denotes|"
    r"represent|represents|indicate|indicates|give|gives|mark|marks)\b[^.;]{0,40}?\b(measured|experimental|reported|"
    r"obtained|observed)\b|\b(measured|experimental|reported) (values?|data points?|points?)\b",
    re.I,
)


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def says_reported(text: str | None) -> bool:
    return bool(text and _REPORTED.search(text))


def _citing_sentences(doc: ParsedDocument, fig: Figure) -> Iterable[str]:
    if not fig.label:
        return []
    num = fig.label.split()[-1]
    rx = re.compile(rf"\bFig(?:ure|s?\.)?\s*{re.escape(num)}\b", re.I)
    return [s.text for s in doc.sentences if rx.search(s.text)]


def _material(text: str | None):
    if not text:
        return None
    from extractors.materials import find_materials

    found = {m.formula or m.name or m.raw: m for m in find_materials(text)}
    return next(iter(found.values())) if len(found) == 1 else None


def figure_records(doc: ParsedDocument, results: list[FigureResult], max_points: int = MAX_POINTS) -> list[Record]:
    """Records for reported marked points of the paper's digitized figures (see the module docstring)."""
    from schemas.vocab import load_vocabulary

    vocab = load_vocabulary()
    figs = {f.id: f for f in doc.figures}
    out: list[Record] = []
    for res in results:
        fig = figs.get(res.figure_id)
        if fig is None or res.status != "digitized":
            continue
        reported = says_reported(fig.caption) or any(says_reported(s) for s in _citing_sentences(doc, fig))
        if not reported:
            continue
        for s in res.series:
            if "second_y_axis_unassigned" in s.flags:  # its y values may belong to the other axis
                continue
            out.extend(_series_records(doc, fig, s, vocab, max_points))
    return out


def _x_condition(s: FigureSeries, vocab) -> str | None:
    """The condition the x axis sweeps (temperature, pressure, field...), from its title or else its unit."""
    from schemas.vocab import condition_for_unit

    if not s.x.unit_raw:
        return None
    cond_ids = {c.id for c in vocab.conditions}
    if s.x.property_id in cond_ids:
        return s.x.property_id
    return condition_for_unit(s.x.unit_raw)


def _series_records(doc: ParsedDocument, fig: Figure, s: FigureSeries, vocab, max_points: int) -> list[Record]:
    if s.style.kind == "line" or not s.points or len(s.points) > max_points:
        return []
    pid = s.y.property_id
    if pid is None or vocab.get(pid) is None or not s.y.unit_raw:
        return []
    mat = _material(s.label) or _material(fig.caption)
    if mat is None:
        return []
    x_cond = _x_condition(s, vocab)
    recs = []
    for i, (x, y) in enumerate(s.points):
        raw = f"{_fmt(y)} {s.y.unit_raw}"
        conds = []
        if x_cond:
            xr = f"{_fmt(x)} {s.x.unit_raw}"
            conds.append(Condition(raw=f"{s.x.title or x_cond} = {xr}", property_id=x_cond,
                                   quantity=Quantity(raw=xr, values=[float(x)], unit_raw=s.x.unit_raw)))
        err = s.y_err[i] if s.y_err and i < len(s.y_err) and s.y_err[i] else None
        recs.append(Record(
            record_id=Record.make_id(doc.paper_id, NAME, f"{fig.id}:{s.series_id}", i, raw),
            paper_id=doc.paper_id,
            material=Material(raw=mat.raw, formula=mat.formula, reduced_formula=mat.reduced_formula, name=mat.name),
            property=PropertyRef(raw=s.y.title or pid, id=pid),
            quantity=Quantity(raw=raw, values=[float(y)], uncertainty=err, unit_raw=s.y.unit_raw),
            conditions=conds,
            evidence=Evidence(
                source_id=fig.id, source_kind="figure",
                prov=[Prov(page=s.page or fig.page or 1, bbox=s.bbox, item_id=fig.id)],
                snippet=(fig.caption or "")[:300] + f" [series {s.series_id}, point {i + 1} of {len(s.points)}]",
            ),
            extractor=NAME,
            extractor_version=VERSION,
        ))
    return recs
