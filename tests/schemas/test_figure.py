"""Figure series and results: Arrow round trip, JSON Schema validity, deterministic ids, strictness."""

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from schemas import Axis, BBox, FigureResult, FigureSeries, SeriesStyle
from schemas.arrow import arrow_schema, from_table, json_schema, to_table
from schemas.figure import series_id_for


def _series(i: int = 0) -> FigureSeries:
    return FigureSeries(
        series_id=series_id_for("p1", "fig2", "a", i, "vector"),
        paper_id="p1",
        figure_id="fig2",
        panel="a",
        page=3,
        bbox=BBox(x0=10, y0=20, x1=200, y1=150),
        x=Axis(title="Temperature (K)", property_id="temperature", unit_raw="K", unit="K", lo=0, hi=300, n_ticks=4,
               residual=0.0),
        y=Axis(title="ρ (mΩ cm)", unit_raw="mΩ cm", scale="log", lo=1e-2, hi=10, n_ticks=4, residual=1e-6,
               side="left"),
        label="x = 0.1",
        style=SeriesStyle(color="#1f77b4", kind="markers", marker="circle"),
        points=[[1.0, 2.0], [3.0, 4.5]],
        y_err=[0.1, 0.2],
    )


def test_series_round_trip_through_arrow():
    items = [_series(0), _series(1)]
    table = to_table(items, FigureSeries)
    assert table.schema.equals(arrow_schema(FigureSeries))
    assert from_table(table, FigureSeries) == items


def test_result_round_trip_and_json_schema():
    res = FigureResult(paper_id="p1", figure_id="fig2", status="digitized", series=[_series()], n_panels=1)
    back = from_table(to_table([res], FigureResult), FigureResult)
    assert back == [res]
    Draft202012Validator(json_schema(FigureResult)).validate(res.model_dump(mode="json"))


def test_series_id_is_deterministic_and_distinct():
    assert series_id_for("p", "f", "a", 0, "vector") == series_id_for("p", "f", "a", 0, "vector")
    assert series_id_for("p", "f", "a", 0, "vector") != series_id_for("p", "f", "b", 0, "vector")
    assert series_id_for("p", "f", None, 0, "vector") != series_id_for("p", "f", None, 0, "raster")


def test_unknown_status_and_extra_fields_are_rejected():
    with pytest.raises(ValidationError):
        FigureResult(paper_id="p", figure_id="f", status="fine")
    with pytest.raises(ValidationError):
        FigureSeries(series_id="s", paper_id="p", figure_id="f", colour="red")
