"""Base model shared by every schema type: strict (extra fields are an error), JSON-friendly."""

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False, populate_by_name=True)
