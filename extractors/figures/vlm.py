"""Vision-language backend for plots: an image in, FigureSeries (method "vlm") out, for GPUs.

The prompt is prompts/figure_series.yaml (loaded by extractors.llm.prompts, versioned and hashed like every prompt);
the response schema is `llm_figure_series` (schemas/llm_response.py, built from schemas/figure.py: axis scale and
series kind are the same Literals). Values come back as bounded number strings, so constrained decoding always
terminates, and every decoded response is validated again with the pydantic model.

Two backends, both constrained to the schema:
  - `TransformersVLM`: AutoProcessor + AutoModelForImageTextToText with the llguidance logits processor of the text
    backend (extractors/llm/backends/hf.py); CPU or GPU; a model directory, or a model + processor already loaded.
  - `VLLMVision`: vLLM offline batch, `LLM.chat` with an `image_url` part (PNG data URL) per conversation and
    `StructuredOutputsParams(json=schema)`; vLLM is imported only when the backend is built (GPU machines,
    `gpu` extra); `vllm_conversation` / `vllm_sampling_kwargs` are pure and tested without vLLM.
VLM series are approximate: they carry no calibration residual and `flags` name the prompt and model.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from extractors.llm.backends import BackendError, Completion, check_json
from schemas.figure import Axis, FigureResult, FigureSeries, SeriesStyle, series_id_for
from schemas.geometry import BBox

NAME = "figures.vlm"
VERSION = "1"
PROMPT = "figure_series"


def png_data_url(image) -> str:
    """An RGB / grey numpy image as a base64 PNG data URL (what vLLM and OpenAI-style servers take)."""
    import cv2
    import numpy as np

    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] >= 3:
        a = cv2.cvtColor(np.ascontiguousarray(a[:, :, :3]), cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", a)
    if not ok:
        raise ValueError(f"cannot encode image of shape {a.shape} as PNG")
    return "data:image/png;base64," + base64.b64encode(buf.tobytes()).decode()


def _prompt():
    from extractors.llm.prompts import load_prompt

    return load_prompt(PROMPT)


def _with_image(messages: list[dict], image_part: dict) -> list[dict]:
    """The rendered chat with the image placed before the text of the last user turn."""
    out = [dict(m) for m in messages]
    last = out[-1]
    out[-1] = {"role": last["role"], "content": [image_part, {"type": "text", "text": last["content"]}]}
    return out


def vllm_conversation(image, messages: list[dict]) -> list[dict]:
    return _with_image(messages, {"type": "image_url", "image_url": {"url": png_data_url(image)}})


def vllm_sampling_kwargs(schema: dict, max_tokens: int = 1536) -> dict[str, Any]:
    """SamplingParams arguments: greedy, JSON Schema structured output without free whitespace."""
    return {"max_tokens": max_tokens, "temperature": 0.0,
            "structured_outputs": {"json": schema, "disable_any_whitespace": True}}


def vllm_engine_kwargs(model: str, **engine: Any) -> dict[str, Any]:
    """The text backend's engine settings plus one image per prompt."""
    from extractors.llm.backends.vllm import engine_kwargs

    kw = engine_kwargs(model, **engine)
    kw["limit_mm_per_prompt"] = {"image": 1}
    return kw


class VLLMVision:
    """vLLM offline batch over many figures at once (GPU)."""

    def __init__(self, model: str, *, model_id: str | None = None, max_tokens: int = 1536, **engine: Any):
        try:
            from vllm import LLM
        except ImportError as e:
            raise BackendError("vlm backend vllm: vllm is not installed (GPU machines only: pip install 'matlit[gpu]')") from e
        self.model_id = model_id or model
        self.max_tokens = max_tokens
        self.llm = LLM(**vllm_engine_kwargs(model, **engine))

    def generate(self, images: list, messages: list[list[dict]], schema: dict) -> list[Completion]:
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        kw = vllm_sampling_kwargs(schema, self.max_tokens)
        kw["structured_outputs"] = StructuredOutputsParams(**kw["structured_outputs"])
        params = SamplingParams(**kw)
        convs = [vllm_conversation(img, msgs) for img, msgs in zip(images, messages, strict=True)]
        try:
            results = self.llm.chat(convs, params, use_tqdm=False)
        except Exception as e:  # noqa: BLE001 - one failing batch is reported per figure
            return [Completion(text="", finish_reason="error", error=f"{type(e).__name__}: {e}") for _ in convs]
        out = []
        for res in results:
            o = res.outputs[0]
            c = Completion(text=o.text, finish_reason="length" if o.finish_reason == "length" else "stop",
                           prompt_tokens=len(res.prompt_token_ids or []), completion_tokens=len(o.token_ids))
            out.append(check_json(c))
        return out


class TransformersVLM:
    """A transformers image-text-to-text model with llguidance constrained decoding (CPU tests, single GPU)."""

    def __init__(self, model_path: str | None = None, *, model: Any = None, processor: Any = None,
                 model_id: str | None = None, device: str = "cpu", dtype: str = "float32", max_tokens: int = 1536):
        import torch

        if model is None or processor is None:
            if model_path is None:
                raise BackendError("vlm backend transformers: set a model path or pass a model and processor")
            from transformers import AutoModelForImageTextToText, AutoProcessor

            try:
                processor = AutoProcessor.from_pretrained(model_path)
                model = AutoModelForImageTextToText.from_pretrained(model_path, dtype=getattr(torch, dtype))
            except (OSError, ValueError) as e:
                raise BackendError(f"vlm backend transformers: cannot load {model_path}: {e}") from e
        self.model = model.to(device).eval()
        self.processor = processor
        self.tokenizer = processor.tokenizer
        self.device = device
        self.max_tokens = max_tokens
        self.model_id = model_id or str(model_path or "model")
        eos = model.generation_config.eos_token_id if model.generation_config is not None else None
        eos = eos if eos is not None else self.tokenizer.eos_token_id
        self.eos_ids = sorted({e for e in (eos if isinstance(eos, list) else [eos]) if e is not None})
        self._lltok = None
        self._grammars: dict[str, str] = {}

    def _matcher(self, schema: dict):
        import llguidance.hf
        from llguidance import LLMatcher

        from extractors.llm.backends.hf import grammar_for

        if self._lltok is None:
            n_vocab = self.model.get_output_embeddings().weight.shape[0]
            self._lltok = llguidance.hf.from_tokenizer(self.tokenizer, n_vocab=n_vocab, eos_token=self.eos_ids[0])
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = grammar_for(schema)
        m = LLMatcher(self._lltok, self._grammars[key], log_level=0)
        if m.is_error():
            raise BackendError(f"vlm backend transformers: schema does not compile to a grammar: {m.get_error()}")
        return m

    def generate(self, images: list, messages: list[list[dict]], schema: dict) -> list[Completion]:
        out = []
        for img, msgs in zip(images, messages, strict=True):
            try:
                out.append(self._one(img, msgs, schema))
            except BackendError:
                raise
            except Exception as e:  # noqa: BLE001 - a failing figure is reported, the batch goes on
                out.append(Completion(text="", finish_reason="error", error=f"{type(e).__name__}: {e}"))
        return out

    def _one(self, image, messages: list[dict], schema: dict) -> Completion:
        import numpy as np
        import torch

        from extractors.llm.backends.hf import _GuidanceProcessor

        conv = _with_image(messages, {"type": "image"})
        text = self.processor.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
        enc = self.processor(images=[np.asarray(image)[:, :, :3]], text=[text], return_tensors="pt").to(self.device)
        prompt_len = enc["input_ids"].shape[1]
        proc = _GuidanceProcessor([self._matcher(schema)], self.eos_ids, prompt_len)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.eos_ids[0]
        with torch.inference_mode():
            gen = self.model.generate(**enc, max_new_tokens=self.max_tokens, logits_processor=[proc], do_sample=False,
                                      eos_token_id=self.eos_ids, pad_token_id=pad)
        ids = gen[0, prompt_len:].tolist()
        n = next((j for j, t in enumerate(ids) if t in self.eos_ids), len(ids))
        c = Completion(text=self.tokenizer.decode(ids[:n], skip_special_tokens=True),
                       finish_reason="stop" if n < len(ids) else "length", error=proc.errors[0],
                       prompt_tokens=prompt_len, completion_tokens=n)
        return check_json(c)


def _num(s: str) -> float | None:
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return v if v == v and abs(v) != float("inf") else None


def result_from_response(completion: Completion, *, paper_id: str, figure_id: str, page: int | None,
                         bbox: BBox | None, label: str | None, prompt_id: str, prompt_hash: str,
                         model_id: str) -> FigureResult:
    """A FigureResult (method vlm) from one decoded response; an unusable response is a figure-level reason."""
    from pydantic import ValidationError

    base = dict(paper_id=paper_id, figure_id=figure_id, label=label, page=page, bbox=bbox, method="vlm",
                extractor=NAME, extractor_version=VERSION)
    if not completion.ok:
        return FigureResult(**base, status="error", reason=f"vlm {model_id}: {completion.error}"[:500])
    try:
        resp = _prompt().validate_response(completion.text)
    except ValidationError as e:
        return FigureResult(**base, status="error", reason=f"vlm {model_id}: response fails the schema: {e}"[:500])
    flags = [f"prompt:{prompt_id}#{prompt_hash}", f"model:{model_id}"]
    xa = Axis(title=resp.x_title or None, scale=resp.x_scale, side="bottom")
    ya = Axis(title=resp.y_title or None, scale=resp.y_scale, side="left")
    series = []
    for s in resp.series:
        pts = [[x, y] for x, y in ((_num(p.x), _num(p.y)) for p in s.points) if x is not None and y is not None]
        if not pts:
            continue
        series.append(FigureSeries(
            series_id=series_id_for(paper_id, figure_id, None, len(series), "vlm"), paper_id=paper_id,
            figure_id=figure_id, page=page, bbox=bbox, method="vlm", x=xa, y=ya, label=s.label or None,
            style=SeriesStyle(kind=s.kind), points=pts, extractor=NAME, extractor_version=VERSION, flags=flags,
        ))
    status = "digitized" if series else "no_series"
    reason = "" if series else f"vlm {model_id}: no series with numeric points in the response"
    return FigureResult(**base, status=status, reason=reason, series=series)


def digitize_vlm(images: list, backend, *, paper_id: str, figure_ids: list[str], pages: list[int | None] | None = None,
                 bboxes: list[BBox | None] | None = None, captions: list[str] | None = None) -> list[FigureResult]:
    """Figures through a VLM backend in one batch (vLLM batches them on the GPU); one FigureResult per image."""
    n = len(images)
    pages = pages or [None] * n
    bboxes = bboxes or [None] * n
    captions = captions or [""] * n
    prompt = _prompt()
    renders = [prompt.render(caption=c or "") for c in captions]
    t0 = time.perf_counter()
    done = backend.generate(images, [r.messages for r in renders], prompt.response_schema)
    per = round((time.perf_counter() - t0) / max(1, n), 4)
    out = []
    for i, c in enumerate(done):
        res = result_from_response(c, paper_id=paper_id, figure_id=figure_ids[i], page=pages[i], bbox=bboxes[i],
                                   label=None, prompt_id=renders[i].prompt_id, prompt_hash=renders[i].prompt_hash,
                                   model_id=backend.model_id)
        res.seconds = per
        out.append(res)
    return out
