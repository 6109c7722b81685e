"""`matlit llm ...`: serve a model over the OpenAI protocol, benchmark/estimate GPU throughput, show LLM counters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from pipeline.cli_common import ConfigOpt, WorkOpt, load_cfg

llm_app = typer.Typer(no_args_is_help=True, help="LLM extractor tools: serve, bench (GPU throughput plan), stats.")

BackendOpt = typer.Option(None, "--backend", help="transformers | vllm | openai (config: llm.backend)")
ModelOpt = typer.Option(None, "--model-path", help="model directory (config: llm.model_path)")
GgufOpt = typer.Option(None, "--gguf-file", help="GGUF file inside --model-path (config: llm.gguf_file)")


def _llm_cfg(config, **overrides):
    from pipeline.cli import console

    return load_cfg(config, console, **overrides)


@llm_app.command("serve")
def serve(
    config: Optional[Path] = ConfigOpt,
    backend: Optional[str] = BackendOpt,
    model_path: Optional[Path] = ModelOpt,
    gguf_file: Optional[str] = GgufOpt,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
):
    """Serve the configured model at http://HOST:PORT/v1/chat/completions (OpenAI protocol, JSON-schema output)."""
    import uvicorn

    from pipeline.cli import console
    from pipeline.errors import ConfigError
    from pipeline.llm.build import build_backend
    from pipeline.llm.serve import make_app

    cfg = _llm_cfg(config, **{"llm.backend": backend, "llm.model_path": model_path, "llm.gguf_file": gguf_file,
                              "llm.cache": False})
    if cfg.llm.backend == "openai":
        console.print("[red]error:[/red] serve needs a local backend (transformers or vllm), not openai")
        raise typer.Exit(2)
    try:
        be = build_backend(cfg.llm, cfg.work_dir)
    except ConfigError as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    console.print(f"serving {be.model_id} at http://{host}:{port}/v1")
    uvicorn.run(make_app(be), host=host, port=port, log_level="warning")


@llm_app.command("bench")
def bench(
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    measure: bool = typer.Option(False, "--measure", help="run vLLM on this machine's GPU (random Llama-3-8B weights)"),
    output_tokens: int = typer.Option(150, "--output-tokens", help="response tokens per request"),
    requests: int = typer.Option(512, "--requests", help="requests in the measured batch (--measure)"),
    structured: bool = typer.Option(False, "--structured", help="measure with the JSON-schema grammar on"),
    tp: Optional[int] = typer.Option(None, "--tp", help="tensor parallel size (config: llm.tensor_parallel_size)"),
    out: Optional[Path] = typer.Option(None, "--out", help="JSON result (default <work_dir>/llm_bench.json)"),
    tokenizer: Optional[Path] = typer.Option(None, "--tokenizer", help="count tokens with this tokenizer folder "
                                             "(default: chars/4)"),
    tokenizer_gguf: Optional[str] = typer.Option(None, "--tokenizer-gguf", help="GGUF file in --tokenizer"),
):
    """Papers/hour for an 8B model on one GPU: estimated from the work dir's papers, or measured with --measure."""
    from pipeline.cli import console
    from pipeline.llm.throughput import estimate, measure_vllm, workload, write_dummy_model
    from pipeline.workdir import WorkDir, atomic_write_json

    cfg = _llm_cfg(config, **{"work_dir": work_dir, "llm.tensor_parallel_size": tp})
    wd = WorkDir(cfg.work_dir)
    count = None
    if tokenizer is not None:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(tokenizer), **({"gguf_file": tokenizer_gguf} if tokenizer_gguf else {}))

        def count(messages):
            ids = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
            return len(ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids)

    try:
        w = workload(wd, count_tokens=count, output_tokens=output_tokens)
    except ValueError as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    result = {"estimate": estimate(w)}
    if measure:
        from extractors.llm.extractor import LLMExtractor, LLMOptions

        ex = LLMExtractor(None, LLMOptions(token_budget=None))  # type: ignore[arg-type] - only renders prompts
        prompts, texts = [], []
        for pid in sorted(wd.done_ids("parse")):
            _, reqs, _ = ex.requests_for(wd.load_parsed(pid))
            prompts += [r.messages for r in reqs]
            texts += [m["content"] for r in reqs for m in r.messages]
        prompts = (prompts * (requests // max(len(prompts), 1) + 1))[:requests]
        model_dir = write_dummy_model(wd.root / "llm_bench_model", tokenizer_texts=texts)
        schema = ex.paragraph_prompt.response_schema if structured else None
        m = measure_vllm(prompts, model_dir, output_tokens, schema, cfg.llm.tensor_parallel_size, cfg.llm.max_model_len or 8192,
                         cfg.llm.prefix_caching)
        m["papers_per_hour"] = round(m["requests_per_s"] * 3600 / w.requests_per_paper) if w.requests_per_paper else None
        result["measured"] = m
    path = out or wd.root / "llm_bench.json"
    atomic_write_json(path, result)
    e = result["estimate"]
    console.print(
        f"{w.papers} papers: {w.requests_per_paper:.1f} requests/paper, {w.prompt_tokens_per_request:.0f} prompt tokens/request "
        f"({w.prefix_tokens:.0f} shared prefix), {output_tokens} output tokens/request"
    )
    console.print(f"estimated: {e['papers_per_hour']} papers/hour (8B, 1xH100, vLLM; assumptions in {path})")
    if "measured" in result:
        console.print(f"measured: {result['measured']['papers_per_hour']} papers/hour")


@llm_app.command("stats")
def stats(config: Optional[Path] = ConfigOpt, work_dir: Optional[Path] = WorkOpt):
    """LLM counters summed over the work dir (requests, cache hits, errors, grounded/ungrounded)."""
    from pipeline.cli import console
    from pipeline.llm.build import llm_summary, total_llm_stats
    from pipeline.workdir import WorkDir

    cfg = _llm_cfg(config, **{"work_dir": work_dir})
    console.print_json(json.dumps(llm_summary(total_llm_stats(WorkDir(cfg.work_dir)))))
