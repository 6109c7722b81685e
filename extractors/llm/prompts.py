"""Prompts as files: `load_prompt(name)` reads prompts/<name>.yaml, checks it, and renders chat messages.

    p = load_prompt("extract_paragraph")
    r = p.render(text="The band gap of GaN is 3.4 eV.")
    r.messages      # [{"role": "system", ...}, few-shot user/assistant pairs..., {"role": "user", ...}]
    p.prompt_hash   # sha256 of the definition (templates, examples, schema): what records carry
    r.input_hash    # sha256 of the rendered messages: with the model id and prompt hash, the response-cache key

Templates are Jinja2 with StrictUndefined: rendering without a variable the template uses is an error naming the
prompt and the variable. Few-shot example outputs must validate against the response schema (checked on load).
The prompts directory is an explicit path, `$MATLIT_PROMPTS_DIR`, the repo's prompts/ (next to this package), or, in
a wheel install, the copy shipped as data files under <prefix>/share/matlit/prompts.
"""

from __future__ import annotations

import hashlib
import json
import os
import sysconfig
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from schemas.llm_response import response_json_schema, response_model, schema_names

REPO_PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
# A wheel install (no repo beside the package) ships prompts/ as data files under <prefix>/share/matlit/prompts.
INSTALLED_PROMPTS_DIR = Path(sysconfig.get_paths()["data"]) / "share" / "matlit" / "prompts"


class PromptError(ValueError):
    """A prompt file is missing or malformed, or rendering it failed."""


def prompts_dir(override: str | Path | None = None) -> Path:
    if override is not None:
        return Path(override)
    env = os.environ.get("MATLIT_PROMPTS_DIR")
    if env:
        return Path(env)
    if REPO_PROMPTS_DIR.is_dir() or not INSTALLED_PROMPTS_DIR.is_dir():
        return REPO_PROMPTS_DIR
    return INSTALLED_PROMPTS_DIR


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: dict[str, Any]
    output: dict[str, Any]


class PromptFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    version: int
    response_schema: str
    description: str = ""
    system: str
    user: str
    examples: list[Example] = []

    @field_validator("response_schema")
    @classmethod
    def _known_schema(cls, v: str) -> str:
        if v not in schema_names():
            raise ValueError(f"unknown response schema {v!r} (known: {', '.join(schema_names())})")
        return v


@dataclass(frozen=True)
class Rendered:
    messages: list[dict[str, str]]
    prompt_id: str  # "extract_paragraph@1"
    prompt_hash: str
    input_hash: str


@dataclass
class Prompt:
    spec: PromptFile
    path: Path
    _env: Any = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def version(self) -> int:
        return self.spec.version

    @property
    def prompt_id(self) -> str:
        return f"{self.spec.id}@{self.spec.version}"

    @property
    def schema_name(self) -> str:
        return self.spec.response_schema

    @property
    def response_schema(self) -> dict:
        return response_json_schema(self.spec.response_schema)

    @property
    def response_model(self) -> type:
        return response_model(self.spec.response_schema)

    @property
    def prompt_hash(self) -> str:
        """12 hex digits of sha256 over everything that shapes what the model sees and must answer."""
        definition = {
            "id": self.spec.id,
            "version": self.spec.version,
            "system": self.spec.system,
            "user": self.spec.user,
            "examples": [e.model_dump() for e in self.spec.examples],
            "schema": self.response_schema,
        }
        return hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]

    def _template(self, which: str):
        import jinja2

        if self._env is None:
            self._env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)
        return self._env.from_string(getattr(self.spec, which))

    def _render_one(self, which: str, variables: dict[str, Any]) -> str:
        import jinja2

        try:
            return self._template(which).render(**variables).strip()
        except jinja2.UndefinedError as e:
            raise PromptError(f"prompt {self.prompt_id} ({self.path}): {which} template: {e.message}") from e
        except jinja2.TemplateError as e:
            raise PromptError(f"prompt {self.prompt_id} ({self.path}): {which} template: {e}") from e

    def render(self, few_shot: bool = True, **variables: Any) -> Rendered:
        """Chat messages: system, then each example as a user/assistant pair, then the user turn for `variables`."""
        messages = [{"role": "system", "content": self._render_one("system", variables)}]
        if few_shot:
            for ex in self.spec.examples:
                messages.append({"role": "user", "content": self._render_one("user", ex.input)})
                messages.append({"role": "assistant", "content": dump_response(ex.output)})
        messages.append({"role": "user", "content": self._render_one("user", variables)})
        input_hash = hashlib.sha256(json.dumps(messages, ensure_ascii=False).encode()).hexdigest()[:16]
        return Rendered(messages=messages, prompt_id=self.prompt_id, prompt_hash=self.prompt_hash, input_hash=input_hash)

    def validate_response(self, obj: Any):
        """Parse a decoded response (str or dict) with the response model; raises pydantic.ValidationError."""
        if isinstance(obj, str):
            return self.response_model.model_validate_json(obj)
        return self.response_model.model_validate(obj)


def dump_response(obj: Any) -> str:
    """The compact JSON form responses take under constrained decoding (no free whitespace): examples match it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def load_prompt(name: str, directory: str | Path | None = None) -> Prompt:
    path = prompts_dir(directory) / f"{name}.yaml"
    return _load(str(path.resolve()), path.stat().st_mtime_ns if path.is_file() else 0)


@lru_cache(maxsize=64)
def _load(path_str: str, _mtime: int) -> Prompt:
    path = Path(path_str)
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.yaml")) if path.parent.is_dir() else []
        raise PromptError(f"prompt file not found: {path} (available: {', '.join(known) or 'none'})")
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as e:
        raise PromptError(f"{path}: not valid YAML: {e}") from e
    try:
        spec = PromptFile.model_validate(raw)
    except ValidationError as e:
        raise PromptError(f"{path}: invalid prompt file:\n{e}") from e
    if spec.id != path.stem:
        raise PromptError(f"{path}: id {spec.id!r} must equal the file name {path.stem!r}")
    prompt = Prompt(spec=spec, path=path)
    for i, ex in enumerate(spec.examples):
        try:
            prompt.validate_response(ex.output)
        except ValidationError as e:
            raise PromptError(f"{path}: example {i}: output does not match schema {spec.response_schema}:\n{e}") from e
        prompt._render_one("user", ex.input)  # every example supplies the user template's variables
    return prompt


def list_prompts(directory: str | Path | None = None) -> list[str]:
    return sorted(p.stem for p in prompts_dir(directory).glob("*.yaml"))
