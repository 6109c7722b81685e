"""Arrow schema and JSON Schema derived from the pydantic models: the one place both are made.

`arrow_schema(Model)` walks the model's field annotations; `json_schema(Model)` is pydantic's. A test proves the
two agree field by field, and that records round-trip through Arrow.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

import pyarrow as pa
from pydantic import BaseModel

from schemas.version import SCHEMA_VERSION


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        nullable = len(args) < len(get_args(tp))
        if len(args) == 1:
            return args[0], nullable
        raise TypeError(f"unions other than Optional are not supported in Arrow schemas: {tp}")
    return tp, False


def arrow_type(tp: Any) -> pa.DataType:
    tp, _ = _strip_optional(tp)
    origin = get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return pa.struct([arrow_field(n, f.annotation) for n, f in tp.model_fields.items()])
    if origin is Literal:
        return pa.string()
    if isinstance(tp, type) and issubclass(tp, Enum):
        return pa.string()
    if origin in (list, typing.List):
        (item,) = get_args(tp)
        return pa.list_(arrow_type(item))
    if origin is tuple:
        args = get_args(tp)
        return pa.list_(arrow_type(args[0]))
    if origin is dict:
        k, v = get_args(tp)
        return pa.map_(arrow_type(k), arrow_type(v))
    if tp is bool:
        return pa.bool_()
    if tp is int:
        return pa.int64()
    if tp is float:
        return pa.float64()
    if tp is str:
        return pa.string()
    if tp is datetime:
        return pa.timestamp("us", tz="UTC")
    raise TypeError(f"no Arrow type for {tp!r}")


def arrow_field(name: str, annotation: Any) -> pa.Field:
    _, nullable = _strip_optional(annotation)
    return pa.field(name, arrow_type(annotation), nullable=nullable)


def arrow_schema(model: type[BaseModel]) -> pa.Schema:
    fields = [arrow_field(n, f.annotation) for n, f in model.model_fields.items()]
    return pa.schema(fields, metadata={b"schema_version": SCHEMA_VERSION.encode(), b"model": model.__name__.encode()})


def json_schema(model: type[BaseModel]) -> dict:
    schema = model.model_json_schema()
    schema["$comment"] = f"matlit schema_version {SCHEMA_VERSION}"
    return schema


def _to_arrow_value(v: Any) -> Any:
    if isinstance(v, BaseModel):
        return {k: _to_arrow_value(getattr(v, k)) for k in type(v).model_fields}
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, (list, tuple)):
        return [_to_arrow_value(x) for x in v]
    if isinstance(v, dict):
        return [(k, _to_arrow_value(x)) for k, x in v.items()]
    return v


def to_table(items: list[BaseModel], model: type[BaseModel]) -> pa.Table:
    schema = arrow_schema(model)
    rows = [_to_arrow_value(it) for it in items]
    return pa.Table.from_pylist(rows, schema=schema)


def from_table(table: pa.Table, model: type[BaseModel]) -> list[BaseModel]:
    def fix(v: Any, tp: Any) -> Any:
        tp, _ = _strip_optional(tp)
        if v is None:
            return None
        origin = get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return {n: fix(v.get(n), f.annotation) for n, f in tp.model_fields.items()}
        if origin is dict:
            return dict(v)
        if origin in (list, tuple):
            (item, *_) = get_args(tp)
            return [fix(x, item) for x in v]
        return v

    return [model.model_validate(fix(row, model)) for row in table.to_pylist()]
