"""What a language model is asked to return: compact, LLM-facing mirrors of `schemas.record`, one source of truth.

The model never writes record ids, spans, canonical units or provenance: it copies material, value and unit text
from the source (grounding then aligns each to a span), picks a property id from the vocabulary (an enum in the
JSON Schema, so constrained decoding cannot invent one), and quotes its evidence. Field lengths are capped so
small models terminate under constrained decoding.

`response_model(name)` and `response_json_schema(name)` are what prompts/*.yaml name in `response_schema`.
Every decoded response is validated again with the pydantic model (decoders can emit things a grammar allowed
but the model forbids).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, create_model

from schemas.base import Model
from schemas.vocab import load_vocabulary

OTHER_PROPERTY = "other"  # the escape hatch: the model names a property outside the vocabulary (property_text kept)

# Caps shared by the schema and the grammar (JSON Schema maxLength / maxItems).
MAX_RECORDS = 16
MAX_CONDITIONS = 3
MATERIAL_LEN = 60
PROPERTY_TEXT_LEN = 60
VALUE_LEN = 32
UNIT_LEN = 20
CONDITION_LEN = 48
METHOD_LEN = 40
EVIDENCE_LEN = 160


def property_ids() -> list[str]:
    return sorted(p.id for p in load_vocabulary().properties) + [OTHER_PROPERTY]


class LLMRecordBase(Model):
    """One quantitative statement, every text field copied verbatim from the input."""

    material: str = Field(max_length=MATERIAL_LEN, description="material as written in the text ('' if none)")
    property_text: str = Field(max_length=PROPERTY_TEXT_LEN, description="words naming the property, as written")
    property: str = Field(description="property id from the vocabulary, or 'other'")
    value: str = Field(
        min_length=1, max_length=VALUE_LEN, description="number(s) exactly as written: '3.2', '2.1-2.4', '<5', '3.2 ± 0.1'"
    )
    unit: str = Field(max_length=UNIT_LEN, description="unit exactly as written ('' if none)")
    conditions: list[Annotated[str, Field(max_length=CONDITION_LEN)]] = Field(
        max_length=MAX_CONDITIONS, description="conditions as written, e.g. 'at 300 K'"
    )
    method: str = Field(max_length=METHOD_LEN, description="measurement/computation method as written ('' if none)")
    evidence: str = Field(max_length=EVIDENCE_LEN, description="short verbatim quote containing the value")


@lru_cache(maxsize=1)
def _record_model() -> type[Model]:
    ids = tuple(property_ids())
    prop_type: Any = Literal.__getitem__(ids)
    return create_model(
        "LLMRecord",
        __base__=LLMRecordBase,
        property=(prop_type, Field(description="property id from the vocabulary, or 'other'")),
    )


@lru_cache(maxsize=1)
def _records_model() -> type[Model]:
    rec = _record_model()
    return create_model(
        "LLMRecords",
        __base__=Model,
        records=(list[rec], Field(max_length=MAX_RECORDS, description="every quantitative statement; [] if none")),
    )


Answer = Literal["yes", "no", "unsure"]


class LLMVerification(Model):
    """ChatExtract-style follow-up answers about one candidate record."""

    value_in_text: Answer = Field(description="is this exact value stated in the text?")
    material_correct: Answer = Field(description="does the value belong to this material?")
    property_correct: Answer = Field(description="is the value a measurement of this property?")
    unit_correct: Answer = Field(description="is this the unit the text gives for the value?")


@lru_cache(maxsize=1)
def _caption_model() -> type[Model]:
    ids = tuple(property_ids())
    prop_type: Any = Literal.__getitem__(ids)
    return create_model(
        "LLMFigureCaption",
        __base__=Model,
        materials=(list[Annotated[str, Field(max_length=MATERIAL_LEN)]], Field(max_length=6, description="materials named by the caption, as written")),
        properties=(list[prop_type], Field(max_length=4, description="property ids plotted")),
        x_axis=(str, Field(max_length=48, description="x-axis quantity as written ('' if not stated)")),
        y_axis=(str, Field(max_length=48, description="y-axis quantity as written ('' if not stated)")),
    )


# Plot values as the model reads them, kept as bounded number strings: a JSON number has no length cap, so a
# small model under constrained decoding could emit digits forever; a pattern + maxLength always terminates.
NUMBER_PATTERN = r"^-?[0-9]{1,7}(\.[0-9]{1,5})?([eE]-?[0-9]{1,2})?$"
MAX_FIG_SERIES = 6
MAX_FIG_POINTS = 40


@lru_cache(maxsize=1)
def _figure_series_model() -> type[Model]:
    """Series read off a plot image by a vision-language model; axis scale and series kind from schemas.figure."""
    from schemas.figure import Axis, SeriesStyle

    num = Annotated[str, Field(pattern=NUMBER_PATTERN, max_length=16)]
    point = create_model("LLMPoint", __base__=Model, x=(num, ...), y=(num, ...))
    series = create_model(
        "LLMSeries",
        __base__=Model,
        label=(str, Field(max_length=40, description="legend text of the series, '' if none")),
        kind=(SeriesStyle.model_fields["kind"].annotation, Field(description="how the series is drawn")),
        points=(list[point], Field(max_length=MAX_FIG_POINTS, description="points in axis data units")),
    )
    return create_model(
        "LLMFigureSeries",
        __base__=Model,
        x_title=(str, Field(max_length=48, description="x-axis title as printed, with its unit")),
        y_title=(str, Field(max_length=48, description="y-axis title as printed, with its unit")),
        x_scale=(Axis.model_fields["scale"].annotation, Field(description="x-axis scale")),
        y_scale=(Axis.model_fields["scale"].annotation, Field(description="y-axis scale")),
        series=(list[series], Field(max_length=MAX_FIG_SERIES, description="one entry per curve or marker set")),
    )


_MODELS = {
    "llm_records": _records_model,
    "llm_verification": lambda: LLMVerification,
    "llm_figure_caption": _caption_model,
    "llm_figure_series": _figure_series_model,
}


def schema_names() -> list[str]:
    return sorted(_MODELS)


def response_model(name: str) -> type[Model]:
    try:
        return _MODELS[name]()
    except KeyError:
        raise KeyError(f"unknown response schema {name!r} (known: {', '.join(schema_names())})") from None


def _inline(schema: dict) -> dict:
    """Inline $defs/$ref so every grammar compiler (llguidance, xgrammar, OpenAI) sees one self-contained object;
    drop titles/descriptions of nested fields (prompt tokens for HTTP backends, noise for grammars)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].split("/")[-1]])
            return {k: walk(v) for k, v in node.items() if k not in ("title", "default")}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


@lru_cache(maxsize=None)
def _json_schema(name: str) -> str:
    import json

    schema = _inline(response_model(name).model_json_schema())
    schema["additionalProperties"] = False
    return json.dumps(schema)


def response_json_schema(name: str) -> dict:
    """The JSON Schema for a response, self-contained (no $ref), every object closed, lengths capped."""
    import json

    return json.loads(_json_schema(name))
