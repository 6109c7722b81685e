"""Config -> backend -> cached backend -> LLM extractor. The only place that knows llm.* settings and the work dir."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.workdir import WorkDir, atomic_write_json


def cache_dir(llm_cfg, work_dir: str | Path | None) -> Path:
    return Path(llm_cfg.cache_dir) if llm_cfg.cache_dir else Path(work_dir or "work") / "llm_cache"


def build_backend(llm_cfg, work_dir: str | Path | None = None, *, model=None, tokenizer=None):
    """The configured backend, wrapped in the on-disk response cache (unless llm.cache is off)."""
    from extractors.llm.backends import BackendError

    c = llm_cfg
    try:
        if c.backend == "transformers":
            from extractors.llm.backends.hf import TransformersBackend

            backend = TransformersBackend(
                c.model_path, gguf_file=c.gguf_file, model=model, tokenizer=tokenizer, model_id=c.model_id,
                device=c.device, dtype=c.dtype, batch_size=c.batch_size,
            )
        elif c.backend == "openai":
            from extractors.llm.backends.openai_http import OpenAIBackend

            if not c.server_url:
                raise ConfigError("llm.backend=openai needs llm.server_url (e.g. http://127.0.0.1:8000/v1)")
            backend = OpenAIBackend(
                c.server_url, c.model_id or str(c.model_path or "default"), api_key_env=c.api_key_env,
                concurrency=c.concurrency, retries=c.retries, timeout_s=c.timeout_s,
            )
        elif c.backend == "vllm":
            from extractors.llm.backends.vllm import VLLMBackend

            if not c.model_path:
                raise ConfigError("llm.backend=vllm needs llm.model_path (a model directory or hub-style name)")
            backend = VLLMBackend(
                str(c.model_path), model_id=c.model_id, batch_size=c.batch_size,
                tensor_parallel_size=c.tensor_parallel_size, max_model_len=c.max_model_len,
                enable_prefix_caching=c.prefix_caching, gpu_memory_utilization=c.gpu_memory_utilization,
            )
        else:  # pragma: no cover - Literal in config
            raise ConfigError(f"unknown llm.backend {c.backend!r}")
    except BackendError as e:
        raise ConfigError(str(e)) from e
    if not c.cache:
        return backend
    from extractors.llm.backends.cache import CachedBackend
    from pipeline.llm.cache import DiskStore

    return CachedBackend(backend, DiskStore(cache_dir(c, work_dir)))


def build_llm_extractor(llm_cfg, work_dir: str | Path | None = None, **backend_kw):
    from extractors.llm.extractor import LLMExtractor, LLMOptions

    c = llm_cfg
    if c.prompts_dir is None and os.environ.get("MATLIT_PROMPTS_DIR") is None:
        prompts = None
    else:
        prompts = c.prompts_dir
    opts = LLMOptions(
        run_on=c.run_on, tables=c.tables, token_budget=c.token_budget, max_tokens=c.max_tokens,
        temperature=c.temperature, few_shot=c.few_shot, verify=c.verify, keep_ungrounded=c.keep_ungrounded,
        prompts_dir=prompts,
    )
    from extractors.llm.prompts import PromptError

    try:
        return LLMExtractor(build_backend(c, work_dir, **backend_kw), opts)
    except PromptError as e:
        raise ConfigError(str(e)) from e


def llm_stats_path(wd: WorkDir, paper_id: str) -> Path:
    return wd.root / "llm_stats" / f"{paper_id}.json"


def save_llm_stats(wd: WorkDir, paper_id: str, extractors: list) -> None:
    """Per-paper LLM counters (requests, cache hits, errors by kind, grounded/ungrounded) beside the records."""
    for ex in extractors:
        stats = getattr(ex, "stats", None)
        if getattr(ex, "name", None) != "llm" or stats is None:
            continue
        before = getattr(ex, "_stats_saved", Counter())
        delta = Counter(stats)
        delta.subtract(before)
        ex._stats_saved = Counter(stats)
        atomic_write_json(llm_stats_path(wd, paper_id), {k: v for k, v in sorted(delta.items()) if v})


def total_llm_stats(wd: WorkDir) -> Counter:
    import json

    total: Counter = Counter()
    for p in sorted((wd.root / "llm_stats").glob("*.json")):
        total.update(json.loads(p.read_text("utf-8")))
    return total


def llm_summary(stats: Counter) -> dict:
    """The numbers `matlit eval` reports for the LLM extractor: calls, errors, grounding.

    ungrounded_rate = responses' records whose value, unit or material did not align / all records the model
    returned; emitted_ungrounded = those kept anyway (keep_ungrounded), the number the goal wants at 0."""
    llm_records = stats.get("llm_records", 0)
    errors = {k.split(":", 1)[1]: v for k, v in sorted(stats.items()) if k.startswith("error:")}
    return {
        "requests": stats.get("requests", 0),
        "backend_calls": stats.get("backend_calls", 0),
        "cached": stats.get("cached", 0),
        "errors": errors,
        "llm_records": llm_records,
        "grounded": stats.get("grounded", 0),
        "dropped_ungrounded": stats.get("dropped_ungrounded", 0),
        "emitted_ungrounded": stats.get("kept_ungrounded", 0),
        "ungrounded_rate": round(stats.get("ungrounded", 0) / llm_records, 4) if llm_records else None,
        "ungrounded_by_field": {f: stats.get(f"ungrounded_{f}", 0) for f in ("value", "unit", "material")},
        "prompt_tokens": stats.get("prompt_tokens", 0),
        "completion_tokens": stats.get("completion_tokens", 0),
        "skipped_token_budget": stats.get("skipped_token_budget", 0),
    }


def llm_report_lines(scores: dict) -> list[str]:
    """Markdown section for report.md: one row per corpus that ran the LLM extractor."""
    rows = [(c, v["llm"]) for c, v in scores.get("corpora", {}).items() if isinstance(v, dict) and v.get("llm")]
    if not rows:
        return []
    lines = [
        "## LLM extractor: grounding and failures",
        "",
        "Ungrounded rate = records the model returned whose value, unit or material is not in the text / all records "
        "it returned (dropped unless llm.keep_ungrounded). Emitted ungrounded must be 0 by default.",
        "",
        "| corpus | requests | cached | errors | LLM records | grounded | ungrounded rate | emitted ungrounded "
        "| prompt tok | completion tok |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c, s in rows:
        errs = ", ".join(f"{k} {v}" for k, v in s["errors"].items()) or "0"
        rate = "-" if s["ungrounded_rate"] is None else f"{100 * s['ungrounded_rate']:.1f}%"
        lines.append(
            f"| {c} | {s['requests']} | {s['cached']} | {errs} | {s['llm_records']} | {s['grounded']} | {rate} "
            f"| {s['emitted_ungrounded']} | {s['prompt_tokens']} | {s['completion_tokens']} |"
        )
    return lines + [""]
