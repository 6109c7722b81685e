"""vLLM offline batch backend: `LLM.chat(conversations, SamplingParams(structured_outputs=...))`.

Uses the structured-outputs API of vLLM >= 0.12 (`StructuredOutputsParams(json=schema)`; the `guided_*` parameters
were removed). vLLM is installed only by the `gpu` extra on GPU machines: it is imported when the backend is built,
and `engine_kwargs` / `sampling_kwargs` (pure functions, unit-tested without vLLM) hold every setting.
"""

from __future__ import annotations

from typing import Any

from extractors.llm.backends import BackendError, ChatRequest, Completion, check_json


def engine_kwargs(
    model: str,
    *,
    tensor_parallel_size: int = 1,
    max_model_len: int | None = 8192,
    enable_prefix_caching: bool = True,
    max_num_seqs: int | None = 256,
    gpu_memory_utilization: float = 0.90,
    dtype: str = "auto",
    load_format: str | None = None,
    seed: int = 0,
    structured_outputs_backend: str | None = None,
) -> dict[str, Any]:
    kw: dict[str, Any] = {
        "model": model,
        "tensor_parallel_size": tensor_parallel_size,
        "enable_prefix_caching": enable_prefix_caching,
        "gpu_memory_utilization": gpu_memory_utilization,
        "dtype": dtype,
        "seed": seed,
    }
    if structured_outputs_backend:  # "guidance" = llguidance, as in the transformers backend; default: vLLM's auto
        kw["structured_outputs_config"] = {"backend": structured_outputs_backend}
    if max_model_len:
        kw["max_model_len"] = max_model_len
    if max_num_seqs:
        kw["max_num_seqs"] = max_num_seqs
    if load_format:
        kw["load_format"] = load_format  # "dummy": random weights of the real config (throughput benchmarks)
    return kw


def sampling_kwargs(r: ChatRequest) -> dict[str, Any]:
    """SamplingParams arguments for one request; `structured_outputs` holds the JSON Schema (a plain dict here,
    wrapped in StructuredOutputsParams by `_sampling_params`)."""
    kw: dict[str, Any] = {"max_tokens": r.max_tokens, "temperature": r.temperature}
    if r.schema is not None:
        kw["structured_outputs"] = {"json": r.schema, "disable_any_whitespace": True}
    return kw


def _sampling_params(r: ChatRequest):
    from vllm import SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    kw = sampling_kwargs(r)
    if "structured_outputs" in kw:
        kw["structured_outputs"] = StructuredOutputsParams(**kw["structured_outputs"])
    return SamplingParams(**kw)


class VLLMBackend:
    def __init__(self, model: str, *, model_id: str | None = None, batch_size: int = 256, **engine: Any):
        try:
            from vllm import LLM
        except ImportError as e:
            raise BackendError(
                "vllm backend: vllm is not installed (GPU machines only: pip install 'matlit[gpu]')"
            ) from e
        self.model_id = model_id or model
        self.batch_size = batch_size
        self.llm = LLM(**engine_kwargs(model, **engine))

    def generate(self, requests: list[ChatRequest]) -> list[Completion]:
        out: list[Completion] = []
        for i in range(0, len(requests), self.batch_size):
            batch = requests[i : i + self.batch_size]
            try:
                results = self.llm.chat([r.messages for r in batch], [_sampling_params(r) for r in batch], use_tqdm=False)
            except Exception as e:  # noqa: BLE001 - report per request, keep the batch going
                out.extend(Completion(text="", finish_reason="error", error=f"{type(e).__name__}: {e}") for _ in batch)
                continue
            for r, res in zip(batch, results, strict=True):
                o = res.outputs[0]
                c = Completion(
                    text=o.text,
                    finish_reason="length" if o.finish_reason == "length" else "stop",
                    prompt_tokens=len(res.prompt_token_ids or []),
                    completion_tokens=len(o.token_ids),
                )
                out.append(check_json(c) if r.schema is not None else c)
        return out
